//! Hook lifecycle rules.

use super::framework::{Context, Emitter, Rule};
use crate::finding::{Category, Effect, RuleMeta, Severity};

pub struct HookFailedLeftBehind;

static HOOK_FAILED_LEFT_BEHIND: RuleMeta = RuleMeta {
    id: "hook-failed-left-behind",
    category: Category::Migrations,
    severity: Severity::Warning,
    effect: Effect::UpgradeFails,
    summary: "a hook's delete policy keeps a failed hook, so the next upgrade collides with it",
    doc: "A hook with a fixed `metadata.name` whose explicit `helm.sh/hook-delete-policy` lacks \
          `before-hook-creation` (for example only `hook-succeeded`) stays in the cluster when it \
          fails. The next upgrade, or the rollback's hooks, try to create it again and fail with \
          \"already exists\". Without any delete policy Helm applies `before-hook-creation`. Test \
          hooks are not run by upgrades and are left alone.",
    fix: "Add `before-hook-creation` to the delete policy, or use `generateName`.",
};

impl Rule for HookFailedLeftBehind {
    fn meta(&self) -> &'static RuleMeta {
        &HOOK_FAILED_LEFT_BEHIND
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        for object in &cx.chart.objects {
            let Some(hook) = &object.hook else { continue };
            let Some(policies) = &hook.delete_policies else {
                continue;
            };
            let fixed_name = object.root.str_at(&["metadata", "name"]).is_some();
            if hook.is_test() || !fixed_name || policies.iter().any(|p| p == "before-hook-creation")
            {
                continue;
            }
            let span = object.span_at(&["metadata", "annotations", "helm.sh/hook-delete-policy"]);
            out.object(
                object,
                span,
                format!(
                    "hook {} has delete policy `{}`: if it fails it stays, and the next upgrade cannot create it again",
                    object.id,
                    policies.join(",")
                ),
            )
            .help("add `before-hook-creation` to helm.sh/hook-delete-policy");
        }
    }
}

pub struct ResourceBecomesHook;

static RESOURCE_BECOMES_HOOK: RuleMeta = RuleMeta {
    id: "resource-becomes-hook",
    category: Category::Migrations,
    severity: Severity::Warning,
    effect: Effect::UpgradeFails,
    summary: "a release resource turned into a hook: the hook's create collides with it, or the upgrade deletes what the hook just made",
    doc: "Helm manages hooks apart from release resources. When a resource of the baseline \
          becomes a hook in the new revision, the hook's create runs into the existing object \
          (\"already exists\"), or — once the hook has replaced it — the upgrade deletes the \
          release resource that is no longer in the manifest, which is the object the hook just \
          created. A rollback does not restore it as a resource either.",
    fix: "Give the hook a new name (or `generateName`) and remove the old resource in a separate \
          release, or keep it as a release resource.",
};

impl Rule for ResourceBecomesHook {
    fn meta(&self) -> &'static RuleMeta {
        &RESOURCE_BECOMES_HOOK
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        let Some(diff) = &cx.diff else { return };
        let key = |o: &crate::manifest::Object| {
            (
                crate::diff::identity_group(o.id.group(), &o.id.kind).to_string(),
                o.id.kind.clone(),
                o.id.namespace.clone(),
                o.id.name.clone(),
            )
        };
        let was_resource: std::collections::BTreeSet<_> = diff
            .removed
            .iter()
            .filter(|o| !o.is_hook())
            .map(|o| key(o))
            .collect();
        for hook in diff.added.iter().filter(|o| o.is_hook()) {
            if was_resource.contains(&key(hook)) {
                let events = hook
                    .hook
                    .as_ref()
                    .map(|h| h.events.join(","))
                    .unwrap_or_default();
                out.object(
                    hook,
                    hook.span_at(&["metadata", "annotations", "helm.sh/hook"]),
                    format!(
                        "{} was a release resource and is now a `{events}` hook: the hook collides with the existing object, or the upgrade deletes what the hook created",
                        hook.id
                    ),
                )
                .help("rename the hook (or use generateName) and retire the old resource separately");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_utils::{NONE, manifest};

    const JOB: &str = "\
apiVersion: batch/v1
kind: Job
metadata:
  name: app-migrate
  annotations:
    helm.sh/hook: pre-upgrade
    helm.sh/hook-delete-policy: hook-succeeded
";

    #[test]
    fn a_hook_a_failure_leaves_behind_is_reported() {
        assert_eq!(
            manifest(JOB).findings(&HookFailedLeftBehind),
            [("hook-failed-left-behind", Severity::Warning, 7)]
        );
        let cleaned = JOB.replace(": hook-succeeded", ": before-hook-creation,hook-succeeded");
        assert_eq!(manifest(cleaned).findings(&HookFailedLeftBehind), NONE);
    }

    #[test]
    fn a_resource_that_becomes_a_hook_is_reported() {
        let plain = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-migrate\n";
        let hook = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-migrate\n  annotations:\n    helm.sh/hook: pre-upgrade\n";
        let found = manifest(hook).base(plain).findings(&ResourceBecomesHook);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            manifest(hook).base(hook).findings(&ResourceBecomesHook),
            NONE
        );
    }
}
