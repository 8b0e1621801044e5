//! Where SQL text sits in its file: offsets of the text the analyser read → file spans. SQL is
//! often nested (a heredoc in a shell script in a YAML block scalar); each layer is a
//! [`Placement`] derived from the one around it.

use std::sync::Arc;

use source::Span;
use source::yaml::{Node, Style};
use source::{SourceFile, line_starts};

#[derive(Debug, Clone)]
pub struct Placement {
    pub file: Arc<SourceFile>,
    /// (text offset, file offset) anchors, ascending; between anchors offsets advance together.
    anchors: Vec<(usize, usize)>,
    /// Offsets inside the text do not map one to one (a quoted or folded scalar): everything
    /// is placed at the first anchor.
    fixed: bool,
    lines: Arc<Vec<usize>>,
}

impl Placement {
    /// The text is the whole file.
    pub fn whole(file: Arc<SourceFile>) -> Placement {
        Placement {
            lines: Arc::new(line_starts(&file.text).collect()),
            file,
            anchors: vec![(0, 0)],
            fixed: false,
        }
    }

    /// The text is the value of a YAML scalar. Literal block scalars (`|`) map line by line;
    /// other styles place everything at the scalar.
    pub fn scalar(file: Arc<SourceFile>, node: &Node, lines: Arc<Vec<usize>>) -> Placement {
        let text = node.scalar().map_or("", |s| s.text.as_str());
        let literal = node.scalar().is_some_and(|s| s.style == Style::Literal);
        let mut placement = Placement {
            file,
            anchors: vec![(0, node.span.start)],
            fixed: !literal,
            lines,
        };
        if literal {
            placement.anchors = placement.literal_lines(node.span.start, text);
        }
        placement
    }

    /// Anchors of a literal block's content lines. The scalar's span starts at its content
    /// (or at the `|` header, then the content is on the next line).
    fn literal_lines(&self, start: usize, text: &str) -> Vec<(usize, usize)> {
        let file = &self.file.text;
        let start = start.min(file.len());
        let first = if file[start..].starts_with(['|', '>']) {
            match file[start..].find('\n') {
                Some(i) => start + i + 1,
                None => return vec![(0, start)],
            }
        } else {
            file[..start].rfind('\n').map_or(0, |i| i + 1)
        };
        let indent = file[first..]
            .lines()
            .find(|l| !l.trim().is_empty())
            .map_or(0, |l| l.len() - l.trim_start_matches(' ').len());
        let mut anchors = Vec::new();
        let (mut text_at, mut file_at) = (0, first);
        for line in text.split_inclusive('\n') {
            let file_line_end = file[file_at..]
                .find('\n')
                .map_or(file.len(), |i| file_at + i);
            let skip = indent.min(file_line_end - file_at);
            anchors.push((text_at, file_at + skip));
            text_at += line.len();
            file_at = (file_line_end + 1).min(file.len());
        }
        if anchors.is_empty() {
            anchors.push((0, first));
        }
        anchors
    }

    /// A part of the text starting at `offset`; `verbatim` when its offsets run one to one.
    pub fn inner(&self, offset: usize, verbatim: bool) -> Placement {
        let start = self.file_offset(offset);
        let mut anchors: Vec<(usize, usize)> = self
            .anchors
            .iter()
            .filter(|(t, _)| *t > offset)
            .map(|(t, f)| (t - offset, *f))
            .collect();
        anchors.insert(0, (0, start));
        Placement {
            file: self.file.clone(),
            anchors,
            fixed: self.fixed || !verbatim,
            lines: self.lines.clone(),
        }
    }

    fn file_offset(&self, offset: usize) -> usize {
        let i = self
            .anchors
            .partition_point(|(t, _)| *t <= offset)
            .saturating_sub(1);
        let (t, f) = self.anchors.get(i).copied().unwrap_or((0, 0));
        let mut at = if self.fixed {
            f
        } else {
            f + (offset - t.min(offset))
        };
        at = at.min(self.file.text.len());
        // Unescaped text (`''` → `'`) can shift offsets into a character: step back to its start.
        while !self.file.text.is_char_boundary(at) {
            at -= 1;
        }
        at
    }

    /// The file span of a text range.
    pub fn span(&self, start: usize, end: usize) -> Span {
        let (s, e) = (self.file_offset(start), self.file_offset(end));
        let line = self.lines.partition_point(|l| *l <= s).max(1);
        let line_start = self.lines.get(line - 1).copied().unwrap_or(0);
        let col = self
            .file
            .text
            .get(line_start..s)
            .map_or(0, |p| p.chars().count())
            + 1;
        Span {
            start: s,
            end: e.max(s),
            line: line as u32,
            col: col as u32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use source::yaml::{Origin, parse_single};

    #[test]
    fn literal_block_lines_map_to_file_lines() {
        let text = "data:\n  up.sql: |\n    SELECT 1;\n\n    DROP TABLE t;\n";
        let file = SourceFile::new("cm.yaml", text);
        let root = parse_single(text, Origin::default())
            .ok()
            .flatten()
            .expect("yaml");
        let node = root.path(&["data", "up.sql"]).expect("key");
        let p = Placement::scalar(file.clone(), node, Arc::new(line_starts(text).collect()));
        let sql = node.as_str().expect("text");
        let at = sql.find("DROP").expect("drop");
        let span = p.span(at, at + 4);
        assert_eq!((span.line, span.col), (5, 5));
        assert_eq!(&text[span.start..span.end], "DROP");
        let inner = p.inner(at, true);
        assert_eq!(inner.span(5, 6).line, 5);
    }
}
