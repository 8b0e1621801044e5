//! YAML functions. `toYaml` must match Helm byte for byte: Helm marshals with sigs.k8s.io/yaml
//! (value → JSON → go-yaml v2), so numbers, key order (go-yaml's "natural" sort), quoting and
//! line folding at 80 columns follow that path. The emitter below mirrors libyaml's decisions.

use std::cmp::Ordering;

use super::args::{add, error_map, json_kind, s};
use super::yaml_forms::{is_base60, is_timestamp};
use gotmpl::Engine;
use gotmpl::Param;
use gotmpl::value::{Value, lossy};
use source::yaml as y;
use source::yaml::Kind;
use source::yaml::scalar::Resolved;
use source::yaml::scalar::is_float_form;

const A: Param = Param::Any;

pub(super) fn register(e: &mut Engine) {
    add(e, "toYaml", &[A], None, |a| {
        Ok(Value::string(to_yaml(&a[0]).unwrap_or_default()))
    });
    add(e, "mustToYaml", &[A], None, |a| {
        to_yaml(&a[0]).map(Value::string)
    });
    add(e, "toYamlPretty", &[A], None, |a| {
        Ok(Value::string(emit(&a[0], true).unwrap_or_default()))
    });
    add(e, "fromYaml", &[Param::Str], None, |a| {
        Ok(match parse_yaml(s(a, 0)) {
            Ok(Value::Map(m)) => Value::Map(m),
            Ok(Value::Nil) => Value::map(Default::default()),
            Ok(other) => error_map(&format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                json_kind(&other)
            )),
            Err(e) => error_map(&e),
        })
    });
    add(e, "fromYamlArray", &[Param::Str], None, |a| {
        Ok(match parse_yaml(s(a, 0)) {
            Ok(Value::List(l)) => Value::List(l),
            Ok(Value::Nil) => Value::list(Vec::new()),
            Ok(other) => Value::list(vec![Value::string(format!(
                "error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {} into Go value of type []interface {{}}",
                json_kind(&other)
            ))]),
            Err(e) => Value::list(vec![Value::string(e)]),
        })
    });
}

/// Texts `fromYaml` parsed on this thread (a render runs on its own thread), and what they
/// parsed to. Charts parse the same few helper outputs (labels, annotations, merged values)
/// once per template; a copy of the parsed value costs a fraction of parsing again. Bounded:
/// texts come from the chart. The values kept are never handed out: each use gets a copy,
/// which `set` and `merge` may change as they like.
struct ParsedTexts {
    /// Fx: hashing the text is most of a lookup, and SipHash's flooding resistance buys
    /// nothing for a map this small that is cleared when full.
    values: rustc_hash::FxHashMap<String, Value>,
    bytes: usize,
}

/// Largest text kept, and all texts kept together, in bytes.
const PARSED_TEXT_MAX: usize = 16 << 10;
const PARSED_TEXTS_MAX: usize = 256 << 10;

thread_local! {
    static PARSED: std::cell::RefCell<ParsedTexts> = std::cell::RefCell::new(ParsedTexts {
        values: Default::default(),
        bytes: 0,
    });
}

fn parse_yaml(text: &str) -> Result<Value, String> {
    let cached = PARSED.with(|p| p.borrow().values.get(text).map(super::dicts::deep_copy));
    if let Some(v) = cached {
        return Ok(v);
    }
    let parsed = parse_yaml_uncached(text)?;
    if text.len() <= PARSED_TEXT_MAX {
        PARSED.with(|p| {
            let mut p = p.borrow_mut();
            if p.bytes + text.len() > PARSED_TEXTS_MAX {
                p.values.clear();
                p.bytes = 0;
            }
            p.bytes += text.len();
            p.values
                .insert(text.to_string(), super::dicts::deep_copy(&parsed));
        });
    }
    Ok(parsed)
}

