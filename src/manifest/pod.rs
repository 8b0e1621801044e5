//! Views of the pod templates inside workload objects.

use super::Object;
use source::yaml::Node;

/// Where each kind keeps its pod template (`metadata` + `spec`).
fn template_path(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "Pod" => &[],
        "Deployment"
        | "StatefulSet"
        | "DaemonSet"
        | "ReplicaSet"
        | "ReplicationController"
        | "Job" => &["spec", "template"],
        "CronJob" => &["spec", "jobTemplate", "spec", "template"],
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerGroup {
    Regular,
    Init,
    Ephemeral,
}

impl ContainerGroup {
    fn key(self) -> &'static str {
        match self {
            ContainerGroup::Regular => "containers",
            ContainerGroup::Init => "initContainers",
            ContainerGroup::Ephemeral => "ephemeralContainers",
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct PodTemplate<'a> {
    pub object: &'a Object,
    /// The template's `metadata` (the object's own for a Pod).
    pub metadata: Option<&'a Node>,
    pub spec: &'a Node,
}

#[derive(Debug, Clone, Copy)]
pub struct Container<'a> {
    pub node: &'a Node,
    pub group: ContainerGroup,
}

impl Container<'_> {
    pub fn name(&self) -> &str {
        self.node.str_at(&["name"]).unwrap_or("")
    }
}

pub fn pod_template(object: &Object) -> Option<PodTemplate<'_>> {
    let template = object.root.path(template_path(&object.id.kind)?)?;
    Some(PodTemplate {
        object,
        metadata: template.get("metadata"),
        spec: template.get("spec")?,
    })
}

/// Objects whose readiness `helm --wait` watches: the long-running workload kinds, not hooks.
pub fn is_workload(object: &Object) -> bool {
    matches!(
        object.id.kind.as_str(),
        "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Pod"
    ) && !object.is_hook()
}

impl<'a> PodTemplate<'a> {
    pub fn containers(
        &self,
        group: ContainerGroup,
    ) -> impl Iterator<Item = Container<'a>> + use<'a> {
        let spec: &'a Node = self.spec;
        spec.items(group.key())
            .iter()
            .map(move |node| Container { node, group })
    }

    pub fn all_containers(&self) -> impl Iterator<Item = Container<'a>> + use<'a> {
        let this = *self;
        [
            ContainerGroup::Init,
            ContainerGroup::Regular,
            ContainerGroup::Ephemeral,
        ]
        .into_iter()
        .flat_map(move |g| this.containers(g))
    }

    pub fn annotation(&self, key: &str) -> Option<&'a str> {
        self.metadata?.path(&["annotations", key])?.as_str()
    }
}
