//! Go's `fmt` package as templates use it: `print`, `println`, `printf` and the `%v` text of every
//! value an action prints. Output must match Go byte for byte, so this follows Go's algorithm
//! (flags applied per primitive, collections printed element by element with the same verb,
//! `%!verb(type=value)` for mismatches). Like Go's, the output is bytes: a string that is not
//! UTF-8 (`Value::RawStr`) is copied as it is.

use super::value::{Rune, Value, go_runes, lossy};

/// Values debug-print as Go's `%v` shows them.
impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&sprint_v(self))
    }
}

#[derive(Default, Clone, Copy)]
struct Flags {
    plus: bool,
    minus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
    wid: Option<usize>,
    prec: Option<usize>,
}

/// The bytes printed so far.
#[derive(Default)]
struct Buf(Vec<u8>);

impl Buf {
    fn push(&mut self, c: char) {
        self.push_str(c.encode_utf8(&mut [0; 4]));
    }

    fn push_str(&mut self, s: &str) {
        self.push_bytes(s.as_bytes());
    }

    fn push_bytes(&mut self, b: &[u8]) {
        self.0.extend_from_slice(b);
    }
}

struct Printer {
    buf: Buf,
    f: Flags,
}

/// `fmt.Sprint(v)`: the text an action prints for a value (bytes that are not UTF-8 as
/// [`lossy`] shows them).
pub fn sprint_v(v: &Value) -> String {
    let mut p = Printer::new();
    p.print_arg(v, 'v');
    String::from_utf8(p.buf.0).unwrap_or_else(|e| lossy(e.as_bytes()).into_owned())
}

/// `fmt.Sprint(args...)`: spaces only between operands when neither side is a string.
/// Like the other `sprint*`, it returns Go's bytes ([`Value::go_string`] makes them a value).
pub fn sprint(args: &[Value]) -> Vec<u8> {
    let mut p = Printer::new();
    let mut prev_string = false;
    for (i, a) in args.iter().enumerate() {
        let is_string = a.str_bytes().is_some();
        if i > 0 && !is_string && !prev_string {
            p.buf.push(' ');
        }
        p.print_arg(a, 'v');
        prev_string = is_string;
    }
    p.buf.0
}

/// `fmt.Sprintln(args...)`: always spaces, and a final newline.
pub fn sprintln(args: &[Value]) -> Vec<u8> {
    let mut p = Printer::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            p.buf.push(' ');
        }
        p.print_arg(a, 'v');
    }
    p.buf.push('\n');
    p.buf.0
}

/// `fmt.Sprintf(format, args...)`.
pub fn sprintf(format: &str, args: &[Value]) -> Vec<u8> {
    let mut p = Printer::new();
    p.do_printf(format, args);
    p.buf.0
}

/// Go's `strconv.Quote`.
pub fn quote(s: &str) -> String {
    quote_bytes(s.as_bytes())
}

/// Go's `strconv.Quote` of a string's bytes (those that are not UTF-8 as `\xNN`).
pub fn quote_bytes(s: &[u8]) -> String {
    quote_with(s, '"', false)
}

/// Backquotes `s` when Go can (`strconv.CanBackquote`), else quotes it.
pub fn quote_backtick(s: &str) -> String {
    if can_backquote(s.as_bytes()) {
        format!("`{s}`")
    } else {
        quote(s)
    }
}

/// Go's `strconv.FormatFloat(v, 'g', -1, 64)`, the `%v` text of a float64.
pub fn format_float_v(v: f64) -> String {
    format_float(v, 'g', None)
}

const MAX_NUM: usize = 1_000_000;

/// Digits past which a double's exact decimal expansion is only zeros (767 significant, 1,074
/// after the point), with a margin; Rust's formatter takes no precision above 65,535.
const EXACT_DIGITS: usize = 1_100;

fn parse_num(s: &[u8], mut i: usize, end: usize) -> (Option<usize>, usize) {
    let start = i;
    let mut n: usize = 0;
    while i < end && s[i].is_ascii_digit() {
        if n > MAX_NUM {
            return (None, end);
        }
        n = n * 10 + (s[i] - b'0') as usize;
        i += 1;
    }
    if i == start { (None, i) } else { (Some(n), i) }
}

impl Printer {
    fn new() -> Printer {
        Printer {
            buf: Buf::default(),
            f: Flags::default(),
        }
    }

