//! Pods that read ConfigMaps or Secrets the chart does not manage: a rollback cannot restore them.

use std::collections::BTreeSet;

use super::framework::{Context, Emitter, Rule};
use crate::finding::{Category, Effect, RuleMeta, Severity};
use crate::manifest::Object;
use crate::manifest::pod::pod_template;
use crate::manifest::refs::{ConfigRef, RefKind};
use source::yaml::Node;

/// Names derived from the release: `<release>` and `<release>-…`.
#[derive(Clone, Copy)]
struct ReleaseNames<'a>(&'a str);

impl ReleaseNames<'_> {
    fn contains(self, name: &str) -> bool {
        name.strip_prefix(self.0)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('-'))
    }
}

/// The ConfigMaps or Secrets the release manages.
struct Managed<'a> {
    /// (namespace, name)
    names: BTreeSet<(String, String)>,
    /// Secrets a Role of the chart names in `resourceNames`: the chart's pods read or write
    /// them, so they belong to the release whichever pod creates them.
    rbac_names: BTreeSet<String>,
    /// A hook's Role may create Secrets: the release-named Secrets nothing renders are the
    /// ones the hook creates.
    hooks_create: bool,
    release: ReleaseNames<'a>,
    /// `<serviceaccount>-token-`: token Secrets Kubernetes (before 1.24) created for a
    /// ServiceAccount of the chart.
    token_prefixes: Vec<String>,
}

impl<'a> Managed<'a> {
    fn of(cx: &'a Context, kind: RefKind) -> Managed<'a> {
        let mut managed = Managed {
            names: BTreeSet::new(),
            rbac_names: BTreeSet::new(),
            hooks_create: false,
            release: ReleaseNames(&cx.settings.release),
            token_prefixes: Vec::new(),
        };
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
                    managed.token_prefixes.push(format!("{}-token-", id.name));
                    None
                }
                (RefKind::Secret, "Role" | "ClusterRole") => {
                    managed.read_role(object);
                    None
                }
                _ => None,
            };
            if let Some(name) = name {
                managed
                    .names
                    .insert((id.namespace.clone(), name.to_string()));
            }
            for name in created_by_pods(object, kind) {
                managed.names.insert((id.namespace.clone(), name));
            }
        }
        managed
    }

    /// What a Role's rules on `secrets` say about the Secrets the chart's pods handle.
    fn read_role(&mut self, role: &Object) {
        let has = |rule: &Node, key: &str, word: &str| {
            rule.items(key)
                .iter()
                .filter_map(Node::as_str)
                .any(|w| w == word || w == "*")
        };
        for rule in role.root.items("rules") {
            if !has(rule, "resources", "secrets") {
                continue;
            }
            self.rbac_names.extend(
                rule.items("resourceNames")
                    .iter()
                    .filter_map(Node::as_str)
                    .map(str::to_string),
            );
            self.hooks_create |= role.is_hook() && has(rule, "verbs", "create");
        }
    }

    fn contains(&self, namespace: &str, name: &str) -> bool {
        self.names
            .contains(&(namespace.to_string(), name.to_string()))
            || self.rbac_names.contains(name)
            || (self.hooks_create && self.release.contains(name))
            || self
                .token_prefixes
                .iter()
                .any(|p| name.starts_with(p.as_str()))
    }
}

