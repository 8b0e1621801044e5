//! Storage across revisions: claims deleted, resized or changed where Kubernetes forbids it.

use serde_json::Value;

use super::framework::{Context, Emitter, Rule};
use crate::diff::storage_bytes;
use crate::diff::{Pair, changes, normalized, render_changes, unified};
use crate::finding::{Category, Effect, RuleMeta, Severity};
use crate::manifest::Object;

fn is_pvc(o: &Object) -> bool {
    o.id.kind == "PersistentVolumeClaim" && !o.is_hook()
}

/// PVC pairs of the diff (release resources only: Helm never reverts hooks).
fn pvc_pairs<'a>(cx: &'a Context) -> impl Iterator<Item = Pair<'a>> + 'a {
    cx.diff
        .iter()
        .flat_map(|d| d.pairs.iter().copied())
        .filter(|p| is_pvc(p.new))
}

/// StatefulSets that are deleted on removal together with their claims.
fn deletes_claims(sts: &Object) -> bool {
    sts.root.str_at(&[
        "spec",
        "persistentVolumeClaimRetentionPolicy",
        "whenDeleted",
    ]) == Some("Delete")
}

fn claim_templates(sts: &Object) -> Vec<String> {
    sts.root
        .path(&["spec", "volumeClaimTemplates"])
        .and_then(|n| n.as_seq())
        .unwrap_or(&[])
        .iter()
        .filter_map(|t| t.str_at(&["metadata", "name"]).map(str::to_string))
        .collect()
}

pub struct PvcRemoved;

static PVC_REMOVED: RuleMeta = RuleMeta {
    id: "pvc-removed",
    category: Category::Storage,
    severity: Severity::Error,
    effect: Effect::DataLoss,
    summary: "a PVC of the baseline is gone from the new revision, without `helm.sh/resource-policy: keep`",
    doc: "The previous revision has a PersistentVolumeClaim (for instance behind a chart condition \
          that is now off) that the new revision no longer renders. Helm deletes it during the \
          upgrade, and with a Delete reclaim policy its volume and data go too; rolling back \
          creates an empty claim. A StatefulSet removed with \
          `persistentVolumeClaimRetentionPolicy.whenDeleted: Delete` takes its claims with it in \
          the same way. (Dropping a claim template from a StatefulSet that stays is \
          `sts-volume-claim-templates-changed`.)",
    fix: "Keep rendering the claim, or annotate it with `helm.sh/resource-policy: keep` in the \
          baseline revision before removing it.",
};

impl Rule for PvcRemoved {
    fn meta(&self) -> &'static RuleMeta {
        &PVC_REMOVED
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        let Some(diff) = &cx.diff else { return };
        for old in &diff.removed {
            if is_pvc(old) && !old.kept() {
                out.object(
                    old,
                    old.span_at(&["metadata", "name"]),
                    format!(
                        "{} exists in the baseline but not in the new revision: the upgrade deletes the claim and its data, and a rollback cannot bring them back",
                        old.id
                    ),
                )
                .help("keep rendering the claim, or give it `helm.sh/resource-policy: keep` first");
            }
            if old.id.kind == "StatefulSet" && !old.is_hook() && deletes_claims(old) {
                for t in claim_templates(old) {
                    out.object(
                        old,
                        old.span_at(&["spec", "persistentVolumeClaimRetentionPolicy", "whenDeleted"]),
                        format!(
                            "{} is removed and its whenDeleted policy is Delete: the claims of template `{t}` are deleted with it",
                            old.id
                        ),
                    )
                    .help("set persistentVolumeClaimRetentionPolicy.whenDeleted to Retain before removing the StatefulSet");
                }
            }
        }
    }
}

