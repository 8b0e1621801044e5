//! Probes and declared startup time: will `--wait` and the kubelet judge a new pod fairly?

use super::framework::{Context, Emitter, Rule};
use crate::finding::{Category, Effect, RuleMeta, Severity};
use crate::manifest::Object;
use crate::manifest::pod::{Container, ContainerGroup, PodTemplate, is_workload, pod_template};
use source::yaml::Node;

/// A probe's timing with Kubernetes' defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Probe {
    pub initial_delay: i64,
    pub period: i64,
    pub failure_threshold: i64,
}

impl Probe {
    pub fn of(node: &Node) -> Probe {
        let int = |key: &str, default: i64| node.get(key).and_then(Node::as_i64).unwrap_or(default);
        Probe {
            initial_delay: int("initialDelaySeconds", 0),
            period: int("periodSeconds", 10),
            failure_threshold: int("failureThreshold", 3),
        }
    }

    /// Seconds after start at which the probe has failed often enough to act.
    pub fn budget(&self) -> i64 {
        self.initial_delay + self.period * self.failure_threshold
    }
}

/// The startup time the author declared for a workload: the pod template annotation
/// `rollguard.dev/startup-seconds` (or the object's), else the config file.
pub fn declared_startup(cx: &Context, pod: &PodTemplate) -> Option<i64> {
    pod.annotation(STARTUP_ANNOTATION)
        .or_else(|| pod.object.annotation(STARTUP_ANNOTATION))
        .and_then(|s| s.trim().parse().ok())
        .or_else(|| cx.settings.startup_seconds(&pod.object.id.name))
}

pub const STARTUP_ANNOTATION: &str = "rollguard.dev/startup-seconds";

/// Regular containers of non-hook workloads, with their pod template.
fn workload_containers<'a>(
    cx: &'a Context,
) -> impl Iterator<Item = (&'a Object, PodTemplate<'a>, Container<'a>)> + 'a {
    cx.chart
        .objects
        .iter()
        .filter(|o| is_workload(o))
        .filter_map(|o| pod_template(o).map(|p| (o, p)))
        .flat_map(|(o, p)| {
            p.containers(ContainerGroup::Regular)
                .map(move |c| (o, p, c))
        })
}

pub struct MissingReadinessProbe;

static MISSING_READINESS_PROBE: RuleMeta = RuleMeta {
    id: "missing-readiness-probe",
    category: Category::Probes,
    severity: Severity::Warning,
    effect: Effect::NoAutoRollback,
    summary: "a workload container has no readinessProbe",
    doc: "A container without a readinessProbe is Ready as soon as it starts. `helm upgrade --wait` \
          and `--atomic` then report a broken release as healthy, so it is never rolled back \
          automatically. Applies to the containers of Deployments, StatefulSets, DaemonSets, \
          ReplicaSets and Pods that are not hooks.",
    fix: "Add a readinessProbe that fails until the application can serve.",
};

impl Rule for MissingReadinessProbe {
    fn meta(&self) -> &'static RuleMeta {
        &MISSING_READINESS_PROBE
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        for (object, _, container) in workload_containers(cx) {
            if container.node.get("readinessProbe").is_none() {
                let span = container
                    .node
                    .entry("name")
                    .map_or(container.node.span, |(k, _)| k.span);
                out.object(
                    object,
                    span,
                    format!(
                        "container `{}` of {} has no readinessProbe: `--wait` cannot tell a broken release",
                        container.name(),
                        object.id
                    ),
                )
                .help("add a readinessProbe that fails until the application can serve traffic");
            }
        }
    }
}

pub struct ReadinessDelayBelowStartup;

static READINESS_DELAY_BELOW_STARTUP: RuleMeta = RuleMeta {
    id: "readiness-delay-below-startup",
    category: Category::Probes,
    severity: Severity::Warning,
    effect: Effect::FalseRollback,
    summary: "readinessProbe starts before the declared startup time",
    doc: "With a declared startup time S (annotation `rollguard.dev/startup-seconds` or the config \
          file), a readinessProbe whose initialDelaySeconds is below S probes an application that \
          cannot answer yet, and no startupProbe covers S. The pod flaps unready, a rollout with \
          `--wait` can time out, and `--atomic` rolls back a healthy release.",
    fix: "Add a startupProbe whose budget (initialDelaySeconds + periodSeconds × failureThreshold) \
          covers the startup time, or raise the readiness initialDelaySeconds.",
};

