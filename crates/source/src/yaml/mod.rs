//! Span-aware YAML: a small node tree built from `saphyr-parser` events, so that every key and
//! value keeps the line and column it came from. Scalars stay untyped text until a reader asks
//! for a type; YAML 1.1 resolution (what Kubernetes and Helm use) lives in [`scalar`].

mod fast;
mod relax;
pub mod scalar;
mod tree;

pub use tree::{Origin, Step, both_readings, parse_documents, parse_single, read_steps};

use crate::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    Plain,
    SingleQuoted,
    DoubleQuoted,
    Literal,
    Folded,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub text: String,
    pub style: Style,
    /// The tag as written (`!!str`, `!custom`), if any.
    pub tag: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    pub span: Span,
}

/// A YAML syntax error, positioned in the text that was parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub span: Span,
}

impl std::fmt::Display for YamlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {} column {}: {}",
            self.span.line, self.span.col, self.message
        )
    }
}

impl Node {
    pub fn scalar(&self) -> Option<&Scalar> {
        match &self.kind {
            Kind::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// Text of a scalar that is not null (`~`, `null`, empty).
    pub fn as_str(&self) -> Option<&str> {
        let s = self.scalar()?;
        if scalar::is_null(s) {
            None
        } else {
            Some(&s.text)
        }
    }

    pub fn is_null(&self) -> bool {
        self.scalar().is_some_and(scalar::is_null)
    }

    pub fn as_bool(&self) -> Option<bool> {
        match scalar::resolve(self.scalar()?) {
            scalar::Resolved::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// Integer value; also accepts a float with no fractional part, as Kubernetes' JSON decoding does.
    pub fn as_i64(&self) -> Option<i64> {
        match scalar::resolve(self.scalar()?) {
            scalar::Resolved::Int(i) => Some(i),
            scalar::Resolved::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(f as i64),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.kind {
            Kind::Seq(items) => Some(items),
            _ => None,
        }
    }

    /// The string items of a sequence (other items and non-sequences give none): the shape of
    /// the lists in rollguard's data tables.
    pub fn strings(&self) -> Vec<String> {
        self.as_seq()
            .unwrap_or(&[])
            .iter()
            .filter_map(|k| k.as_str().map(str::to_string))
            .collect()
    }

    pub fn as_map(&self) -> Option<&[(Node, Node)]> {
        match &self.kind {
            Kind::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// The key/value entry of a mapping whose key is the scalar `key`. A repeated key is read
    /// as Kubernetes' decoder and Go's YAML libraries read it: the last one wins.
    pub fn entry(&self, key: &str) -> Option<(&Node, &Node)> {
        self.as_map()?
            .iter()
            .rfind(|(k, _)| k.scalar().is_some_and(|s| s.text == key))
            .map(|(k, v)| (k, v))
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    /// Follows a path of mapping keys.
    pub fn path(&self, keys: &[&str]) -> Option<&Node> {
        keys.iter().try_fold(self, |node, key| node.get(key))
    }

    /// String value at a path of keys.
    pub fn str_at(&self, keys: &[&str]) -> Option<&str> {
        self.path(keys)?.as_str()
    }

    /// Items of the sequence at `key`, empty when absent or not a sequence.
    pub fn items(&self, key: &str) -> &[Node] {
        self.get(key).and_then(Node::as_seq).unwrap_or(&[])
    }

    /// Entries of the mapping at `key`, empty when absent or not a mapping.
    pub fn entries(&self, key: &str) -> &[(Node, Node)] {
        self.get(key).and_then(Node::as_map).unwrap_or(&[])
    }

    /// A JSON rendering with YAML 1.1 scalar resolution, for typed views and diffs.
    pub fn to_json(&self) -> serde_json::Value {
        match &self.kind {
            Kind::Scalar(s) => scalar::resolve(s).into_json(),
            Kind::Seq(items) => serde_json::Value::Array(items.iter().map(Node::to_json).collect()),
            Kind::Map(entries) => serde_json::Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (key_text(k), v.to_json()))
                    .collect(),
            ),
        }
    }
}

/// How a mapping key reads as a string (JSON object keys are strings).
fn key_text(key: &Node) -> String {
    match &key.kind {
        Kind::Scalar(s) => s.text.clone(),
        _ => key.to_json().to_string(),
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod fast_tests;
