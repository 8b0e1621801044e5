//! Hook lifecycle rules.

use super::framework::{Context, Emitter, Rule};
use crate::finding::{Category, Effect, RuleMeta, Severity};
use crate::manifest::Hook;

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
          \"already exists\". Without any delete policy Helm applies `before-hook-creation`. Only \
          hooks of install, upgrade and rollback events count: post-delete and test hooks never \
          run during an upgrade or a rollback.",
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
            if !runs_in_upgrade_cycle(hook)
                || !fixed_name
                || policies.iter().any(|p| p == "before-hook-creation")
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

/// Hooks of the events an upgrade or a rollback runs (an install's hooks run again when a
/// failed first release is reinstalled); delete and test hooks do not.
fn runs_in_upgrade_cycle(hook: &Hook) -> bool {
    [
        "pre-install",
        "post-install",
        "pre-upgrade",
        "post-upgrade",
        "pre-rollback",
        "post-rollback",
    ]
    .iter()
    .any(|e| hook.has_event(e))
}

pub struct ResourceBecomesHook;

static RESOURCE_BECOMES_HOOK: RuleMeta = RuleMeta {
    id: "resource-becomes-hook",
    category: Category::Migrations,
    severity: Severity::Warning,
    effect: Effect::UpgradeFails,
    summary: "a release resource turned into a hook: the hook's create collides with it, or the upgrade deletes what the hook just made",
    doc: "Helm manages hooks apart from release resources, and the hook's delete policy decides \
          what happens when a resource of the baseline becomes a hook that the upgrade runs. \
          Without `before-hook-creation`, creating the hook runs into the existing object: \
          \"already exists\", the upgrade fails (an error). With it, Helm deletes the existing \
          object to create the hook, and then the upgrade deletes the release resource that is \
          no longer in the manifest, which is the object the hook just created: after the \
          upgrade it is gone (a warning). Either way a rollback does not restore it as a \
          resource.",
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
        for object in diff.added.iter().filter(|o| o.is_hook()) {
            let Some(hook) = &object.hook else { continue };
            if !was_resource.contains(&key(object)) {
                continue;
            }
            let events = hook.events.join(",");
            let recreates = hook
                .delete_policies
                .as_ref()
                .is_none_or(|p| p.iter().any(|p| p == "before-hook-creation"));
            let (severity, message) = if recreates {
                (
                    Severity::Warning,
                    format!(
                        "{} was a release resource and is now a `{events}` hook with `before-hook-creation`: Helm deletes the existing object to create the hook, then the upgrade deletes the release resource no longer in the manifest, which is the object the hook just made",
                        object.id
                    ),
                )
            } else {
                (
                    Severity::Error,
                    format!(
                        "{} was a release resource and is now a `{events}` hook without `before-hook-creation`: creating the hook fails with \"already exists\", and the upgrade with it",
                        object.id
                    ),
                )
            };
            let finding = out.object(
                object,
                object.span_at(&["metadata", "annotations", "helm.sh/hook"]),
                message,
            );
            finding.severity = severity;
            finding.help(
                "rename the hook (or use generateName) and retire the old resource separately",
            );
        }
    }
}

pub struct WorkloadAsHook;

static WORKLOAD_AS_HOOK: RuleMeta = RuleMeta {
    id: "workload-as-hook",
    category: Category::Migrations,
    severity: Severity::Warning,
    effect: Effect::NotReverted,
    summary: "a Deployment, StatefulSet, DaemonSet or ReplicaSet annotated as a hook: recreated on every upgrade, not reverted by rollback, not watched by `--wait`",
    doc: "A long-running workload carries a `helm.sh/hook` annotation of an install or upgrade \
          event. Helm manages hooks apart from the release: with the default \
          `before-hook-creation` policy it deletes and recreates the workload on every upgrade \
          (downtime instead of a rolling update), `--wait` and `--atomic` never watch its \
          rollout, a rollback does not return it to the previous revision (hooks are not part of \
          the stored manifest that a rollback re-applies), and `helm uninstall` leaves it behind. \
          A hook deleted once it succeeded (`hook-succeeded`, like jupyterhub's image puller) is \
          a temporary helper and is not reported.",
    fix: "Remove the `helm.sh/hook` annotation so the workload is a release resource; keep hooks \
          for Jobs that run to completion.",
};

