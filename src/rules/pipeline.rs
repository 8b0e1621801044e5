//! How the upgrade is called: the flags and settings of the helm invocations (CI jobs,
//! scripts, helmfile, Flux, Argo CD) that deploy the chart. Findings point into the pipeline
//! file. A setting rollguard cannot see (`$HELM_OPTS`, a templated value) is reported as unknown,
//! at info severity, never as missing.

use super::framework::{Context, Emitter, Rule};
use crate::finding::{Category, Effect, RuleMeta, Severity};
use crate::pipeline::{HelmCommand, Invocation, Setting, Tool, Wait};
use source::Span;

/// Reports a setting that may be hidden in something rollguard cannot read.
fn unknown(out: &mut Emitter, inv: &Invocation, what: &str, because: &str, span: Span) {
    out.at(
        inv.location(span),
        None,
        format!(
            "cannot tell whether {} sets {what}: {because}",
            inv.describe()
        ),
    )
    .severity(Severity::Info)
    .help(format!(
        "pass {what} explicitly where rollguard can read it"
    ));
}

pub struct MissingHistoryMax;

static MISSING_HISTORY_MAX: RuleMeta = RuleMeta {
    id: "missing-history-max",
    category: Category::Pipeline,
    severity: Severity::Warning,
    effect: Effect::HistoryBloat,
    summary: "release history is unlimited, or bounded only by the runner's environment",
    doc: "Every upgrade and rollback stores a revision (a Secret with the whole manifest) in the \
          cluster. The real hazard is no limit: `--history-max 0`, `HELM_MAX_HISTORY=0`, \
          helmfile `historyMax: 0` or Flux `maxHistory: 0` keep every revision forever (warning). \
          A `helm upgrade` or `helm rollback` without `--history-max` and without \
          `HELM_MAX_HISTORY` in its job, step or script is bounded by whatever the runner's \
          environment says, else the CLI default of 10: that is reported at info severity, \
          because the limit is then not in the pipeline. helmfile always passes its own limit \
          (default 10) and Flux defaults to 5, so without a setting they are quiet. Argo CD keeps \
          no Helm history.",
    fix: "Pass `--history-max N` with N > 0 (the CLI's default is 10), or set `historyMax` / \
          `maxHistory` to a positive number.",
};

impl Rule for MissingHistoryMax {
    fn meta(&self) -> &'static RuleMeta {
        &MISSING_HISTORY_MAX
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        for inv in &cx.chart.invocations {
            match &inv.history_max {
                Setting::Set { value: 0, span } => {
                    out.at(
                        inv.location(*span),
                        None,
                        format!(
                            "{} keeps unlimited release history (history max 0): every upgrade adds a revision Secret that is never pruned",
                            inv.describe()
                        ),
                    )
                    .help("set a positive limit, e.g. `--history-max 10`");
                }
                // `helm install` has no `--history-max`: it writes the first revision.
                Setting::Absent if takes_history_max(inv.tool) => {
                    out.at(
                        inv.location(inv.span),
                        None,
                        format!(
                            "{} has no `--history-max`: history is bounded only by HELM_MAX_HISTORY on the runner, else the CLI default of 10",
                            inv.describe()
                        ),
                    )
                    .severity(Severity::Info)
                    .help("pass `--history-max 10` (or set HELM_MAX_HISTORY in the job) so the limit is part of the pipeline");
                }
                Setting::Unknown { because, span } if takes_history_max(inv.tool) => {
                    unknown(out, inv, "`--history-max`", because, *span)
                }
                _ => {}
            }
        }
    }
}

fn takes_history_max(tool: Tool) -> bool {
    matches!(
        tool,
        Tool::Helm(HelmCommand::Upgrade | HelmCommand::Rollback)
    )
}

pub struct MissingAtomic;

