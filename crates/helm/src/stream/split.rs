//! Splits a `helm template` stream into documents the way Helm does (`releaseutil.SplitManifests`):
//! a line starting with `---` ends a document, even when a comment follows without a space
//! (`---# Source: …`, which real charts emit).

/// One document's text and where it starts in the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk<'a> {
    pub text: &'a str,
    pub offset: usize,
    /// Lines of the stream before the chunk.
    pub line: u32,
    /// The template named by the chunk's last leading `# Source:` comment.
    pub source: Option<String>,
}

pub fn split(stream: &str) -> Vec<Chunk<'_>> {
    let mut chunks = Vec::new();
    let mut start = 0usize;
    let mut start_line = 0u32;
    let mut offset = 0usize;
    for (line_no, line) in (0u32..).zip(stream.split_inclusive('\n')) {
        if let Some(rest) = line.strip_prefix("---") {
            // `----` or `---word` is content, not a separator.
            let next = rest.chars().next();
            if next.is_none_or(|c| c.is_whitespace() || c == '#') {
                push(&mut chunks, stream, start, offset, start_line);
                let skipped = 3 + (rest.len() - rest.trim_start_matches([' ', '\t']).len());
                start = offset + skipped;
                start_line = line_no;
            }
        }
        offset += line.len();
    }
    push(&mut chunks, stream, start, stream.len(), start_line);
    chunks
}

fn push<'a>(chunks: &mut Vec<Chunk<'a>>, stream: &'a str, start: usize, end: usize, line: u32) {
    let text = &stream[start..end];
    if text.trim().is_empty() {
        return;
    }
    chunks.push(Chunk {
        text,
        offset: start,
        line,
        source: source_comment(text),
    });
}

fn source_comment(text: &str) -> Option<String> {
    text.lines()
        .map(str::trim)
        .take_while(|l| l.is_empty() || l.starts_with('#'))
        .filter_map(|l| l.strip_prefix("# Source:"))
        .last()
        .map(|s| s.trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_separators_including_glued_comments() {
        let stream = "---\n# Source: c/templates/a.yaml\nkind: A\n---# Source: c/templates/b.yaml\nkind: B\n";
        let chunks = split(stream);
        assert_eq!(chunks.len(), 2);
        assert_eq!(chunks[0].source.as_deref(), Some("c/templates/a.yaml"));
        assert_eq!(chunks[1].source.as_deref(), Some("c/templates/b.yaml"));
        assert_eq!(chunks[1].line, 3);
        assert!(chunks[1].text.starts_with("# Source"));
    }

    #[test]
    fn dashes_that_are_content_do_not_split() {
        let chunks = split("a: |\n  ---\nb: ----\n----\n");
        assert_eq!(chunks.len(), 1);
    }

    #[test]
    fn blank_documents_vanish() {
        assert!(split("---\n\n---\n   \n").is_empty());
    }
}
