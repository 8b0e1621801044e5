//! The error Go's `encoding/json` reports for malformed input, so `fromJson` & co. show the
//! same text as Helm (`invalid character 'b' looking for beginning of object key string`).

/// Go's message for the first syntax error in `input`, or `None` when it is valid JSON.
pub(crate) fn syntax_error(input: &str) -> Option<String> {
    let b = input.as_bytes();
    let mut p = Scan { b, i: 0, depth: 0 };
    p.ws();
    match p.value() {
        Err(e) => Some(e),
        Ok(()) => {
            p.ws();
            p.peek().map(|c| invalid(c, "after top-level value"))
        }
    }
}

const EOF: &str = "unexpected end of JSON input";

/// Go's `maxNestingDepth`: deeper input is refused with [`TOO_DEEP`], not recursed into (a
/// template can hand `fromJson` a string of a million `[`).
const MAX_DEPTH: usize = 10_000;
const TOO_DEEP: &str = "exceeded max depth";

fn quote_char(c: u8) -> String {
    match c {
        b'\'' => "'\\''".into(),
        b'"' => "'\"'".into(),
        c => {
            let q = gotmpl::fmt::quote(&String::from_utf8_lossy(&[c]));
            format!("'{}'", &q[1..q.len() - 1])
        }
    }
}

fn invalid(c: u8, context: &str) -> String {
    format!("invalid character {} {context}", quote_char(c))
}

struct Scan<'a> {
    b: &'a [u8],
    i: usize,
    /// Objects and arrays open around the current position.
    depth: usize,
}

type R = Result<(), String>;

impl Scan<'_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.i += 1;
        }
    }

    fn value(&mut self) -> R {
        match self.peek() {
            None => Err(EOF.into()),
            Some(b'{' | b'[') if self.depth >= MAX_DEPTH => Err(TOO_DEEP.into()),
            Some(open @ (b'{' | b'[')) => {
                self.depth += 1;
                let r = if open == b'{' {
                    self.object()
                } else {
                    self.array()
                };
                self.depth -= 1;
                r
            }
            Some(b'"') => self.string(),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            Some(c) => Err(invalid(c, "looking for beginning of value")),
        }
    }

    fn literal(&mut self, word: &str) -> R {
        for want in word.bytes() {
            match self.peek() {
                None => return Err(EOF.into()),
                Some(c) if c == want => self.i += 1,
                Some(c) => {
                    let expecting = quote_char(want);
                    return Err(invalid(
                        c,
                        &format!("in literal {word} (expecting {expecting})"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while matches!(self.peek(), Some(b'0'..=b'9')) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> R {
        if self.peek() == Some(b'-') {
            self.i += 1;
            match self.peek() {
                None => return Err(EOF.into()),
                Some(b'0'..=b'9') => {}
                Some(c) => return Err(invalid(c, "in numeric literal")),
            }
        }
        if self.peek() == Some(b'0') {
            self.i += 1;
        } else {
            self.digits();
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            match self.peek() {
                None => return Err(EOF.into()),
                Some(b'0'..=b'9') => {
                    self.digits();
                }
                Some(c) => return Err(invalid(c, "after decimal point in numeric literal")),
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            match self.peek() {
                None => return Err(EOF.into()),
                Some(b'0'..=b'9') => {
                    self.digits();
                }
                Some(c) => return Err(invalid(c, "in exponent of numeric literal")),
            }
        }
        Ok(())
    }

    fn string(&mut self) -> R {
        self.i += 1;
        loop {
            let Some(c) = self.peek() else {
                return Err(EOF.into());
            };
            self.i += 1;
            match c {
                b'"' => return Ok(()),
                b'\\' => {
                    let Some(e) = self.peek() else {
                        return Err(EOF.into());
                    };
                    self.i += 1;
                    match e {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                        b'u' => {
                            for _ in 0..4 {
                                match self.peek() {
                                    None => return Err(EOF.into()),
                                    Some(h) if h.is_ascii_hexdigit() => self.i += 1,
                                    Some(h) => {
                                        return Err(invalid(
                                            h,
                                            "in \\\\u hexadecimal character escape",
                                        ));
                                    }
                                }
                            }
                        }
                        e => return Err(invalid(e, "in string escape code")),
                    }
                }
                c if c < 0x20 => return Err(invalid(c, "in string literal")),
                _ => {}
            }
        }
    }

    fn object(&mut self) -> R {
        self.i += 1;
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(());
        }
        loop {
            match self.peek() {
                None => return Err(EOF.into()),
                Some(b'"') => self.string()?,
                Some(c) => return Err(invalid(c, "looking for beginning of object key string")),
            }
            self.ws();
            match self.peek() {
                None => return Err(EOF.into()),
                Some(b':') => self.i += 1,
                Some(c) => return Err(invalid(c, "after object key")),
            }
            self.ws();
            self.value()?;
            self.ws();
            if self.separator(b'}', "after object key:value pair")? {
                return Ok(());
            }
        }
    }

    /// After a member: `,` goes on (false), `close` ends the container (true), anything else is
    /// Go's syntax error with `context`.
    fn separator(&mut self, close: u8, context: &str) -> Result<bool, String> {
        match self.peek() {
            None => Err(EOF.into()),
            Some(b',') => {
                self.i += 1;
                self.ws();
                Ok(false)
            }
            Some(c) if c == close => {
                self.i += 1;
                Ok(true)
            }
            Some(c) => Err(invalid(c, context)),
        }
    }

    fn array(&mut self) -> R {
        self.i += 1;
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(());
        }
        loop {
            self.value()?;
            self.ws();
            if self.separator(b']', "after array element")? {
                return Ok(());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::syntax_error;

    #[test]
    fn go_messages() {
        let e = |s: &str| syntax_error(s).unwrap_or_default();
        assert_eq!(
            e("{bad"),
            "invalid character 'b' looking for beginning of object key string"
        );
        assert_eq!(e("[1,"), "unexpected end of JSON input");
        assert_eq!(e("[1 2]"), "invalid character '2' after array element");
        assert_eq!(
            e("tru "),
            "invalid character ' ' in literal true (expecting 'e')"
        );
        assert_eq!(e("{\"a\" 1}"), "invalid character '1' after object key");
        assert_eq!(e("1 2"), "invalid character '2' after top-level value");
        assert_eq!(syntax_error("{\"a\": [1, 2.5e3, null]}"), None);
    }

    /// Found by fuzzing: a million `[` recursed until the stack overflowed (SIGSEGV). Run on
    /// the smallest stack a render gets.
    #[test]
    fn deep_nesting_is_refused_as_go_refuses_it() {
        let deep = std::thread::Builder::new()
            .stack_size(16 << 20)
            .spawn(|| {
                (
                    syntax_error(&"[".repeat(1_000_000)),
                    syntax_error(&"{\"a\":".repeat(1_000_000)),
                )
            })
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(deep.0.as_deref(), Some("exceeded max depth"));
        assert_eq!(deep.1.as_deref(), Some("exceeded max depth"));
    }
}
