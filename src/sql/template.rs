//! Go template actions (`{{ … }}`) in migration files (pop/fizz, Helm `tpl`): masked before
//! anything reads the SQL, with the same length and the same newlines, so offsets and line
//! numbers stay those of the file.

use std::borrow::Cow;

pub fn mask(text: &str) -> Cow<'_, str> {
    if !text.contains("{{") {
        return Cow::Borrowed(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| from + i) {
        let Some(close) = text[open..].find("}}").map(|i| open + i + 2) else {
            break;
        };
        // An action alone on its line (`{{ if … }}`, `{{ end }}`) is control flow: blank it.
        // One inside SQL stands for a name or a value: make it an identifier.
        let line_start = text[..open].rfind('\n').map_or(0, |i| i + 1);
        let line_end = text[close..].find('\n').map_or(text.len(), |i| close + i);
        let alone =
            text[line_start..open].trim().is_empty() && text[close..line_end].trim().is_empty();
        let fill = if alone { b' ' } else { b'_' };
        for b in &mut bytes[open..close] {
            if *b != b'\n' {
                *b = fill;
            }
        }
        from = close;
    }
    // Only ASCII bytes replaced whole characters between ASCII braces, so this cannot fail.
    Cow::Owned(String::from_utf8(bytes).unwrap_or_else(|_| text.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_length_and_lines() {
        let text = "{{ if .X }}\nDROP TABLE \"{{ index .Options \"Namespace\" }}\".t;\n{{ end }}";
        let masked = mask(text);
        assert_eq!(masked.len(), text.len());
        assert_eq!(masked.lines().count(), text.lines().count());
        assert!(masked.starts_with("           \nDROP TABLE \"___"));
    }
}