/// The hook events of an install, upgrade or rollback: the ones that run during a release.
fn release_event(event: &str) -> bool {
    matches!(
        event,
        "pre-install"
            | "post-install"
            | "pre-upgrade"
            | "post-upgrade"
            | "pre-rollback"
            | "post-rollback"
    )
}

impl Rule for WorkloadAsHook {
    fn meta(&self) -> &'static RuleMeta {
        &WORKLOAD_AS_HOOK
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        for object in &cx.chart.objects {
            let Some(hook) = &object.hook else { continue };
            let workload = matches!(
                object.id.kind.as_str(),
                "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet"
            );
            // Deleted once the hook phase succeeded (jupyterhub's image puller): a helper that
            // leaves nothing behind to revert.
            let transient = hook
                .delete_policies
                .as_ref()
                .is_some_and(|p| p.iter().any(|p| p == "hook-succeeded"));
            if !workload || transient || !hook.events.iter().any(|e| release_event(e)) {
                continue;
            }
            out.object(
                object,
                object.span_at(&["metadata", "annotations", "helm.sh/hook"]),
                format!(
                    "{} is a `{}` hook: Helm recreates it on every upgrade, `--wait` and `--atomic` do not watch it, and a rollback does not return it to the previous revision",
                    object.id,
                    hook.events.join(",")
                ),
            )
            .help("remove the helm.sh/hook annotation so the workload is a release resource");
        }
    }
}

pub struct JobBlocksNextUpgrade;

static JOB_BLOCKS_NEXT_UPGRADE: RuleMeta = RuleMeta {
    id: "job-blocks-next-upgrade",
    category: Category::Migrations,
    severity: Severity::Warning,
    effect: Effect::UpgradeFails,
    summary: "a plain Job with a fixed name and no `ttlSecondsAfterFinished`: the next upgrade that changes its pod template fails (immutable)",
    doc: "A Job that is a release resource (not a hook) stays in the cluster after it completed, \
          under the same name in every revision. A Job's pod template is immutable, so the next \
          upgrade that changes it — an image tag bump is enough — fails with \"field is \
          immutable\", and so does a rollback to a revision with another template. In diff mode \
          the change itself is `immutable-field-changed`; this rule warns before that day. A name \
          that changes with every revision (`{{ .Release.Revision }}` in it) is safe.",
    fix: "Make it a hook (`helm.sh/hook: pre-upgrade,pre-install` with \
          `before-hook-creation`), set `ttlSecondsAfterFinished` so the finished Job is removed, \
          or put the revision in its name.",
};

