//! Text for the report: the changed part of a resource as a compact unified diff.

use serde_json::Value;
use similar::TextDiff;

use super::Change;

/// A YAML-like block rendering of a JSON value (keys sorted), for diffs only.
fn block(v: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match v {
        Value::Object(map) if !map.is_empty() => {
            for (k, x) in map {
                if is_scalar(x) {
                    out.push_str(&format!("{pad}{k}: {}\n", scalar(x)));
                } else {
                    out.push_str(&format!("{pad}{k}:\n"));
                    block(x, indent + 2, out);
                }
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for x in items {
                if is_scalar(x) {
                    out.push_str(&format!("{pad}- {}\n", scalar(x)));
                } else {
                    let mut inner = String::new();
                    block(x, indent + 2, &mut inner);
                    out.push_str(&format!("{pad}- {}", inner.trim_start()));
                }
            }
        }
        other => out.push_str(&format!("{pad}{}\n", scalar(other))),
    }
}

fn is_scalar(v: &Value) -> bool {
    match v {
        Value::Object(m) => m.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => true,
    }
}

fn scalar(v: &Value) -> String {
    match v {
        Value::String(s) if !s.contains('\n') && !s.is_empty() => s.clone(),
        other => other.to_string(),
    }
}

/// A unified diff (2 lines of context) of two subtrees; empty when they render the same.
pub fn unified(old: Option<&Value>, new: Option<&Value>, name: &str) -> String {
    let render = |v: Option<&Value>| {
        let mut s = String::new();
        if let Some(v) = v {
            block(v, 0, &mut s);
        }
        s
    };
    let (a, b) = (render(old), render(new));
    if a == b {
        return String::new();
    }
    TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(2)
        .header(&format!("{name} (old)"), &format!("{name} (new)"))
        .to_string()
}

/// `path: old → new` lines, at most `limit`, with a count of the rest.
pub fn render_changes(changes: &[Change], limit: usize) -> String {
    let mut out: Vec<String> = changes.iter().take(limit).map(Change::to_string).collect();
    if changes.len() > limit {
        out.push(format!("… and {} more changes", changes.len() - limit));
    }
    out.join("\n")
}