    fn do_printf(&mut self, format: &str, args: &[Value]) {
        let s = format.as_bytes();
        let end = s.len();
        let mut arg_num = 0usize;
        let mut after_index;
        let mut reordered = false;
        let mut i = 0;
        while i < end {
            let mut good_arg_num = true;
            let last = i;
            while i < end && s[i] != b'%' {
                i += 1;
            }
            if i > last {
                self.buf.push_str(&format[last..i]);
            }
            if i >= end {
                break;
            }
            i += 1;
            self.f = Flags::default();
            while i < end {
                match s[i] {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = !self.f.minus,
                    b'+' => self.f.plus = true,
                    b'-' => {
                        self.f.minus = true;
                        self.f.zero = false;
                    }
                    b' ' => self.f.space = true,
                    _ => break,
                }
                i += 1;
            }
            // An explicit argument index: `%[2]d`.
            let mut arg_number =
                |arg_num: usize, i: usize, good: &mut bool| -> (usize, usize, bool) {
                    if i >= end || s[i] != b'[' {
                        return (arg_num, i, false);
                    }
                    reordered = true;
                    let (index, wid, ok) = parse_arg_number(&s[i..]);
                    if ok && index < args.len() {
                        return (index, i + wid, true);
                    }
                    *good = false;
                    (arg_num, i + wid, ok)
                };
            (arg_num, i, after_index) = arg_number(arg_num, i, &mut good_arg_num);
            if i < end && s[i] == b'*' {
                i += 1;
                let (w, ok, next) = int_from_arg(args, arg_num);
                arg_num = next;
                if !ok {
                    self.buf.push_str("%!(BADWIDTH)");
                    self.f.wid = None;
                } else if w < 0 {
                    self.f.wid = Some(w.unsigned_abs() as usize);
                    self.f.minus = true;
                    self.f.zero = false;
                } else {
                    self.f.wid = Some(w as usize);
                }
                after_index = false;
            } else {
                let (w, ni) = parse_num(s, i, end);
                self.f.wid = w;
                i = ni;
                if after_index && w.is_some() {
                    good_arg_num = false;
                }
            }
            if i + 1 < end && s[i] == b'.' {
                i += 1;
                if after_index {
                    good_arg_num = false;
                }
                (arg_num, i, after_index) = arg_number(arg_num, i, &mut good_arg_num);
                if i < end && s[i] == b'*' {
                    i += 1;
                    let (p, ok, next) = int_from_arg(args, arg_num);
                    arg_num = next;
                    self.f.prec = if ok && p >= 0 { Some(p as usize) } else { None };
                    if !ok {
                        self.buf.push_str("%!(BADPREC)");
                    }
                    after_index = false;
                } else {
                    let (p, ni) = parse_num(s, i, end);
                    i = ni;
                    self.f.prec = Some(p.unwrap_or(0));
                }
            }
            if !after_index {
                (arg_num, i, _) = arg_number(arg_num, i, &mut good_arg_num);
            }
            if i >= end {
                self.buf.push_str("%!(NOVERB)");
                break;
            }
            let verb = format[i..].chars().next().unwrap_or('?');
            i += verb.len_utf8();
            if verb == '%' {
                self.buf.push('%');
            } else if !good_arg_num {
                self.buf.push_str("%!");
                self.buf.push(verb);
                self.buf.push_str("(BADINDEX)");
            } else if arg_num >= args.len() {
                self.buf.push_str("%!");
                self.buf.push(verb);
                self.buf.push_str("(MISSING)");
            } else {
                if verb == 'v' {
                    self.f.sharp_v = self.f.sharp;
                    self.f.sharp = false;
                    self.f.plus_v = self.f.plus;
                    self.f.plus = false;
                }
                self.print_arg(&args[arg_num], verb);
                arg_num += 1;
            }
        }
        if !reordered && arg_num < args.len() {
            self.f = Flags::default();
            self.buf.push_str("%!(EXTRA ");
            for (k, a) in args[arg_num..].iter().enumerate() {
                if k > 0 {
                    self.buf.push_str(", ");
                }
                if a.is_nil() {
                    self.buf.push_str("<nil>");
                } else {
                    self.buf.push_str(&a.type_name());
                    self.buf.push('=');
                    self.print_arg(a, 'v');
                }
            }
            self.buf.push(')');
        }
    }

    fn print_arg(&mut self, v: &Value, verb: char) {
        match (v, verb) {
            (Value::Nil, 'T' | 'v') => self.pad("<nil>"),
            (Value::Nil, _) => self.bad_verb(v, verb),
            (_, 'T') => {
                let t = v.type_name();
                self.fmt_s(t.as_bytes());
            }
            (Value::Bytes(b), _) => self.fmt_bytes(b, verb, "[]byte", v),
            _ => self.print_value(v, verb, 0),
        }
    }

