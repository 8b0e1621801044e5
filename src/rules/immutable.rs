//! `immutable-field-changed`: fields the API server refuses to update, from
//! `rules/immutable-fields.yaml`.

use std::sync::OnceLock;

use serde_json::Value;

use super::framework::{Context, Emitter, Rule};
use crate::diff::{changes, normalized, render_changes, unified};
use crate::finding::{Category, Effect, RuleMeta, Severity};
use source::SourceFile;
use source::yaml::{Node, Origin, parse_single};

#[derive(Debug)]
struct Field {
    kinds: Vec<String>,
    path: Vec<String>,
    only_when_immutable: bool,
    except_external_name: bool,
    source: String,
}

const TABLE: &str = include_str!("../../rules/immutable-fields.yaml");

/// The shipped table; a unit test proves it parses, so a parse failure cannot reach users.
fn table() -> &'static [Field] {
    static FIELDS: OnceLock<Vec<Field>> = OnceLock::new();
    FIELDS.get_or_init(|| parse_table(TABLE).unwrap_or_default())
}

fn parse_table(text: &str) -> Result<Vec<Field>, String> {
    let file = SourceFile::new("rules/immutable-fields.yaml", text);
    let root = parse_single(&file.text, Origin::default())
        .map_err(|e| e.to_string())?
        .ok_or("empty table")?;
    root.items("fields")
        .iter()
        .map(|entry| {
            let line = entry.span.line;
            let kinds = entry.get("kinds").map(Node::strings).unwrap_or_default();
            let path = entry
                .str_at(&["path"])
                .ok_or(format!("line {line}: no path"))?;
            let source = entry
                .str_at(&["source"])
                .ok_or(format!("line {line}: no source"))?;
            if kinds.is_empty() {
                return Err(format!("line {line}: no kinds"));
            }
            let when = entry.str_at(&["when"]);
            let except = entry.str_at(&["except"]);
            if when.is_some_and(|w| w != "immutable") || except.is_some_and(|e| e != "externalName")
            {
                return Err(format!("line {line}: unknown `when` or `except`"));
            }
            Ok(Field {
                kinds,
                path: path.split('.').map(str::to_string).collect(),
                only_when_immutable: when.is_some(),
                except_external_name: except.is_some(),
                source: source.to_string(),
            })
        })
        .collect()
}

fn pointer(path: &[String]) -> String {
    path.iter().map(|p| format!("/{p}")).collect()
}

pub struct ImmutableFieldChanged;

static IMMUTABLE_FIELD_CHANGED: RuleMeta = RuleMeta {
    id: "immutable-field-changed",
    category: Category::Storage,
    severity: Severity::Error,
    effect: Effect::UpgradeFails,
    summary: "an immutable field changed (workload selector, StatefulSet serviceName, Service clusterIP, Job template, …)",
    doc: "The API server refuses to update some fields of an existing object: the selector of a \
          Deployment, StatefulSet, DaemonSet or ReplicaSet; a StatefulSet's serviceName and \
          podManagementPolicy; a Service's clusterIP; a (non-hook) Job's selector and template; \
          the data of a ConfigMap or Secret marked `immutable: true`; a Secret's type; a role \
          binding's roleRef. A change fails the upgrade, and the rollback would hit the same \
          wall in the other direction. Fields are compared as the server stores them (an absent \
          selector of an extensions/v1beta1 workload is its template labels, \
          `podManagementPolicy: \"\"` is OrderedReady). The table with the Kubernetes source of \
          each entry is `rules/immutable-fields.yaml`.",
    fix: "Keep the field; or rename the resource (a new object), or delete it before the upgrade \
          (for workloads `kubectl delete --cascade=orphan` keeps the pods running).",
};

impl Rule for ImmutableFieldChanged {
    fn meta(&self) -> &'static RuleMeta {
        &IMMUTABLE_FIELD_CHANGED
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        let Some(diff) = &cx.diff else { return };
        for p in diff.pairs.iter().filter(|p| !p.new.is_hook()) {
            let fields: Vec<&Field> = table()
                .iter()
                .filter(|f| f.kinds.contains(&p.new.id.kind))
                .collect();
            if fields.is_empty() {
                continue;
            }
            let (old, new) = (normalized(p.old), normalized(p.new));
            let external =
                |v: &Value| v.pointer("/spec/type").and_then(Value::as_str) == Some("ExternalName");
            for field in fields {
                if field.only_when_immutable && old.get("immutable") != Some(&Value::Bool(true)) {
                    continue;
                }
                if field.except_external_name && (external(&old) || external(&new)) {
                    continue;
                }
                let ptr = pointer(&field.path);
                let (a, b) = (old.pointer(&ptr), new.pointer(&ptr));
                let found = changes(a, b);
                if found.is_empty() {
                    continue;
                }
                let path: Vec<&str> = field.path.iter().map(String::as_str).collect();
                let dotted = field.path.join(".");
                let moved = if p.crosses_groups() {
                    format!(
                        " (moving from {} to {})",
                        p.old.id.api_version, p.new.id.api_version
                    )
                } else {
                    String::new()
                };
                out.object(
                    p.new,
                    p.new.span_at(&path),
                    format!(
                        "{} changes {dotted}{moved}, which the API server refuses to update: the upgrade fails, and so would a rollback",
                        p.new.id
                    ),
                )
                .help(format!(
                    "keep {dotted} as it was, or delete/rename the {} (Kubernetes: {})",
                    p.new.id.kind, field.source
                ))
                .diff(format!("{}\n{}", render_changes(&found, 5), unified(a, b, &dotted)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_utils::{NONE, manifest};

    fn deployment(selector: &str) -> String {
        format!(
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {{app: {selector}}}\n"
        )
    }

    #[test]
    fn a_changed_selector_is_an_immutable_field_change() {
        let found = manifest(deployment("web-v2"))
            .base(deployment("web"))
            .findings(&ImmutableFieldChanged);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "immutable-field-changed");
        assert_eq!(
            manifest(deployment("web"))
                .base(deployment("web"))
                .findings(&ImmutableFieldChanged),
            NONE
        );
    }

    #[test]
    fn shipped_table_parses() {
        let fields = parse_table(TABLE).unwrap();
        assert!(fields.len() >= 15);
        assert!(fields.iter().all(|f| !f.source.is_empty()));
        assert!(
            parse_table("fields:\n  - kinds: [X]\n")
                .unwrap_err()
                .contains("line 2")
        );
    }
}
