//! How Helm cuts one template's output into documents (`releaseutil.SplitManifests` of Helm
//! v4.2): the output is split at every match of the regex `(?:^|\s*\n)---\s*`, and each piece
//! loses its leading white space but keeps its trailing one (v4.2 "preserves line endings"; only
//! the last document of a template still has any, as a separator swallows the white space
//! around it). Quirks kept on purpose: `----` splits (leaving `-`), and in `---\n---\nkind: A`
//! the second `---` stays in the document, as the first separator swallowed the line break it
//! would need.

/// Byte ranges of the documents of `text`, in order.
pub fn split_manifests(text: &str) -> Vec<(usize, usize)> {
    let bytes = text.as_bytes();
    let start = text.len() - text.trim_start().len();
    let mut pieces = Vec::new();
    let mut from = start;
    let mut piece_start = start;
    // `^---`: the regex's `^` is the start of the (left-trimmed) text only.
    if text[start..].starts_with("---") {
        let end = skip_space(bytes, start + 3);
        piece_start = end;
        from = end;
    }
    while let Some(found) = memchr::memmem::find(&bytes[from..], b"\n---") {
        let newline = from + found;
        // The match starts where the white space run before the line break starts, but never
        // before the previous match's end.
        let mut match_start = newline;
        while match_start > from && is_go_space(bytes[match_start - 1]) {
            match_start -= 1;
        }
        pieces.push((piece_start, match_start));
        let end = skip_space(bytes, newline + 4);
        piece_start = end;
        from = end;
    }
    pieces.push((piece_start, text.len()));
    pieces
        .into_iter()
        .filter(|(s, e)| s < e)
        .map(|(s, e)| (s + (text[s..e].len() - text[s..e].trim_start().len()), e))
        .collect()
}

/// Go regexp's `\s`: ASCII white space only.
fn is_go_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0C' | b'\r')
}

fn skip_space(bytes: &[u8], mut at: usize) -> usize {
    while at < bytes.len() && is_go_space(bytes[at]) {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(text: &str) -> Vec<&str> {
        split_manifests(text)
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect()
    }

    #[test]
    fn splits_like_helm() {
        assert_eq!(docs("a: 1\n---\nb: 2\n"), ["a: 1", "b: 2\n"]);
        assert_eq!(
            docs("\n---\n# c\na: 1  \n\n---  \n\nb: 2\n\n"),
            ["# c\na: 1", "b: 2\n\n"]
        );
        // The second separator has no line break left before it.
        assert_eq!(docs("---\n---\nkind: A\n"), ["---\nkind: A\n"]);
        assert_eq!(docs("a: 1\n----\nb: 2"), ["a: 1", "-\nb: 2"]);
        assert_eq!(docs("a: 1\n---b: 2"), ["a: 1", "b: 2"]);
        assert_eq!(docs("a: |\n  ---\n"), ["a: |\n  ---\n"]);
        // The first separator swallows the blank line the second would need.
        assert_eq!(docs("---\n\n---\n"), ["---\n"]);
    }
}