    fn print_value(&mut self, v: &Value, verb: char, depth: usize) {
        // A map whose children are shared prints exponentially more than it holds: the
        // render's budget stops it (the executor then reports the spent budget).
        if depth > super::value::MAX_DEPTH
            || !crate::budget::step(1)
            || !crate::budget::fits(self.buf.0.len() as u64)
        {
            self.buf.push_str("...");
            return;
        }
        match v {
            // Only reachable for nil elements of a collection: Go prints the empty interface.
            Value::Nil => {
                if self.f.sharp_v {
                    self.buf.push_str("interface {}(nil)");
                } else {
                    self.buf.push_str("<nil>");
                }
            }
            Value::Bool(b) => match verb {
                't' | 'v' => self.pad(if *b { "true" } else { "false" }),
                _ => self.bad_verb(v, verb),
            },
            Value::Int(n, ty) => {
                let unsigned = matches!(ty, super::value::IntTy::Uint8);
                self.fmt_int_verb(*n, unsigned, verb, v)
            }
            Value::Float(x) => self.fmt_float_verb(*x, verb, v),
            Value::Str(s) => self.fmt_string(s.as_bytes(), verb, v),
            Value::RawStr(b) => self.fmt_string(b, verb, v),
            Value::Bytes(b) => {
                if depth == 0 {
                    self.fmt_bytes(b, verb, "[]byte", v)
                } else {
                    self.fmt_bytes(b, verb, "[]uint8", v)
                }
            }
            Value::List(l) => {
                if self.f.sharp_v {
                    self.buf.push_str(&v.type_name());
                    self.buf.push('{');
                    for (i, item) in l.items.iter().enumerate() {
                        if i > 0 {
                            self.buf.push_str(", ");
                        }
                        self.print_value(item, verb, depth + 1);
                    }
                    self.buf.push('}');
                } else {
                    self.buf.push('[');
                    for (i, item) in l.items.iter().enumerate() {
                        if i > 0 {
                            self.buf.push(' ');
                        }
                        self.print_value(item, verb, depth + 1);
                    }
                    self.buf.push(']');
                }
            }
            Value::Map(m) => {
                if self.f.sharp_v {
                    self.buf.push_str(&v.type_name());
                    self.buf.push('{');
                } else {
                    self.buf.push_str("map[");
                }
                for (i, (k, item)) in m.entries.borrow().iter().enumerate() {
                    if i > 0 {
                        self.buf.push_str(if self.f.sharp_v { ", " } else { " " });
                    }
                    self.fmt_string(k.as_bytes(), verb, &Value::str(k));
                    self.buf.push(':');
                    self.print_value(item, verb, depth + 1);
                }
                self.buf.push(if self.f.sharp_v { '}' } else { ']' });
            }
            Value::Object(o) => {
                let text = o.format_v();
                self.pad(&text)
            }
        }
    }

    fn bad_verb(&mut self, v: &Value, verb: char) {
        self.buf.push_str("%!");
        self.buf.push(verb);
        self.buf.push('(');
        if v.is_nil() {
            self.buf.push_str("<nil>");
        } else {
            self.buf.push_str(&v.type_name());
            self.buf.push('=');
            // Go prints the value with the same flags (so `%.2f` of 3 shows `03`).
            let saved = self.f;
            self.f.sharp_v = false;
            self.print_arg(v, 'v');
            self.f = saved;
        }
        self.buf.push(')');
    }

    fn write_padding(&mut self, n: usize) {
        let c = if self.f.zero { '0' } else { ' ' };
        for _ in 0..n {
            self.buf.push(c);
        }
    }

    /// Writes `s` padded to the width in runes (an invalid byte counts as one, as in Go).
    fn pad(&mut self, s: impl AsRef<[u8]>) {
        let s = s.as_ref();
        let Some(wid) = self.f.wid else {
            self.buf.push_bytes(s);
            return;
        };
        let fill = wid.saturating_sub(go_runes(s).count());
        if self.f.minus {
            self.buf.push_bytes(s);
            self.write_padding(fill);
        } else {
            self.write_padding(fill);
            self.buf.push_bytes(s);
        }
    }

    fn pad_no_zero(&mut self, s: impl AsRef<[u8]>) {
        let zero = self.f.zero;
        self.f.zero = false;
        self.pad(s);
        self.f.zero = zero;
    }

