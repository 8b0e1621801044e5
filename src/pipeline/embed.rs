//! Shell text embedded in other files (a YAML `run: |` block, a Groovy `sh '''…'''` string, a
//! Makefile recipe) and the way back from a position in that text to the file, so findings point
//! at the `helm` word in the pipeline file itself.

use std::sync::Arc;

use crate::shell::{Dialect, Env};
use source::SourceFile;
use source::Span;
use source::yaml::{Kind, Node, Origin, Style, parse_documents};

/// Maps byte offsets of an extracted text to byte offsets of its file: pieces of
/// (text offset, file offset) where the text is a verbatim copy of the file.
#[derive(Debug, Clone)]
pub struct OffsetMap {
    pieces: Vec<(usize, usize)>,
}

impl OffsetMap {
    /// The text is the file's own bytes from `base` on.
    pub fn identity(base: usize) -> Self {
        OffsetMap {
            pieces: vec![(0, base)],
        }
    }

    /// Pieces of (text offset, file offset), in increasing order.
    pub fn from_pieces(pieces: Vec<(usize, usize)>) -> Self {
        OffsetMap { pieces }
    }

    /// For a YAML scalar: each word of its value (a run of non-blank characters) is looked up,
    /// in order, in the file text the node spans. Literal blocks, folded lines and plain
    /// multi-line scalars keep their words verbatim; a word changed by escapes is not found and
    /// maps relative to the last word found.
    pub fn for_scalar(file_text: &str, node: &Node, value: &str) -> Self {
        let first = match node.scalar().map(|s| s.style) {
            Some(Style::SingleQuoted | Style::DoubleQuoted) => node.span.start + 1,
            _ => node.span.start,
        };
        let end = node.span.end.min(file_text.len()).max(first);
        let mut pieces = vec![(0, first)];
        let mut cursor = first;
        let mut offset = 0;
        for word in value.split_inclusive(char::is_whitespace) {
            let token = word.trim_end();
            if !token.is_empty()
                && let Some(i) = file_text.get(cursor..end).and_then(|t| t.find(token))
            {
                pieces.push((offset, cursor + i));
                cursor += i + token.len();
            }
            offset += word.len();
        }
        OffsetMap { pieces }
    }

    /// The map of the text from `base` on (a string inside the text).
    pub fn shifted(&self, base: usize) -> Self {
        let mut pieces = vec![(0, self.to_file(base))];
        pieces.extend(
            self.pieces
                .iter()
                .filter(|(t, _)| *t > base)
                .map(|(t, f)| (t - base, *f)),
        );
        OffsetMap { pieces }
    }

    pub fn to_file(&self, offset: usize) -> usize {
        let (text, file) = self
            .pieces
            .iter()
            .rev()
            .find(|(t, _)| *t <= offset)
            .copied()
            .unwrap_or((0, 0));
        file + (offset - text)
    }
}

/// Line and column (1-based, column in characters) of a byte range of `text`.
pub fn file_span(text: &str, start: usize, end: usize) -> Span {
    let start = floor_char_boundary(text, start.min(text.len()));
    let end = end.clamp(start, text.len());
    let before = &text[..start];
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = text[line_start..start].chars().count() as u32 + 1;
    Span {
        start,
        end,
        line,
        col,
    }
}

pub(super) fn floor_char_boundary(text: &str, mut i: usize) -> usize {
    while i > 0 && !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// A shell script found in a pipeline file, with what surrounds it.
pub struct Script<'a> {
    pub file: &'a Arc<SourceFile>,
    pub text: String,
    pub map: OffsetMap,
    pub dialect: Dialect,
    /// Variables set around the script (workflow, job, step), outermost first.
    pub env: Env,
    /// Where in the file: "job `deploy`".
    pub place: String,
}

impl<'a> Script<'a> {
    /// A whole file of shell.
    pub fn whole(file: &'a Arc<SourceFile>, dialect: Dialect) -> Self {
        Script {
            file,
            text: file.text.clone(),
            map: OffsetMap::identity(0),
            dialect,
            env: Env::new(),
            place: String::new(),
        }
    }

