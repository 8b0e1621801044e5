//! `timeout-below-startup`: does the pipeline give the release enough time to become ready?
//! Time to ready follows DESIGN "Rule definitions": per workload, the declared startup time, else
//! the readiness probe's initial delay plus one period, times the rollout waves; hook Jobs are
//! compared on their own by `activeDeadlineSeconds`.

use super::framework::{Context, Emitter, Rule};
use super::probes::{Probe, declared_startup};
use crate::finding::{Category, Effect, RuleMeta, Severity};
use crate::manifest::Object;
use crate::manifest::pod::{ContainerGroup, is_workload, pod_template};
use crate::pipeline::{HelmCommand, Invocation, Setting, Tool, Wait, format_seconds};
use source::yaml::Node;

/// Helm's `--timeout` default; helmfile's and Flux's are the same five minutes.
const DEFAULT_TIMEOUT: i64 = 300;

pub struct TimeoutBelowStartup;

static TIMEOUT_BELOW_STARTUP: RuleMeta = RuleMeta {
    id: "timeout-below-startup",
    category: Category::Probes,
    severity: Severity::Error,
    effect: Effect::FalseRollback,
    summary: "the pipeline's helm --timeout is shorter than the slowest workload needs to become ready",
    doc: "For an invocation that waits for workloads (`--wait`, `--atomic`, \
          `--rollback-on-failure`, helmfile `wait`/`atomic`, Flux by default), each workload's \
          time to ready is its declared startup time (`rollguard.dev/startup-seconds` or the \
          config), else its readinessProbe initialDelaySeconds plus one periodSeconds, times its \
          rollout waves: Deployment ⌈replicas / max(1, maxSurge)⌉ (one wave with the Recreate \
          strategy), StatefulSet with OrderedReady its replicas, Parallel StatefulSets, \
          DaemonSets, ReplicaSets and Pods one, OnDelete update strategies none (Helm does not \
          wait for them). When the slowest exceeds the invocation's \
          timeout (default 5m), Helm gives up on a release that would have become ready, and \
          `--atomic` rolls it back. Hook Jobs are waited for whether or not `--wait` is given: \
          one whose activeDeadlineSeconds exceeds the timeout can still be running when Helm \
          gives up. Without any pipeline invocation the rule is quiet.",
    fix: "Raise `--timeout` (helmfile `timeout`, Flux `spec.timeout`) above the slowest time to \
          ready, or speed up the rollout (maxSurge, podManagementPolicy: Parallel).",
};

/// The slowest thing an invocation waits for, and how its time was computed.
struct Slowest<'a> {
    object: &'a Object,
    seconds: i64,
    how: String,
}

impl Rule for TimeoutBelowStartup {
    fn meta(&self) -> &'static RuleMeta {
        &TIMEOUT_BELOW_STARTUP
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        if cx.chart.invocations.is_empty() {
            return;
        }
        let workload = slowest_workload(cx);
        for inv in &cx.chart.invocations {
            if inv.tool == Tool::ArgoCd {
                continue;
            }
            let hook = slowest_hook_job(cx, hook_events(inv.tool));
            let (timeout, span, given) = match &inv.timeout {
                Setting::Set { value, span } => (*value, *span, true),
                Setting::Absent => (DEFAULT_TIMEOUT, inv.span, false),
                Setting::Unknown { because, span } => {
                    if let Some(s) = workload
                        .iter()
                        .chain(&hook)
                        .find(|s| s.seconds > DEFAULT_TIMEOUT)
                    {
                        out.at(
                            inv.location(*span),
                            None,
                            format!(
                                "cannot tell whether {} waits long enough for {}, which needs {}: {because}",
                                inv.describe(),
                                s.object.id,
                                format_seconds(s.seconds)
                            ),
                        )
                        .severity(Severity::Info)
                        .help("pass `--timeout` explicitly where rollguard can read it");
                    }
                    continue;
                }
            };
            let timeout_text = if given {
                format!("waits {}", format_seconds(timeout))
            } else {
                format!("waits the default {}", format_seconds(timeout))
            };
            if let Some(s) = workload
                .as_ref()
                .filter(|s| s.seconds > timeout && waits(inv))
            {
                report(out, inv, span, s, &timeout_text, "to become ready");
            }
            if let Some(s) = hook.as_ref().filter(|s| s.seconds > timeout) {
                report(out, inv, span, s, &timeout_text, "to finish");
            }
        }
    }
}

fn report(
    out: &mut Emitter,
    inv: &Invocation,
    span: source::Span,
    s: &Slowest,
    timeout: &str,
    what: &str,
) {
    let finding = out.at(
        inv.location(span),
        None,
        format!(
            "{} {timeout}, but {} may need {} {what} ({}); a healthy release fails and is rolled back",
            inv.describe(),
            s.object.id,
            format_seconds(s.seconds),
            s.how
        ),
    );
    finding.resource = Some(s.object.id.clone());
    finding.help(format!(
        "raise the timeout above {} (e.g. `--timeout {}`)",
        format_seconds(s.seconds),
        format_seconds(round_up_minutes(s.seconds.saturating_add(s.seconds / 5)))
    ));
}

fn round_up_minutes(seconds: i64) -> i64 {
    seconds.saturating_add(59) / 60 * 60
}

