//! What `lookup` sees. `helm template` has no cluster and gets empty maps; a render that stands
//! for an upgrade sees the objects the previous revision left in the cluster, as the API server
//! returns them, so that charts which reuse an existing Secret (bitnami's
//! `common.secrets.passwords.manage`) render as they would in the real upgrade.

use std::sync::Arc;

use gotmpl::{Engine, Func, Param};
use serde_json::{Map, Value as Json};

use crate::funcs::encoding::b64_encode;

/// Objects in the cluster, as `lookup` returns them.
#[derive(Debug, Clone, Default)]
pub struct Cluster {
    objects: Vec<Json>,
}

impl Cluster {
    /// The cluster holding `objects` (manifests as applied). A Secret's `stringData` is stored
    /// by the API server base64-encoded in `data`, which is what `lookup` returns.
    pub fn new(objects: impl IntoIterator<Item = Json>) -> Cluster {
        Cluster {
            objects: objects.into_iter().map(as_stored).collect(),
        }
    }

    /// Helm's `lookup apiVersion kind namespace name`: the object, or an empty map; with no
    /// name, a `<Kind>List` of the matching objects (any namespace when none is given).
    pub fn lookup(&self, api_version: &str, kind: &str, namespace: &str, name: &str) -> Json {
        let matches = |o: &&Json| {
            o["apiVersion"] == api_version
                && o["kind"] == kind
                && (namespace.is_empty() || o["metadata"]["namespace"] == namespace)
                && (name.is_empty() || o["metadata"]["name"] == name)
        };
        if !name.is_empty() {
            return self
                .objects
                .iter()
                .find(matches)
                .cloned()
                .unwrap_or_else(|| Json::Object(Map::new()));
        }
        let items: Vec<Json> = self.objects.iter().filter(matches).cloned().collect();
        if items.is_empty() {
            return Json::Object(Map::new());
        }
        let mut list = Map::new();
        list.insert("apiVersion".into(), Json::String(api_version.into()));
        list.insert("kind".into(), Json::String(format!("{kind}List")));
        list.insert("metadata".into(), Json::Object(Map::new()));
        list.insert("items".into(), Json::Array(items));
        Json::Object(list)
    }
}

fn as_stored(mut object: Json) -> Json {
    if object["kind"] != "Secret" {
        return object;
    }
    let Some(fields) = object.as_object_mut() else {
        return object;
    };
    if let Some(Json::Object(plain)) = fields.remove("stringData") {
        let data = fields
            .entry("data")
            .or_insert_with(|| Json::Object(Map::new()));
        if let Json::Object(data) = data {
            for (key, value) in plain {
                let text = match value {
                    Json::String(s) => s,
                    other => other.to_string(),
                };
                data.insert(key, Json::String(b64_encode(text.as_bytes())));
            }
        }
    }
    object
}

/// `lookup` answered from `cluster` instead of `helm template`'s empty map.
pub(crate) fn register_lookup(e: &mut Engine, cluster: Arc<Cluster>) {
    e.register(
        "lookup",
        Func::new(&[Param::Str; 4], None, move |_, a| {
            let arg = |i: usize| a.get(i).and_then(gotmpl::Value::as_str).unwrap_or("");
            let found = cluster.lookup(arg(0), arg(1), arg(2), arg(3));
            Ok(super::go_value(&found))
        })
        .recorded(),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lookup_finds_objects_as_the_api_server_stores_them() {
        let cluster = Cluster::new([
            json!({"apiVersion": "v1", "kind": "Secret",
                   "metadata": {"name": "db", "namespace": "shop"},
                   "data": {"a": "eA=="}, "stringData": {"password": "s3cret"}}),
            json!({"apiVersion": "v1", "kind": "ConfigMap",
                   "metadata": {"name": "cfg", "namespace": "shop"}}),
        ]);
        let secret = cluster.lookup("v1", "Secret", "shop", "db");
        assert_eq!(secret["data"]["password"], "czNjcmV0");
        assert_eq!(secret["data"]["a"], "eA==");
        assert!(secret.get("stringData").is_none());
        assert_eq!(cluster.lookup("v1", "Secret", "other", "db"), json!({}));
        let list = cluster.lookup("v1", "ConfigMap", "", "");
        assert_eq!(list["kind"], "ConfigMapList");
        assert_eq!(list["items"][0]["metadata"]["name"], "cfg");
        assert_eq!(cluster.lookup("apps/v1", "Deployment", "", ""), json!({}));
    }
}
