//! CustomResourceDefinitions: Helm never upgrades or rolls back `crds/`, and CRD templates
//! change cluster-wide state.

use super::framework::{Context, Emitter, Rule};
use crate::diff::{changes, normalized, render_changes};
use crate::finding::{Category, Effect, RuleMeta, Severity};

pub struct CrdChanged;

static CRD_CHANGED: RuleMeta = RuleMeta {
    id: "crd-changed",
    category: Category::Apis,
    severity: Severity::Warning,
    effect: Effect::NotReverted,
    summary: "CRDs changed; Helm never upgrades or rolls back `crds/`, and CRD templates change cluster-wide state",
    doc: "A CustomResourceDefinition rendered by the chart changed, appeared or disappeared. CRDs \
          are cluster-wide: other releases' custom resources depend on them, a rollback of this \
          release re-applies the old schema under everyone's objects (a removed version or field \
          can make stored resources unreadable), and a CRD dropped from the chart is deleted with \
          every custom resource of its kind. CRDs in `crds/` are never upgraded or rolled back at \
          all.",
    fix: "Ship CRD changes separately from the application (a CRD chart or `kubectl apply`), keep \
          old versions served, and annotate CRD templates with `helm.sh/resource-policy: keep`.",
};

fn is_crd(o: &crate::manifest::Object) -> bool {
    o.id.kind == "CustomResourceDefinition" && o.id.group() == "apiextensions.k8s.io"
}

impl Rule for CrdChanged {
    fn meta(&self) -> &'static RuleMeta {
        &CRD_CHANGED
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        let Some(diff) = &cx.diff else { return };
        for p in diff.pairs.iter().filter(|p| is_crd(p.new)) {
            let (old, new) = (normalized(p.old), normalized(p.new));
            let mut found = changes(old.get("spec"), new.get("spec"));
            found
                .iter_mut()
                .for_each(|c| c.path = format!("spec.{}", c.path));
            if !found.is_empty() {
                out.object(
                    p.new,
                    p.new.span_at(&["spec"]),
                    format!("{} changes its spec: a rollback re-applies the old definition under every release's custom resources", p.new.id),
                )
                .help("ship CRD changes separately, keeping old versions served")
                .diff(render_changes(&found, 5));
            }
        }
        for new in diff.added.iter().filter(|o| is_crd(o)) {
            out.object(new, new.span_at(&["metadata", "name"]), format!("{} is new: a rollback deletes it together with every custom resource of its kind", new.id))
                .help("annotate it with `helm.sh/resource-policy: keep`, or install CRDs separately");
        }
        for old in diff.removed.iter().filter(|o| is_crd(o) && !o.kept()) {
            out.object(old, old.span_at(&["metadata", "name"]), format!("{} is no longer rendered: the upgrade deletes it and every custom resource of its kind", old.id))
                .help("keep rendering it with `helm.sh/resource-policy: keep`, or move it out of the chart first");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_utils::{NONE, manifest};

    fn crd(version: &str) -> String {
        format!(
            "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  versions:
    - name: {version}
"
        )
    }

    #[test]
    fn a_changed_crd_is_reported_and_an_unchanged_one_is_not() {
        let found = manifest(crd("v2")).base(crd("v1")).findings(&CrdChanged);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "crd-changed");
        assert_eq!(
            manifest(crd("v1")).base(crd("v1")).findings(&CrdChanged),
            NONE
        );
    }
}