/// Does the invocation wait for workloads (so its timeout covers their readiness)?
fn waits(inv: &Invocation) -> bool {
    inv.atomic.value() == Some(true)
        || inv.wait.value() == Some(Wait::Workloads)
        || (inv.tool == Tool::Flux && matches!(inv.wait, Setting::Absent))
}

fn slowest_workload<'a>(cx: &'a Context) -> Option<Slowest<'a>> {
    cx.chart
        .objects
        .iter()
        .filter(|o| is_workload(o))
        .filter_map(|object| {
            let pod = pod_template(object)?;
            let (per_pod, source) = match declared_startup(cx, &pod) {
                Some(s) => (s, "declared startup"),
                None => (
                    pod.containers(ContainerGroup::Regular)
                        .filter_map(|c| c.node.get("readinessProbe"))
                        .map(|p| {
                            let p = Probe::of(p);
                            p.initial_delay.saturating_add(p.period)
                        })
                        .max()?,
                    "readiness initialDelaySeconds + periodSeconds",
                ),
            };
            let waves = rollout_waves(object);
            Some(Slowest {
                object,
                seconds: per_pod.saturating_mul(waves),
                how: format!(
                    "{per_pod}s per pod, its {source}, × {waves} rollout wave{}",
                    plural(waves)
                ),
            })
        })
        .max_by_key(|s| s.seconds)
}

fn plural(n: i64) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// How many batches of pods a rollout of `object` goes through.
fn rollout_waves(object: &Object) -> i64 {
    let spec = object.root.get("spec");
    // An OnDelete StatefulSet or DaemonSet replaces no pod on upgrade, and Helm's readiness
    // check passes it at once.
    if spec.and_then(|s| s.str_at(&["updateStrategy", "type"])) == Some("OnDelete") {
        return 0;
    }
    let replicas = spec
        .and_then(|s| s.get("replicas"))
        .and_then(Node::as_i64)
        .unwrap_or(1)
        .max(0);
    match object.id.kind.as_str() {
        "Deployment" => {
            let strategy = spec.and_then(|s| s.get("strategy"));
            if strategy.and_then(|s| s.str_at(&["type"])) == Some("Recreate") {
                return 1;
            }
            let surge = strategy
                .and_then(|s| s.path(&["rollingUpdate", "maxSurge"]))
                .map_or(Surge::Percent(25), Surge::of);
            let surge = match surge {
                Surge::Count(n) => n,
                // Kubernetes rounds a percentage of surge up.
                // Saturating: the numbers come from the chart, however large.
                Surge::Percent(p) => replicas.saturating_mul(p).saturating_add(99) / 100,
            };
            let surge = surge.max(1);
            replicas.saturating_add(surge - 1) / surge
        }
        "StatefulSet" => {
            let parallel =
                spec.and_then(|s| s.str_at(&["podManagementPolicy"])) == Some("Parallel");
            if parallel { 1 } else { replicas.max(1) }
        }
        _ => 1,
    }
    .max(1)
}

enum Surge {
    Count(i64),
    Percent(i64),
}

impl Surge {
    fn of(node: &Node) -> Surge {
        if let Some(n) = node.as_i64() {
            return Surge::Count(n);
        }
        node.as_str()
            .and_then(|t| t.trim().strip_suffix('%')?.parse().ok())
            .map_or(Surge::Percent(25), Surge::Percent)
    }
}

/// The hooks an invocation runs: an upgrade (possibly installing) its upgrade and install hooks,
/// a rollback its rollback hooks; test hooks run with `helm test` only.
fn hook_events(tool: Tool) -> &'static [&'static str] {
    match tool {
        Tool::Helm(HelmCommand::Rollback) => &["pre-rollback", "post-rollback"],
        Tool::Helm(HelmCommand::Install) => &["pre-install", "post-install"],
        _ => &["pre-upgrade", "post-upgrade", "pre-install", "post-install"],
    }
}

/// Hook Jobs run for `events`, by the longest they may run.
fn slowest_hook_job<'a>(cx: &'a Context, events: &[&str]) -> Option<Slowest<'a>> {
    cx.chart
        .objects
        .iter()
        .filter(|o| {
            o.id.kind == "Job"
                && o.hook
                    .as_ref()
                    .is_some_and(|h| h.events.iter().any(|e| events.contains(&e.as_str())))
        })
        .filter_map(|object| {
            let deadline = object
                .root
                .path(&["spec", "activeDeadlineSeconds"])
                .and_then(Node::as_i64)?;
            Some(Slowest {
                object,
                seconds: deadline,
                how: format!("activeDeadlineSeconds {deadline}"),
            })
        })
        .max_by_key(|s| s.seconds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_utils::{NONE, manifest};

    const SLOW: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
spec:
  replicas: 4
  template:
    metadata:
      annotations:
        rollguard.dev/startup-seconds: \"120\"
    spec:
      containers:
        - name: api
          image: acme/api:1.0
";

    #[test]
    fn a_timeout_shorter_than_the_rollout_is_reported() {
        let short = "helm upgrade --install app ./charts/app --atomic --timeout 90s\n";
        let long = "helm upgrade --install app ./charts/app --atomic --timeout 30m\n";
        assert_eq!(
            manifest(SLOW)
                .deployed_by(short)
                .findings(&TimeoutBelowStartup)
                .len(),
            1
        );
        assert_eq!(
            manifest(SLOW)
                .deployed_by(long)
                .findings(&TimeoutBelowStartup),
            NONE
        );
    }
}
