//! Values files as Helm reads them (`values.yaml`, `-f` files): sigs.k8s.io/yaml turns YAML into
//! JSON and Go's decoder into `map[string]interface{}`, so every number becomes a float64 and
//! every key a string, and each YAML document of the file is deep-merged over the previous ones.

use std::sync::Arc;

use serde_json::{Map, Number, Value};

use source::SourceFile;
use source::Span;
use source::yaml::scalar::{self, Resolved};
use source::yaml::{Kind, Node, Origin, Scalar, Step, Style, parse_documents, read_steps};
use source::{InputError, Result};

use super::Values;
use crate::chart::gofmt::format_g;

/// Reads a values file; `name` is how errors name it.
pub fn parse_values(name: &str, text: &str) -> Result<Values> {
    parse_values_file(&SourceFile::new(name, text))
}

/// Reads a values file already held as a source (kept to point at values later).
pub fn parse_values_file(file: &Arc<SourceFile>) -> Result<Values> {
    match read_direct(&file.text) {
        Some(values) => Ok(values),
        None => read_nodes(file),
    }
}

/// The values of a file read through the node tree.
fn read_nodes(file: &Arc<SourceFile>) -> Result<Values> {
    let docs = parse_documents(&file.text, Origin::default())
        .map_err(|e| InputError::at(file, e.span, format!("invalid YAML: {}", e.message)))?;
    let mut out = Values::new();
    for doc in docs {
        let span = doc.span;
        match into_value(doc, file)? {
            Value::Object(map) => merge_maps(&mut out, map),
            Value::Null => {}
            other => {
                return Err(InputError::at(
                    file,
                    span,
                    format!(
                        "a values file must be a map of keys, found {}",
                        type_name(&other)
                    ),
                ));
            }
        }
    }
    Ok(out)
}

/// The values of a text the fast block reader reads, built from its steps without the node
/// tree (which cost as much as reading the text). `None` for a text that needs the nodes: one
/// the reader declines, or holding a merge key, a key that is a collection, a number JSON cannot
/// hold or a document that is not a map; the node tree gives its values or its error.
fn read_direct(text: &str) -> Option<Values> {
    enum Open {
        Map(Values, Option<String>),
        Seq(Vec<Value>),
    }
    let mut stack: Vec<Open> = Vec::new();
    let mut out = Values::new();
    read_steps(text, |step| {
        let value = match step {
            Step::MapStart => {
                stack.push(Open::Map(Values::new(), None));
                return true;
            }
            Step::SeqStart => {
                stack.push(Open::Seq(Vec::new()));
                return true;
            }
            Step::End => match stack.pop() {
                Some(Open::Map(map, None)) => Value::Object(map),
                Some(Open::Seq(items)) => Value::Array(items),
                _ => return false,
            },
            Step::Scalar(text, style) => {
                if let Some(Open::Map(_, key @ None)) = stack.last_mut() {
                    if style == Style::Plain && text == "<<" {
                        return false;
                    }
                    *key = Some(scalar_key(owned(text, style)));
                    return true;
                }
                let Ok(value) = scalar_value(owned(text, style)) else {
                    return false;
                };
                value
            }
        };
        match stack.last_mut() {
            Some(Open::Map(map, key)) => match key.take() {
                Some(key) => {
                    map.insert(key, value);
                }
                None => return false,
            },
            Some(Open::Seq(items)) => items.push(value),
            None => match value {
                Value::Object(map) => merge_maps(&mut out, map),
                Value::Null => {}
                _ => return false,
            },
        }
        true
    })?;
    Some(out)
}

fn owned(text: std::borrow::Cow<'_, str>, style: Style) -> Scalar {
    Scalar {
        text: text.into_owned(),
        style,
        tag: None,
    }
}

/// Where the value at a path of keys (map keys, list indexes) is written in a values file; the
/// last document that has it wins, as documents merge in order.
pub fn locate(file: &SourceFile, keys: &[String]) -> Option<Span> {
    let docs = parse_documents(&file.text, Origin::default()).ok()?;
    docs.iter().rev().find_map(|doc| {
        keys.iter()
            .try_fold(doc, |node, key| match &node.kind {
                Kind::Map(entries) => entries
                    .iter()
                    .rev()
                    .find(|(k, _)| key_text(k) == *key)
                    .map(|(_, v)| v),
                Kind::Seq(items) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
                Kind::Scalar(_) => None,
            })
            .map(|node| node.span)
    })
}