    /// The first `prec` runes of `s`.
    fn truncate<'a>(&self, s: &'a [u8]) -> &'a [u8] {
        match self.f.prec {
            Some(p) => &s[..go_runes(s).take(p).map(Rune::width).sum::<usize>()],
            None => s,
        }
    }

    fn fmt_s(&mut self, s: &[u8]) {
        let s = self.truncate(s);
        self.pad(s)
    }

    fn fmt_q(&mut self, s: &[u8]) {
        let s = self.truncate(s);
        if self.f.sharp && can_backquote(s) {
            // Only UTF-8 can be backquoted.
            self.pad(format!("`{}`", lossy(s)));
        } else {
            let q = quote_with(s, '"', self.f.plus);
            self.pad(&q);
        }
    }

    fn fmt_string(&mut self, s: &[u8], verb: char, v: &Value) {
        match verb {
            'v' if self.f.sharp_v => self.fmt_q(s),
            'v' | 's' => self.fmt_s(s),
            'x' => self.fmt_sbx(s, false),
            'X' => self.fmt_sbx(s, true),
            'q' => self.fmt_q(s),
            _ => self.bad_verb(v, verb),
        }
    }

    fn fmt_bytes(&mut self, b: &[u8], verb: char, type_name: &str, v: &Value) {
        match verb {
            'v' | 'd' => {
                if self.f.sharp_v {
                    self.buf.push_str(type_name);
                    self.buf.push('{');
                    for (i, c) in b.iter().enumerate() {
                        if i > 0 {
                            self.buf.push_str(", ");
                        }
                        self.buf.push_str(&format!("0x{c:x}"));
                    }
                    self.buf.push('}');
                } else {
                    self.buf.push('[');
                    for (i, c) in b.iter().enumerate() {
                        if i > 0 {
                            self.buf.push(' ');
                        }
                        self.fmt_integer(*c as u64, false, 10, verb, false);
                    }
                    self.buf.push(']');
                }
            }
            's' => self.fmt_s(b),
            'x' => self.fmt_sbx(b, false),
            'X' => self.fmt_sbx(b, true),
            'q' => self.fmt_q(b),
            _ => {
                self.buf.push('[');
                for (i, c) in b.iter().enumerate() {
                    if i > 0 {
                        self.buf.push(' ');
                    }
                    self.fmt_int_verb(*c as i64, true, verb, v);
                }
                self.buf.push(']');
            }
        }
    }

    fn fmt_sbx(&mut self, b: &[u8], upper: bool) {
        let digits: &[u8; 16] = if upper {
            b"0123456789ABCDEF"
        } else {
            b"0123456789abcdef"
        };
        let x = if upper { 'X' } else { 'x' };
        let mut length = b.len();
        if let Some(p) = self.f.prec
            && p < length
        {
            length = p;
        }
        let mut width = 2 * length;
        if width > 0 {
            if self.f.space {
                if self.f.sharp {
                    width *= 2;
                }
                width += length - 1;
            } else if self.f.sharp {
                width += 2;
            }
        } else {
            if let Some(w) = self.f.wid {
                self.write_padding(w);
            }
            return;
        }
        let wid = self.f.wid.unwrap_or(0);
        if wid > width && !self.f.minus {
            self.write_padding(wid - width);
        }
        if self.f.sharp {
            self.buf.push('0');
            self.buf.push(x);
        }
        for (i, c) in b[..length].iter().enumerate() {
            if self.f.space && i > 0 {
                self.buf.push(' ');
                if self.f.sharp {
                    self.buf.push('0');
                    self.buf.push(x);
                }
            }
            self.buf.push(digits[(c >> 4) as usize] as char);
            self.buf.push(digits[(c & 0xF) as usize] as char);
        }
        if wid > width && self.f.minus {
            self.write_padding(wid - width);
        }
    }

    fn fmt_int_verb(&mut self, n: i64, unsigned: bool, verb: char, v: &Value) {
        let signed = !unsigned;
        let u = n as u64;
        match verb {
            'v' if self.f.sharp_v && unsigned => {
                self.buf.push_str(&format!("0x{u:x}"));
            }
            'v' | 'd' => self.fmt_integer(u, signed, 10, verb, false),
            'b' => self.fmt_integer(u, signed, 2, verb, false),
            'o' | 'O' => self.fmt_integer(u, signed, 8, verb, false),
            'x' => self.fmt_integer(u, signed, 16, verb, false),
            'X' => self.fmt_integer(u, signed, 16, verb, true),
            'c' => {
                let c = rune(n);
                self.pad(c.to_string())
            }
            'q' => {
                let c = rune(n);
                let q = quote_with(c.to_string().as_bytes(), '\'', self.f.plus);
                self.pad(&q)
            }
            'U' => {
                let mut s = format!("U+{:04X}", u);
                if self.f.sharp {
                    let c = rune(n);
                    if is_print(c) {
                        s.push_str(&format!(" '{c}'"));
                    }
                }
                self.pad_no_zero(&s)
            }
            _ => self.bad_verb(v, verb),
        }
    }

    fn fmt_integer(&mut self, u: u64, signed: bool, base: u64, verb: char, upper: bool) {
        let negative = signed && (u as i64) < 0;
        let mut u = if negative {
            (u as i64).unsigned_abs()
        } else {
            u
        };
        let mut prec = 0usize;
        if let Some(p) = self.f.prec {
            prec = p;
            if p == 0 && u == 0 {
                let zero = self.f.zero;
                self.f.zero = false;
                self.write_padding(self.f.wid.unwrap_or(0));
                self.f.zero = zero;
                return;
            }
        } else if self.f.zero
            && !self.f.minus
            && let Some(w) = self.f.wid
        {
            prec = w;
            if negative || self.f.plus || self.f.space {
                prec = prec.saturating_sub(1);
            }
        }
        let digits: &[u8] = if upper {
            b"0123456789ABCDEFX"
        } else {
            b"0123456789abcdefx"
        };
        let mut out: Vec<u8> = Vec::new();
        loop {
            out.push(digits[(u % base) as usize]);
            u /= base;
            if u == 0 {
                break;
            }
        }
        while out.len() < prec {
            out.push(b'0');
        }
        if self.f.sharp {
            match base {
                2 => out.extend_from_slice(b"b0"),
                8 if out.last() != Some(&b'0') => out.push(b'0'),
                16 => {
                    out.push(digits[16]);
                    out.push(b'0');
                }
                _ => {}
            }
        }
        if verb == 'O' {
            out.extend_from_slice(b"o0");
        }
        if negative {
            out.push(b'-');
        } else if self.f.plus {
            out.push(b'+');
        } else if self.f.space {
            out.push(b' ');
        }
        out.reverse();
        self.pad_no_zero(&out);
    }

    fn fmt_float_verb(&mut self, x: f64, verb: char, v: &Value) {
        match verb {
            'v' => self.fmt_float(x, 'g', None),
            'b' | 'g' | 'G' | 'x' | 'X' => self.fmt_float(x, verb, None),
            'f' | 'e' | 'E' | 'F' => self.fmt_float(x, verb, Some(6)),
            _ => self.bad_verb(v, verb),
        }
    }

    fn fmt_float(&mut self, x: f64, verb: char, default_prec: Option<usize>) {
        let prec = self.f.prec.or(default_prec);
        let verb = if verb == 'F' { 'f' } else { verb };
        let mut num = format_float(x, verb, prec);
        if !num.starts_with('-') && !num.starts_with('+') {
            num.insert(0, '+');
        }
        if self.f.space && num.starts_with('+') && !self.f.plus {
            num.replace_range(0..1, " ");
        }
        if num[1..].starts_with("Inf") || num[1..].starts_with("NaN") {
            if num[1..].starts_with("NaN") && !self.f.space && !self.f.plus {
                num.remove(0);
            }
            self.pad_no_zero(&num);
            return;
        }
        if self.f.sharp && verb != 'b' {
            num = sharp_float(&num, verb, prec);
        }
        if self.f.plus || !num.starts_with('+') {
            if self.f.zero
                && !self.f.minus
                && let Some(w) = self.f.wid
                && w > num.len()
            {
                let (sign, rest) = num.split_at(1);
                self.buf.push_str(sign);
                self.write_padding(w - num.len());
                self.buf.push_str(rest);
                return;
            }
            self.pad(&num);
            return;
        }
        let rest = num[1..].to_string();
        self.pad(&rest);
    }
}

