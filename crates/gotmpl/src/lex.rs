//! Lexer for Go's text/template, following Go's state machine closely: the exact token
//! boundaries decide trim-marker behaviour and which parse error a broken template reports.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tok {
    /// Lexing failed here; the message is [`Lexed::error`] (there is at most one: lexing
    /// stops at the first error, so tokens stay `Copy`).
    Error,
    Bool,
    /// A printable ASCII character inside an action that is no other token (`,`, `#`, …).
    Char,
    CharConstant,
    Complex,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    String,
    Text,
    Variable,
    // Keywords.
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

impl Tok {
    fn is_keyword(self) -> bool {
        matches!(
            self,
            Tok::Block
                | Tok::Break
                | Tok::Continue
                | Tok::Dot
                | Tok::Define
                | Tok::Else
                | Tok::End
                | Tok::If
                | Tok::Nil
                | Tok::Range
                | Tok::Template
                | Tok::With
        )
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Token {
    pub kind: Tok,
    /// Spaces inside the action come right before it. Go's lexer makes them a token of their
    /// own, which its parser then skips nearly everywhere: ~40% of an action's tokens. Here
    /// they are this flag, and the parser reads it where spaces matter (between operands, and
    /// ending a field chain). The spaces start where the previous token ends.
    pub spaced: bool,
    /// Byte range of the token's text in the source ([`lex`] refuses a source whose offsets
    /// do not fit: half the size of `usize` offsets, for a list as long as the source has
    /// tokens).
    pub start: u32,
    pub end: u32,
}

impl Token {
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        &src[self.start as usize..self.end as usize]
    }

    /// Go's `item.String()`, used in "unexpected X in Y" messages; `error` is the lexer's
    /// message, what an `Error` token stands for.
    pub fn describe(&self, src: &str, error: &str) -> String {
        match self.kind {
            Tok::Eof => "EOF".into(),
            Tok::Error => error.into(),
            k if k.is_keyword() => format!("<{}>", self.text(src)),
            _ => {
                let v = self.text(src);
                if v.chars().count() > 10 {
                    let short: String = v.chars().take(10).collect();
                    format!("{}...", super::fmt::quote(&short))
                } else {
                    super::fmt::quote(v)
                }
            }
        }
    }
}

const LEFT: &[u8; 2] = b"{{";
const RIGHT: &[u8; 2] = b"}}";
const LEFT_COMMENT: &[u8; 2] = b"/*";
const RIGHT_COMMENT: &[u8; 2] = b"*/";

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

/// Offset of the first byte of `s` from `from` on that `keep` rejects (`s.len()` if none).
/// A local index: the lexer's scans over names and spaces are its innermost loops.
fn skip_while(s: &[u8], from: usize, keep: impl Fn(u8) -> bool) -> usize {
    let mut i = from;
    while let Some(&c) = s.get(i)
        && keep(c)
    {
        i += 1;
    }
    i
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

/// Which bytes are ASCII letters, digits or `_`: one load per byte of the identifiers, fields
/// and variables that make up most of an action.
const ASCII_ALNUM: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b == b'_' || b.is_ascii_alphanumeric();
        c += 1;
    }
    table
};

/// `is_alnum` of an ASCII byte: the fast path, without decoding a char.
fn is_ascii_alnum(c: u8) -> bool {
    ASCII_ALNUM[usize::from(c)]
}

/// Every byte of a `u64` set to `1`, and to `0x80`.
const ONES: u64 = u64::from_le_bytes([1; 8]);
const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);

/// The high bit of each byte of `w` that is an ASCII letter, digit or `_`: eight bytes tested
/// at once, with no carry from one byte into the next (each sum stays below 0x100).
fn ascii_alnum_bytes(w: u64) -> u64 {
    let low = w & !HIGHS;
    // High bit set where a byte (below 0x80) lies in `lo..=hi`.
    let within = |x: u64, lo: u8, hi: u8| {
        (x + ONES * u64::from(0x80 - lo)) & !(x + ONES * u64::from(0x7f - hi))
    };
    let digit = within(low, b'0', b'9');
    // `| 0x20` folds upper-case letters onto lower-case ones, and no other byte onto them.
    let letter = within(low | (ONES * 0x20), b'a', b'z');
    let zero_where_underscore = low ^ (ONES * u64::from(b'_'));
    let underscore = !(((zero_where_underscore & !HIGHS) + ONES * 0x7f) | zero_where_underscore);
    (digit | letter | underscore) & !w & HIGHS
}