static MISSING_ATOMIC: RuleMeta = RuleMeta {
    id: "missing-atomic",
    category: Category::Pipeline,
    severity: Severity::Warning,
    effect: Effect::NoAutoRollback,
    summary: "a failed upgrade is not rolled back automatically",
    doc: "`helm upgrade` without `--atomic` (Helm 4: `--rollback-on-failure`) leaves a failed \
          release in place: the broken revision keeps running until someone rolls back by \
          hand, unless the pipeline does it on failure itself (`helm upgrade … || helm \
          rollback REL`, `if ! helm upgrade …; then helm rollback REL`, or `helm rollback REL` \
          in the same file in a GitHub step or job with `if: failure()`, an Azure one with \
          `condition: failed()`, a GitLab job with `when: on_failure`, a CircleCI `run` with \
          `when: on_fail`, a Jenkins `post { \
          failure { … } }` or `catch` block; a failure step, GitHub's or CircleCI's, answers \
          only for the upgrades of its own job). The same holds for a \
          helmfile release without `atomic: true`, and for a Flux \
          HelmRelease without `upgrade.remediation` (`retries` > 0 or `remediateLastFailure`; \
          the default is no remediation, and strategy `uninstall` removes the release instead). \
          Argo CD Applications are not reported: Argo CD never runs `helm upgrade`, so there is \
          no flag to add. With automated sync, rolling back is reverting the commit (Argo CD \
          refuses `argocd app rollback` while auto-sync is on); with manual sync, whoever syncs \
          sees the result and rolls back with `argocd app rollback` (as far back as the \
          Application's `revisionHistoryLimit`, 10 by default).",
    fix: "Add `--atomic` (Helm 4: `--rollback-on-failure`), `atomic: true` in helmfile, or \
          `upgrade.remediation.retries` in the HelmRelease.",
};

impl Rule for MissingAtomic {
    fn meta(&self) -> &'static RuleMeta {
        &MISSING_ATOMIC
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        for inv in &cx.chart.invocations {
            let fix = match inv.tool {
                Tool::Helm(HelmCommand::Upgrade) => {
                    "add `--atomic` (Helm 4: `--rollback-on-failure`)"
                }
                Tool::Helmfile => "set `atomic: true` on the release or in helmDefaults",
                Tool::Flux => "set `spec.upgrade.remediation.retries` (strategy rollback)",
                // Argo CD rolls back by git revert or `argocd app rollback`: see the doc.
                _ => continue,
            };
            if rolled_back_on_failure(inv, &cx.chart.invocations) {
                continue;
            }
            match &inv.atomic {
                Setting::Set { value: true, .. } => {}
                Setting::Unknown { because, span } => {
                    unknown(out, inv, "`--atomic`", because, *span)
                }
                setting => {
                    let span = match setting {
                        Setting::Set { span, .. } => *span,
                        _ => inv.span,
                    };
                    out.at(
                        inv.location(span),
                        None,
                        format!(
                            "{} does not roll back a failed upgrade: the broken revision stays deployed",
                            inv.describe()
                        ),
                    )
                    .help(fix);
                }
            }
        }
    }
}

/// `helm upgrade … || helm rollback REL`, `if ! helm upgrade …; then helm rollback REL`, or a
/// `helm rollback REL` in the same file that runs only on failure (a GitHub `if: failure()`
/// step of the upgrade's own job or an `if: failure()` job, a GitLab `when: on_failure` job, a
/// Jenkins `post { failure {…} }`): the pipeline rolls the failed upgrade back itself, as
/// `--atomic` would.
fn rolled_back_on_failure(upgrade: &Invocation, all: &[Invocation]) -> bool {
    let text = &upgrade.file.text;
    let words = |range: std::ops::Range<usize>| -> Vec<&str> {
        text.get(range)
            .unwrap_or_default()
            .split(|c: char| c.is_whitespace() || matches!(c, ';' | '\\'))
            .filter(|w| !w.is_empty())
            .collect()
    };
    let negated = || {
        let before = words(0..upgrade.span.start);
        before.ends_with(&["if", "!"])
    };
    upgrade.tool == Tool::Helm(HelmCommand::Upgrade)
        && upgrade.release.is_some()
        && all.iter().any(|rollback| {
            rollback.tool == Tool::Helm(HelmCommand::Rollback)
                && rollback.file.name == upgrade.file.name
                && rollback.release == upgrade.release
                // A step's `if: failure()` answers for its own job only.
                && (!rollback.on_failure_of_job || rollback.job == upgrade.job)
                && (rollback.on_failure || rollback.span.start >= upgrade.extent.1)
                && (rollback.on_failure
                    || match words(upgrade.extent.1..rollback.span.start).as_slice() {
                        ["||"] | ["||", "{"] => true,
                        ["then"] => negated(),
                        _ => false,
                    })
        })
}