/// Names the chart's own pods create when they run: `kubectl create secret|configmap … NAME`,
/// and certificate generators given `--secret-name NAME` (kube-webhook-certgen and its kind).
/// A name with a shell variable in it cannot be read and is left out.
fn created_by_pods(object: &Object, kind: RefKind) -> Vec<String> {
    let Some(pod) = pod_template(object) else {
        return Vec::new();
    };
    let mut names = Vec::new();
    for container in pod.all_containers() {
        let words: Vec<&str> = ["command", "args"]
            .iter()
            .flat_map(|key| container.node.items(key))
            .filter_map(Node::as_str)
            .flat_map(str::split_whitespace)
            .map(|w| w.trim_matches(|c| matches!(c, '"' | '\'' | ';')))
            .collect();
        for (i, word) in words.iter().enumerate() {
            let name = match (kind, *word) {
                (RefKind::Secret, "secret") | (RefKind::ConfigMap, "configmap" | "cm")
                    if i > 0 && words[i - 1] == "create" =>
                {
                    let types = ["generic", "tls", "docker-registry"];
                    words[i + 1..]
                        .iter()
                        .filter(|w| !w.starts_with('-') && !types.contains(w))
                        .copied()
                        .next()
                }
                (RefKind::Secret, w) if w.starts_with("--secret-name") => {
                    match w.strip_prefix("--secret-name=") {
                        Some(name) => Some(name),
                        None if w == "--secret-name" => words.get(i + 1).copied(),
                        None => None,
                    }
                }
                _ => None,
            };
            if let Some(name) = name.filter(|n| !n.is_empty() && !n.contains('$')) {
                names.push(name.to_string());
            }
        }
    }
    names
}

/// A reference to a ConfigMap or Secret that nothing of the chart provides, and the pod that
/// makes it.
struct Unmanaged<'a> {
    object: &'a Object,
    reference: ConfigRef<'a>,
    /// Named after the release in a chart whose objects are (`<release>-…`): a name that
    /// should have been rendered here, not an object someone else manages.
    dangling: bool,
}

fn unmanaged<'a>(cx: &'a Context, kind: RefKind) -> Vec<Unmanaged<'a>> {
    let managed = Managed::of(cx, kind);
    let release = managed.release;
    let objects = &cx.chart.objects;
    let named_after_release = objects
        .iter()
        .filter(|o| release.contains(&o.id.name))
        .count();
    let names_derive_from_release =
        named_after_release > 0 && 2 * named_after_release >= objects.len();
    let mut found = Vec::new();
    for object in objects {
        let Some(pod) = pod_template(object) else {
            continue;
        };
        let mut seen = BTreeSet::new();
        for r in pod.config_refs() {
            // An optional reference is one the pod is written to do without.
            if r.kind != kind
                || r.optional
                || r.name == "kube-root-ca.crt"
                || managed.contains(&object.id.namespace, r.name)
                || cx.settings.allows_external(kind, r.name)
                || !seen.insert(r.name)
            {
                continue;
            }
            found.push(Unmanaged {
                object,
                reference: r,
                dangling: names_derive_from_release && release.contains(r.name),
            });
        }
    }
    found
}