fn parse_yaml_uncached(text: &str) -> Result<Value, String> {
    // Like sigs.k8s.io/yaml, only the first document counts.
    match y::parse_documents(text, y::Origin::default()) {
        Ok(docs) => Ok(docs.first().map_or(Value::Nil, yaml_to_value)),
        Err(e) => Err(format!(
            "error converting YAML to JSON: {}",
            go_yaml_error(&e, text)
        )),
    }
}

/// Converts YAML to the value sigs.k8s.io/yaml produces (YAML → JSON → Go): numbers become
/// float64, keys strings.
fn yaml_to_value(node: &y::Node) -> Value {
    match &node.kind {
        Kind::Scalar(s) => match y::scalar::resolve(s) {
            Resolved::Null => Value::Nil,
            Resolved::Bool(b) => Value::Bool(b),
            Resolved::Int(i) => Value::Float(i as f64),
            Resolved::Float(f) => Value::Float(f),
            Resolved::Str(s) => Value::string(s),
        },
        Kind::Seq(items) => Value::list(items.iter().map(yaml_to_value).collect()),
        Kind::Map(entries) => Value::map(
            entries
                .iter()
                .map(|(k, v)| (key_string(k), yaml_to_value(v)))
                .collect(),
        ),
    }
}

/// sigs.k8s.io/yaml turns non-string keys into their JSON text.
fn key_string(k: &y::Node) -> String {
    match &k.kind {
        Kind::Scalar(s) => match y::scalar::resolve(s) {
            Resolved::Null => "null".into(),
            Resolved::Bool(b) => b.to_string(),
            Resolved::Int(i) => i.to_string(),
            Resolved::Float(f) => gotmpl::fmt::format_float_v(f),
            Resolved::Str(s) => s,
        },
        _ => gotmpl::fmt::sprint_v(&yaml_to_value(k)),
    }
}

/// A YAML syntax error worded as go-yaml words it (`yaml: line 1: did not find expected ','
/// or ']'`): the common problems are mapped, and go-yaml's line numbering is followed
/// (0-based for parser errors, 1-based for scanner errors, none on the first line).
fn go_yaml_error(e: &y::YamlError, text: &str) -> String {
    const KNOWN: &[(&str, &str, bool)] = &[
        (
            "expected ',' or ']'",
            "did not find expected ',' or ']'",
            false,
        ),
        (
            "expected ',' or '}'",
            "did not find expected ',' or '}'",
            false,
        ),
        (
            "did not find expected key",
            "did not find expected key",
            false,
        ),
        (
            "did not find expected '-' indicator",
            "did not find expected '-' indicator",
            false,
        ),
        (
            "did not find expected node content",
            "did not find expected node content",
            false,
        ),
        (
            "mapping values are not allowed",
            "mapping values are not allowed in this context",
            true,
        ),
        (
            "could not find expected ':'",
            "could not find expected ':'",
            true,
        ),
        (
            "found unexpected end of stream",
            "found unexpected end of stream",
            true,
        ),
        (
            "unexpected character",
            "found character that cannot start any token",
            true,
        ),
        (
            "tabs disallowed",
            "found character that cannot start any token",
            true,
        ),
    ];
    let (problem, scanner) = KNOWN
        .iter()
        .find(|(saphyr, _, _)| e.message.contains(saphyr))
        .map_or((e.message.as_str(), true), |(_, go, scanner)| {
            (*go, *scanner)
        });
    // go-yaml marks an unexpected end at the end of the text; saphyr at where the token began.
    let zero_based = if problem == "found unexpected end of stream" {
        text.matches('\n').count()
    } else {
        (e.span.line as usize).saturating_sub(1)
    };
    if zero_based == 0 {
        return format!("yaml: {problem}");
    }
    let line = if scanner { zero_based + 1 } else { zero_based };
    format!("yaml: line {line}: {problem}")
}