pub struct MissingWait;

static MISSING_WAIT: RuleMeta = RuleMeta {
    id: "missing-wait",
    category: Category::Pipeline,
    severity: Severity::Info,
    effect: Effect::NoAutoRollback,
    summary: "the upgrade does not wait for workloads to become ready",
    doc: "Without `--wait` (or `--atomic` / `--rollback-on-failure`, which imply it) the release \
          is marked deployed as soon as its resources are applied, before any pod is ready: a \
          broken release looks successful and the pipeline goes on. Helm 4's default when \
          `--wait` is omitted is `hookOnly`, which waits for hooks but not for workloads, and so \
          is an explicit `--wait=hookOnly`. A helmfile release without `wait: true` and a Flux \
          HelmRelease with `upgrade.disableWait: true` are the same; Flux waits by default.",
    fix: "Add `--wait` (Helm 4: `--wait=watcher`), or `--atomic`, which waits and rolls back.",
};

impl Rule for MissingWait {
    fn meta(&self) -> &'static RuleMeta {
        &MISSING_WAIT
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        for inv in &cx.chart.invocations {
            if !matches!(
                inv.tool,
                Tool::Helm(HelmCommand::Upgrade | HelmCommand::Install)
                    | Tool::Helmfile
                    | Tool::Flux
            ) {
                continue;
            }
            if inv.atomic.value() == Some(true) {
                continue;
            }
            let (span, what) = match &inv.wait {
                Setting::Set {
                    value: Wait::Workloads,
                    ..
                } => continue,
                Setting::Absent if inv.tool == Tool::Flux => continue,
                Setting::Unknown { because, span } => {
                    unknown(out, inv, "`--wait`", because, *span);
                    continue;
                }
                Setting::Absent => match &inv.atomic {
                    Setting::Unknown { because, span } => {
                        unknown(out, inv, "`--wait` or `--atomic`", because, *span);
                        continue;
                    }
                    _ => (
                        inv.span,
                        "does not wait for workloads (no `--wait`; Helm 4's default is `hookOnly`)",
                    ),
                },
                Setting::Set {
                    value: Wait::HookOnly,
                    span,
                } => (
                    *span,
                    "waits for hooks only (`--wait=hookOnly`), not for workloads",
                ),
                Setting::Set {
                    value: Wait::No,
                    span,
                } => (*span, "is told not to wait for workloads"),
            };
            out.at(
                inv.location(span),
                None,
                format!(
                    "{} {what}: a release whose pods never become ready is reported as deployed",
                    inv.describe()
                ),
            )
            .help("add `--wait` (Helm 4: `--wait=watcher`) or `--atomic`");
        }
    }
}

pub struct ForceUpgrade;

static FORCE_UPGRADE: RuleMeta = RuleMeta {
    id: "force-upgrade",
    category: Category::Pipeline,
    severity: Severity::Warning,
    effect: Effect::NotReverted,
    summary: "`--force` (Helm 4 `--force-replace`) replaces resources instead of patching them",
    doc: "With `--force` (Helm 4: `--force-replace`), helmfile `force: true` or Flux \
          `upgrade.force: true`, Helm replaces every resource (a PUT, like `kubectl replace`) \
          instead of its three-way merge patch: whatever was set outside the chart (by \
          controllers, admission webhooks, an autoscaler, an operator's fix) is wiped, and a \
          rollback, which replaces again from the stored manifest, cannot bring it back. \
          `helm rollback --force` does the same.",
    fix: "Drop `--force`; if it was there to push through a field the API server refuses to \
          patch, fix that change instead.",
};

impl Rule for ForceUpgrade {
    fn meta(&self) -> &'static RuleMeta {
        &FORCE_UPGRADE
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        for inv in &cx.chart.invocations {
            if let Setting::Set { value: true, span } = inv.force {
                out.at(
                    inv.location(span),
                    None,
                    format!(
                        "{} replaces resources instead of patching them: what was set outside the chart is wiped, and a rollback cannot bring it back",
                        inv.describe()
                    ),
                )
                .help("remove `--force` / `--force-replace`");
            }
        }
    }
}