impl Rule for JobBlocksNextUpgrade {
    fn meta(&self) -> &'static RuleMeta {
        &JOB_BLOCKS_NEXT_UPGRADE
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        let revision = cx.chart.source.as_ref().map(|s| s.revision.to_string());
        for job in cx.chart.non_hook_objects() {
            if job.id.kind != "Job" || job.id.group() != "batch" {
                continue;
            }
            let Some(name) = job.root.str_at(&["metadata", "name"]) else {
                continue;
            };
            if job
                .root
                .path(&["spec", "ttlSecondsAfterFinished"])
                .is_some()
            {
                continue;
            }
            let per_revision = revision.as_deref().is_some_and(|r| {
                name.split(|c: char| !c.is_ascii_alphanumeric())
                    .any(|part| part == r)
            });
            if per_revision {
                continue;
            }
            out.object(
                job,
                job.span_at(&["metadata", "name"]),
                format!(
                    "{} is a plain Job with a fixed name and no ttlSecondsAfterFinished: it stays after it completed, and the next upgrade that changes its pod template fails because a Job's template is immutable",
                    job.id
                ),
            )
            .help("make it a pre-upgrade hook with before-hook-creation, or set ttlSecondsAfterFinished");
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

    const HOOKED_DEPLOYMENT: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: sentry-web
  annotations:
    helm.sh/hook: post-install,post-upgrade
    helm.sh/hook-weight: \"25\"
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: getsentry/sentry:24.2.0
";

    #[test]
    fn a_workload_run_as_a_hook_is_reported() {
        assert_eq!(
            manifest(HOOKED_DEPLOYMENT).findings(&WorkloadAsHook),
            [("workload-as-hook", Severity::Warning, 6)]
        );
        let plain = HOOKED_DEPLOYMENT.replace(
            "  annotations:\n    helm.sh/hook: post-install,post-upgrade\n    helm.sh/hook-weight: \"25\"\n",
            "",
        );
        assert_eq!(manifest(plain).findings(&WorkloadAsHook), NONE);
        // A test hook never runs during an upgrade.
        let test = HOOKED_DEPLOYMENT.replace("post-install,post-upgrade", "test");
        assert_eq!(manifest(test).findings(&WorkloadAsHook), NONE);
        // A helper deleted once the hook phase succeeded leaves nothing to revert.
        let transient = HOOKED_DEPLOYMENT.replace(
            "    helm.sh/hook-weight:",
            "    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded\n    helm.sh/hook-weight:",
        );
        assert_eq!(manifest(transient).findings(&WorkloadAsHook), NONE);
    }

    const INIT_JOB: &str = "\
apiVersion: batch/v1
kind: Job
metadata:
  name: superset-init-db
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: init
          image: bitnami/superset:4.1.1
          command: [superset, db, upgrade]
";

    #[test]
    fn a_plain_job_that_stays_is_reported() {
        assert_eq!(
            manifest(INIT_JOB).findings(&JobBlocksNextUpgrade),
            [("job-blocks-next-upgrade", Severity::Warning, 4)]
        );
        let ttl = INIT_JOB.replace(
            "spec:\n  template:",
            "spec:\n  ttlSecondsAfterFinished: 600\n  template:",
        );
        assert_eq!(manifest(ttl).findings(&JobBlocksNextUpgrade), NONE);
        let hook = INIT_JOB.replace(
            "  name: superset-init-db\n",
            "  name: superset-init-db\n  annotations:\n    helm.sh/hook: pre-upgrade\n",
        );
        assert_eq!(manifest(hook).findings(&JobBlocksNextUpgrade), NONE);
    }

    #[test]
    fn a_job_named_after_the_revision_is_safe() {
        let named = INIT_JOB.replace("superset-init-db", "temporal-schema-3");
        assert_eq!(
            manifest(named.clone())
                .revision(3)
                .findings(&JobBlocksNextUpgrade),
            NONE
        );
        assert_eq!(
            manifest(named)
                .revision(4)
                .findings(&JobBlocksNextUpgrade)
                .len(),
            1
        );
    }

    #[test]
    fn hooks_no_upgrade_or_rollback_runs_are_left_alone() {
        for event in ["post-delete", "test"] {
            let job = JOB.replace(": pre-upgrade", &format!(": {event}"));
            assert_eq!(
                manifest(job).findings(&HookFailedLeftBehind),
                NONE,
                "{event}"
            );
        }
    }

    #[test]
    fn the_delete_policy_decides_what_a_resource_turned_hook_does() {
        let plain = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-scripts\n";
        let hook = |policy: &str| {
            format!("{plain}  annotations:\n    helm.sh/hook: pre-install,pre-upgrade\n{policy}")
        };
        // Kept after success only: the hook's create collides with the release's object.
        let collides = hook("    helm.sh/hook-delete-policy: hook-succeeded\n");
        assert_eq!(
            manifest(&collides)
                .base(plain)
                .findings(&ResourceBecomesHook),
            [("resource-becomes-hook", Severity::Error, 6)]
        );
        // Recreated (explicitly or by default): the upgrade then deletes it.
        for policy in ["    helm.sh/hook-delete-policy: before-hook-creation\n", ""] {
            assert_eq!(
                manifest(hook(policy))
                    .base(plain)
                    .findings(&ResourceBecomesHook),
                [("resource-becomes-hook", Severity::Warning, 6)]
            );
        }
        // A hook in both revisions changes nothing.
        assert_eq!(
            manifest(&collides)
                .base(&collides)
                .findings(&ResourceBecomesHook),
            NONE
        );
    }
}