/// Why a value cannot be encoded, as encoding/json says it, or `None`. Walks in the order Go's
/// encoder does (map keys in byte order), so the first fault found is the one Go reports.
fn encoding_error(v: &Value, depth: usize) -> Option<String> {
    if depth > gotmpl::value::MAX_DEPTH {
        return Some(gotmpl::value::CYCLE_ERROR.into());
    }
    match v {
        Value::Float(f) if !f.is_finite() => Some(format!(
            "json: unsupported value: {}",
            gotmpl::fmt::format_float_v(*f)
        )),
        Value::List(l) => l.items.iter().find_map(|x| encoding_error(x, depth + 1)),
        Value::Map(m) => m
            .entries
            .borrow()
            .values()
            .find_map(|x| encoding_error(x, depth + 1)),
        Value::Object(o) => o.plain().and_then(|p| encoding_error(&p, depth + 1)),
        _ => None,
    }
}

/// go-yaml v2's key order: digit runs compare as numbers, letters sort after other runes.
fn natural_cmp(a: &str, b: &str) -> Ordering {
    // Keys are nearly always ASCII: compared as bytes, without building rune arrays.
    if a.is_ascii() && b.is_ascii() {
        natural_cmp_runes(a.as_bytes(), b.as_bytes())
    } else {
        let (ar, br): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
        natural_cmp_runes(&ar, &br)
    }
}

/// A rune of a key, for [`natural_cmp_runes`]: an ASCII byte or a `char`.
trait KeyRune: Copy + Ord {
    fn alphabetic(self) -> bool;
    /// The value of an ASCII digit.
    fn digit(self) -> Option<i64>;
}

impl KeyRune for u8 {
    fn alphabetic(self) -> bool {
        self.is_ascii_alphabetic()
    }
    fn digit(self) -> Option<i64> {
        self.is_ascii_digit().then(|| i64::from(self - b'0'))
    }
}

impl KeyRune for char {
    fn alphabetic(self) -> bool {
        self.is_alphabetic()
    }
    fn digit(self) -> Option<i64> {
        self.is_ascii_digit().then(|| self as i64 - '0' as i64)
    }
}

fn natural_cmp_runes<R: KeyRune>(ar: &[R], br: &[R]) -> Ordering {
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            continue;
        }
        let (al, bl) = (ar[i].alphabetic(), br[i].alphabetic());
        if al && bl {
            return ar[i].cmp(&br[i]);
        }
        if al || bl {
            return if bl {
                Ordering::Less
            } else {
                Ordering::Greater
            };
        }
        let (mut an, mut bn) = (0i64, 0i64);
        if ar[i].digit() == Some(0) || br[i].digit() == Some(0) {
            let mut j = i;
            while j > 0 && ar[j - 1].digit().is_some() {
                j -= 1;
                if ar[j].digit() != Some(0) {
                    an = 1;
                    bn = 1;
                    break;
                }
            }
        }
        let mut ai = i;
        while let Some(d) = ar.get(ai).and_then(|r| r.digit()) {
            an = an.wrapping_mul(10).wrapping_add(d);
            ai += 1;
        }
        let mut bi = i;
        while let Some(d) = br.get(bi).and_then(|r| r.digit()) {
            bn = bn.wrapping_mul(10).wrapping_add(d);
            bi += 1;
        }
        if an != bn {
            return an.cmp(&bn);
        }
        if ai != bi {
            return ai.cmp(&bi);
        }
        return ar[i].cmp(&br[i]);
    }
    ar.len().cmp(&br.len())
}

/// Helm's `toYaml`: the YAML document without its final newline.
pub fn to_yaml(v: &Value) -> Result<String, String> {
    emit(v, false)
}

