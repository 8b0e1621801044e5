//! Fields as the API server stores them, so that spellings of the same state compare equal.

use serde_json::{Map, Value};

use crate::manifest::Object;

/// The object as JSON with server defaults applied and no-op spellings removed.
pub fn normalized(object: &Object) -> Value {
    let mut v = object.root.to_json();
    drop_nulls(&mut v);
    let api = object.id.api_version.as_str();
    match object.id.kind.as_str() {
        "Deployment" | "DaemonSet" | "ReplicaSet" | "StatefulSet" => {
            default_selector(&mut v, api);
            if object.id.kind == "StatefulSet" {
                normalize_statefulset(&mut v);
            }
        }
        "Service" if v.pointer("/spec/clusterIP").and_then(Value::as_str) == Some("") => {
            remove(&mut v, "/spec", "clusterIP");
        }
        "PersistentVolumeClaim" => normalize_claim(&mut v),
        _ => {}
    }
    v
}

/// `null` means "not set" to the API server: `annotations: null` changes nothing.
fn drop_nulls(v: &mut Value) {
    match v {
        Value::Object(map) => {
            map.retain(|_, x| !x.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// `extensions/v1beta1` and `apps/v1beta1` default an absent selector to the pod template's
/// labels; the stored object then has that selector.
fn default_selector(v: &mut Value, api: &str) {
    if !matches!(api, "extensions/v1beta1" | "apps/v1beta1")
        || v.pointer("/spec/selector").is_some()
    {
        return;
    }
    if let Some(labels) = v.pointer("/spec/template/metadata/labels").cloned()
        && let Some(spec) = v.pointer_mut("/spec").and_then(Value::as_object_mut)
    {
        let mut selector = Map::new();
        selector.insert("matchLabels".into(), labels);
        spec.insert("selector".into(), Value::Object(selector));
    }
}

fn normalize_statefulset(v: &mut Value) {
    if let Some(spec) = v.pointer_mut("/spec").and_then(Value::as_object_mut) {
        let policy = spec
            .get("podManagementPolicy")
            .and_then(Value::as_str)
            .unwrap_or("");
        if policy.is_empty() {
            spec.insert("podManagementPolicy".into(), "OrderedReady".into());
        }
    }
    if let Some(templates) = v
        .pointer_mut("/spec/volumeClaimTemplates")
        .and_then(Value::as_array_mut)
    {
        for t in templates {
            if let Some(map) = t.as_object_mut() {
                // The API server ignores these on a claim template.
                map.remove("apiVersion");
                map.remove("kind");
                map.remove("status");
            }
            normalize_claim(t);
        }
    }
}

fn normalize_claim(v: &mut Value) {
    if let Some(spec) = v.pointer_mut("/spec").and_then(Value::as_object_mut) {
        spec.entry("volumeMode")
            .or_insert_with(|| "Filesystem".into());
    }
    if let Some(storage) = v.pointer_mut("/spec/resources/requests/storage")
        && let Some(bytes) = storage_bytes(storage)
    {
        *storage = Value::String(canonical_quantity(bytes));
    }
}

/// One spelling per amount (`1024Mi` → `1Gi`), so equal sizes compare equal and diffs stay
/// readable.
fn canonical_quantity(bytes: f64) -> String {
    if bytes.fract() != 0.0 || bytes <= 0.0 {
        return bytes.to_string();
    }
    let units = [
        ("Ei", 1152921504606846976.0),
        ("Pi", 1125899906842624.0),
        ("Ti", 1099511627776.0),
        ("Gi", 1073741824.0),
        ("Mi", 1048576.0),
        ("Ki", 1024.0),
        ("E", 1e18),
        ("P", 1e15),
        ("T", 1e12),
        ("G", 1e9),
        ("M", 1e6),
        ("k", 1e3),
    ];
    units
        .iter()
        .find(|(_, f)| (bytes / f).fract() == 0.0 && bytes >= *f)
        .map_or_else(|| format!("{bytes}"), |(s, f)| format!("{}{s}", bytes / f))
}

fn remove(v: &mut Value, parent: &str, key: &str) {
    if let Some(map) = v.pointer_mut(parent).and_then(Value::as_object_mut) {
        map.remove(key);
    }
}

/// A Kubernetes quantity in bytes (`1Gi`, `1024Mi`, `500M`, `1e3`), for comparing by value.
pub fn storage_bytes(q: &Value) -> Option<f64> {
    let text = match q {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => return n.as_f64(),
        _ => return None,
    };
    const SUFFIXES: [(&str, f64); 13] = [
        ("Ki", 1024.0),
        ("Mi", 1048576.0),
        ("Gi", 1073741824.0),
        ("Ti", 1099511627776.0),
        ("Pi", 1125899906842624.0),
        ("Ei", 1152921504606846976.0),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
        ("m", 1e-3),
    ];
    for (suffix, factor) in SUFFIXES {
        if let Some(num) = text.strip_suffix(suffix) {
            return num.parse::<f64>().ok().map(|n| n * factor);
        }
    }
    text.parse::<f64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn quantities_compare_by_value() {
        assert_eq!(
            storage_bytes(&json!("1Gi")),
            storage_bytes(&json!("1024Mi"))
        );
        assert_eq!(storage_bytes(&json!("1G")), Some(1e9));
        assert_eq!(storage_bytes(&json!("1.5Ki")), Some(1536.0));
        assert!(storage_bytes(&json!("10Gi")) > storage_bytes(&json!("9Gi")));
        assert_eq!(storage_bytes(&json!("lots")), None);
        assert_eq!(canonical_quantity(1073741824.0), "1Gi");
        assert_eq!(canonical_quantity(1e9), "1G");
        assert_eq!(canonical_quantity(1536.0), "1536");
    }
}
