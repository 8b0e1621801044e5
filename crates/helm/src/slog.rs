//! Lines as Helm prints its log on standard error (Go's `slog` text handler without a time:
//! `level=INFO msg="…"`).

/// What Helm's `log.Printf(msg)` prints (Helm 4 sends the standard logger to `slog` at INFO).
pub fn info(msg: &str) -> String {
    format!("level=INFO msg={}", value(msg))
}

/// A value as the text handler prints it: quoted (Go's `%q`) when it would not read back as
/// one word.
pub fn value(v: &str) -> String {
    let plain = !v.is_empty()
        && !v
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '=' | '"'));
    if plain { v.to_string() } else { go_quote(v) }
}

/// Go's `%q` (`strconv.Quote`) for a string.
pub fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\x7f' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_as_go_does() {
        assert_eq!(value("crd-install"), "crd-install");
        assert_eq!(
            value("pre-install, crd-install"),
            "\"pre-install, crd-install\""
        );
        assert_eq!(value(""), "\"\"");
        assert_eq!(go_quote("a\"b\\c\n\u{1}é"), "\"a\\\"b\\\\c\\n\\x01é\"");
        assert_eq!(
            info("warning: skipped value for a.b: Not a table."),
            "level=INFO msg=\"warning: skipped value for a.b: Not a table.\""
        );
    }
}
