//! Source texts and positions in them: the [`SourceFile`]s that findings and errors point into
//! (manifest streams, templates, SQL and pipeline files), the [`Span`] of a piece of text, the
//! [`InputError`] that says where an input is wrong, and span-aware YAML ([`yaml`]) whose every
//! node remembers where it was written.
//!
//! ```
//! use source::{InputError, SourceFile, yaml};
//!
//! let file = SourceFile::new("values.yaml", "replicas: 3\nimage: {tag: v1}\n");
//! let root = yaml::parse_single(&file.text, yaml::Origin::default())
//!     .map_err(|e| InputError::at(&file, e.span, e.message))?
//!     .expect("one document");
//! let (key, value) = root.path(&["image"]).and_then(|m| m.entry("tag")).expect("image.tag");
//! assert_eq!(value.as_str(), Some("v1"));
//! assert_eq!((key.span.line, key.span.col), (2, 9));
//! let err = InputError::at(&file, key.span, "tags are immutable");
//! assert_eq!(err.to_string(), "values.yaml:2:9: tags are immutable");
//! # Ok::<(), InputError>(())
//! ```

pub mod bounded;
pub mod error;
pub mod overlay;
pub mod shown;
pub mod yaml;

use std::sync::Arc;

pub use error::{InputError, Result};
pub use overlay::Overlay;

/// A position range in a source text. Offsets are bytes; line and column are 1-based, the column
/// counted in characters (what editors and SARIF show).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    pub start: usize,
    pub end: usize,
    pub line: u32,
    pub col: u32,
}

/// Byte offsets where the lines of `text` start, the first being 0.
pub fn line_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    std::iter::once(0).chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
}

#[derive(Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// The path as the user gave it (or `<stdin>`), shown in reports.
    pub name: String,
    pub text: String,
    /// For text rendered by rollguard: where each stretch of it came from, by offset
    /// (sorted). Empty when the text is its own source.
    pub provenance: Vec<Provenance>,
}

/// From `offset` on, the text was written by the template `file` at `line` (1-based) and
/// byte column `col` (1-based).
#[derive(Debug, PartialEq, Eq)]
pub struct Provenance {
    pub offset: usize,
    pub file: Arc<SourceFile>,
    pub line: u32,
    pub col: u32,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Arc<SourceFile> {
        SourceFile::rendered(name, text, Vec::new())
    }

    pub fn rendered(
        name: impl Into<String>,
        text: impl Into<String>,
        provenance: Vec<Provenance>,
    ) -> Arc<SourceFile> {
        Arc::new(SourceFile {
            name: name.into(),
            text: text.into(),
            provenance,
        })
    }

    /// The template position that wrote the text at `span`, when the text was rendered: the
    /// template file and the span of the rest of that template line.
    pub fn origin(&self, span: Span) -> Option<(Arc<SourceFile>, Span)> {
        let at = self.provenance.partition_point(|p| p.offset <= span.start);
        let p = self.provenance.get(at.checked_sub(1)?)?;
        let template = &p.file.text;
        let line_start = template
            .split_inclusive('\n')
            .take(p.line.saturating_sub(1) as usize)
            .map(str::len)
            .sum::<usize>();
        let line_end = template[line_start..]
            .find('\n')
            .map_or(template.len(), |i| line_start + i);
        let line_text = &template[line_start..line_end];
        let mut seg_start = (p.col.saturating_sub(1) as usize).min(line_text.len());
        while !line_text.is_char_boundary(seg_start) {
            seg_start -= 1;
        }
        // Literal template text continues on the same line: point at the exact column.
        let written = self.text.get(p.offset..span.start).unwrap_or("");
        let literal = !written.contains('\n') && line_text[seg_start..].starts_with(written);
        let within = seg_start + if literal { written.len() } else { 0 };
        let start = line_start + within;
        let col = line_text[..within].chars().count() as u32 + 1;
        Some((
            p.file.clone(),
            Span {
                start,
                end: line_end.max(start),
                line: p.line,
                col,
            },
        ))
    }
}

/// Snippets carry the file name, so diagnostics say which file they show.
impl miette::SourceCode for SourceFile {
    fn read_span<'a>(
        &'a self,
        span: &miette::SourceSpan,
        context_lines_before: usize,
        context_lines_after: usize,
    ) -> Result<Box<dyn miette::SpanContents<'a> + 'a>, miette::MietteError> {
        let inner = self
            .text
            .read_span(span, context_lines_before, context_lines_after)?;
        // The name is the chart's file name, and a file name can hold terminal escapes.
        Ok(Box::new(miette::MietteSpanContents::new_named(
            shown::one_line(&self.name),
            inner.data(),
            *inner.span(),
            inner.line(),
            inner.column(),
            inner.line_count(),
        )))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn line_starts_follow_each_newline() {
        let starts: Vec<usize> = super::line_starts("a\nbc\n\nd").collect();
        assert_eq!(starts, [0, 2, 5, 6]);
        assert_eq!(super::line_starts("").collect::<Vec<_>>(), [0]);
    }
}
