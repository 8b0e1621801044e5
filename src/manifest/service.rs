//! Which container ports of a pod the release's Services route traffic to: what a readiness
//! probe gates. Kubernetes puts a pod behind a Service's virtual IP only while the pod is Ready,
//! so a port no Service routes to is not gated by readiness at all.

use super::Object;
use super::pod::{Container, PodTemplate};
use source::yaml::Node;

/// The Services and metrics monitors of one release.
pub struct Routes<'a> {
    services: Vec<&'a Object>,
    monitors: Vec<&'a Object>,
}

impl<'a> Routes<'a> {
    pub fn of(objects: &'a [Object]) -> Routes<'a> {
        let kind = |k: &str| {
            objects
                .iter()
                .filter(|o| o.id.kind == k && !o.is_hook())
                .collect::<Vec<_>>()
        };
        Routes {
            services: kind("Service"),
            monitors: [kind("ServiceMonitor"), kind("PodMonitor")].concat(),
        }
    }

    /// The ports of `container` that a Service of the release sends traffic to. Left out: a
    /// StatefulSet's headless governing Service (`serviceName`), which names each pod rather than
    /// balancing traffic over them; Service ports a ServiceMonitor scrapes and container ports
    /// a PodMonitor scrapes (Prometheus scrapes pods whether or not they are Ready).
    pub fn served_ports(&self, pod: &PodTemplate<'a>, container: &Container<'a>) -> Vec<&'a Node> {
        let labels = pod.metadata.map_or(&[][..], |m| m.entries("labels"));
        let governing = pod.object.root.str_at(&["spec", "serviceName"]);
        let routed: Vec<&Node> = self
            .services
            .iter()
            .filter(|s| s.id.namespace == pod.object.id.namespace)
            .filter(|s| !(is_headless(s) && governing == Some(s.id.name.as_str())))
            .filter(|s| selects(s.root.path(&["spec", "selector"]), labels))
            .flat_map(|s| {
                s.root
                    .path(&["spec", "ports"])
                    .and_then(Node::as_seq)
                    .unwrap_or(&[])
                    .iter()
                    .filter(|p| !self.scraped_service_port(s, p))
                    .filter_map(|p| p.get("targetPort").or_else(|| p.get("port")))
            })
            .collect();
        container
            .node
            .items("ports")
            .iter()
            .filter(|port| !self.scraped_pod_port(pod, port))
            .filter(|port| {
                routed.iter().any(|target| match target.as_i64() {
                    Some(number) => {
                        port.get("containerPort").and_then(Node::as_i64) == Some(number)
                    }
                    None => target.as_str().is_some() && target.as_str() == port.str_at(&["name"]),
                })
            })
            .collect()
    }

    /// A named port of a Service that a ServiceMonitor selecting the Service scrapes.
    fn scraped_service_port(&self, service: &Object, port: &Node) -> bool {
        let labels = service.root.path(&["metadata", "labels"]);
        self.scraped(
            port.str_at(&["name"]),
            "ServiceMonitor",
            "endpoints",
            labels,
        )
    }

    /// A named container port that a PodMonitor selecting the pod scrapes.
    fn scraped_pod_port(&self, pod: &PodTemplate, port: &Node) -> bool {
        let labels = pod.metadata.and_then(|m| m.get("labels"));
        self.scraped(
            port.str_at(&["name"]),
            "PodMonitor",
            "podMetricsEndpoints",
            labels,
        )
    }

    fn scraped(
        &self,
        name: Option<&str>,
        kind: &str,
        endpoints: &str,
        labels: Option<&Node>,
    ) -> bool {
        let Some(name) = name else { return false };
        let labels = labels.and_then(Node::as_map).unwrap_or(&[]);
        self.monitors
            .iter()
            .filter(|m| m.id.kind == kind)
            .filter(|m| selects(m.root.path(&["spec", "selector", "matchLabels"]), labels))
            .any(|m| {
                m.root
                    .path(&["spec", endpoints])
                    .and_then(Node::as_seq)
                    .unwrap_or(&[])
                    .iter()
                    .any(|e| e.str_at(&["port"]) == Some(name))
            })
    }
}

fn is_headless(service: &Object) -> bool {
    service.root.str_at(&["spec", "clusterIP"]) == Some("None")
}

/// A label selector (a mapping of key to value) that is not empty and that `labels` satisfy.
/// An empty or absent selector selects nothing: a Service without one routes only to the
/// endpoints written for it by hand.
fn selects(selector: Option<&Node>, labels: &[(Node, Node)]) -> bool {
    let Some(entries) = selector.and_then(Node::as_map).filter(|e| !e.is_empty()) else {
        return false;
    };
    entries.iter().all(|(key, value)| {
        labels
            .iter()
            .rfind(|(k, _)| k.as_str() == key.as_str())
            .is_some_and(|(_, v)| v.as_str() == value.as_str())
    })
}
