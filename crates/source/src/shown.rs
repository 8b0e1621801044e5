//! Text from a chart on its way to a terminal, a CI log or a job summary. A chart controls
//! resource names, file names, `fail` messages and the lines of its files: raw escape bytes in
//! them would drive the reader's terminal, and a multi-megabyte line would flood the log. So
//! control characters are shown escaped, messages are cut at a length, and a snippet of a file
//! is shown only when its lines are short and hold no control characters.

use std::borrow::Cow;

/// Longest message shown, in characters.
pub const MAX_MESSAGE_CHARS: usize = 4096;
/// Most bytes of a file shown around a position (the line and one line of context each side).
pub const MAX_SNIPPET_BYTES: usize = 4096;

/// `text` with every control character except newline and tab written as a Rust escape
/// (`\u{1b}`), and cut after [`MAX_MESSAGE_CHARS`] characters.
pub fn clean(text: &str) -> Cow<'_, str> {
    let is_plain = |c: char| !c.is_control() || c == '\n' || c == '\t';
    let long = text.len() > MAX_MESSAGE_CHARS && text.chars().nth(MAX_MESSAGE_CHARS).is_some();
    if !long && text.chars().all(is_plain) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len().min(MAX_MESSAGE_CHARS * 2));
    for c in text.chars().take(MAX_MESSAGE_CHARS) {
        if is_plain(c) {
            out.push(c);
        } else {
            out.push_str(&c.escape_unicode().to_string());
        }
    }
    if long {
        out.push_str(&format!(
            "… (cut at {MAX_MESSAGE_CHARS} characters of {} bytes)",
            text.len()
        ));
    }
    Cow::Owned(out)
}

/// [`clean`] on one line: newlines and tabs become spaces too, for a table cell, an
/// annotation title or a one-line report.
pub fn one_line(text: &str) -> String {
    clean(text).replace(['\n', '\t'], " ")
}

/// Whether the lines around byte `offset` of `text` (the line and one line before and after it)
/// can be shown as a snippet: short, and free of control characters other than tab and line
/// ends.
pub fn snippet_is_safe(text: &str, offset: usize) -> bool {
    let bytes = text.as_bytes();
    let offset = offset.min(bytes.len());
    let line_start = memchr::memrchr(b'\n', &bytes[..offset]).map_or(0, |i| i + 1);
    let start = memchr::memrchr(b'\n', &bytes[..line_start.saturating_sub(1)]).map_or(0, |i| i + 1);
    let after_line =
        memchr::memchr(b'\n', &bytes[offset..]).map_or(bytes.len(), |i| offset + i + 1);
    let end = memchr::memchr(b'\n', &bytes[after_line..]).map_or(bytes.len(), |i| after_line + i);
    if end - start > MAX_SNIPPET_BYTES {
        return false;
    }
    text[start..end]
        .chars()
        .all(|c| !c.is_control() || matches!(c, '\n' | '\t' | '\r'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_and_osc_bytes_are_written_as_escapes() {
        assert_eq!(
            clean("a\u{1b}]0;pwned\u{7}b\u{9b}c\nd"),
            "a\\u{1b}]0;pwned\\u{7}b\\u{9b}c\nd"
        );
        assert!(matches!(clean("plain\ttext\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn a_long_message_is_cut_and_says_so() {
        let long = "x".repeat(MAX_MESSAGE_CHARS + 10);
        let shown = clean(&long);
        assert!(shown.starts_with(&"x".repeat(MAX_MESSAGE_CHARS)));
        assert!(
            shown.ends_with("(cut at 4096 characters of 4106 bytes)"),
            "{shown}"
        );
    }

    #[test]
    fn one_line_folds_line_breaks() {
        assert_eq!(one_line("a\nb\tc"), "a b c");
    }

    #[test]
    fn snippets_of_long_lines_or_control_bytes_are_not_shown() {
        let text = "a: 1\nb: 2\nc: 3\n";
        assert!(snippet_is_safe(text, 5));
        let long = format!("a: 1\nb: {}\nc: 3\n", "x".repeat(MAX_SNIPPET_BYTES));
        assert!(!snippet_is_safe(&long, 5));
        assert!(!snippet_is_safe("a: 1\nb: \u{1b}[2J\nc: 3\n", 0));
        assert!(snippet_is_safe("a: 1\r\nb: 2\r\n", 6));
        // A long line two lines away is not part of the snippet.
        let far = format!("{}\na\nb\nc: 3\n", "x".repeat(MAX_SNIPPET_BYTES));
        assert!(snippet_is_safe(&far, far.len() - 4));
    }
}
