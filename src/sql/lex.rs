//! One pass over SQL text that yields statements (with their tokens) and comments.
//!
//! Splitting is done here rather than by sqlparser because real migrations hold what sqlparser
//! rejects (psql meta-commands, `DELIMITER`, vendor syntax): one statement it cannot parse must
//! not hide the others. Quotes, dollar quotes and comments are honoured so that a `;` or a
//! `DROP` inside them is never taken for SQL. Every delimiter is ASCII, so byte offsets always
//! fall on character boundaries.

use std::ops::Range;

use super::Dialect;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokKind {
    /// Keyword or bare identifier.
    Word,
    /// `"ident"` or `` `ident` `` (in MySQL, `"…"` is a string, but as a name it reads the same).
    QuotedIdent,
    /// `'…'`, `E'…'`, or a dollar-quoted `$tag$…$tag$` body.
    Str,
    Number,
    Punct,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokKind,
    pub start: usize,
    pub end: usize,
    /// For strings: where the content starts and ends (inside the quotes).
    pub inner: (usize, usize),
}

impl Token {
    pub fn text<'a>(&self, src: &'a str) -> &'a str {
        src.get(self.start..self.end).unwrap_or("")
    }

    /// The content of a string or quoted identifier, quotes removed (escapes left as written).
    pub fn inner<'a>(&self, src: &'a str) -> &'a str {
        src.get(self.inner.0..self.inner.1).unwrap_or("")
    }

    pub fn is_word(&self, src: &str, word: &str) -> bool {
        self.kind == TokKind::Word && self.text(src).eq_ignore_ascii_case(word)
    }

    pub fn is_punct(&self, src: &str, c: char) -> bool {
        self.kind == TokKind::Punct && self.text(src).starts_with(c)
    }
}

/// A piece of the text between delimiters.
#[derive(Debug, Clone)]
pub struct Piece {
    /// From the first token to the last one (delimiter excluded).
    pub range: Range<usize>,
    pub tokens: Vec<Token>,
    /// A client command (psql `\…`, MySQL `DELIMITER`), not SQL.
    pub meta: bool,
}

#[derive(Debug, Default)]
pub struct Lexed {
    pub pieces: Vec<Piece>,
    pub comments: Vec<Range<usize>>,
    /// A quote, dollar quote or block comment that is never closed: where it opens, and what
    /// is wrong ("unclosed quote"). The database rejects such a file, so the migration fails when it runs.
    pub unclosed: Option<(usize, &'static str)>,
}

/// Splits `src` into statements. Never fails: an unterminated quote or comment runs to the end.
pub fn split(src: &str, dialect: Dialect) -> Lexed {
    Lexer {
        src,
        bytes: src.as_bytes(),
        pos: 0,
        dialect,
        delimiter: ";".to_string(),
        out: Lexed::default(),
        current: Vec::new(),
        blocks: 0,
    }
    .run()
}

/// Splits the part `range` of `src`; offsets stay those of `src`.
pub fn split_range(src: &str, range: Range<usize>, dialect: Dialect) -> Lexed {
    let base = range.start;
    let mut lexed = split(src.get(range).unwrap_or(""), dialect);
    let shift = |r: &mut Range<usize>| *r = r.start + base..r.end + base;
    for piece in &mut lexed.pieces {
        shift(&mut piece.range);
        for t in &mut piece.tokens {
            t.start += base;
            t.end += base;
            t.inner = (t.inner.0 + base, t.inner.1 + base);
        }
    }
    lexed.comments.iter_mut().for_each(shift);
    if let Some((at, _)) = &mut lexed.unclosed {
        *at += base;
    }
    lexed
}

struct Lexer<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    dialect: Dialect,
    delimiter: String,
    out: Lexed,
    current: Vec<Token>,
    /// Open `BEGIN`/`CASE` blocks of a routine body (`CREATE PROCEDURE … BEGIN … END`) sent
    /// without a `DELIMITER` change: their `;` do not end the statement.
    blocks: usize,
}