/// A field of a PVC that must not change, compared after normalisation.
fn immutable_pvc_field(cx: &Context, out: &mut Emitter, pointer: &str, what: &str) {
    for p in pvc_pairs(cx) {
        let (old, new) = (normalized(p.old), normalized(p.new));
        let (a, b) = (old.pointer(pointer), new.pointer(pointer));
        if a == b {
            continue;
        }
        let key_path: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
        let show = |v: Option<&Value>| v.map_or_else(|| "(default)".to_string(), Value::to_string);
        out.object(
            p.new,
            p.new.span_at(&key_path),
            format!(
                "{} changes {what} from {} to {}: the field is immutable, so the upgrade (and a rollback to the old value) is rejected",
                p.new.id,
                show(a),
                show(b)
            ),
        )
        .help("create a claim under a new name and migrate the data, or keep the old value")
        .diff(render_changes(
            &changes(a, b)
                .into_iter()
                .map(|mut c| {
                    c.path = format!("{}{}", what, c.path);
                    c
                })
                .collect::<Vec<_>>(),
            5,
        ));
    }
}

pub struct PvcStorageClassChanged;

static PVC_STORAGE_CLASS_CHANGED: RuleMeta = RuleMeta {
    id: "pvc-storage-class-changed",
    category: Category::Storage,
    severity: Severity::Error,
    effect: Effect::UpgradeFails,
    summary: "a PVC's storageClassName changed: immutable",
    doc: "`spec.storageClassName` of a bound PersistentVolumeClaim cannot change. The upgrade is \
          rejected by the API server (\"spec is immutable after creation\"), and the release is \
          left failed.",
    fix: "Create a new claim (new name) in the new class and migrate the data; keep the old class \
          on the existing claim.",
};

impl Rule for PvcStorageClassChanged {
    fn meta(&self) -> &'static RuleMeta {
        &PVC_STORAGE_CLASS_CHANGED
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        immutable_pvc_field(cx, out, "/spec/storageClassName", "storageClassName");
    }
}

pub struct PvcAccessModesChanged;

static PVC_ACCESS_MODES_CHANGED: RuleMeta = RuleMeta {
    id: "pvc-access-modes-changed",
    category: Category::Storage,
    severity: Severity::Error,
    effect: Effect::UpgradeFails,
    summary: "a PVC's accessModes changed: immutable",
    doc: "`spec.accessModes` of an existing PersistentVolumeClaim cannot change; the API server \
          rejects the upgrade.",
    fix: "Keep the access modes, or create a new claim under a new name.",
};

impl Rule for PvcAccessModesChanged {
    fn meta(&self) -> &'static RuleMeta {
        &PVC_ACCESS_MODES_CHANGED
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        immutable_pvc_field(cx, out, "/spec/accessModes", "accessModes");
    }
}

pub struct PvcShrunk;

static PVC_SHRUNK: RuleMeta = RuleMeta {
    id: "pvc-shrunk",
    category: Category::Storage,
    severity: Severity::Error,
    effect: Effect::UpgradeFails,
    summary: "a PVC's requested storage decreased (forbidden); growth is a warning: the rollback would shrink it",
    doc: "Kubernetes can expand a claim (where the StorageClass allows it) but never shrink it. A \
          smaller `resources.requests.storage` fails the upgrade. A larger one upgrades, but the \
          rollback then asks for the old, smaller size and fails: reported as a warning with \
          effect `rollback-fails`. Sizes are compared by value (`1Gi` equals `1024Mi`).",
    fix: "Keep the size; to grow, accept that the rollback must keep the new size (edit the \
          rolled-back revision or roll forward).",
};

