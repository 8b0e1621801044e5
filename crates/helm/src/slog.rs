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
    if plain {
        v.to_string()
    } else {
        gotmpl::fmt::quote(v)
    }
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
        assert_eq!(
            gotmpl::fmt::quote("a\"b\\c\n\u{1}é"),
            "\"a\\\"b\\\\c\\n\\x01é\""
        );
        assert_eq!(
            info("warning: skipped value for a.b: Not a table."),
            "level=INFO msg=\"warning: skipped value for a.b: Not a table.\""
        );
    }
}
