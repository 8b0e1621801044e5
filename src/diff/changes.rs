//! Structural differences between two JSON trees, named by path.

use serde_json::Value;

/// One changed leaf (or a subtree that exists on one side only).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// `spec.volumeClaimTemplates[0].spec.storageClassName`
    pub path: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let show = |v: &Option<Value>| {
            v.as_ref()
                .map_or_else(|| "(absent)".to_string(), Value::to_string)
        };
        write!(
            f,
            "{}: {} → {}",
            self.path,
            show(&self.old),
            show(&self.new)
        )
    }
}

/// Every difference between `old` and `new`, in path order.
pub fn changes(old: Option<&Value>, new: Option<&Value>) -> Vec<Change> {
    let mut out = Vec::new();
    walk(String::new(), old, new, &mut out);
    out
}

fn walk(path: String, old: Option<&Value>, new: Option<&Value>, out: &mut Vec<Change>) {
    match (old, new) {
        (Some(Value::Object(a)), Some(Value::Object(b))) => {
            let mut keys: Vec<&String> = a.keys().chain(b.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                walk(join(&path, k), a.get(k), b.get(k), out);
            }
        }
        (Some(Value::Array(a)), Some(Value::Array(b))) => {
            for i in 0..a.len().max(b.len()) {
                walk(format!("{path}[{i}]"), a.get(i), b.get(i), out);
            }
        }
        (a, b) if a == b => {}
        (a, b) => out.push(Change {
            path,
            old: a.cloned(),
            new: b.cloned(),
        }),
    }
}

fn join(path: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (path.is_empty(), plain) {
        (true, true) => key.to_string(),
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!("{path}[{key:?}]"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_changes_by_path() {
        let old = json!({"spec": {"volumeClaimTemplates": [{"spec": {"storageClassName": "standard"}}]}, "metadata": {"annotations": {"a/b": "1"}}});
        let new = json!({"spec": {"volumeClaimTemplates": [{"spec": {"storageClassName": "fast-ssd"}}]}, "metadata": {"annotations": {"a/b": "2"}}});
        let c = changes(Some(&old), Some(&new));
        assert_eq!(c.len(), 2);
        assert_eq!(
            c[0].to_string(),
            "metadata.annotations[\"a/b\"]: \"1\" → \"2\""
        );
        assert_eq!(
            c[1].to_string(),
            "spec.volumeClaimTemplates[0].spec.storageClassName: \"standard\" → \"fast-ssd\""
        );
        assert!(changes(Some(&old), Some(&old)).is_empty());
    }
}