impl Rule for PvcShrunk {
    fn meta(&self) -> &'static RuleMeta {
        &PVC_SHRUNK
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        let size = |o: &Object| {
            o.root
                .path(&["spec", "resources", "requests", "storage"])
                .and_then(|n| {
                    n.as_str()
                        .map(|s| (s.to_string(), storage_bytes(&Value::String(s.to_string()))))
                })
        };
        for p in pvc_pairs(cx) {
            let (Some((old_text, Some(old))), Some((new_text, Some(new)))) =
                (size(p.old), size(p.new))
            else {
                continue;
            };
            let span = p.new.span_at(&["spec", "resources", "requests", "storage"]);
            if new < old {
                out.object(
                    p.new,
                    span,
                    format!("{} shrinks from {old_text} to {new_text}: Kubernetes forbids shrinking a claim, the upgrade fails", p.new.id),
                )
                .help(format!("keep the request at {old_text}"));
            } else if new > old {
                out.object(
                    p.new,
                    span,
                    format!("{} grows from {old_text} to {new_text}: a rollback would ask to shrink it back, which Kubernetes forbids", p.new.id),
                )
                .severity(Severity::Warning)
                .effect(Effect::RollbackFails)
                .help("plan to roll forward, or keep the new size in the rolled-back revision");
            }
        }
    }
}

pub struct StsVolumeClaimTemplatesChanged;

static STS_VOLUME_CLAIM_TEMPLATES_CHANGED: RuleMeta = RuleMeta {
    id: "sts-volume-claim-templates-changed",
    category: Category::Storage,
    severity: Severity::Error,
    effect: Effect::UpgradeFails,
    summary: "StatefulSet volumeClaimTemplates changed: forbidden update",
    doc: "Kubernetes rejects any change to a StatefulSet's `volumeClaimTemplates` (\"updates to \
          statefulset spec for fields other than … are forbidden\"). Compared as the API server \
          stores them: `apiVersion`/`kind` on a template, `annotations: null`, an explicit \
          `volumeMode: Filesystem` and sizes written in other units change nothing.",
    fix: "Keep the templates; to change them, delete the StatefulSet with `--cascade=orphan` \
          outside Helm and let the upgrade recreate it, then resize claims directly.",
};

impl Rule for StsVolumeClaimTemplatesChanged {
    fn meta(&self) -> &'static RuleMeta {
        &STS_VOLUME_CLAIM_TEMPLATES_CHANGED
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        let Some(diff) = &cx.diff else { return };
        for p in diff
            .pairs
            .iter()
            .filter(|p| p.new.id.kind == "StatefulSet" && !p.new.is_hook())
        {
            let (old, new) = (normalized(p.old), normalized(p.new));
            let pointer = "/spec/volumeClaimTemplates";
            let (a, b) = (old.pointer(pointer), new.pointer(pointer));
            let mut found = changes(a, b);
            if found.is_empty() {
                continue;
            }
            found
                .iter_mut()
                .for_each(|c| c.path = format!("volumeClaimTemplates{}", c.path));
            out.object(
                p.new,
                p.new.span_at(&["spec", "volumeClaimTemplates"]),
                format!(
                    "{} changes its volumeClaimTemplates ({}): Kubernetes forbids this update, the upgrade fails",
                    p.new.id,
                    found[0]
                ),
            )
            .help("keep the claim templates unchanged; recreate the StatefulSet with --cascade=orphan to change them")
            .diff(format!("{}\n{}", render_changes(&found, 5), unified(a, b, "volumeClaimTemplates")));
        }
    }
}

pub struct StorageClassChanged;

static STORAGE_CLASS_CHANGED: RuleMeta = RuleMeta {
    id: "storage-class-changed",
    category: Category::Storage,
    severity: Severity::Error,
    effect: Effect::UpgradeFails,
    summary: "a StorageClass's provisioner / parameters / reclaimPolicy / volumeBindingMode changed: immutable",
    doc: "A StorageClass cannot be updated in these fields; the upgrade fails. Deleting and \
          recreating it is the only way, and claims already provisioned keep the old settings.",
    fix: "Create a StorageClass under a new name.",
};