/// Go's `%#g`-style alternate float form: keep a decimal point and, for `%g`, trailing zeros.
fn sharp_float(num: &str, verb: char, prec: Option<usize>) -> String {
    let mut digits = match verb {
        'v' | 'g' | 'G' | 'x' | 'X' => prec.unwrap_or(6),
        _ => 0,
    };
    if matches!(verb, 'x' | 'X') && prec.is_none() {
        digits = 0;
    }
    let (body, tail) = match num.find(['e', 'E', 'p', 'P']) {
        Some(i) => (&num[..i], &num[i..]),
        None => (num, ""),
    };
    let mut body = body.to_string();
    let mut saw_point = false;
    let mut saw_nonzero = false;
    for c in body[1..].chars() {
        match c {
            '.' => saw_point = true,
            '0' => {
                if saw_nonzero || saw_point {
                    digits = digits.saturating_sub(1)
                }
            }
            'x' | 'X' => {}
            _ => {
                saw_nonzero = true;
                digits = digits.saturating_sub(1);
            }
        }
    }
    if !saw_point {
        if body.len() == 2 && body.ends_with('0') {
            digits = digits.saturating_sub(1);
        }
        body.push('.');
    }
    if matches!(verb, 'g' | 'G' | 'v') {
        for _ in 0..digits {
            body.push('0');
        }
    }
    body + tail
}

fn rune(n: i64) -> char {
    u32::try_from(n)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{FFFD}')
}