impl Rule for ReadinessDelayBelowStartup {
    fn meta(&self) -> &'static RuleMeta {
        &READINESS_DELAY_BELOW_STARTUP
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        for (object, pod, container) in workload_containers(cx) {
            let Some(startup) = declared_startup(cx, &pod) else {
                continue;
            };
            let Some(readiness) = container.node.get("readinessProbe") else {
                continue;
            };
            let delay = Probe::of(readiness).initial_delay;
            let covered = container
                .node
                .get("startupProbe")
                .is_some_and(|p| Probe::of(p).budget() >= startup);
            if delay < startup && !covered {
                let span = readiness
                    .entry("initialDelaySeconds")
                    .map_or(readiness.span, |(k, _)| k.span);
                out.object(
                    object,
                    span,
                    format!(
                        "readinessProbe of container `{}` starts after {delay}s, but {} declares a startup time of {startup}s",
                        container.name(),
                        object.id
                    ),
                )
                .help(format!(
                    "add a startupProbe covering {startup}s, or set readinessProbe.initialDelaySeconds to at least {startup}"
                ));
            }
        }
    }
}

pub struct LivenessKillsBeforeStartup;

static LIVENESS_KILLS_BEFORE_STARTUP: RuleMeta = RuleMeta {
    id: "liveness-kills-before-startup",
    category: Category::Probes,
    severity: Severity::Error,
    effect: Effect::FalseRollback,
    summary: "livenessProbe (or startupProbe) can restart the container before its declared startup time",
    doc: "A probe's budget is initialDelaySeconds + periodSeconds × failureThreshold (defaults 0, \
          10, 3). With a declared startup time S, a livenessProbe whose budget is below S, and no \
          startupProbe, restarts the container before it can ever start; so does a startupProbe \
          whose own budget is below S. The pods crash-loop, the upgrade times out and `--atomic` \
          rolls back a release that was fine.",
    fix: "Add a startupProbe whose budget covers the startup time (liveness starts only after it \
          succeeds), or raise the probe's failureThreshold or initialDelaySeconds.",
};

impl Rule for LivenessKillsBeforeStartup {
    fn meta(&self) -> &'static RuleMeta {
        &LIVENESS_KILLS_BEFORE_STARTUP
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        for (object, pod, container) in workload_containers(cx) {
            let Some(startup) = declared_startup(cx, &pod) else {
                continue;
            };
            let (probe_name, node) = match container.node.entry("startupProbe") {
                Some((key, node)) => ("startupProbe", Some((key, node))),
                None => ("livenessProbe", container.node.entry("livenessProbe")),
            };
            let Some((key, node)) = node else { continue };
            let budget = Probe::of(node).budget();
            if budget < startup {
                out.object(
                    object,
                    key.span,
                    format!(
                        "{probe_name} of container `{}` gives up after {budget}s, but {} declares a startup time of {startup}s: the container is restarted before it can start",
                        container.name(),
                        object.id
                    ),
                )
                .help(format!(
                    "use a startupProbe with initialDelaySeconds + periodSeconds × failureThreshold ≥ {startup}"
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_utils::{NONE, manifest};

    const NO_PROBE: &str = "\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
        - name: web
          image: nginx:1.27
";

    #[test]
    fn a_container_without_readiness_probe_is_reported() {
        assert_eq!(
            manifest(NO_PROBE).findings(&MissingReadinessProbe),
            [("missing-readiness-probe", Severity::Warning, 9)]
        );
        let probed = format!(
            "{NO_PROBE}          readinessProbe:\n            httpGet: {{path: /healthz, port: 80}}\n"
        );
        assert_eq!(manifest(probed).findings(&MissingReadinessProbe), NONE);
    }
}
