//! Pods that read ConfigMaps or Secrets the chart does not manage: a rollback cannot restore them.

use std::collections::BTreeSet;

use super::framework::{Context, Emitter, Rule};
use crate::finding::{Category, Effect, RuleMeta, Severity};
use crate::manifest::pod::pod_template;
use crate::manifest::refs::RefKind;

/// The ConfigMaps or Secrets the release manages.
struct Managed {
    /// (namespace, name)
    names: BTreeSet<(String, String)>,
    /// `<serviceaccount>-token-`: token Secrets Kubernetes (before 1.24) created for a
    /// ServiceAccount of the chart.
    token_prefixes: Vec<String>,
}

impl Managed {
    fn of(cx: &Context, kind: RefKind) -> Managed {
        let mut names = BTreeSet::new();
        let mut token_prefixes = Vec::new();
        for object in &cx.chart.objects {
            let id = &object.id;
            let name = match (kind, id.kind.as_str()) {
                (RefKind::ConfigMap, "ConfigMap")
                | (RefKind::Secret, "Secret" | "SealedSecret") => Some(id.name.as_str()),
                (RefKind::Secret, "Certificate") if id.group() == "cert-manager.io" => {
                    object.root.str_at(&["spec", "secretName"])
                }
                (RefKind::Secret, "ExternalSecret") => Some(
                    object
                        .root
                        .str_at(&["spec", "target", "name"])
                        .unwrap_or(&id.name),
                ),
                (RefKind::Secret, "ServiceAccount") => {
                    token_prefixes.push(format!("{}-token-", id.name));
                    None
                }
                _ => None,
            };
            if let Some(name) = name {
                names.insert((id.namespace.clone(), name.to_string()));
            }
        }
        Managed {
            names,
            token_prefixes,
        }
    }

    fn contains(&self, namespace: &str, name: &str) -> bool {
        self.names
            .contains(&(namespace.to_string(), name.to_string()))
            || self
                .token_prefixes
                .iter()
                .any(|p| name.starts_with(p.as_str()))
    }
}

fn check_refs(cx: &Context, out: &mut Emitter, kind: RefKind) {
    let managed = Managed::of(cx, kind);
    for object in &cx.chart.objects {
        let Some(pod) = pod_template(object) else {
            continue;
        };
        let mut seen = BTreeSet::new();
        for r in pod.config_refs() {
            if r.kind != kind
                || r.name == "kube-root-ca.crt"
                || managed.contains(&object.id.namespace, r.name)
                || cx.settings.allows_external(kind, r.name)
                || !seen.insert(r.name)
            {
                continue;
            }
            let optional = if r.optional { "optional " } else { "" };
            out.object(
                object,
                r.node.span,
                format!(
                    "{} reads {optional}{} `{}` ({}), which this chart does not manage: a rollback will not restore it",
                    object.id,
                    kind.as_str(),
                    r.name,
                    r.via
                ),
            )
            .help(format!(
                "render the {} in the chart, or list it under `allow` in .rollguard.yaml if it is managed elsewhere on purpose",
                kind.as_str()
            ));
        }
    }
}

pub struct ExternalConfigMap;

static EXTERNAL_CONFIGMAP: RuleMeta = RuleMeta {
    id: "external-configmap",
    category: Category::Configuration,
    severity: Severity::Warning,
    effect: Effect::NotReverted,
    summary: "a pod depends on a ConfigMap the chart does not manage",
    doc: "A pod reads a ConfigMap (env valueFrom, envFrom, a volume or a projected volume, in any \
          container) that no template of the chart or its subcharts renders. Helm does not \
          version it: if it changes together with this release, a rollback brings back the old \
          pods with the new configuration. `kube-root-ca.crt` is always allowed; optional \
          references still count.",
    fix: "Render the ConfigMap in the chart, or allow it in .rollguard.yaml (`allow.configMaps`).",
};

impl Rule for ExternalConfigMap {
    fn meta(&self) -> &'static RuleMeta {
        &EXTERNAL_CONFIGMAP
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        check_refs(cx, out, RefKind::ConfigMap);
    }
}

pub struct ExternalSecret;

static EXTERNAL_SECRET: RuleMeta = RuleMeta {
    id: "external-secret",
    category: Category::Configuration,
    severity: Severity::Info,
    effect: Effect::NotReverted,
    summary: "a pod depends on a Secret the chart does not manage",
    doc: "A pod reads a Secret that the chart does not render, nor name as the target of a \
          cert-manager Certificate, an ExternalSecret or a SealedSecret, nor a ServiceAccount \
          token. Helm does not version it, so a rollback will not restore it. Secrets are often \
          managed outside the chart on purpose, hence `info`.",
    fix: "Render the Secret (or its generator) in the chart, or allow it in .rollguard.yaml \
          (`allow.secrets`).",
};

impl Rule for ExternalSecret {
    fn meta(&self) -> &'static RuleMeta {
        &EXTERNAL_SECRET
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        check_refs(cx, out, RefKind::Secret);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_utils::{NONE, manifest};

    const POD: &str = "\
apiVersion: v1
kind: Pod
metadata:
  name: app
spec:
  containers:
    - name: app
      image: app:1.0
      envFrom:
        - configMapRef:
            name: shared-settings
";
    const CONFIGMAP: &str = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shared-settings\n";

    #[test]
    fn a_configmap_the_chart_does_not_ship_is_reported_where_it_is_named() {
        assert_eq!(
            manifest(POD).findings(&ExternalConfigMap),
            [("external-configmap", Severity::Warning, 11)]
        );
        let shipped = format!("{CONFIGMAP}---\n{POD}");
        assert_eq!(manifest(shipped).findings(&ExternalConfigMap), NONE);
    }
}
