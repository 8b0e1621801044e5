//! Hook lifecycle rules.

use super::{Category, Context, Effect, Emitter, Rule, RuleMeta, Severity};

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
