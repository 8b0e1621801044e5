//! Reads a `helm template` / `helm get manifest` stream into [`Object`]s.

use std::sync::Arc;

use super::Object;
use super::id::{Hook, ResourceId, is_cluster_scoped, split_list};
use helm::stream::split;
use source::SourceFile;
use source::yaml::{Kind, Node, Origin, parse_documents};
use source::{InputError, Result};

/// Parses every object of a manifest stream. Objects without a namespace get `namespace`, as
/// Helm applies them to the release namespace. `List` kinds are flattened, as kubectl does.
pub fn load_stream(file: &Arc<SourceFile>, namespace: &str) -> Result<Vec<Object>> {
    let mut objects = Vec::new();
    for chunk in split(&file.text) {
        let origin = Origin {
            offset: chunk.offset,
            line: chunk.line,
        };
        let docs = parse_documents(chunk.text, origin)
            .map_err(|e| InputError::at(file, e.span, format!("invalid YAML: {}", e.message)))?;
        for doc in docs {
            collect(file, chunk.source.as_deref(), doc, namespace, &mut objects)?;
        }
    }
    Ok(objects)
}

fn collect(
    file: &Arc<SourceFile>,
    template: Option<&str>,
    doc: Node,
    namespace: &str,
    out: &mut Vec<Object>,
) -> Result<()> {
    if !matches!(doc.kind, Kind::Map(_)) {
        return Err(InputError::at(
            file,
            doc.span,
            "a manifest document must be a mapping (a Kubernetes object)",
        ));
    }
    let kind = required(file, &doc, "kind")?;
    if kind.ends_with("List") && doc.get("items").is_some() {
        let Some(items) = doc.get("items").and_then(Node::as_seq) else {
            return Err(InputError::at(
                file,
                doc.span,
                format!("`items` of a {kind} must be a list"),
            ));
        };
        for item in items.iter().cloned() {
            collect(file, template, item, namespace, out)?;
        }
        return Ok(());
    }
    let api_version = required(file, &doc, "apiVersion")?;
    let name = doc
        .str_at(&["metadata", "name"])
        .or_else(|| doc.str_at(&["metadata", "generateName"]))
        .ok_or_else(|| InputError::at(file, doc.span, format!("{kind} has no metadata.name")))?
        .to_string();
    let namespace = if is_cluster_scoped(&kind) {
        String::new()
    } else {
        doc.str_at(&["metadata", "namespace"])
            .unwrap_or(namespace)
            .to_string()
    };
    let hook = hook_of(&doc);
    if hook.as_ref().is_some_and(|h| !h.runs_in_helm3()) {
        // Helm 3 and 4 neither apply nor run it (e.g. Helm 2's `crd-install`): no rule reads it.
        return Ok(());
    }
    out.push(Object {
        id: ResourceId {
            api_version,
            kind,
            namespace,
            name,
        },
        hook,
        root: doc,
        file: file.clone(),
        template: template.map(str::to_string),
    });
    Ok(())
}

fn required(file: &Arc<SourceFile>, doc: &Node, key: &str) -> Result<String> {
    doc.get(key)
        .and_then(Node::as_str)
        .map(str::to_string)
        .ok_or_else(|| InputError::at(file, doc.span, format!("object has no `{key}`")))
}

fn hook_of(doc: &Node) -> Option<Hook> {
    let annotations = doc.path(&["metadata", "annotations"])?;
    let events = split_list(annotations.get("helm.sh/hook")?.as_str()?);
    if events.is_empty() {
        return None;
    }
    let weight = annotations
        .get("helm.sh/hook-weight")
        .and_then(|w| w.as_str())
        .and_then(|w| w.trim().parse().ok())
        .unwrap_or(0);
    let delete_policies = annotations
        .get("helm.sh/hook-delete-policy")
        .and_then(Node::as_str)
        .map(split_list);
    Some(Hook {
        events,
        weight,
        delete_policies,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Vec<Object>> {
        load_stream(&SourceFile::new("m.yaml", text), "default")
    }

    #[test]
    fn reads_objects_with_sources_and_hooks() {
        let objects = load(
            "---\n# Source: app/templates/job.yaml\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-upgrade,pre-install\n    helm.sh/hook-weight: \"-5\"\n",
        )
        .unwrap();
        assert_eq!(objects.len(), 1);
        let job = &objects[0];
        assert_eq!(job.id.to_string(), "Job default/migrate");
        assert_eq!(job.template.as_deref(), Some("app/templates/job.yaml"));
        let hook = job.hook.as_ref().unwrap();
        assert_eq!(hook.events, ["pre-upgrade", "pre-install"]);
        assert_eq!(hook.weight, -5);
        assert_eq!(hook.delete_policies, None);
        assert_eq!(job.root.span.line, 3);
    }

    #[test]
    fn hooks_helm_no_longer_runs_are_not_part_of_the_release() {
        let objects = load("apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\nmetadata:\n  name: a.b.c\n  annotations:\n    helm.sh/hook: crd-install\n---\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: j\n  annotations:\n    helm.sh/hook: crd-install,pre-upgrade\n").unwrap();
        assert_eq!(objects.len(), 1);
        assert_eq!(objects[0].id.kind, "Job");
    }

    #[test]
    fn lists_are_flattened() {
        let objects = load("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a, namespace: x}\n").unwrap();
        assert_eq!(objects[0].id.to_string(), "ConfigMap x/a");
        assert_eq!(objects[0].root.span.line, 4);
    }

    #[test]
    fn errors_name_the_line() {
        let err = load(
            "---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n---\n- just\n- a list\n",
        )
        .unwrap_err();
        assert_eq!(err.span.map(|s| s.line), Some(7));
        let err = load("apiVersion: v1\nmetadata: {name: a}\n").unwrap_err();
        assert!(err.to_string().contains("no `kind`"), "{err}");
        let err = load("a: [\n").unwrap_err();
        assert!(err.to_string().starts_with("m.yaml:"), "{err}");
    }
}
