//! Storage rules that need no baseline.

use super::framework::{Context, Emitter, Rule};
use crate::finding::{Category, Effect, RuleMeta, Severity};

pub struct PvcNoKeepPolicy;

static PVC_NO_KEEP_POLICY: RuleMeta = RuleMeta {
    id: "pvc-no-keep-policy",
    category: Category::Storage,
    severity: Severity::Info,
    effect: Effect::DataLoss,
    summary: "a chart-managed PVC without `helm.sh/resource-policy: keep`",
    doc: "Helm deletes a PersistentVolumeClaim it manages when a rollback (or an upgrade) targets a \
          revision without it, and on uninstall; with a Delete reclaim policy the data goes with \
          it. StatefulSet claim templates are not deleted by Helm and do not count.",
    fix: "Annotate the PVC with `helm.sh/resource-policy: keep`.",
};

impl Rule for PvcNoKeepPolicy {
    fn meta(&self) -> &'static RuleMeta {
        &PVC_NO_KEEP_POLICY
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        for object in cx.chart.non_hook_objects() {
            if object.id.kind == "PersistentVolumeClaim" && !object.kept() {
                out.object(
                    object,
                    object.span_at(&["metadata", "name"]),
                    format!(
                        "{} has no `helm.sh/resource-policy: keep`: a rollback to a revision without it deletes the claim",
                        object.id
                    ),
                )
                .help("annotate the claim with `helm.sh/resource-policy: keep`");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_utils::{NONE, manifest};

    #[test]
    fn a_pvc_helm_would_delete_is_reported() {
        let pvc = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n";
        let kept = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\n  annotations:\n    helm.sh/resource-policy: keep\n";
        assert_eq!(
            manifest(pvc).findings(&PvcNoKeepPolicy),
            [("pvc-no-keep-policy", Severity::Info, 4)]
        );
        assert_eq!(manifest(kept).findings(&PvcNoKeepPolicy), NONE);
    }
}