/// Helm's `MergeMaps`: maps merge key by key, anything else in `over` replaces.
pub fn merge_maps(base: &mut Values, over: Values) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(Value::Object(b)), Value::Object(o)) => merge_maps(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// One YAML node as Helm's value: numbers are f64, keys strings.
pub fn to_value(node: &Node, file: &Arc<SourceFile>) -> Result<Value> {
    into_value(node.clone(), file)
}

/// [`to_value`] taking the node, so that strings move into the value instead of being copied.
pub fn into_value(node: Node, file: &Arc<SourceFile>) -> Result<Value> {
    let span = node.span;
    Ok(match node.kind {
        Kind::Scalar(s) => scalar_value(s).map_err(|f| {
            InputError::at(
                file,
                span,
                format!("unsupported value {f}: JSON has no infinity or NaN"),
            )
        })?,
        Kind::Seq(items) => Value::Array(
            items
                .into_iter()
                .map(|item| into_value(item, file))
                .collect::<Result<_>>()?,
        ),
        Kind::Map(entries) => {
            let mut map = Map::new();
            for (k, v) in entries {
                map.insert(key_into_text(k), into_value(v, file)?);
            }
            Value::Object(map)
        }
    })
}

/// A scalar as Helm's value; the error is an infinite or NaN number, which JSON cannot hold.
fn scalar_value(s: Scalar) -> std::result::Result<Value, f64> {
    let number = |f: f64| Number::from_f64(f).map(Value::Number).ok_or(f);
    Ok(match scalar::resolve_owned(s) {
        Resolved::Null => Value::Null,
        Resolved::Bool(b) => Value::Bool(b),
        Resolved::Int(i) => number(i as f64)?,
        Resolved::Float(f) => number(f)?,
        Resolved::Str(s) => Value::String(s),
    })
}

/// How sigs.k8s.io/yaml names a map key: YAML 1.1 types first (`on` is `"true"`, `1.50` is
/// `"1.5"`), then the text.
pub fn key_text(key: &Node) -> String {
    key_into_text(key.clone())
}

/// [`key_text`] taking the key, so that a string key moves instead of being copied.
fn key_into_text(key: Node) -> String {
    match key.kind {
        Kind::Scalar(s) => scalar_key(s),
        _ => key.to_json().to_string(),
    }
}

fn scalar_key(s: Scalar) -> String {
    string_of(scalar::resolve_owned(s)).unwrap_or_else(|| "null".into())
}

/// A scalar decoded into a Go string field by sigs.k8s.io/yaml: numbers and booleans are
/// formatted back (floats at float32 precision), null gives `None`.
pub fn scalar_as_string(s: &source::yaml::Scalar) -> Option<String> {
    string_of(scalar::resolve(s))
}

fn string_of(resolved: Resolved) -> Option<String> {
    match resolved {
        Resolved::Null => None,
        Resolved::Bool(b) => Some(b.to_string()),
        Resolved::Int(i) => Some(i.to_string()),
        Resolved::Float(f) => Some(format_g(f, true)),
        Resolved::Str(s) => Some(s),
    }
}

pub fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a map",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_are_floats_and_keys_strings() {
        let v = parse_values(
            "v.yaml",
            "a: 1000000\nb: 0755\non: 1\n1.50: x\n404: y\nc: [1, null]\n",
        )
        .unwrap_or_default();
        assert_eq!(
            Value::Object(v.clone()),
            json!({"a": 1e6, "b": 493.0, "true": 1.0, "1.5": "x", "404": true, "c": [1.0, null]})
        );
        assert!(v["a"].is_f64());
    }

    #[test]
    fn documents_merge() {
        let v = parse_values("v.yaml", "m: {a: 1}\nx: 1\n---\nm: {b: 2}\n").unwrap_or_default();
        assert_eq!(
            Value::Object(v),
            json!({"m": {"a": 1.0, "b": 2.0}, "x": 1.0})
        );
    }

    #[test]
    fn locate_finds_the_effective_line() {
        let file = SourceFile::new("v.yaml", "a:\n  b: [x, y]\n---\na:\n  c: 1\n");
        let keys = |k: &[&str]| k.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(locate(&file, &keys(&["a", "c"])).map(|s| s.line), Some(5));
        assert_eq!(
            locate(&file, &keys(&["a", "b", "1"])).map(|s| s.line),
            Some(2)
        );
        assert_eq!(locate(&file, &keys(&["a"])).map(|s| s.line), Some(5));
        assert_eq!(locate(&file, &keys(&["z"])), None);
    }

    fn via_nodes(text: &str) -> Option<Values> {
        read_nodes(&SourceFile::new("v.yaml", text)).ok()
    }

    #[test]
    fn the_direct_reading_gives_the_node_trees_values() {
        let texts = [
            "a: 1000000\nb: 0755\non: 1\n1.50: x\n404: y\nc: [1, null]\n~: n\n",
            "m:\n  a: 1\n  a: 2\nx: 'q'\n\"y\": \"z\"\n---\nm:\n  b: [x, {}]\n",
            "list:\n- a: 1\n  b:\n  - x\n  -\n- ''\nblock: |\n  text\n  more\nf: >-\n  a\n  b\n",
            "# only a comment\n",
            "---\nk: v\n---\nj: w\nk: u\n",
            "deep:\n  er:\n    est: {a: 1, b: [true, no, 0x1F, 1_000, .5]}\n",
        ];
        for text in texts {
            let direct = read_direct(text);
            assert!(direct.is_some(), "the fast reader takes {text:?}");
            assert_eq!(direct, via_nodes(text), "{text:?}");
        }
    }

    #[test]
    fn what_needs_the_node_tree_is_left_to_it() {
        // A merge key, an infinite number, a document that is not a map, an anchor.
        for text in [
            "base: {a: 1}\nm:\n  <<: {a: 2}\n  b: 1\n",
            "k: .inf\n",
            "k: 1e400\n",
            "- a\n",
            "a: &x 1\nb: *x\n",
        ] {
            assert_eq!(read_direct(text), None, "{text:?}");
        }
        assert_eq!(
            parse_values("v.yaml", "k: .inf\n")
                .err()
                .map(|e| e.to_string()),
            Some("v.yaml:1:4: unsupported value inf: JSON has no infinity or NaN".into())
        );
        let merged = parse_values("v.yaml", "m:\n  <<: {a: 2, b: 2}\n  b: 1\n").ok();
        assert_eq!(
            merged.map(Value::Object),
            Some(json!({"m": {"a": 2.0, "b": 1.0}}))
        );
    }

    #[test]
    fn top_level_list_is_an_error_with_line() {
        let err = parse_values("v.yaml", "# c\n- a\n")
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("v.yaml:2:1: a values file must be a map of keys, found a list")
        );
    }
}
