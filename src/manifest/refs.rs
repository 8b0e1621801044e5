//! The ConfigMaps and Secrets a pod template reads.

use super::pod::PodTemplate;
use source::yaml::Node;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum RefKind {
    ConfigMap,
    Secret,
}

impl RefKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RefKind::ConfigMap => "ConfigMap",
            RefKind::Secret => "Secret",
        }
    }
}

/// One reference, pointing at the node that names the object.
#[derive(Debug, Clone, Copy)]
pub struct ConfigRef<'a> {
    pub kind: RefKind,
    pub name: &'a str,
    pub node: &'a Node,
    pub optional: bool,
    /// `env`, `envFrom`, `volume`, `projected volume`.
    pub via: &'static str,
}

impl<'a> PodTemplate<'a> {
    /// Every ConfigMap/Secret reference: env `valueFrom`, `envFrom`, volumes and projected
    /// volume sources, in all containers (init and ephemeral included).
    pub fn config_refs(&self) -> Vec<ConfigRef<'a>> {
        let mut refs = Vec::new();
        for container in self.all_containers() {
            for env in container.node.items("env") {
                let Some(from) = env.get("valueFrom") else {
                    continue;
                };
                push(
                    &mut refs,
                    RefKind::ConfigMap,
                    from.get("configMapKeyRef"),
                    "name",
                    "env",
                );
                push(
                    &mut refs,
                    RefKind::Secret,
                    from.get("secretKeyRef"),
                    "name",
                    "env",
                );
            }
            for from in container.node.items("envFrom") {
                push(
                    &mut refs,
                    RefKind::ConfigMap,
                    from.get("configMapRef"),
                    "name",
                    "envFrom",
                );
                push(
                    &mut refs,
                    RefKind::Secret,
                    from.get("secretRef"),
                    "name",
                    "envFrom",
                );
            }
        }
        for volume in self.spec.items("volumes") {
            push(
                &mut refs,
                RefKind::ConfigMap,
                volume.get("configMap"),
                "name",
                "volume",
            );
            push(
                &mut refs,
                RefKind::Secret,
                volume.get("secret"),
                "secretName",
                "volume",
            );
            for source in volume
                .path(&["projected", "sources"])
                .and_then(Node::as_seq)
                .unwrap_or(&[])
            {
                push(
                    &mut refs,
                    RefKind::ConfigMap,
                    source.get("configMap"),
                    "name",
                    "projected volume",
                );
                push(
                    &mut refs,
                    RefKind::Secret,
                    source.get("secret"),
                    "name",
                    "projected volume",
                );
            }
        }
        refs
    }
}

fn push<'a>(
    refs: &mut Vec<ConfigRef<'a>>,
    kind: RefKind,
    holder: Option<&'a Node>,
    key: &str,
    via: &'static str,
) {
    let Some(holder) = holder else { return };
    let Some(node) = holder.get(key) else { return };
    let Some(name) = node.as_str() else { return };
    refs.push(ConfigRef {
        kind,
        name,
        node,
        optional: holder
            .get("optional")
            .and_then(Node::as_bool)
            .unwrap_or(false),
        via,
    });
}
