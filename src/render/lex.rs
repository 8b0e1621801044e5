//! Lexer for Go's text/template, following Go's state machine closely: the exact token
//! boundaries decide trim-marker behaviour and which parse error a broken template reports.

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Error(String),
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
    Space,
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
    fn is_keyword(&self) -> bool {
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

#[derive(Debug, Clone)]
pub struct Token {
    pub kind: Tok,
    /// Byte range of the token's text in the source.
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        &src[self.start..self.end]
    }

    /// Go's `item.String()`, used in "unexpected X in Y" messages.
    pub fn describe(&self, src: &str) -> String {
        match &self.kind {
            Tok::Eof => "EOF".into(),
            Tok::Error(msg) => msg.clone(),
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

const LEFT: &str = "{{";
const RIGHT: &str = "}}";
const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";

fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\r' | b'\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphabetic() || c.is_numeric()
}

fn has_left_trim(s: &[u8]) -> bool {
    s.len() >= 2 && s[0] == b'-' && is_space(s[1])
}

fn has_right_trim(s: &[u8]) -> bool {
    s.len() >= 2 && is_space(s[0]) && s[1] == b'-'
}

enum State {
    Text,
    LeftDelim,
    Comment,
    RightDelim,
    InsideAction,
    Done,
}

struct Lexer<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    start: usize,
    paren_depth: i32,
    out: Vec<Token>,
}

/// Splits a template into tokens, ending with `Eof` or an `Error` token.
pub fn lex(src: &str) -> Vec<Token> {
    let mut l = Lexer {
        src,
        b: src.as_bytes(),
        pos: 0,
        start: 0,
        paren_depth: 0,
        out: Vec::new(),
    };
    let mut state = State::Text;
    loop {
        state = match state {
            State::Text => l.lex_text(),
            State::LeftDelim => l.lex_left_delim(),
            State::Comment => l.lex_comment(),
            State::RightDelim => l.lex_right_delim(),
            State::InsideAction => l.lex_inside_action(),
            State::Done => break,
        };
    }
    l.out
}

impl Lexer<'_> {
    fn emit_range(&mut self, kind: Tok, start: usize, end: usize) {
        self.out.push(Token { kind, start, end });
    }

    fn emit(&mut self, kind: Tok) {
        self.emit_range(kind, self.start, self.pos);
        self.start = self.pos;
    }

    fn error(&mut self, msg: String) -> State {
        self.out.push(Token {
            kind: Tok::Error(msg),
            start: self.start,
            end: self.start,
        });
        State::Done
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn accept(&mut self, valid: &str) -> bool {
        match self.peek() {
            Some(c) if valid.contains(c) => {
                self.pos += c.len_utf8();
                true
            }
            _ => false,
        }
    }

    fn accept_run(&mut self, valid: &str) {
        while self.accept(valid) {}
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = &self.b[self.pos..];
        if has_right_trim(rest) && rest[2..].starts_with(RIGHT.as_bytes()) {
            return (true, true);
        }
        (rest.starts_with(RIGHT.as_bytes()), false)
    }

    fn at_terminator(&self) -> bool {
        match self.peek() {
            None => true,
            Some(c) if c.is_ascii() && is_space(c as u8) => true,
            Some('.' | ',' | '|' | ':' | ')' | '(') => true,
            _ => self.b[self.pos..].starts_with(RIGHT.as_bytes()),
        }
    }

    fn lex_text(&mut self) -> State {
        match self.src[self.pos..].find(LEFT) {
            Some(x) => {
                if x > 0 {
                    self.pos += x;
                    let delim_end = self.pos + LEFT.len();
                    let mut text_end = self.pos;
                    if has_left_trim(&self.b[delim_end..]) {
                        while text_end > self.start && is_space(self.b[text_end - 1]) {
                            text_end -= 1;
                        }
                    }
                    if text_end > self.start {
                        self.emit_range(Tok::Text, self.start, text_end);
                    }
                    self.start = self.pos;
                }
                State::LeftDelim
            }
            None => {
                self.pos = self.b.len();
                if self.pos > self.start {
                    self.emit(Tok::Text);
                }
                self.emit(Tok::Eof);
                State::Done
            }
        }
    }

    fn lex_left_delim(&mut self) -> State {
        self.pos += LEFT.len();
        let trim = has_left_trim(&self.b[self.pos..]);
        let after = if trim { 2 } else { 0 };
        if self.b[self.pos + after..].starts_with(LEFT_COMMENT.as_bytes()) {
            self.pos += after;
            self.start = self.pos;
            return State::Comment;
        }
        self.emit(Tok::LeftDelim);
        self.pos += after;
        self.start = self.pos;
        self.paren_depth = 0;
        State::InsideAction
    }

    fn lex_comment(&mut self) -> State {
        self.pos += LEFT_COMMENT.len();
        let Some(x) = self.src[self.pos..].find(RIGHT_COMMENT) else {
            return self.error("unclosed comment".into());
        };
        self.pos += x + RIGHT_COMMENT.len();
        let (delim, trim) = self.at_right_delim();
        if !delim {
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
        State::Text
    }

    fn skip_leading_space(&mut self) {
        while self.pos < self.b.len() && is_space(self.b[self.pos]) {
            self.pos += 1;
        }
    }

    fn lex_right_delim(&mut self) -> State {
        let (_, trim) = self.at_right_delim();
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
        State::Text
    }

    fn lex_inside_action(&mut self) -> State {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return State::RightDelim;
            }
            return self.error("unclosed left paren".into());
        }
        let Some(c) = self.next() else {
            return self.error("unclosed action".into());
        };
        match c {
            c if c.is_ascii() && is_space(c as u8) => {
                self.pos -= 1;
                return self.lex_space();
            }
            '=' => self.emit(Tok::Assign),
            ':' => {
                if self.next() != Some('=') {
                    return self.error("expected :=".into());
                }
                self.emit(Tok::Declare);
            }
            '|' => self.emit(Tok::Pipe),
            '"' => return self.lex_quote(),
            '`' => return self.lex_raw_quote(),
            '$' => return self.lex_variable(),
            '\'' => return self.lex_char(),
            '.' if self.peek().is_some_and(|d| !d.is_ascii_digit()) => {
                return self.lex_field_or_variable(Tok::Field);
            }
            '.' | '+' | '-' | '0'..='9' => {
                self.pos -= 1;
                return self.lex_number();
            }
            c if is_alnum(c) => {
                self.pos -= c.len_utf8();
                return self.lex_identifier();
            }
            '(' => {
                self.emit(Tok::LeftParen);
                self.paren_depth += 1;
            }
            ')' => {
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    return self.error("unexpected right paren".into());
                }
                self.emit(Tok::RightParen);
            }
            c if c.is_ascii() && !c.is_ascii_control() => self.emit(Tok::Char),
            c => {
                return self.error(format!(
                    "unrecognized character in action: {}",
                    go_unicode_repr(c)
                ));
            }
        }
        State::InsideAction
    }

    fn lex_space(&mut self) -> State {
        let mut n = 0;
        while self.pos < self.b.len() && is_space(self.b[self.pos]) {
            self.pos += 1;
            n += 1;
        }
        // A space may belong to a trim-marked closing delimiter " -}}".
        if has_right_trim(&self.b[self.pos - 1..])
            && self.b[self.pos + 1..].starts_with(RIGHT.as_bytes())
        {
            self.pos -= 1;
            if n == 1 {
                return State::RightDelim;
            }
        }
        self.emit(Tok::Space);
        State::InsideAction
    }

    fn lex_identifier(&mut self) -> State {
        while let Some(c) = self.peek() {
            if !is_alnum(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
        if !self.at_terminator() {
            let c = self.peek().unwrap_or('\0');
            return self.error(format!("bad character {}", go_unicode_repr(c)));
        }
        let kind = match &self.src[self.start..self.pos] {
            "block" => Tok::Block,
            "break" => Tok::Break,
            "continue" => Tok::Continue,
            "define" => Tok::Define,
            "else" => Tok::Else,
            "end" => Tok::End,
            "if" => Tok::If,
            "range" => Tok::Range,
            "nil" => Tok::Nil,
            "template" => Tok::Template,
            "with" => Tok::With,
            "true" | "false" => Tok::Bool,
            _ => Tok::Identifier,
        };
        self.emit(kind);
        State::InsideAction
    }

    fn lex_variable(&mut self) -> State {
        if self.at_terminator() {
            self.emit(Tok::Variable);
            return State::InsideAction;
        }
        self.lex_field_or_variable(Tok::Variable)
    }

    fn lex_field_or_variable(&mut self, kind: Tok) -> State {
        if self.at_terminator() {
            self.emit(if kind == Tok::Variable {
                Tok::Variable
            } else {
                Tok::Dot
            });
            return State::InsideAction;
        }
        while let Some(c) = self.peek() {
            if !is_alnum(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
        if !self.at_terminator() {
            let c = self.peek().unwrap_or('\0');
            return self.error(format!("bad character {}", go_unicode_repr(c)));
        }
        self.emit(kind);
        State::InsideAction
    }

    fn lex_char(&mut self) -> State {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some('\n') | None => {
                        return self.error("unterminated character constant".into());
                    }
                    Some(_) => {}
                },
                Some('\n') | None => return self.error("unterminated character constant".into()),
                Some('\'') => break,
                Some(_) => {}
            }
        }
        self.emit(Tok::CharConstant);
        State::InsideAction
    }

    fn lex_number(&mut self) -> State {
        if !self.scan_number() {
            let text = &self.src[self.start..self.pos];
            return self.error(format!("bad number syntax: {}", super::fmt::quote(text)));
        }
        if matches!(self.peek(), Some('+' | '-')) {
            if !self.scan_number() || !self.src[..self.pos].ends_with('i') {
                let text = &self.src[self.start..self.pos];
                return self.error(format!("bad number syntax: {}", super::fmt::quote(text)));
            }
            self.emit(Tok::Complex);
        } else {
            self.emit(Tok::Number);
        }
        State::InsideAction
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 11 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 23 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        self.accept("i");
        if self.peek().is_some_and(is_alnum) {
            self.next();
            return false;
        }
        true
    }

    fn lex_quote(&mut self) -> State {
        loop {
            match self.next() {
                Some('\\') => match self.next() {
                    Some('\n') | None => return self.error("unterminated quoted string".into()),
                    Some(_) => {}
                },
                Some('\n') | None => return self.error("unterminated quoted string".into()),
                Some('"') => break,
                Some(_) => {}
            }
        }
        self.emit(Tok::String);
        State::InsideAction
    }

    fn lex_raw_quote(&mut self) -> State {
        loop {
            match self.next() {
                None => return self.error("unterminated raw quoted string".into()),
                Some('`') => break,
                Some(_) => {}
            }
        }
        self.emit(Tok::RawString);
        State::InsideAction
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
    }

    #[test]
    fn quotes_with_delimiters_inside() {
        let toks = kinds(r#"{{ `he said "}}" ok` "a\"}}" }}"#);
        assert_eq!(toks[2], (Tok::RawString, r#"`he said "}}" ok`"#.into()));
        assert_eq!(toks[4], (Tok::String, r#""a\"}}""#.into()));
    }

    #[test]
    fn errors() {
        let last = |s: &str| lex(s).pop().map(|t| t.kind);
        assert_eq!(last("{{ .x"), Some(Tok::Error("unclosed action".into())));
        assert_eq!(
            last("{{/* x */ }}"),
            Some(Tok::Error("comment ends before closing delimiter".into()))
        );
        assert_eq!(last("{{/* x"), Some(Tok::Error("unclosed comment".into())));
        assert_eq!(
            last("{{ \"abc }}\n"),
            Some(Tok::Error("unterminated quoted string".into()))
        );
        assert_eq!(
            last("{{ (x }}"),
            Some(Tok::Error("unclosed left paren".into()))
        );
    }

    #[test]
    fn unicode_identifiers_and_text() {
        let toks = kinds("☃ {{ .héllo }}");
        assert_eq!(toks[0], (Tok::Text, "☃ ".into()));
        assert_eq!(toks[3], (Tok::Field, ".héllo".into()));
    }
}
