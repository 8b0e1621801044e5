//! `config-change-without-rollout`: configuration that changes under pods that do not restart.

use std::collections::BTreeSet;

use super::framework::{Context, Emitter, Rule};
use crate::diff::{changes, normalized, render_changes};
use crate::finding::{Category, Effect, RuleMeta, Severity};
use crate::manifest::pod::pod_template;
use crate::manifest::refs::RefKind;

pub struct ConfigChangeWithoutRollout;

static CONFIG_CHANGE_WITHOUT_ROLLOUT: RuleMeta = RuleMeta {
    id: "config-change-without-rollout",
    category: Category::Configuration,
    severity: Severity::Warning,
    effect: Effect::NotReverted,
    summary: "a ConfigMap/Secret changed but the pod templates that use it did not (no checksum annotation)",
    doc: "The data of a ConfigMap or Secret changed while the pod templates that read it are \
          identical in both revisions, so Kubernetes starts no rollout: running pods keep the old \
          values (env) or pick up the new ones at a random moment (volumes), `--wait` checks \
          nothing, and a rollback restores the data without restarting anything either. \
          ConfigMaps and Secrets read only by hooks are left alone.",
    fix: "Add a checksum of the configuration to the pod template annotations \
          (`checksum/config: {{ include (print $.Template.BasePath \"/configmap.yaml\") . | sha256sum }}`).",
};

impl Rule for ConfigChangeWithoutRollout {
    fn meta(&self) -> &'static RuleMeta {
        &CONFIG_CHANGE_WITHOUT_ROLLOUT
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        let Some(diff) = &cx.diff else { return };
        for p in diff.pairs.iter().filter(|p| !p.new.is_hook()) {
            let kind = match p.new.id.kind.as_str() {
                "ConfigMap" => RefKind::ConfigMap,
                "Secret" => RefKind::Secret,
                _ => continue,
            };
            let (old, new) = (normalized(p.old), normalized(p.new));
            let found: Vec<_> = ["data", "binaryData", "stringData"]
                .iter()
                .flat_map(|k| {
                    changes(old.get(*k), new.get(*k))
                        .into_iter()
                        .map(move |mut c| {
                            c.path = if c.path.is_empty() {
                                k.to_string()
                            } else {
                                format!("{k}.{}", c.path)
                            };
                            c
                        })
                })
                .collect();
            if found.is_empty() {
                continue;
            }
            let mut stale = BTreeSet::new();
            for consumer in diff.pairs.iter().filter(|c| !c.new.is_hook()) {
                let Some(pod) = pod_template(consumer.new) else {
                    continue;
                };
                let reads = pod.config_refs().iter().any(|r| {
                    r.kind == kind
                        && r.name == p.new.id.name
                        && consumer.new.id.namespace == p.new.id.namespace
                });
                let same_template = pod_template(consumer.old).is_some_and(|old_pod| {
                    old_pod.metadata.map(|m| m.to_json()) == pod.metadata.map(|m| m.to_json())
                        && old_pod.spec.to_json() == pod.spec.to_json()
                });
                if reads && same_template {
                    stale.insert(consumer.new.id.to_string());
                }
            }
            if stale.is_empty() {
                continue;
            }
            let names: Vec<String> = stale.into_iter().collect();
            out.object(
                p.new,
                p.new.span_at(&[found[0].path.split(['.', '[']).next().unwrap_or("data")]),
                format!(
                    "{} changes, but the pods of {} that read it are unchanged: no rollout happens, and a rollback does not restart them either",
                    p.new.id,
                    names.join(", ")
                ),
            )
            .help("add a checksum annotation of the configuration to the pod template")
            .diff(render_changes(&found, 5));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_utils::{NONE, manifest};

    /// A ConfigMap at `level` and a Deployment reading it, with no checksum annotation.
    fn release(level: &str) -> String {
        format!(
            "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
data:
  LOG_LEVEL: {level}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
          envFrom:
            - configMapRef:
                name: web-config
"
        )
    }

    #[test]
    fn a_config_change_that_restarts_nothing_is_reported() {
        let found = manifest(release("debug"))
            .base(release("info"))
            .findings(&ConfigChangeWithoutRollout);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "config-change-without-rollout");
        assert_eq!(
            manifest(release("info"))
                .base(release("info"))
                .findings(&ConfigChangeWithoutRollout),
            NONE
        );
    }
}
