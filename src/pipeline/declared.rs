//! Settings read from declarative files (helmfile, Flux, Argo CD): a YAML key becomes a
//! [`Setting`] pointing at that key; a templated value (`{{ … }}`) is unknown, not missing.

use super::{Setting, parse_go_duration};
use source::yaml::Node;

/// The setting under `key` of `map`, `None` when the key is absent.
fn read<T>(
    map: &Node,
    key: &str,
    parse: impl Fn(&Node) -> Option<T>,
    what: &str,
) -> Option<Setting<T>> {
    let (k, v) = map.entry(key)?;
    Some(match parse(v) {
        Some(value) => Setting::Set {
            value,
            span: k.span,
        },
        None => Setting::Unknown {
            because: match v.as_str() {
                Some(t) if is_templated(t) => {
                    format!("`{key}` is templated (`{}`)", as_written(t))
                }
                Some(t) => format!("`{key}: {t}` is not {what}"),
                None => format!("`{key}` is not {what}"),
            },
            span: k.span,
        },
    })
}

pub fn bool_at(map: &Node, key: &str) -> Option<Setting<bool>> {
    read(map, key, Node::as_bool, "a boolean")
}

pub fn int_at(map: &Node, key: &str) -> Option<Setting<i64>> {
    read(map, key, Node::as_i64, "a number")
}

/// Seconds written as a number (helmfile).
pub fn seconds_at(map: &Node, key: &str) -> Option<Setting<i64>> {
    int_at(map, key)
}

/// A Go duration (Flux `timeout: 10m`).
pub fn duration_at(map: &Node, key: &str) -> Option<Setting<i64>> {
    read(
        map,
        key,
        |v| v.as_str().and_then(parse_go_duration),
        "a duration like `10m`",
    )
}

/// A value holding a template action, as written or as neutralised by the helmfile reader.
pub fn is_templated(value: &str) -> bool {
    value.contains("((") || value.contains("{{")
}

/// A neutralised value as the file writes it.
pub fn as_written(value: &str) -> String {
    value.replace("((", "{{").replace("))", "}}")
}

/// The first setting found, in order of precedence, else absent.
pub fn first<T>(candidates: impl IntoIterator<Item = Option<Setting<T>>>) -> Setting<T> {
    candidates
        .into_iter()
        .flatten()
        .next()
        .unwrap_or(Setting::Absent)
}
