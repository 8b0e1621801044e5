//! Inline suppressions in pipeline files: `# rollguard-ignore missing-atomic` (or `//` in a
//! Jenkinsfile) at the end of an invocation's first line, or in the comment lines right above
//! it. Pipeline findings have no Kubernetes resource to annotate, so the comment is their
//! per-finding suppression.

use super::Ignore;
use super::embed::file_span;
use source::Span;

pub const MARKER: &str = "rollguard-ignore";

/// The ignores that apply to the invocation whose first word is at `span` and whose whole
/// declaration starts at `extent_start` (a HelmRelease's comment sits above `apiVersion:`).
pub fn comments_for(text: &str, span: Span, extent_start: usize) -> Vec<Ignore> {
    let mut found = comments_at(text, span.start);
    for ignore in comments_at(text, extent_start) {
        if !found.contains(&ignore) {
            found.push(ignore);
        }
    }
    found
}

fn comments_at(text: &str, start: usize) -> Vec<Ignore> {
    let start = start.min(text.len());
    let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let mut found = Vec::new();
    collect(text, line_start, &text[line_start..line_end], &mut found);
    // Comment lines directly above, nearest first.
    let mut end = line_start;
    while end > 0 {
        let above_start = text[..end - 1].rfind('\n').map_or(0, |i| i + 1);
        let line = &text[above_start..end - 1];
        let trimmed = line.trim_start();
        if !(trimmed.starts_with('#') || trimmed.starts_with("//")) {
            break;
        }
        collect(text, above_start, line, &mut found);
        end = above_start;
    }
    found
}

/// The rule ids after the marker in one line (which starts at byte `at` of `text`).
fn collect(text: &str, at: usize, line: &str, out: &mut Vec<Ignore>) {
    let Some(i) = line.find(MARKER) else { return };
    // Only inside a comment: the marker follows a `#` or `//` on the line.
    let before = &line[..i];
    if !(before.contains('#') || before.contains("//")) {
        return;
    }
    let mut offset = i + MARKER.len();
    let rest = &line[offset..];
    let ids = rest.trim_start_matches([':', ' ', '\t']);
    offset += rest.len() - ids.len();
    for id in ids.split([',', ' ', '\t']) {
        let id_at = offset;
        offset += id.len() + 1;
        if id.is_empty() || !id.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
            continue;
        }
        out.push(Ignore {
            rule: id.to_string(),
            span: file_span(text, at + id_at, at + id_at + id.len()),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_line_and_comment_block_above() {
        let text = "x: 1\n# deploy\n# rollguard-ignore: missing-atomic, missing-wait\nhelm upgrade a b # rollguard-ignore force-upgrade\n";
        let at = text.find("helm").unwrap_or(0);
        let ignores = comments_for(text, file_span(text, at, at + 4), at);
        let rules: Vec<&str> = ignores.iter().map(|i| i.rule.as_str()).collect();
        assert_eq!(rules, ["force-upgrade", "missing-atomic", "missing-wait"]);
        assert_eq!((ignores[1].span.line, ignores[1].span.col), (3, 21));
    }

    #[test]
    fn not_outside_comments_nor_across_code() {
        let text = "# rollguard-ignore missing-atomic\necho hi\nhelm upgrade a b --set x=rollguard-ignore\n";
        let at = text.find("helm").unwrap_or(0);
        assert!(comments_for(text, file_span(text, at, at + 4), at).is_empty());
    }
}