/// `pretty` = Helm's `toYamlPretty` (go-yaml v3 with indent 2): lists indented under their
/// key, no folding of long lines, numbers as Go holds them.
fn emit(v: &Value, pretty: bool) -> Result<String, String> {
    // A dict whose children are shared encodes exponentially larger than it is.
    gotmpl::budget::walk(v)?;
    if let Some(e) = encoding_error(v, 0) {
        return Err(e);
    }
    let mut e = Emitter {
        out: String::with_capacity(128),
        column: 0,
        whitespace: true,
        indention: true,
        indent: -1,
        indents: Vec::new(),
        width: if pretty { usize::MAX } else { BEST_WIDTH },
        indent_lists: pretty,
        json_path: !pretty,
    };
    e.value(v, Ctx::Root);
    e.write_indent();
    let mut out = e.out;
    if out.ends_with('\n') {
        out.pop();
    }
    Ok(out)
}

#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    Root,
    Sequence,
    MappingValue,
    Key,
}

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    Single,
    Double,
    Literal,
}

const BEST_WIDTH: usize = 80;
const BEST_INDENT: i32 = 2;

struct Emitter {
    out: String,
    column: usize,
    whitespace: bool,
    indention: bool,
    indent: i32,
    indents: Vec<i32>,
    /// Column after which long scalars are folded.
    width: usize,
    /// Indent a list that is a map value (go-yaml v2 writes it at the key's column).
    indent_lists: bool,
    /// The value went through JSON first (`toYaml`), so integral floats are integers;
    /// otherwise (`toYamlPretty`, go-yaml v3 on the Go value) floats stay floats.
    json_path: bool,
}

/// libyaml's analysis of a scalar: which styles can represent it.
struct Analysis {
    multiline: bool,
    block_plain: bool,
    single_quoted: bool,
    block: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

/// Where the first break of `s` is (`s.find(is_break)`), found without decoding every
/// character: NEL, LS and PS are not ASCII, so before the first CR or LF an ASCII text holds none.
fn find_break(s: &str) -> Option<usize> {
    let line = memchr::memchr2(b'\n', b'\r', s.as_bytes()).unwrap_or(s.len());
    if s.as_bytes()[..line].is_ascii() {
        return (line < s.len()).then_some(line);
    }
    s.find(is_break)
}

/// libyaml's `is_printable` (4-byte UTF-8 characters are not).
fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
}

fn analyze(value: &str) -> Analysis {
    if value.is_empty() {
        return Analysis {
            multiline: false,
            block_plain: true,
            single_quoted: true,
            block: false,
        };
    }
    if is_simple_word(value) {
        return Analysis {
            multiline: false,
            block_plain: true,
            single_quoted: true,
            block: true,
        };
    }
    let mut block_ind = value.starts_with("---") || value.starts_with("...");
    let (mut line_breaks, mut special) = (false, false);
    let (mut leading_space, mut leading_break, mut trailing_space, mut trailing_break) =
        (false, false, false, false);
    let (mut break_space, mut space_break) = (false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let mut preceded_by_ws = true;
    let b = value.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // A run of visible ASCII other than `:` and `#` after the first rune decides nothing
        // but that the runes after it follow neither a blank nor a break: skipped whole (long
        // configuration texts are mostly such runs). A single space inside such a run decides
        // nothing either (it neither leads, trails, nor touches a break, and the rune after
        // it is no `#`): words and the spaces between them are skipped together.
        if i > 0 && is_inert(b[i]) {
            while i < b.len()
                && (is_inert(b[i]) || (b[i] == b' ' && b.get(i + 1).copied().is_some_and(is_inert)))
            {
                i += 1;
            }
            (prev_space, prev_break, preceded_by_ws) = (false, false, false);
            continue;
        }
        let Some(c) = char_at(value, i) else {
            break;
        };
        let first = i == 0;
        i += c.len_utf8();
        let next = char_at(value, i);
        let last = next.is_none();
        let followed_by_ws = matches!(next, None | Some(' ' | '\t'));
        if first {
            match c {
                '#' | ',' | '[' | ']' | '{' | '}' | '&' | '*' | '!' | '|' | '>' | '\'' | '"'
                | '%' | '@' | '`' => block_ind = true,
                '?' | ':' | '-' if followed_by_ws => block_ind = true,
                _ => {}
            }
        } else if (c == ':' && followed_by_ws) || (c == '#' && preceded_by_ws) {
            block_ind = true;
        }
        if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            leading_space |= first;
            trailing_space |= last;
            break_space |= prev_break;
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            line_breaks = true;
            leading_break |= first;
            trailing_break |= last;
            space_break |= prev_space;
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
        preceded_by_ws = matches!(c, ' ' | '\t') || is_break(c);
    }
    let mut a = Analysis {
        multiline: line_breaks,
        block_plain: true,
        single_quoted: true,
        block: true,
    };
    if leading_space || leading_break || trailing_space || trailing_break {
        a.block_plain = false;
    }
    if trailing_space {
        a.block = false;
    }
    if break_space {
        a.block_plain = false;
        a.single_quoted = false;
    }
    if space_break || special {
        a.block_plain = false;
        a.single_quoted = false;
        a.block = false;
    }
    if line_breaks || block_ind {
        a.block_plain = false;
    }
    a
}