impl Lexer<'_> {
    fn run(mut self) -> Lexed {
        while self.pos < self.bytes.len() {
            let b = self.bytes[self.pos];
            if b.is_ascii_whitespace() {
                self.pos += 1;
                continue;
            }
            if self.current.is_empty() && self.client_command() {
                continue;
            }
            if self.blocks == 0
                && self.bytes[self.pos..].starts_with(self.delimiter.as_bytes())
                && !self.in_comment_start()
            {
                self.pos += self.delimiter.len();
                self.finish();
                continue;
            }
            let start = self.pos;
            match b {
                b'-' if self.peek(1) == Some(b'-') => self.line_comment(),
                b'#' if self.dialect == Dialect::Mysql => self.line_comment(),
                b'/' if self.peek(1) == Some(b'*') => self.block_comment(),
                b'\'' => self.quoted(b'\'', TokKind::Str, start),
                b'"' => self.quoted(b'"', TokKind::QuotedIdent, start),
                b'`' => self.quoted(b'`', TokKind::QuotedIdent, start),
                b'$' if self.dialect != Dialect::Mysql && self.dollar_quote(start) => {}
                b'0'..=b'9' => {
                    self.take_while(|c| c.is_ascii_alphanumeric() || c == b'.' || c == b'_');
                    self.push(TokKind::Number, start, (start, self.pos));
                }
                c if is_word_byte(c) => {
                    // E'…' / N'…' / B'…' / X'…' string prefixes.
                    if matches!(c, b'E' | b'e' | b'N' | b'n' | b'B' | b'b' | b'X' | b'x')
                        && self.peek(1) == Some(b'\'')
                    {
                        self.pos += 1;
                        self.quoted(b'\'', TokKind::Str, start);
                    } else {
                        self.word();
                        self.push(TokKind::Word, start, (start, self.pos));
                        self.track_blocks();
                    }
                }
                _ => {
                    self.pos += 1;
                    self.push(TokKind::Punct, start, (start, self.pos));
                }
            }
        }
        self.finish();
        self.out
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    /// A custom delimiter such as `//` must not eat the start of a `/* comment`.
    fn in_comment_start(&self) -> bool {
        self.delimiter != ";" && self.bytes[self.pos..].starts_with(b"/*")
    }

    /// A word, which may hold `$` (PostgreSQL) but ends where a custom delimiter (`$$`) starts.
    fn word(&mut self) {
        while self.pos < self.bytes.len() {
            let c = self.bytes[self.pos];
            let custom_end = self.delimiter != ";"
                && self.bytes[self.pos..].starts_with(self.delimiter.as_bytes());
            if custom_end || !(is_word_byte(c) || c.is_ascii_digit() || c == b'$') {
                break;
            }
            self.pos += 1;
        }
    }

    fn take_while(&mut self, f: impl Fn(u8) -> bool) {
        while self.pos < self.bytes.len() && f(self.bytes[self.pos]) {
            self.pos += 1;
        }
    }

    fn push(&mut self, kind: TokKind, start: usize, inner: (usize, usize)) {
        self.current.push(Token {
            kind,
            start,
            end: self.pos,
            inner,
        });
    }

    /// Counts `BEGIN`/`CASE` … `END` inside a routine definition. `END IF`, `END LOOP`, …
    /// close blocks that were not counted, so the word after `END` takes the count back.
    /// Under a custom `DELIMITER` nothing is counted: the client splits at the delimiter only
    /// (and a delimiter that starts like a word, `oE`, would otherwise stop every word before
    /// it forever).
    fn track_blocks(&mut self) {
        if self.delimiter != ";" {
            return;
        }
        let src = self.src;
        let toks = &self.current;
        let Some(word) = toks.last().map(|t| t.text(src).to_ascii_uppercase()) else {
            return;
        };
        let after_end = toks.len() >= 2 && toks[toks.len() - 2].is_word(src, "END");
        let routine = toks.first().is_some_and(|t| t.is_word(src, "CREATE"))
            && toks.iter().take(12).any(|t| {
                ["PROCEDURE", "FUNCTION", "TRIGGER", "EVENT"]
                    .iter()
                    .any(|k| t.is_word(src, k))
            });
        if !routine {
            return;
        }
        match word.as_str() {
            "BEGIN" => self.blocks += 1,
            "CASE" if !after_end => self.blocks += 1,
            "END" => self.blocks = self.blocks.saturating_sub(1),
            "IF" | "LOOP" | "WHILE" | "REPEAT" if after_end => self.blocks += 1,
            _ => {}
        }
    }

    fn finish(&mut self) {
        self.blocks = 0;
        if let (Some(first), Some(last)) = (self.current.first(), self.current.last()) {
            let range = first.start..last.end;
            self.out.pieces.push(Piece {
                range,
                tokens: std::mem::take(&mut self.current),
                meta: false,
            });
        }
    }

    fn line_end(&self) -> usize {
        self.src[self.pos..]
            .find('\n')
            .map_or(self.src.len(), |i| self.pos + i)
    }

    /// psql backslash commands and MySQL `DELIMITER` lines, read at a statement boundary.
    fn client_command(&mut self) -> bool {
        let rest = &self.src[self.pos..];
        let is_delimiter = rest.len() > 10
            && rest.as_bytes()[..9].eq_ignore_ascii_case(b"DELIMITER")
            && rest.as_bytes()[9].is_ascii_whitespace();
        if !rest.starts_with('\\') && !is_delimiter {
            return false;
        }
        let start = self.pos;
        let end = self.line_end();
        if is_delimiter {
            // `DELIMITER` alone on its line (the whitespace after it is the newline) sets
            // nothing, as in the mysql client.
            let new = self.src.get(start + 10..end).unwrap_or("").trim();
            if !new.is_empty() {
                self.delimiter = new.to_string();
            }
        }
        self.out.pieces.push(Piece {
            range: start..end,
            tokens: Vec::new(),
            meta: true,
        });
        self.pos = end;
        true
    }

    fn line_comment(&mut self) {
        let start = self.pos;
        self.pos = self.line_end();
        self.out.comments.push(start..self.pos);
    }

    /// `/* … */`, nested as PostgreSQL nests them.
    fn block_comment(&mut self) {
        let start = self.pos;
        let mut depth = 0usize;
        while self.pos < self.bytes.len() {
            if self.bytes[self.pos..].starts_with(b"/*") {
                depth += 1;
                self.pos += 2;
            } else if self.bytes[self.pos..].starts_with(b"*/") {
                self.pos += 2;
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    break;
                }
            } else {
                self.pos += 1;
            }
        }
        if depth > 0 {
            self.unclosed(start, "unclosed comment");
        }
        self.out.comments.push(start..self.pos);
    }

    fn unclosed(&mut self, at: usize, what: &'static str) {
        self.out.unclosed.get_or_insert((at, what));
    }

    /// A quoted token; the quote doubled escapes it, and backslash escapes in MySQL strings
    /// and PostgreSQL `E'…'` strings.
    fn quoted(&mut self, quote: u8, kind: TokKind, start: usize) {
        let backslash = quote == b'\''
            && (self.dialect == Dialect::Mysql || self.bytes[start].eq_ignore_ascii_case(&b'e'));
        self.pos += 1;
        let inner_start = self.pos;
        let mut inner_end = self.bytes.len();
        while self.pos < self.bytes.len() {
            let c = self.bytes[self.pos];
            if backslash && c == b'\\' {
                self.pos += 2;
            } else if c == quote {
                if self.peek(1) == Some(quote) {
                    self.pos += 2;
                } else {
                    inner_end = self.pos;
                    self.pos += 1;
                    break;
                }
            } else {
                self.pos += 1;
            }
        }
        self.pos = self.pos.min(self.bytes.len());
        if inner_end == self.bytes.len() {
            let what = if kind == TokKind::Str {
                "unclosed quote"
            } else {
                "unclosed quoted name"
            };
            self.unclosed(start, what);
        }
        self.push(kind, start, (inner_start, inner_end.min(self.pos)));
    }

    /// `$$…$$` or `$tag$…$tag$`; `$1` (a parameter) is not one.
    fn dollar_quote(&mut self, start: usize) -> bool {
        let rest = &self.bytes[start + 1..];
        let tag_len = rest
            .iter()
            .take_while(|c| is_word_byte(**c) || c.is_ascii_digit())
            .count();
        if rest.get(tag_len) != Some(&b'$') || rest.first().is_some_and(u8::is_ascii_digit) {
            return false;
        }
        let open = &self.src[start..start + tag_len + 2];
        let body = start + open.len();
        let (inner_end, end) = match self.src[body..].find(open) {
            Some(i) => (body + i, body + i + open.len()),
            None => {
                self.unclosed(start, "unclosed dollar quote");
                (self.src.len(), self.src.len())
            }
        };
        self.pos = end;
        self.push(TokKind::Str, start, (body, inner_end));
        true
    }
}

fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80 || c == b'@'
}

/// The tokens outside any parentheses or brackets, with their index.
pub fn depth_zero_positions<'t>(
    src: &'t str,
    tokens: &'t [Token],
) -> impl Iterator<Item = (usize, &'t Token)> + 't {
    let mut depth = 0i32;
    tokens.iter().enumerate().filter(move |(_, t)| {
        if t.is_punct(src, '(') || t.is_punct(src, '[') {
            depth += 1;
            return false;
        }
        if t.is_punct(src, ')') || t.is_punct(src, ']') {
            depth -= 1;
            return false;
        }
        depth == 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(src: &str, dialect: Dialect) -> Vec<&str> {
        split(src, dialect)
            .pieces
            .iter()
            .map(|p| &src[p.range.clone()])
            .collect()
    }

    #[test]
    fn quotes_comments_and_dollar_quotes_hide_semicolons() {
        let src = "CREATE TABLE a (x text DEFAULT ';'); -- DROP TABLE a;\n\
                   /* ; /* nested ; */ ; */ DO $x$ BEGIN DROP TABLE b; END $x$;\n\
                   SELECT $1, \"we;ird\";";
        assert_eq!(
            texts(src, Dialect::Postgres),
            [
                "CREATE TABLE a (x text DEFAULT ';')",
                "DO $x$ BEGIN DROP TABLE b; END $x$",
                "SELECT $1, \"we;ird\""
            ]
        );
        assert_eq!(split(src, Dialect::Postgres).comments.len(), 2);
    }

    #[test]
    fn mysql_delimiter_and_psql_meta_commands() {
        let src =
            "DELIMITER $$\nCREATE PROCEDURE p() BEGIN DELETE FROM t; END$$\nDELIMITER ;\nCALL p();";
        let lexed = split(src, Dialect::Mysql);
        let got: Vec<_> = lexed
            .pieces
            .iter()
            .map(|p| (p.meta, &src[p.range.clone()]))
            .collect();
        assert_eq!(
            got,
            [
                (true, "DELIMITER $$"),
                (false, "CREATE PROCEDURE p() BEGIN DELETE FROM t; END"),
                (true, "DELIMITER ;"),
                (false, "CALL p()")
            ]
        );
        // Found by fuzzing: `DELIMITER` alone on its line, then a statement; the delimiter
        // stays `;` (it sliced past the line's end before).
        let src = "DELIMITER\nDELETE FROM t;\nSELECT 1;";
        assert_eq!(
            texts(src, Dialect::Mysql),
            ["DELIMITER", "DELETE FROM t", "SELECT 1"]
        );
        // Found by fuzzing: a word-like delimiter inside a routine's BEGIN looped forever,
        // one empty token at a time, until memory ran out.
        let src = "DELIMITER oE\nCREATE PROCEDURE p() BEGIN DELETE FROM t; oE\nDELETE FROM u oE";
        assert_eq!(
            texts(src, Dialect::Mysql),
            [
                "DELIMITER oE",
                "CREATE PROCEDURE p() BEGIN DELETE FROM t;",
                "DELETE FROM u"
            ]
        );
        let src = "\\set ON_ERROR_STOP on\nSELECT 1;\n\\i other.sql\n";
        assert_eq!(texts(src, Dialect::Postgres)[1], "SELECT 1");
    }

    #[test]
    fn routine_bodies_without_delimiter_stay_whole() {
        let src = "CREATE PROCEDURE p() BEGIN IF a THEN DELETE FROM t; END IF; SELECT CASE WHEN b THEN 1 END; END;\nCALL p();";
        assert_eq!(texts(src, Dialect::Mysql).len(), 2);
    }

    #[test]
    fn unterminated_input_does_not_panic() {
        for src in [
            "'abc",
            "$$ abc",
            "/* abc",
            "E'\\",
            "\"x",
            "$a",
            "é'",
            "DELIMITER",
        ] {
            let _ = split(src, Dialect::Postgres);
            let _ = split(src, Dialect::Mysql);
        }
    }
}
