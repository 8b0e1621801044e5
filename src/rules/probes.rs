//! Probes and declared startup time: will `--wait` and the kubelet judge a new pod fairly?

use super::framework::{Context, Emitter, Rule};
use crate::finding::{Category, Effect, RuleMeta, Severity};
use crate::manifest::Object;
use crate::manifest::pod::{Container, ContainerGroup, PodTemplate, is_workload, pod_template};
use crate::manifest::service::Routes;
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

/// Non-hook workloads with their pod template.
fn workloads<'a>(cx: &'a Context) -> impl Iterator<Item = (&'a Object, PodTemplate<'a>)> + 'a {
    cx.chart
        .objects
        .iter()
        .filter(|o| is_workload(o))
        .filter_map(|o| pod_template(o).map(|p| (o, p)))
}

/// Regular containers of non-hook workloads, with their pod template.
fn workload_containers<'a>(
    cx: &'a Context,
) -> impl Iterator<Item = (&'a Object, PodTemplate<'a>, Container<'a>)> + 'a {
    workloads(cx).flat_map(|(o, p)| {
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
    summary: "a workload serves traffic, but no container of its pod has a readinessProbe",
    doc: "A pod none of whose containers has a readinessProbe is Ready as soon as it starts. \
          `helm upgrade --wait` and `--atomic` then report a broken release as healthy, so it is \
          never rolled back automatically. The pod is judged as a whole: one probed container \
          (the main one, typically) holds its Ready condition back, so its sidecars need none. \
          Reported for the containers that serve traffic, in Deployments, StatefulSets, \
          DaemonSets, ReplicaSets and Pods that are not hooks: a Service of the release selects \
          the pod and targets one of the container's ports (by number or name), or a port is \
          bound on the node (`hostPort`). Not counted: ports named for metrics, health or \
          profiling, ports a ServiceMonitor or PodMonitor of the release scrapes (Prometheus \
          scrapes a pod whether it is Ready or not), and a StatefulSet's headless governing \
          Service (`serviceName`), which names each pod rather than balancing traffic over them. \
          So workers and controllers that no Service reaches are not reported, nor is a pod \
          whose Service comes from outside the release; `pause` containers have nothing to \
          probe.",
    fix: "Add a readinessProbe that fails until the application can serve.",
};

impl Rule for MissingReadinessProbe {
    fn meta(&self) -> &'static RuleMeta {
        &MISSING_READINESS_PROBE
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        let routes = Routes::of(&cx.chart.objects);
        for (object, pod) in workloads(cx) {
            let serving: Vec<Container> = pod
                .containers(ContainerGroup::Regular)
                .filter(|c| !is_pause(c))
                .collect();
            // `--wait` watches the pod's Ready condition: one probed container is enough to
            // hold it back while the application cannot serve.
            if serving
                .iter()
                .any(|c| c.node.get("readinessProbe").is_some())
            {
                continue;
            }
            // A container no traffic reaches (a worker, a controller, a log shipper, a port only
            // Prometheus scrapes) has nothing a readiness probe would gate.
            for container in serving.iter().filter(|c| serves_traffic(&routes, &pod, c)) {
                let span = container
                    .node
                    .entry("name")
                    .map_or(container.node.span, |(k, _)| k.span);
                out.object(
                    object,
                    span,
                    format!(
                        "container `{}` of {} serves traffic but no container of the pod has a readinessProbe: `--wait` cannot tell a broken release",
                        container.name(),
                        object.id
                    ),
                )
                .help("add a readinessProbe that fails until the application can serve traffic");
            }
        }
    }
}

/// A container with a port that is not only for metrics, health or profiling, and that traffic
/// reaches: through a Service of the release (which routes to the pod only while it is Ready)
/// or a `hostPort` on the node. What it serves is what a readiness probe would gate.
fn serves_traffic<'a>(
    routes: &Routes<'a>,
    pod: &PodTemplate<'a>,
    container: &Container<'a>,
) -> bool {
    const SIDE_PORTS: [&str; 6] = ["metrics", "health", "probe", "profil", "pprof", "debug"];
    let main = |port: &Node| {
        let name = port.str_at(&["name"]).unwrap_or("").to_ascii_lowercase();
        !SIDE_PORTS.iter().any(|side| name.contains(side))
    };
    let on_host = container
        .node
        .items("ports")
        .iter()
        .any(|port| port.get("hostPort").is_some() && main(port));
    on_host || routes.served_ports(pod, container).into_iter().any(main)
}

/// The `pause` container some charts add to keep a pod alive: it has nothing to probe.
fn is_pause(container: &Container) -> bool {
    container
        .node
        .str_at(&["image"])
        .and_then(|image| image.rsplit('/').next())
        .and_then(|last| last.split([':', '@']).next())
        .is_some_and(|repo| repo == "pause")
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
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: nginx:1.27
          ports:
            - containerPort: 80
";
    const PROBE: &str =
        "          readinessProbe:\n            httpGet: {path: /healthz, port: 80}\n";
    const SERVICE: &str = "\
---
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  selector: {app: web}
  ports:
    - port: 80
";

    #[test]
    fn a_serving_pod_without_readiness_probe_is_reported() {
        let served = format!("{NO_PROBE}{SERVICE}");
        assert_eq!(
            manifest(served).findings(&MissingReadinessProbe),
            [("missing-readiness-probe", Severity::Warning, 11)]
        );
        let probed = format!("{NO_PROBE}{PROBE}{SERVICE}");
        assert_eq!(manifest(probed).findings(&MissingReadinessProbe), NONE);
    }

    #[test]
    fn only_ports_that_traffic_reaches_are_serving() {
        // The Service targets the port by name, or the port is bound on the node.
        let by_name =
            NO_PROBE.replace("- containerPort: 80", "- {name: http, containerPort: 8080}");
        let service = SERVICE.replace("- port: 80", "- {port: 80, targetPort: http}");
        assert_eq!(
            manifest(format!("{by_name}{service}"))
                .findings(&MissingReadinessProbe)
                .len(),
            1
        );
        let host = NO_PROBE.replace("- containerPort: 80", "- {containerPort: 80, hostPort: 80}");
        assert_eq!(manifest(host).findings(&MissingReadinessProbe).len(), 1);
        // No Service of the release selects the pod (a worker copying the web port), or the
        // Service targets another port, or it selects other pods.
        assert_eq!(manifest(NO_PROBE).findings(&MissingReadinessProbe), NONE);
        let other_port = SERVICE.replace("- port: 80", "- port: 9000");
        assert_eq!(
            manifest(format!("{NO_PROBE}{other_port}")).findings(&MissingReadinessProbe),
            NONE
        );
        let other_pods = SERVICE.replace("{app: web}", "{app: web, role: web}");
        assert_eq!(
            manifest(format!("{NO_PROBE}{other_pods}")).findings(&MissingReadinessProbe),
            NONE
        );
    }

    #[test]
    fn scraped_ports_and_governing_services_carry_no_traffic_a_probe_gates() {
        // An operator whose only Service port is the one its ServiceMonitor scrapes.
        let named = NO_PROBE.replace("- containerPort: 80", "- {name: http, containerPort: 80}");
        let service = SERVICE.replace("- port: 80", "- {name: http, port: 80}");
        let service = service.replace("  name: web\n", "  name: web\n  labels: {app: web}\n");
        let monitor = "---\napiVersion: monitoring.coreos.com/v1\nkind: ServiceMonitor\nmetadata:\n  name: web\nspec:\n  selector:\n    matchLabels: {app: web}\n  endpoints:\n    - port: http\n";
        assert_eq!(
            manifest(format!("{named}{service}"))
                .findings(&MissingReadinessProbe)
                .len(),
            1
        );
        assert_eq!(
            manifest(format!("{named}{service}{monitor}")).findings(&MissingReadinessProbe),
            NONE
        );
        // A StatefulSet worker reached only through its headless governing Service (a name for
        // each pod, as an airflow worker's log server has); a balanced Service still counts.
        let worker = NO_PROBE
            .replace("kind: Deployment", "kind: StatefulSet")
            .replace(
                "spec:\n  template:",
                "spec:\n  serviceName: web\n  template:",
            );
        let headless = SERVICE.replace("spec:\n", "spec:\n  clusterIP: None\n");
        assert_eq!(
            manifest(format!("{worker}{headless}")).findings(&MissingReadinessProbe),
            NONE
        );
        assert_eq!(
            manifest(format!("{worker}{SERVICE}"))
                .findings(&MissingReadinessProbe)
                .len(),
            1
        );
    }

    #[test]
    fn the_pod_is_judged_not_each_container() {
        // A sidecar next to a probed main container: the pod is not Ready until main is.
        let sidecar = "        - name: metrics\n          image: exporter:1.0\n          ports:\n            - containerPort: 9100\n";
        let with_sidecar = format!("{NO_PROBE}{PROBE}{sidecar}{SERVICE}");
        assert_eq!(
            manifest(with_sidecar).findings(&MissingReadinessProbe),
            NONE
        );
        // A worker serves nothing a readiness probe would gate; a pause container has nothing
        // to probe.
        let worker = NO_PROBE.replace("          ports:\n            - containerPort: 80\n", "");
        assert_eq!(
            manifest(format!("{worker}{SERVICE}")).findings(&MissingReadinessProbe),
            NONE
        );
        let metrics_only = NO_PROBE.replace(
            "- containerPort: 80",
            "- {name: metrics, containerPort: 9402}",
        );
        let metrics_service = SERVICE.replace("- port: 80", "- {port: 9402, targetPort: metrics}");
        assert_eq!(
            manifest(format!("{metrics_only}{metrics_service}")).findings(&MissingReadinessProbe),
            NONE
        );
        let pause = NO_PROBE.replace("nginx:1.27", "registry.k8s.io/pause:3.9");
        assert_eq!(
            manifest(format!("{pause}{SERVICE}")).findings(&MissingReadinessProbe),
            NONE
        );
    }
}