/// The character at byte `i` of `s` (a character boundary), ASCII without decoding.
fn char_at(s: &str, i: usize) -> Option<char> {
    match s.as_bytes().get(i) {
        Some(&b) if b.is_ascii() => Some(b as char),
        Some(_) => s[i..].chars().next(),
        None => None,
    }
}

/// A byte [`analyze`] can skip past the first rune: visible ASCII that is neither `:` nor `#`.
fn is_inert(c: u8) -> bool {
    c.is_ascii_graphic() && c != b':' && c != b'#'
}

/// Text made of letters, digits and `_./-` that starts with none of `.-` (most keys and
/// names): no indicator, blank, break or unprintable rune, so [`analyze`] allows every style.
fn is_simple_word(value: &str) -> bool {
    let b = value.as_bytes();
    b.first().is_some_and(|&c| c != b'.' && c != b'-')
        && b.iter()
            .all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'/' | b'-'))
}

/// Would go-yaml read this plain text back as something other than a string?
fn resolves_to_non_string(s: &str) -> bool {
    const SPECIAL: &[&str] = &[
        "y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON", "n", "N", "no",
        "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF", "", "~", "null", "Null",
        "NULL", ".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf",
        "-.Inf", "-.INF", "<<",
    ];
    // No special word is longer than 6 bytes: longer text skips the list.
    if s.len() <= 6 && SPECIAL.contains(&s) {
        return true;
    }
    let Some(first) = s.chars().next() else {
        return true;
    };
    match first {
        '.' => s.parse::<f64>().is_ok() && !s.contains(['e', 'E']) || is_float_form(s),
        '+' | '-' | '0'..='9' => {
            if is_timestamp(s) {
                return true;
            }
            let plain: std::borrow::Cow<str> = if s.contains('_') {
                s.replace('_', "").into()
            } else {
                s.into()
            };
            gotmpl::parse_go_int(&plain).is_some()
                || plain.trim_start_matches(['+', '-']).parse::<u64>().is_ok()
                || is_float_form(&plain)
                || is_binary(&plain)
                || is_base60(s)
        }
        _ => false,
    }
}

fn is_binary(s: &str) -> bool {
    let d = s.strip_prefix('-').unwrap_or(s);
    d.strip_prefix("0b")
        .is_some_and(|b| !b.is_empty() && b.bytes().all(|c| c == b'0' || c == b'1'))
}