impl Rule for StorageClassChanged {
    fn meta(&self) -> &'static RuleMeta {
        &STORAGE_CLASS_CHANGED
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        let Some(diff) = &cx.diff else { return };
        for p in diff
            .pairs
            .iter()
            .filter(|p| p.new.id.kind == "StorageClass" && !p.new.is_hook())
        {
            let (old, new) = (normalized(p.old), normalized(p.new));
            let found: Vec<_> = [
                "provisioner",
                "parameters",
                "reclaimPolicy",
                "volumeBindingMode",
            ]
            .iter()
            .flat_map(|f| {
                changes(old.get(*f), new.get(*f))
                    .into_iter()
                    .map(move |mut c| {
                        c.path = if c.path.is_empty() {
                            f.to_string()
                        } else {
                            format!("{f}.{}", c.path)
                        };
                        c
                    })
            })
            .collect();
            if let Some(first) = found.first() {
                let field = first.path.split(['.', '[']).next().unwrap_or("");
                out.object(
                    p.new,
                    p.new.span_at(&[field]),
                    format!(
                        "{} changes {first}: StorageClass fields are immutable, the upgrade fails",
                        p.new.id
                    ),
                )
                .help("create a new StorageClass under another name")
                .diff(render_changes(&found, 5));
            }
        }
    }
}

pub struct RollbackDeletesPvc;

static ROLLBACK_DELETES_PVC: RuleMeta = RuleMeta {
    id: "rollback-deletes-pvc",
    category: Category::Storage,
    severity: Severity::Warning,
    effect: Effect::DataLoss,
    summary: "a PVC new in this revision: rolling back deletes it and what was written to it",
    doc: "A rollback re-applies the previous revision and deletes what it does not have. A \
          PersistentVolumeClaim first rendered by this revision is deleted by the rollback, with \
          the data written to it since the upgrade, unless it carries \
          `helm.sh/resource-policy: keep`. Claim templates count only when the StatefulSet itself \
          is new and deletes its claims (`persistentVolumeClaimRetentionPolicy.whenDeleted: \
          Delete`).",
    fix: "Annotate the new claim with `helm.sh/resource-policy: keep`.",
};

impl Rule for RollbackDeletesPvc {
    fn meta(&self) -> &'static RuleMeta {
        &ROLLBACK_DELETES_PVC
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        let Some(diff) = &cx.diff else { return };
        for new in &diff.added {
            if is_pvc(new) && !new.kept() {
                out.object(
                    new,
                    new.span_at(&["metadata", "name"]),
                    format!("{} is new in this revision: a rollback deletes it and the data written to it", new.id),
                )
                .help("annotate it with `helm.sh/resource-policy: keep`");
            }
            if new.id.kind == "StatefulSet" && !new.is_hook() && deletes_claims(new) {
                for t in claim_templates(new) {
                    out.object(
                        new,
                        new.span_at(&["spec", "persistentVolumeClaimRetentionPolicy", "whenDeleted"]),
                        format!("{} is new and deletes its claims when deleted: a rollback deletes the claims of template `{t}` and their data", new.id),
                    )
                    .help("set persistentVolumeClaimRetentionPolicy.whenDeleted to Retain");
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_utils::{NONE, manifest};

    fn pvc(size: &str) -> String {
        format!(
            "\
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  resources:
    requests:
      storage: {size}
"
        )
    }

    #[test]
    fn a_shrunk_pvc_fails_the_upgrade_and_a_grown_one_the_rollback() {
        assert_eq!(
            manifest(pvc("5Gi")).base(pvc("10Gi")).findings(&PvcShrunk),
            [("pvc-shrunk", Severity::Error, 8)]
        );
        assert_eq!(
            manifest(pvc("10Gi")).base(pvc("5Gi")).findings(&PvcShrunk),
            [("pvc-shrunk", Severity::Warning, 8)]
        );
        assert_eq!(
            manifest(pvc("10Gi")).base(pvc("10Gi")).findings(&PvcShrunk),
            NONE
        );
    }

    #[test]
    fn a_removed_pvc_is_reported() {
        let other = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n";
        assert_eq!(
            manifest(other)
                .base(pvc("10Gi"))
                .findings(&PvcRemoved)
                .len(),
            1
        );
        assert_eq!(
            manifest(pvc("10Gi"))
                .base(pvc("10Gi"))
                .findings(&PvcRemoved),
            NONE
        );
    }
}