    /// The script in a YAML scalar node (`run: |`, `script: - helm …`).
    pub fn in_yaml(
        file: &'a Arc<SourceFile>,
        node: &Node,
        dialect: Dialect,
        env: &Env,
        place: impl Into<String>,
    ) -> Option<Self> {
        let value = node.as_str()?;
        Some(Script {
            file,
            text: value.to_string(),
            map: OffsetMap::for_scalar(&file.text, node, value),
            dialect,
            env: env.clone(),
            place: place.into(),
        })
    }

    /// File span of a range of the script text.
    pub fn span(&self, start: usize, end: usize) -> Span {
        let s = self.map.to_file(start);
        let e = self.map.to_file(end.max(start)).max(s);
        file_span(&self.file.text, s, e)
    }
}

/// Parses a pipeline file's YAML; the error is the note the report shows.
pub fn parse_yaml(file: &Arc<SourceFile>) -> Result<Vec<Node>, String> {
    parse_yaml_text(file, &file.text)
}

/// Parses `text`, a same-length rewrite of the file's text (positions are the file's).
pub fn parse_yaml_text(file: &SourceFile, text: &str) -> Result<Vec<Node>, String> {
    parse_documents(text, Origin::default()).map_err(|e| {
        format!(
            "pipeline file {}:{}:{}: not valid YAML ({}); its helm invocations were not checked",
            file.name, e.span.line, e.span.col, e.message
        )
    })
}

/// Variables of a YAML `env:`/`variables:` node, added to `env`: a mapping `NAME: value` (GitLab
/// also `NAME: {value: …}`) or a list of `{name, value}` (Azure, Tekton). Values are kept as
/// written (CI systems do not run a shell over them), except that `$OTHER` references resolve
/// when known.
pub fn add_env(env: &mut Env, node: Option<&Node>, dialect: Dialect) {
    let Some(node) = node else { return };
    let pairs: Vec<(&Node, Option<&Node>)> = match &node.kind {
        Kind::Map(entries) => entries
            .iter()
            .map(|(k, v)| match &v.kind {
                Kind::Map(_) => (k, v.get("value")),
                _ => (k, Some(v)),
            })
            .collect(),
        Kind::Seq(items) => items
            .iter()
            .filter_map(|item| Some((item.get("name")?, item.get("value"))))
            .collect(),
        Kind::Scalar(_) => Vec::new(),
    };
    for (key, value) in pairs {
        let Some(name) = key.as_str() else { continue };
        let resolved = value.and_then(Node::as_str).and_then(|text| {
            if text.contains(char::is_whitespace) {
                Some(text.to_string())
            } else {
                expand_value(text, dialect, env).ok()
            }
        });
        env.insert(name.to_string(), resolved);
    }
}

/// A one-word value (a task input, a `working-directory:`) with its variables expanded; `Err`
/// with the text as written when one is unknown or the value is not one word.
pub fn expand_value(text: &str, dialect: Dialect, env: &Env) -> Result<String, String> {
    let words: Vec<_> = crate::shell::parse(text, dialect)
        .into_iter()
        .flat_map(|c| c.words)
        .collect();
    match words.as_slice() {
        [word] => {
            let e = word.expand(env);
            e.unknown
                .is_none()
                .then_some(e.text)
                .ok_or_else(|| text.to_string())
        }
        _ => Err(text.to_string()),
    }
}

/// Every string of a script value: a scalar, or a list of scalars (nested lists flattened, as
/// GitLab does with anchors in `script:`).
pub fn script_nodes(node: &Node) -> Vec<&Node> {
    match &node.kind {
        Kind::Scalar(_) => vec![node],
        Kind::Seq(items) => items.iter().flat_map(script_nodes).collect(),
        Kind::Map(_) => Vec::new(),
    }
}