impl Emitter {
    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn write_indicator(&mut self, ind: &str, need_ws: bool, is_ws: bool, is_indention: bool) {
        if need_ws && !self.whitespace {
            self.put(' ');
        }
        for c in ind.chars() {
            self.put(c);
        }
        self.whitespace = is_ws;
        self.indention = self.indention && is_indention;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    /// Writes `v` as go-yaml writes it after the JSON round trip; [`encoding_error`] has
    /// already refused what JSON cannot encode.
    fn value(&mut self, v: &Value, ctx: Ctx) {
        match v {
            Value::Nil => self.scalar("null", Style::Plain, ctx, None),
            Value::Bool(b) => {
                self.scalar(if *b { "true" } else { "false" }, Style::Plain, ctx, None)
            }
            Value::Int(n, _) => self.scalar(&n.to_string(), Style::Plain, ctx, None),
            // JSON writes integral floats below 1e21 as digits; go-yaml reads those back as
            // integers when they fit in 64 bits.
            Value::Float(f) if self.json_path && f.fract() == 0.0 && f.abs() < 1.8e19 => {
                self.scalar(&format!("{f}"), Style::Plain, ctx, None)
            }
            Value::Float(f) => {
                let text = gotmpl::fmt::format_float_v(*f);
                self.scalar(&text, Style::Plain, ctx, None)
            }
            Value::Str(s) => self.string(s, ctx, None),
            // Helm's YAML goes through JSON, which replaces the bytes that are not UTF-8.
            Value::RawStr(b) => self.string(&lossy(b), ctx, None),
            Value::Bytes(b) => self.string(&super::encoding::b64_encode(b), ctx, None),
            Value::List(l) if l.items.is_empty() => self.empty_flow("[", "]"),
            Value::List(l) => {
                let indentless = !self.indent_lists && ctx == Ctx::MappingValue && !self.indention;
                self.increase_indent(false, indentless);
                for item in l.items.iter() {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.value(item, Ctx::Sequence);
                }
                self.pop_indent();
            }
            Value::Map(m) => {
                let entries = m.entries.borrow();
                if entries.is_empty() {
                    return self.empty_flow("{", "}");
                }
                let mut sorted: Vec<(&str, &Value)> =
                    entries.iter().map(|(k, v)| (k.as_str(), v)).collect();
                sorted.sort_by(|a, b| natural_cmp(a.0, b.0));
                self.increase_indent(false, false);
                for (k, v) in sorted {
                    self.write_indent();
                    let a = analyze(k);
                    // libyaml writes a long or multi-line key as a complex key: `? key` / `: value`.
                    if k.len() <= 128 && !a.multiline {
                        self.string(k, Ctx::Key, Some(a));
                        self.write_indicator(":", false, false, false);
                    } else {
                        self.write_indicator("?", true, false, true);
                        self.string(k, Ctx::MappingValue, Some(a));
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    }
                    self.value(v, Ctx::MappingValue);
                }
                self.pop_indent();
            }
            Value::Object(o) => match o.plain() {
                Some(p) => self.value(&p, ctx),
                None => self.string(&o.print_text(), ctx, None),
            },
        }
    }

    /// A string scalar, in the style go-yaml picks for it; `analysis` = [`analyze`] of it, when
    /// the caller has it already.
    fn string(&mut self, s: &str, ctx: Ctx, analysis: Option<Analysis>) {
        let style = if s.contains('\n') {
            Style::Literal
        } else if resolves_to_non_string(s) || is_base60(s) {
            Style::Double
        } else {
            Style::Plain
        };
        self.scalar(s, style, ctx, analysis)
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.write_indicator(close, false, false, false);
    }

    fn scalar(&mut self, value: &str, requested: Style, ctx: Ctx, analysis: Option<Analysis>) {
        let a = analysis.unwrap_or_else(|| analyze(value));
        let simple_key = ctx == Ctx::Key;
        let mut style = requested;
        if simple_key && a.multiline {
            style = Style::Double;
        }
        if style == Style::Plain && (!a.block_plain || (value.is_empty() && simple_key)) {
            style = Style::Single;
        }
        if style == Style::Single && !a.single_quoted {
            style = Style::Double;
        }
        if style == Style::Literal && (!a.block || simple_key) {
            style = Style::Double;
        }
        self.increase_indent(true, false);
        let allow_breaks = !simple_key;
        match style {
            Style::Plain => self.write_plain(value, allow_breaks),
            Style::Single => self.write_single(value, allow_breaks),
            Style::Double => self.write_double(value, allow_breaks),
            Style::Literal => self.write_literal(value),
        }
        self.pop_indent();
    }

    fn write_plain(&mut self, value: &str, allow_breaks: bool) {
        if !self.whitespace {
            self.put(' ');
        }
        if !value.contains(' ') {
            // Nothing to fold: the text as it is.
            self.out.push_str(value);
            self.column += value.chars().count();
            self.whitespace = false;
            self.indention = false;
            return;
        }
        let mut chars = value.chars().peekable();
        let mut spaces = false;
        while let Some(c) = chars.next() {
            if c == ' ' {
                if allow_breaks && !spaces && self.column > self.width && chars.peek() != Some(&' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                self.indention = false;
                spaces = false;
            }
        }
        self.whitespace = false;
        self.indention = false;
    }

    fn write_single(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("'", true, false, false);
        let mut chars = value.chars().peekable();
        let (mut spaces, mut breaks, mut first) = (false, false, true);
        while let Some(c) = chars.next() {
            if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.width
                    && !first
                    && chars.peek().is_some_and(|&n| n != ' ')
                {
                    self.write_indent();
                } else {
                    self.put(c);
                }
                spaces = true;
            } else if is_break(c) {
                if !breaks && c == '\n' {
                    self.put_break();
                }
                self.put_break();
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                if c == '\'' {
                    self.put('\'');
                }
                self.put(c);
                self.indention = false;
                spaces = false;
                breaks = false;
            }
            first = false;
        }
        self.write_indicator("'", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_double(&mut self, value: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let mut chars = value.chars().peekable();
        let (mut spaces, mut first) = (false, true);
        while let Some(c) = chars.next() {
            if !is_printable(c) || c == '\u{FEFF}' || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                let esc = match c {
                    '\0' => Some('0'),
                    '\x07' => Some('a'),
                    '\x08' => Some('b'),
                    '\t' => Some('t'),
                    '\n' => Some('n'),
                    '\x0b' => Some('v'),
                    '\x0c' => Some('f'),
                    '\r' => Some('r'),
                    '\x1b' => Some('e'),
                    '"' => Some('"'),
                    '\\' => Some('\\'),
                    '\u{85}' => Some('N'),
                    '\u{A0}' => Some('_'),
                    '\u{2028}' => Some('L'),
                    '\u{2029}' => Some('P'),
                    _ => None,
                };
                match esc {
                    Some(e) => self.put(e),
                    None => {
                        let u = c as u32;
                        let text = if u <= 0xFF {
                            format!("x{u:02X}")
                        } else if u <= 0xFFFF {
                            format!("u{u:04X}")
                        } else {
                            format!("U{u:08X}")
                        };
                        for t in text.chars() {
                            self.put(t);
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks
                    && !spaces
                    && self.column > self.width
                    && !first
                    && chars.peek().is_some()
                {
                    self.write_indent();
                    if chars.peek() == Some(&' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
            first = false;
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn write_literal(&mut self, value: &str) {
        self.write_indicator("|", true, false, false);
        if value.starts_with([' ', '\n']) {
            self.write_indicator(&BEST_INDENT.to_string(), false, false, false);
        }
        let chomp = if !value.ends_with(is_break) {
            Some("-")
        } else if value.chars().count() == 1
            || value[..value.len() - value.chars().last().map_or(0, char::len_utf8)]
                .ends_with(is_break)
        {
            Some("+")
        } else {
            None
        };
        if let Some(c) = chomp {
            self.write_indicator(c, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        // Line by line: each break is written as `\n`, each line indented and copied whole.
        let mut rest = value;
        loop {
            let end = find_break(rest).unwrap_or(rest.len());
            if end > 0 {
                self.write_indent();
                self.out.push_str(&rest[..end]);
                self.column += rest[..end].chars().count();
                self.indention = false;
            }
            let Some(brk) = rest[end..].chars().next() else {
                break;
            };
            self.put_break();
            self.indention = true;
            rest = &rest[end + brk.len_utf8()..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn breaks_are_found_where_decoding_finds_them() {
        for s in [
            "",
            "abc",
            "a\nb",
            "a\rb\nc",
            "é\u{85}x\n",
            "ab\u{2028}c",
            "ab\u{2029}",
            "ä\u{2027}b",
            "a\u{a0}b\u{85}",
            "ascii only\n\u{2028}",
        ] {
            assert_eq!(find_break(s), s.find(is_break), "{s:?}");
        }
    }

    /// libyaml's verdicts on texts whose spaces sit between words (skipped with the words)
    /// and next to what they do decide: an edge, a break, a `#`, a `:`.
    #[test]
    fn spaces_between_words_decide_nothing_else_do() {
        let verdict = |s: &str| {
            let a = analyze(s);
            (a.multiline, a.block_plain, a.single_quoted, a.block)
        };
        for (s, want) in [
            ("a b c", (false, true, true, true)),
            ("a  b", (false, true, true, true)),
            ("a b ", (false, false, true, false)),
            (" a b", (false, false, true, true)),
            ("a #b", (false, false, true, true)),
            ("a# b", (false, true, true, true)),
            ("a: b", (false, false, true, true)),
            ("a :b", (false, true, true, true)),
            ("a b \nc", (true, false, false, false)),
            ("a b\n c", (true, false, false, true)),
            ("- a b", (false, false, true, true)),
        ] {
            assert_eq!(verdict(s), want, "{s:?}");
        }
    }

    #[test]
    fn from_yaml_of_a_text_seen_before_is_a_fresh_value() {
        let text = "a:\n  b: 1\nl:\n- x\n";
        let first = parse_yaml(text).unwrap();
        // What `set`/`unset` would do to the first result, at the top and inside.
        let top = first.as_map().unwrap();
        top.entries.borrow_mut().insert("c".into(), Value::Nil);
        top.entries
            .borrow()
            .get("a")
            .unwrap()
            .as_map()
            .unwrap()
            .entries
            .borrow_mut()
            .clear();
        let second = parse_yaml(text).unwrap();
        assert_eq!(to_yaml(&second).unwrap(), "a:\n  b: 1\nl:\n- x");
        assert_eq!(to_yaml(&first).unwrap(), "a: {}\nc: null\nl:\n- x");
    }

    #[test]
    fn yaml_errors_worded_like_go_yaml() {
        // Messages recorded from Helm for these values files.
        let cases = [
            (
                "a: {b: 1\n",
                "yaml: line 1: did not find expected ',' or '}'",
            ),
            (
                "a: b: c\n",
                "yaml: mapping values are not allowed in this context",
            ),
            (
                "a:\n  b: 1\n c: 2\n",
                "yaml: line 2: did not find expected key",
            ),
            (
                "a: \"unclosed\n",
                "yaml: line 2: found unexpected end of stream",
            ),
            (
                "- a\nb: c\n",
                "yaml: line 1: did not find expected '-' indicator",
            ),
            (
                "a: @x\n",
                "yaml: found character that cannot start any token",
            ),
            (
                "a:\n\t- x\n",
                "yaml: line 2: found character that cannot start any token",
            ),
            (
                "key\nother: 1\n",
                "yaml: line 2: mapping values are not allowed in this context",
            ),
        ];
        for (text, want) in cases {
            let e = y::parse_single(text, y::Origin::default()).unwrap_err();
            assert_eq!(go_yaml_error(&e, text), want, "{text:?}");
        }
    }
}