/// Offset of the first byte of `s` from `from` on that is no ASCII letter, digit or `_`
/// (`s.len()` if none): a word at a time, where names are scanned byte by byte otherwise.
fn skip_ascii_alnum(s: &[u8], from: usize) -> usize {
    let mut i = from;
    while let Some(word) = s.get(i..).and_then(|rest| rest.first_chunk::<8>()) {
        let others = !ascii_alnum_bytes(u64::from_le_bytes(*word)) & HIGHS;
        if others != 0 {
            return i + (others.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    skip_while(s, i, is_ascii_alnum)
}

/// Offset of the first `ab` in `hay`. Templates are mostly text between actions, so this
/// scan dominates lexing; `memchr` finds the first byte with SIMD.
fn find_pair(hay: &[u8], [a, b]: [u8; 2]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = memchr::memchr(a, &hay[from..]) {
        let at = from + i;
        if hay.get(at + 1) == Some(&b) {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

fn has_left_trim(s: &[u8]) -> bool {
    s.len() >= 2 && s[0] == b'-' && is_space(s[1])
}

fn has_right_trim(s: &[u8]) -> bool {
    s.len() >= 2 && is_space(s[0]) && s[1] == b'-'
}

/// Lexing stopped at an error: the `Error` token and its message are recorded.
struct Stopped;

type Lexing = Result<(), Stopped>;

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    start: usize,
    paren_depth: i32,
    /// Spaces were skipped since the last token: the next one is `spaced`.
    spaced: bool,
    out: Vec<Token>,
    error: Option<String>,
}

/// A template's tokens, ending with `Eof` or an `Error` token.
pub struct Lexed {
    pub toks: Vec<Token>,
    /// The message of the final `Error` token, if lexing failed.
    pub error: Option<String>,
}

/// Splits a template into tokens.
pub fn lex(src: &str) -> Lexed {
    if u32::try_from(src.len()).is_err() {
        return Lexed {
            toks: vec![Token {
                kind: Tok::Error,
                spaced: false,
                start: 0,
                end: 0,
            }],
            error: Some("template is larger than 4 GiB".into()),
        };
    }
    let mut l = Lexer {
        src,
        b: src.as_bytes(),
        pos: 0,
        start: 0,
        paren_depth: 0,
        spaced: false,
        // Chart templates have one token per 10 bytes on average, up to one per 4 in
        // action-dense helpers: growing the list would copy it again and again.
        out: Vec::with_capacity(src.len() / 4 + 8),
        error: None,
    };
    // An error is recorded as the last token: nothing more to do either way.
    let _ = l.lex_file();
    Lexed {
        toks: l.out,
        error: l.error,
    }
}

impl Lexer<'_> {
    /// `start` and `end` fit `u32`: [`lex`] checked the source's length.
    fn emit_range(&mut self, kind: Tok, start: usize, end: usize) {
        self.out.push(Token {
            kind,
            spaced: std::mem::take(&mut self.spaced),
            start: start as u32,
            end: end as u32,
        });
    }

    fn emit(&mut self, kind: Tok) {
        self.emit_range(kind, self.start, self.pos);
        self.start = self.pos;
    }

    fn error(&mut self, msg: String) -> Lexing {
        self.emit_range(Tok::Error, self.start, self.start);
        self.error = Some(msg);
        Err(Stopped)
    }

    fn peek_byte(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    /// The char at `pos`; only needed where a non-ASCII byte may start it.
    fn peek_char(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    /// Consumes one byte if it is in `valid` (all ASCII: a non-ASCII char never matches).
    fn accept(&mut self, valid: &[u8]) -> bool {
        match self.peek_byte() {
            Some(c) if valid.contains(&c) => {
                self.pos += 1;
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &[u8]) {
        while self.accept(valid) {}
    }

    /// Consumes letters, digits and `_`, Unicode ones included.
    #[inline]
    fn accept_alnum_run(&mut self) {
        self.pos = skip_ascii_alnum(self.b, self.pos);
        if self.peek_byte().is_some_and(|c| !c.is_ascii()) {
            self.accept_unicode_alnum_run();
        }
    }

    /// [`Lexer::accept_alnum_run`] from a non-ASCII char on: rare in templates, so kept out
    /// of the names' fast path.
    #[cold]
    #[inline(never)]
    fn accept_unicode_alnum_run(&mut self) {
        loop {
            // At the end, at an ASCII byte that is no letter, or at a non-ASCII char.
            match self.peek_byte() {
                Some(c) if !c.is_ascii() => match self.peek_char() {
                    Some(c) if is_alnum(c) => self.pos += c.len_utf8(),
                    _ => return,
                },
                _ => return,
            }
            self.pos = skip_ascii_alnum(self.b, self.pos);
        }
    }

    /// Whether a trim-marked closing delimiter ` -}}` starts at `pos`.
    fn at_trimmed_right_delim(&self) -> bool {
        let rest = &self.b[self.pos..];
        has_right_trim(rest) && rest[2..].starts_with(RIGHT)
    }

    fn at_terminator(&self) -> bool {
        match self.peek_byte() {
            None => true,
            Some(c) if is_space(c) => true,
            Some(b'.' | b',' | b'|' | b':' | b')' | b'(') => true,
            _ => self.b[self.pos..].starts_with(RIGHT),
        }
    }

    /// Go's "bad character" error for what follows an identifier, field or variable.
    fn bad_character(&mut self) -> Lexing {
        let c = self.peek_char().unwrap_or('\0');
        self.error(format!("bad character {}", go_unicode_repr(c)))
    }

    /// The whole file: text, then an action or a comment, and so on to the end. Go's state
    /// machine as one loop: a state's function is called where Go would switch to it.
    fn lex_file(&mut self) -> Lexing {
        while let Some(x) = find_pair(&self.b[self.pos..], *LEFT) {
            if x > 0 {
                self.pos += x;
                let delim_end = self.pos + LEFT.len();
                let mut text_end = self.pos;
                if has_left_trim(&self.b[delim_end..]) {
                    // Go's spaces only: `trim_ascii_end` would take a form feed too.
                    let text = &self.b[self.start..text_end];
                    text_end = self.start
                        + text
                            .iter()
                            .rposition(|&c| !is_space(c))
                            .map_or(0, |i| i + 1);
                }
                if text_end > self.start {
                    self.emit_range(Tok::Text, self.start, text_end);
                }
                self.start = self.pos;
            }
            self.lex_left_delim()?;
        }
        self.pos = self.b.len();
        if self.pos > self.start {
            self.emit(Tok::Text);
        }
        self.emit(Tok::Eof);
        Ok(())
    }

    /// From `{{` to the end of its action or comment.
    fn lex_left_delim(&mut self) -> Lexing {
        self.pos += LEFT.len();
        let trim = has_left_trim(&self.b[self.pos..]);
        let after = if trim { 2 } else { 0 };
        if self.b[self.pos + after..].starts_with(LEFT_COMMENT) {
            self.pos += after;
            self.start = self.pos;
            return self.lex_comment();
        }
        self.emit(Tok::LeftDelim);
        self.pos += after;
        self.start = self.pos;
        self.paren_depth = 0;
        self.lex_inside_action()
    }

    fn lex_comment(&mut self) -> Lexing {
        self.pos += LEFT_COMMENT.len();
        let Some(x) = find_pair(&self.b[self.pos..], *RIGHT_COMMENT) else {
            return self.error("unclosed comment".into());
        };
        self.pos += x + RIGHT_COMMENT.len();
        let trim = self.at_trimmed_right_delim();
        if !trim && !self.b[self.pos..].starts_with(RIGHT) {
            return self.error("comment ends before closing delimiter".into());
        }
        if trim {
            self.pos += 2;
        }
        self.pos += RIGHT.len();
        if trim {
            self.skip_leading_space();
        }
        self.start = self.pos;
        Ok(())
    }

    fn skip_leading_space(&mut self) {
        self.pos = skip_while(self.b, self.pos, is_space);
    }

    /// The closing delimiter at `pos` (` -}}` when `trim`, else `}}`).
    fn lex_right_delim(&mut self, trim: bool) -> Lexing {
        if self.paren_depth != 0 {
            return self.error("unclosed left paren".into());
        }
        if trim {
            self.pos += 2;
            self.start = self.pos;
        }
        self.pos += RIGHT.len();
        self.emit(Tok::RightDelim);
        if trim {
            self.skip_leading_space();
            self.start = self.pos;
        }
        Ok(())
    }

    /// The tokens of an action, up to and including its closing delimiter: one iteration per
    /// token, the innermost loop of lexing.
    fn lex_inside_action(&mut self) -> Lexing {
        loop {
            let Some(c) = self.peek_byte() else {
                return self.error("unclosed action".into());
            };
            if !c.is_ascii() {
                match self.peek_char() {
                    Some(c) if is_alnum(c) => self.lex_identifier()?,
                    c => {
                        let c = c.unwrap_or('\0');
                        self.pos += c.len_utf8();
                        return self.error(format!(
                            "unrecognized character in action: {}",
                            go_unicode_repr(c)
                        ));
                    }
                }
                continue;
            }
            self.pos += 1;
            match c {
                b' ' | b'\t' | b'\r' | b'\n' => {
                    self.pos -= 1;
                    if self.at_trimmed_right_delim() {
                        return self.lex_right_delim(true);
                    }
                    self.lex_space();
                }
                b'}' if self.peek_byte() == Some(b'}') => {
                    self.pos -= 1;
                    return self.lex_right_delim(false);
                }
                b'=' => self.emit(Tok::Assign),
                b':' => {
                    if self.peek_byte() != Some(b'=') {
                        return self.error("expected :=".into());
                    }
                    self.pos += 1;
                    self.emit(Tok::Declare);
                }
                b'|' => self.emit(Tok::Pipe),
                b'"' => self.lex_quote()?,
                b'`' => self.lex_raw_quote()?,
                b'$' => self.lex_variable()?,
                b'\'' => self.lex_char()?,
                b'.' if self.peek_byte().is_some_and(|d| !d.is_ascii_digit()) => {
                    self.lex_field_or_variable(Tok::Field)?;
                }
                b'.' | b'+' | b'-' | b'0'..=b'9' => {
                    self.pos -= 1;
                    self.lex_number()?;
                }
                c if is_ascii_alnum(c) => {
                    self.pos -= 1;
                    self.lex_identifier()?;
                }
                b'(' => {
                    self.emit(Tok::LeftParen);
                    self.paren_depth += 1;
                }
                b')' => {
                    self.paren_depth -= 1;
                    if self.paren_depth < 0 {
                        return self.error("unexpected right paren".into());
                    }
                    self.emit(Tok::RightParen);
                }
                c if !c.is_ascii_control() => self.emit(Tok::Char),
                c => {
                    return self.error(format!(
                        "unrecognized character in action: {}",
                        go_unicode_repr(char::from(c))
                    ));
                }
            }
        }
    }

    /// Skips the spaces inside an action, not the one that starts a trim-marked closing
    /// delimiter, and marks the next token `spaced`.
    fn lex_space(&mut self) {
        self.pos = skip_while(self.b, self.pos, is_space);
        // The last space may start a trim-marked closing delimiter " -}}": the action's loop
        // finds it there. (It is not the first: that one would have been found already.)
        if has_right_trim(&self.b[self.pos - 1..]) && self.b[self.pos + 1..].starts_with(RIGHT) {
            self.pos -= 1;
        }
        self.start = self.pos;
        self.spaced = true;
    }

    fn lex_identifier(&mut self) -> Lexing {
        self.accept_alnum_run();
        if !self.at_terminator() {
            return self.bad_character();
        }
        let kind = match &self.b[self.start..self.pos] {
            b"block" => Tok::Block,
            b"break" => Tok::Break,
            b"continue" => Tok::Continue,
            b"define" => Tok::Define,
            b"else" => Tok::Else,
            b"end" => Tok::End,
            b"if" => Tok::If,
            b"range" => Tok::Range,
            b"nil" => Tok::Nil,
            b"template" => Tok::Template,
            b"with" => Tok::With,
            b"true" | b"false" => Tok::Bool,
            _ => Tok::Identifier,
        };
        self.emit(kind);
        Ok(())
    }

    fn lex_variable(&mut self) -> Lexing {
        if self.at_terminator() {
            self.emit(Tok::Variable);
            return Ok(());
        }
        self.lex_field_or_variable(Tok::Variable)
    }

    fn lex_field_or_variable(&mut self, kind: Tok) -> Lexing {
        if self.at_terminator() {
            self.emit(if kind == Tok::Variable {
                Tok::Variable
            } else {
                Tok::Dot
            });
            return Ok(());
        }
        self.accept_alnum_run();
        if !self.at_terminator() {
            return self.bad_character();
        }
        self.emit(kind);
        Ok(())
    }

    fn lex_char(&mut self) -> Lexing {
        if !self.skip_quoted(b'\'') {
            return self.error("unterminated character constant".into());
        }
        self.emit(Tok::CharConstant);
        Ok(())
    }

    /// Skips to just past the closing `quote`, honouring backslash escapes; false when a
    /// newline or the end comes first. Bytewise: UTF-8 continuation bytes are never ASCII, so
    /// they cannot be mistaken for a quote, backslash or newline.
    fn skip_quoted(&mut self, quote: u8) -> bool {
        loop {
            let Some(c) = self.peek_byte() else {
                return false;
            };
            self.pos += 1;
            match c {
                b'\\' => match self.peek_byte() {
                    Some(b'\n') | None => return false,
                    Some(_) => self.pos += 1,
                },
                b'\n' => return false,
                c if c == quote => return true,
                _ => {}
            }
        }
    }

    fn lex_number(&mut self) -> Lexing {
        if !self.scan_number() {
            let text = &self.src[self.start..self.pos];
            return self.error(format!("bad number syntax: {}", super::fmt::quote(text)));
        }
        if matches!(self.peek_byte(), Some(b'+' | b'-')) {
            if !self.scan_number() || !self.b[..self.pos].ends_with(b"i") {
                let text = &self.src[self.start..self.pos];
                return self.error(format!("bad number syntax: {}", super::fmt::quote(text)));
            }
            self.emit(Tok::Complex);
        } else {
            self.emit(Tok::Number);
        }
        Ok(())
    }

    fn scan_number(&mut self) -> bool {
        const DECIMAL: &[u8] = b"0123456789_";
        const HEX: &[u8] = b"0123456789abcdefABCDEF_";
        self.accept(b"+-");
        let mut digits = DECIMAL;
        if self.accept(b"0") {
            if self.accept(b"xX") {
                digits = HEX;
            } else if self.accept(b"oO") {
                digits = b"01234567_";
            } else if self.accept(b"bB") {
                digits = b"01_";
            }
        }
        self.accept_run(digits);
        if self.accept(b".") {
            self.accept_run(digits);
        }
        if digits == DECIMAL && self.accept(b"eE") {
            self.accept(b"+-");
            self.accept_run(DECIMAL);
        }
        if digits == HEX && self.accept(b"pP") {
            self.accept(b"+-");
            self.accept_run(DECIMAL);
        }
        self.accept(b"i");
        if let Some(c) = self.peek_char().filter(|&c| is_alnum(c)) {
            self.pos += c.len_utf8();
            return false;
        }
        true
    }

    fn lex_quote(&mut self) -> Lexing {
        if !self.skip_quoted(b'"') {
            return self.error("unterminated quoted string".into());
        }
        self.emit(Tok::String);
        Ok(())
    }

    fn lex_raw_quote(&mut self) -> Lexing {
        let Some(x) = memchr::memchr(b'`', &self.b[self.pos..]) else {
            self.pos = self.b.len();
            return self.error("unterminated raw quoted string".into());
        };
        self.pos += x + 1;
        self.emit(Tok::RawString);
        Ok(())
    }
}

/// Go's `%#U`: `U+0023 '#'`.
fn go_unicode_repr(c: char) -> String {
    if c.is_control() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("U+{:04X} '{}'", c as u32, c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(Tok, String)> {
        lex(src)
            .toks
            .into_iter()
            .map(|t| {
                let text = t.text(src).to_string();
                (t.kind, text)
            })
            .collect()
    }

    #[test]
    fn trim_markers_and_comments() {
        let toks = kinds("a  {{- /* c */ -}}  b");
        assert_eq!(
            toks,
            vec![
                (Tok::Text, "a".into()),
                (Tok::Text, "b".into()),
                (Tok::Eof, "".into())
            ]
        );
        let toks = kinds("{{3 -}} {{-4}}");
        let texts: Vec<_> = toks.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(texts, vec!["{{", "3", "}}", "{{", "-4", "}}", ""]);
        // Go trims its four spaces only: a form feed stays on either side.
        let toks = kinds("a\u{c} {{- 3 -}} \u{c}b");
        let texts: Vec<_> = toks.iter().map(|(_, s)| s.as_str()).collect();
        assert_eq!(texts, vec!["a\u{c}", "{{", "3", "}}", "\u{c}b", ""]);
    }

    #[test]
    fn quotes_with_delimiters_inside() {
        let toks = kinds(r#"{{ `he said "}}" ok` "a\"}}" }}"#);
        assert_eq!(toks[1], (Tok::RawString, r#"`he said "}}" ok`"#.into()));
        assert_eq!(toks[2], (Tok::String, r#""a\"}}""#.into()));
    }

    #[test]
    fn errors() {
        let last = |s: &str| {
            let l = lex(s);
            assert_eq!(l.toks.last().map(|t| t.kind), Some(Tok::Error));
            l.error.unwrap_or_default()
        };
        assert_eq!(last("{{ .x"), "unclosed action");
        assert_eq!(
            last("{{/* x */ }}"),
            "comment ends before closing delimiter"
        );
        assert_eq!(last("{{/* x"), "unclosed comment");
        assert_eq!(last("{{ \"abc }}\n"), "unterminated quoted string");
        assert_eq!(last("{{ (x }}"), "unclosed left paren");
        assert_eq!(last("{{ `abc }}"), "unterminated raw quoted string");
        assert_eq!(last("{{ .a☃ }}"), "bad character U+2603 '☃'");
        assert_eq!(
            last("{{ ☃ }}"),
            "unrecognized character in action: U+2603 '☃'"
        );
        assert_eq!(
            last("{{ \u{1} }}"),
            "unrecognized character in action: U+0001"
        );
    }

    /// The word-at-a-time scan stops where the byte-at-a-time one does, for every byte at
    /// every offset of a word and past its end.
    #[test]
    fn names_scan_a_word_at_a_time() {
        for c in 0..=255u8 {
            for at in 0..12 {
                let mut s = b"aZ09_zA9bYc_".to_vec();
                s[at] = c;
                for from in 0..3 {
                    assert_eq!(
                        skip_ascii_alnum(&s, from),
                        skip_while(&s, from, is_ascii_alnum),
                        "byte {c:#x} at {at}, from {from}"
                    );
                }
            }
        }
    }

    #[test]
    fn unicode_identifiers_and_text() {
        let toks = kinds("☃ {{ .héllo }}");
        assert_eq!(toks[0], (Tok::Text, "☃ ".into()));
        assert_eq!(toks[2], (Tok::Field, ".héllo".into()));
    }

    /// Spaces are no tokens: the token after them is marked, a trim marker's space excepted.
    #[test]
    fn spaces_mark_the_next_token() {
        let src = "a {{- .x  .y.z\n| f -}} {{.w -}}";
        let toks: Vec<_> = lex(src)
            .toks
            .into_iter()
            .map(|t| (t.text(src).to_string(), t.spaced))
            .collect();
        let want = [
            ("a", false),
            ("{{", false),
            (".x", false),
            (".y", true),
            (".z", false),
            ("|", true),
            ("f", true),
            ("}}", false),
            ("{{", false),
            (".w", false),
            ("}}", false),
            ("", false),
        ];
        let want: Vec<_> = want.iter().map(|&(s, b)| (s.to_string(), b)).collect();
        assert_eq!(toks, want);
        let src = "{{ 1  -}}";
        let spaced: Vec<_> = lex(src).toks.iter().map(|t| t.spaced).collect();
        assert_eq!(spaced, [false, true, true, false]);
    }
}