fn check_refs(cx: &Context, out: &mut Emitter, kind: RefKind) {
    for u in unmanaged(cx, kind).into_iter().filter(|u| !u.dangling) {
        let r = u.reference;
        out.object(
            u.object,
            r.node.span,
            format!(
                "{} reads {} `{}` ({}), which this chart does not manage: a rollback will not restore it",
                u.object.id,
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

pub struct ExternalConfigMap;

static EXTERNAL_CONFIGMAP: RuleMeta = RuleMeta {
    id: "external-configmap",
    category: Category::Configuration,
    severity: Severity::Warning,
    effect: Effect::NotReverted,
    summary: "a pod depends on a ConfigMap the chart does not manage",
    doc: "A pod reads a ConfigMap (env valueFrom, envFrom, a volume or a projected volume, in any \
          container) that no template of the chart or its subcharts renders, nor its own Jobs \
          create (`kubectl create configmap`). Helm does not version it: if it changes together \
          with this release, a rollback brings back the old pods with the new configuration. \
          `kube-root-ca.crt` is always allowed. `optional: true` references (in any of those \
          forms) are not reported: without the object Kubernetes starts the pod as the chart \
          intends, and a rollback never deletes an object the release does not manage, so an \
          optional reference is an override point its operator owns (custom styles, a \
          certificate the app generates itself when none is given), not a dependency a \
          rollback can break. A release-named reference that nothing renders is \
          `dangling-reference`.",
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
          token, nor creates with its own Jobs (`kubectl create secret`, a certificate \
          generator given `--secret-name`, a Role of the chart naming it, a hook whose Role \
          may create the release's Secrets). Helm does not version it, so a rollback will not \
          restore it. `optional: true` references are not reported: the pod starts without \
          the Secret, and a rollback never deletes one the release does not manage. Secrets are often managed outside the chart on purpose, hence `info`. A \
          release-named reference that nothing renders is `dangling-reference`.",
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

pub struct DanglingReference;

static DANGLING_REFERENCE: RuleMeta = RuleMeta {
    id: "dangling-reference",
    category: Category::Configuration,
    severity: Severity::Warning,
    effect: Effect::UpgradeFails,
    summary: "a pod references a ConfigMap/Secret named after the release that no object of the chart provides: its pods cannot start",
    doc: "In a chart whose objects are named after the release (`<release>-…`), a pod reads a \
          ConfigMap or Secret with such a name (env, envFrom, a volume) that nothing of the \
          chart renders or creates. Nobody else is meant to provide an object named after this \
          release: the reference dangles, typically because a value disabled the template that \
          renders it or a helper changed the name. The pods fail to start \
          (CreateContainerConfigError, a volume that cannot mount), so `--wait` fails the \
          upgrade. Optional references are not reported.",
    fix: "Render the object (check the values that enable its template and the name its helper \
          produces), fix the reference, or mark it `optional: true` if the pod copes without it.",
};

impl Rule for DanglingReference {
    fn meta(&self) -> &'static RuleMeta {
        &DANGLING_REFERENCE
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        for kind in [RefKind::ConfigMap, RefKind::Secret] {
            for u in unmanaged(cx, kind).into_iter().filter(|u| u.dangling) {
                let r = u.reference;
                out.object(
                    u.object,
                    r.node.span,
                    format!(
                        "{} reads {} `{}` ({}), named after release `{}`, but nothing in the chart renders or creates it: the pods cannot start",
                        u.object.id,
                        kind.as_str(),
                        r.name,
                        r.via,
                        cx.settings.release
                    ),
                )
                .help("render the object (check the values that enable its template), or fix the name the pod refers to");
            }
        }
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
    const WEBHOOK: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: release-name-ingress-nginx-controller
spec:
  template:
    spec:
      containers:
        - name: controller
          image: ingress-nginx/controller:1.11
      volumes:
        - name: webhook-cert
          secret:
            secretName: release-name-ingress-nginx-admission
";

    #[test]
    fn a_secret_the_charts_own_hook_creates_is_not_external() {
        // kube-webhook-certgen as a pre-install hook, given the Secret's name.
        let certgen = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: release-name-ingress-nginx-admission-create\n  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\nspec:\n  template:\n    spec:\n      containers:\n        - name: create\n          image: ingress-nginx/kube-webhook-certgen:v1.4\n          args: [create, --namespace=default, --secret-name=release-name-ingress-nginx-admission]\n";
        let created = format!("{WEBHOOK}---\n{certgen}");
        assert_eq!(manifest(created).findings(&ExternalSecret), NONE);
        // The same Job given another name leaves the reference unprovided (and, the chart's
        // names deriving from the release, dangling).
        let other = certgen.replace(
            "--secret-name=release-name-ingress-nginx-admission",
            "--secret-name=other-cert",
        );
        let unrelated = format!("{WEBHOOK}---\n{other}");
        assert_eq!(
            manifest(unrelated).findings(&DanglingReference),
            [("dangling-reference", Severity::Warning, 14)]
        );
        // `kubectl create secret` in a Job's script, and a Role naming the Secret.
        let kubectl = "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: init\nspec:\n  template:\n    spec:\n      containers:\n        - name: init\n          image: bitnami/kubectl:1.31\n          command: [sh, -c, \"kubectl create secret generic release-name-ingress-nginx-admission --from-literal=a=b\"]\n";
        assert_eq!(
            manifest(format!("{WEBHOOK}---\n{kubectl}")).findings(&ExternalSecret),
            NONE
        );
        let role = "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: init\nrules:\n  - apiGroups: [\"\"]\n    resources: [secrets]\n    resourceNames: [release-name-ingress-nginx-admission]\n    verbs: [get]\n";
        assert_eq!(
            manifest(format!("{WEBHOOK}---\n{role}")).findings(&ExternalSecret),
            NONE
        );
    }

    /// argo-cd's argocd-server: every way a pod names a ConfigMap or Secret, each followed by
    /// `extra` (argo-cd marks its override points `optional: true`: custom styles, TLS
    /// certificates it generates itself when they are absent).
    fn argocd_server(extra: &str) -> String {
        format!(
            "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: argocd-server
spec:
  template:
    spec:
      containers:
        - name: server
          image: quay.io/argoproj/argocd:v3.0
          env:
            - name: ARGOCD_SERVER_INSECURE
              valueFrom:
                configMapKeyRef: {{name: argocd-cmd-params-cm, key: server.insecure{extra}}}
            - name: ARGOCD_SERVER_TOKEN
              valueFrom:
                secretKeyRef: {{name: argocd-server-token, key: token{extra}}}
          envFrom:
            - configMapRef: {{name: argocd-server-env{extra}}}
            - secretRef: {{name: argocd-server-secret-env{extra}}}
      volumes:
        - name: styles
          configMap: {{name: argocd-styles-cm{extra}}}
        - name: argocd-repo-server-tls
          secret: {{secretName: argocd-repo-server-tls{extra}}}
        - name: sources
          projected:
            sources:
              - configMap: {{name: argocd-gpg-keys-cm{extra}}}
              - secret: {{name: argocd-dex-server-tls{extra}}}
"
        )
    }

    #[test]
    fn optional_references_are_not_reported_in_any_form() {
        // Required (or explicitly not optional): env valueFrom, envFrom, volume, projected.
        for required in ["", ", optional: false"] {
            assert_eq!(
                manifest(argocd_server(required)).findings(&ExternalConfigMap),
                [14, 19, 23, 29].map(|line| ("external-configmap", Severity::Warning, line))
            );
            assert_eq!(
                manifest(argocd_server(required)).findings(&ExternalSecret),
                [17, 20, 25, 30].map(|line| ("external-secret", Severity::Info, line))
            );
        }
        // `optional: true`: the pod starts without the object, and a rollback never deletes
        // an object the release does not manage.
        let optional = argocd_server(", optional: true");
        assert_eq!(manifest(&optional).findings(&ExternalConfigMap), NONE);
        assert_eq!(manifest(&optional).findings(&ExternalSecret), NONE);
        assert_eq!(manifest(&optional).findings(&DanglingReference), NONE);
    }

    #[test]
    fn a_release_named_reference_nothing_provides_dangles() {
        // The chart's names derive from the release; its Secret is not rendered.
        let service =
            "apiVersion: v1\nkind: Service\nmetadata:\n  name: release-name-ingress-nginx\n";
        let chart = format!("{WEBHOOK}---\n{service}");
        assert_eq!(
            manifest(&chart).findings(&DanglingReference),
            [("dangling-reference", Severity::Warning, 14)]
        );
        assert_eq!(manifest(&chart).findings(&ExternalSecret), NONE);
        // Optional: the pods start without it.
        let optional = chart.replace(
            "secretName: release-name-ingress-nginx-admission\n",
            "secretName: release-name-ingress-nginx-admission\n            optional: true\n",
        );
        assert_eq!(manifest(optional).findings(&DanglingReference), NONE);
        // Rendered by the chart: nothing dangles.
        let secret = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: release-name-ingress-nginx-admission\n";
        assert_eq!(
            manifest(format!("{chart}---\n{secret}")).findings(&DanglingReference),
            NONE
        );
    }
}