fn parse_arg_number(s: &[u8]) -> (usize, usize, bool) {
    if s.len() < 3 {
        return (0, 1, false);
    }
    for i in 1..s.len() {
        if s[i] == b']' {
            let (n, ni) = parse_num(s, 1, i);
            return match n {
                Some(n) if ni == i && n >= 1 => (n - 1, i + 1, true),
                // `[0]` parses but addresses no argument.
                Some(0) if ni == i => (usize::MAX, i + 1, true),
                _ => (0, i + 1, false),
            };
        }
    }
    (0, 1, false)
}

fn int_from_arg(args: &[Value], arg_num: usize) -> (i64, bool, usize) {
    if arg_num >= args.len() {
        return (0, false, arg_num);
    }
    match &args[arg_num] {
        Value::Int(n, _) if n.unsigned_abs() <= MAX_NUM as u64 => (*n, true, arg_num + 1),
        _ => (0, false, arg_num + 1),
    }
}

/// Decimal digits of |v| and the position of the decimal point (Go's `decimalSlice`):
/// value = 0.DIGITS × 10^dp. `sig` = number of significant digits, or shortest round-trip.
fn decimal(v: f64, sig: Option<usize>) -> (Vec<u8>, i32) {
    let a = v.abs();
    if a == 0.0 {
        return (vec![b'0'], 1);
    }
    let s = match sig {
        None => format!("{a:e}"),
        // Rust's formatter refuses a precision above 65,535 (a panic); a double's exact
        // decimal expansion has at most 767 significant digits, the rest are zeros.
        Some(n) => format!("{:.*e}", n.saturating_sub(1).min(EXACT_DIGITS), a),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((&s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    (digits, exp + 1)
}

fn fmt_e(out: &mut String, digits: &[u8], dp: i32, prec: usize, e: char) {
    out.push(digits.first().copied().unwrap_or(b'0') as char);
    if prec > 0 {
        out.push('.');
        for i in 1..=prec {
            out.push(digits.get(i).copied().unwrap_or(b'0') as char);
        }
    }
    out.push(e);
    let exp = if digits == b"0" { 0 } else { dp - 1 };
    out.push(if exp < 0 { '-' } else { '+' });
    let a = exp.unsigned_abs();
    if a < 10 {
        out.push('0');
    }
    out.push_str(&a.to_string());
}

fn fmt_f(out: &mut String, digits: &[u8], dp: i32, prec: usize) {
    if dp > 0 {
        for i in 0..dp as usize {
            out.push(digits.get(i).copied().unwrap_or(b'0') as char);
        }
    } else {
        out.push('0');
    }
    if prec > 0 {
        out.push('.');
        for i in 1..=prec as i32 {
            let j = dp + i - 1;
            let c = if j >= 0 {
                digits.get(j as usize).copied().unwrap_or(b'0')
            } else {
                b'0'
            };
            out.push(c as char);
        }
    }
}

/// Go's `strconv.FormatFloat(v, verb, prec, 64)` (prec `None` = shortest).
fn format_float(v: f64, verb: char, prec: Option<usize>) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 {
            "+Inf".into()
        } else {
            "-Inf".into()
        };
    }
    let mut out = String::new();
    if v.is_sign_negative() {
        out.push('-');
    }
    match verb {
        'e' | 'E' => {
            let (d, dp) = decimal(v, prec.map(|p| p + 1));
            let p = prec.unwrap_or(d.len().saturating_sub(1));
            fmt_e(&mut out, &d, dp, p, verb);
        }
        'f' => match prec {
            Some(p) => {
                // As in `decimal`: no double has more than 1,074 fraction digits.
                out.push_str(&format!("{:.*}", p.min(EXACT_DIGITS), v.abs()));
                out.extend(std::iter::repeat_n('0', p.saturating_sub(EXACT_DIGITS)));
            }
            None => {
                let (d, dp) = decimal(v, None);
                let p = (d.len() as i32 - dp).max(0) as usize;
                fmt_f(&mut out, &d, dp, p);
            }
        },
        // The shortest form of an integer below 1e6 is its digits (the exponent form starts at
        // 10^6): the usual number in values (ports, replicas), printed without `decimal`.
        'g' | 'G' if prec.is_none() && v.fract() == 0.0 && v.abs() < 1e6 => {
            use std::fmt::Write;
            let _ = write!(out, "{}", v.abs() as u64);
        }
        'g' | 'G' => {
            let shortest = prec.is_none();
            let sig = prec.map(|p| p.max(1));
            let (d, dp) = decimal(v, sig);
            let nd = if d == b"0" { 0 } else { d.len() as i32 };
            let mut p = sig.map(|s| s as i32).unwrap_or(nd);
            let mut eprec = p;
            if eprec > nd && nd >= dp {
                eprec = nd;
            }
            if shortest {
                eprec = 6;
            }
            let exp = dp - 1;
            if nd != 0 && (exp < -4 || exp >= eprec) {
                if p > nd {
                    p = nd;
                }
                let e = if verb == 'g' { 'e' } else { 'E' };
                fmt_e(&mut out, &d, dp, (p - 1).max(0) as usize, e);
            } else {
                if p > dp {
                    p = nd;
                }
                fmt_f(&mut out, &d, dp, (p - dp).max(0) as usize);
            }
        }
        'x' | 'X' => out.push_str(&hex_float(v.abs(), prec, verb == 'X')),
        _ => {
            // 'b': mantissa and binary exponent.
            let bits = v.abs().to_bits();
            let exp = ((bits >> 52) & 0x7ff) as i64;
            let mut mant = bits & ((1u64 << 52) - 1);
            let e = if exp == 0 {
                -1074
            } else {
                mant |= 1u64 << 52;
                exp - 1075
            };
            out.push_str(&format!("{mant}p{}{}", if e >= 0 { "+" } else { "" }, e));
        }
    }
    out
}

fn hex_float(a: f64, prec: Option<usize>, upper: bool) -> String {
    let bits = a.to_bits();
    let bexp = ((bits >> 52) & 0x7ff) as i64;
    let mut mant = bits & ((1u64 << 52) - 1);
    let mut exp: i64;
    if a == 0.0 {
        exp = 0;
        mant = 0;
    } else if bexp == 0 {
        // Subnormal: normalise so the leading 1 is explicit.
        exp = -1022;
        while mant & (1u64 << 52) == 0 {
            mant <<= 1;
            exp -= 1;
        }
        mant &= (1u64 << 52) - 1;
    } else {
        exp = bexp - 1023;
    }
    let lead = if a == 0.0 { 0 } else { 1 };
    // 52 fraction bits = 13 hex digits.
    let mut frac: Vec<u8> = (0..13)
        .map(|i| ((mant >> (48 - 4 * i)) & 0xf) as u8)
        .collect();
    let mut lead_digit = lead as u8;
    if let Some(p) = prec
        && p < 13
    {
        // Round half to even on the dropped hex digits.
        let keep: u64 = if p == 0 { 0 } else { mant >> (52 - 4 * p) };
        let rest = mant & ((1u64 << (52 - 4 * p)) - 1);
        let half = 1u64 << (52 - 4 * p - 1);
        let mut full = ((lead as u64) << (4 * p)) | keep;
        if rest > half || (rest == half && full & 1 == 1) {
            full += 1;
        }
        if full >> (4 * p) >= 2 {
            full >>= 1;
            exp += 1;
        }
        lead_digit = (full >> (4 * p)) as u8;
        frac = (0..p)
            .map(|i| ((full >> (4 * (p - 1 - i))) & 0xf) as u8)
            .collect();
    } else {
        while frac.last() == Some(&0) {
            frac.pop();
        }
        if let Some(p) = prec {
            while frac.len() < p {
                frac.push(0);
            }
        }
    }
    let digits = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut s = String::from(if upper { "0X" } else { "0x" });
    s.push(digits[lead_digit as usize] as char);
    if !frac.is_empty() {
        s.push('.');
        for d in frac {
            s.push(digits[d as usize] as char);
        }
    }
    s.push(if upper { 'P' } else { 'p' });
    s.push(if exp < 0 { '-' } else { '+' });
    let e = exp.unsigned_abs();
    if e < 10 {
        s.push('0');
    }
    s.push_str(&e.to_string());
    s
}

/// Go's `unicode.IsPrint`, approximated without the Unicode tables: controls, separators
/// other than the ASCII space, format characters and unassigned planes count as unprintable.
pub(crate) fn is_print(c: char) -> bool {
    if c == ' ' {
        return true;
    }
    if c.is_control() || c.is_whitespace() {
        return false;
    }
    !matches!(c as u32,
        0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F | 0x2028..=0x202E
        | 0x2060..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB | 0xE000..=0xF8FF | 0xFFFE | 0xFFFF
        | 0xF0000..=0x10FFFF)
}

fn can_backquote(s: &[u8]) -> bool {
    go_runes(s).all(|r| {
        let Rune::Char(c) = r else { return false };
        c != '`' && c != '\u{FEFF}' && (c == '\t' || !c.is_control())
    })
}

/// Go's `strconv.Quote` family: a byte that is not UTF-8 is written `\xNN`.
fn quote_with(s: &[u8], q: char, ascii_only: bool) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(q);
    for rune in go_runes(s) {
        let c = match rune {
            Rune::Char(c) => c,
            Rune::Invalid(b) => {
                out.push_str(&format!("\\x{b:02x}"));
                continue;
            }
        };
        if c == q || c == '\\' {
            out.push('\\');
            out.push(c);
            continue;
        }
        if ascii_only {
            if (c as u32) < 0x80 && is_print(c) {
                out.push(c);
                continue;
            }
        } else if is_print(c) {
            out.push(c);
            continue;
        }
        match c {
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if (c as u32) < 0x10000 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push(q);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by fuzzing: Rust's formatter panics on a precision above 65,535, Go's limit is
    /// 1,000,000; the digits past a double's exact expansion are zeros.
    #[test]
    fn precisions_beyond_rusts_formatter_are_zeros() {
        let one_and_half = [Value::Float(1.5)];
        for (format, head) in [
            ("%.100000f", "1.5000"),
            ("%.100000e", "1.5000"),
            ("%.100000g", "1.5"),
        ] {
            let out = String::from_utf8(sprintf(format, &one_and_half)).unwrap();
            assert!(out.starts_with(head), "{format}: {}", &out[..20]);
            assert!(out.len() >= 100_000 || format == "%.100000g", "{format}");
        }
        let f = String::from_utf8(sprintf("%.100000f", &one_and_half)).unwrap();
        assert_eq!(f.len(), 2 + 100_000);
        assert!(f[2..].bytes().skip(1).all(|b| b == b'0'));
    }

    #[test]
    fn floats_like_go() {
        let cases = [
            (1e6, "1e+06"),
            (123456789.0, "1.23456789e+08"),
            (123456.0, "123456"),
            (0.0001, "0.0001"),
            (1e-7, "1e-07"),
            (0.30000000000000004, "0.30000000000000004"),
            (-0.5, "-0.5"),
            (0.0, "0"),
            (2.0, "2"),
            (-0.0, "-0"),
            (-42.0, "-42"),
            (999999.0, "999999"),
            (-999999.0, "-999999"),
            (-1e6, "-1e+06"),
        ];
        for (v, want) in cases {
            assert_eq!(format_float_v(v), want, "{v}");
        }
    }

    #[test]
    fn printf_verbs() {
        let f = |fmt: &str, args: &[Value]| lossy(&sprintf(fmt, args)).into_owned();
        assert_eq!(
            f("%.0f|%.0f", &[Value::Float(2.5), Value::Float(3.5)]),
            "2|4"
        );
        assert_eq!(f("%x", &[Value::Float(1.5)]), "0x1.8p+00");
        assert_eq!(f("%.3g", &[Value::Float(1.0)]), "1");
        // `%+v` is Go's struct-field flag: a number prints no sign for it.
        let n = Value::Float(42.0);
        assert_eq!(
            f(
                "%5v|%-4v|%+v|%#g|%G",
                &[n.clone(), n.clone(), n.clone(), n.clone(), n]
            ),
            "   42|42  |42|42.0000|42"
        );
        assert_eq!(f("%08.3f", &[Value::Float(-1.23456)]), "-001.235");
        assert_eq!(f("%.2f", &[Value::int(3)]), "%!f(int=03)");
        assert_eq!(f("%[2]s %[1]s", &["a".into(), "b".into()]), "b a");
        assert_eq!(f("%d %d", &[Value::int(1)]), "1 %!d(MISSING)");
        assert_eq!(f("%!", &[]), "%!!(MISSING)");
        assert_eq!(f("%q", &["héllo ☃\n".into()]), "\"héllo ☃\\n\"");
        assert_eq!(f("%+q", &["héllo".into()]), "\"h\\u00e9llo\"");
    }

    #[test]
    fn strings_that_are_not_utf8_print_their_bytes() {
        // "é", then a lone continuation byte and a truncated 4-byte sequence.
        let raw = Value::go_string(b"\xc3\xa9\x80\xf0\x9f\x98".to_vec());
        assert!(matches!(raw, Value::RawStr(_)));
        let args = [raw.clone(), Value::str("z")];
        assert_eq!(
            sprintf("%s|%v|%.2s|%6s|%-6s|", &vec![raw.clone(); 5]),
            b"\xc3\xa9\x80\xf0\x9f\x98|\xc3\xa9\x80\xf0\x9f\x98|\xc3\xa9\x80| \xc3\xa9\x80\xf0\x9f\x98|\xc3\xa9\x80\xf0\x9f\x98 |"
        );
        assert_eq!(
            lossy(&sprintf("%q %x %#q %d", &vec![raw.clone(); 4])),
            "\"é\\x80\\xf0\\x9f\\x98\" c3a980f09f98 \"é\\x80\\xf0\\x9f\\x98\" %!d(string=é\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD})"
        );
        assert_eq!(sprint(&args), b"\xc3\xa9\x80\xf0\x9f\x98z");
        assert_eq!(sprint_v(&raw), "é\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}");
        let bytes = Value::Bytes(b"\xff".to_vec().into());
        assert_eq!(sprintf("%s %q", &[bytes.clone(), bytes]), b"\xff \"\\xff\"");
    }
}