pub struct MissingCleanupOnFail;

static MISSING_CLEANUP_ON_FAIL: RuleMeta = RuleMeta {
    id: "missing-cleanup-on-fail",
    category: Category::Pipeline,
    severity: Severity::Info,
    effect: Effect::NotReverted,
    summary: "`--atomic` without `--cleanup-on-fail`: what a failed upgrade created may stay",
    doc: "`--cleanup-on-fail` (helmfile `cleanupOnFail`, Flux `upgrade.cleanupOnFail`) deletes \
          the resources a failed upgrade created as soon as it fails. Without it, removing them \
          is left to the rollback that `--atomic` (or a Flux remediation) starts; when that \
          rollback fails as well (it times out too, a hook fails), they stay in the cluster, \
          and the next upgrade can collide with them.",
    fix: "Add `--cleanup-on-fail` next to `--atomic`.",
};

impl Rule for MissingCleanupOnFail {
    fn meta(&self) -> &'static RuleMeta {
        &MISSING_CLEANUP_ON_FAIL
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        for inv in &cx.chart.invocations {
            // `helm install --atomic` uninstalls everything on failure: nothing to clean up.
            if inv.tool == Tool::Helm(HelmCommand::Install) {
                continue;
            }
            let Setting::Set { value: true, span } = inv.atomic else {
                continue;
            };
            if matches!(
                inv.cleanup_on_fail,
                Setting::Absent | Setting::Set { value: false, .. }
            ) {
                out.at(
                    inv.location(span),
                    None,
                    format!(
                        "{} rolls back a failed upgrade without `--cleanup-on-fail`: if the rollback fails too, what the upgrade created stays",
                        inv.describe()
                    ),
                )
                .help("add `--cleanup-on-fail` (helmfile `cleanupOnFail: true`, Flux `upgrade.cleanupOnFail: true`)");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_utils::{NONE, manifest};

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n";

    #[test]
    fn an_upgrade_without_atomic_is_reported_at_the_helm_command() {
        let plain = "helm upgrade --install app ./charts/app --wait --history-max 10\n";
        let atomic = "helm upgrade --install app ./charts/app --atomic --history-max 10\n";
        assert_eq!(
            manifest(POD).deployed_by(plain).findings(&MissingAtomic),
            [("missing-atomic", Severity::Warning, 1)]
        );
        assert_eq!(
            manifest(POD).deployed_by(atomic).findings(&MissingAtomic),
            NONE
        );
    }

    #[test]
    fn a_script_that_rolls_back_a_failed_upgrade_itself_is_atomic() {
        let or = "helm upgrade app ./charts/app --wait \\\n  || helm rollback app --wait\n";
        let negated = "if ! helm upgrade app ./charts/app --wait; then\n  helm rollback app\nfi\n";
        let other = "helm upgrade app ./charts/app --wait || helm rollback db\n";
        let later = "helm upgrade app ./charts/app --wait\nhelm rollback app\n";
        for safe in [or, negated] {
            assert_eq!(
                manifest(POD).deployed_by(safe).findings(&MissingAtomic),
                NONE,
                "{safe}"
            );
        }
        for hazard in [other, later] {
            assert_eq!(
                manifest(POD).deployed_by(hazard).findings(&MissingAtomic),
                [("missing-atomic", Severity::Warning, 1)],
                "{hazard}"
            );
        }
    }

    #[test]
    fn an_upgrade_without_history_max_is_reported() {
        let unbounded = "helm upgrade --install app ./charts/app --atomic\n";
        let bounded = "helm upgrade --install app ./charts/app --atomic --history-max 10\n";
        assert_eq!(
            manifest(POD)
                .deployed_by(unbounded)
                .findings(&MissingHistoryMax)
                .len(),
            1
        );
        assert_eq!(
            manifest(POD)
                .deployed_by(bounded)
                .findings(&MissingHistoryMax),
            NONE
        );
    }
}
