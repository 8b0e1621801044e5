//! Resource identity and Helm hook metadata.

use std::fmt;

use serde::Serialize;

/// How a rendered object is named: apiVersion/kind/namespace/name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ResourceId {
    #[serde(rename = "apiVersion")]
    pub api_version: String,
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

impl ResourceId {
    /// The API group (`apps` of `apps/v1`; empty for the core group).
    pub fn group(&self) -> &str {
        self.api_version
            .rsplit_once('/')
            .map_or("", |(group, _)| group)
    }
}

impl fmt::Display for ResourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

/// Built-in kinds that live outside namespaces: Helm does not give them the release namespace.
pub fn is_cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Namespace"
            | "Node"
            | "PersistentVolume"
            | "StorageClass"
            | "VolumeAttachment"
            | "CSIDriver"
            | "CSINode"
            | "CustomResourceDefinition"
            | "APIService"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "PriorityClass"
            | "RuntimeClass"
            | "IngressClass"
            | "PodSecurityPolicy"
            | "MutatingWebhookConfiguration"
            | "ValidatingWebhookConfiguration"
            | "ValidatingAdmissionPolicy"
            | "ValidatingAdmissionPolicyBinding"
            | "MutatingAdmissionPolicy"
            | "MutatingAdmissionPolicyBinding"
            | "CertificateSigningRequest"
            | "FlowSchema"
            | "PriorityLevelConfiguration"
            | "ClusterIssuer"
            | "VolumeSnapshotClass"
    )
}

/// Helm hook annotations of an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// `pre-upgrade`, `post-install`, `test`, …
    pub events: Vec<String>,
    pub weight: i64,
    /// `helm.sh/hook-delete-policy` as written; `None` when absent (Helm then applies
    /// `before-hook-creation`).
    pub delete_policies: Option<Vec<String>>,
}

impl Hook {
    pub fn has_event(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event)
    }

    /// Whether Helm 3/4 runs the hook at all: events from Helm 2 (`crd-install`) are ignored,
    /// and a hook with no event Helm knows is neither applied nor run.
    pub fn runs_in_helm3(&self) -> bool {
        self.events.iter().any(|e| {
            matches!(
                e.as_str(),
                "pre-install"
                    | "post-install"
                    | "pre-delete"
                    | "post-delete"
                    | "pre-upgrade"
                    | "post-upgrade"
                    | "pre-rollback"
                    | "post-rollback"
                    | "test"
                    | "test-success"
            )
        })
    }

    pub fn is_test(&self) -> bool {
        self.events
            .iter()
            .any(|e| e == "test" || e == "test-success" || e == "test-failure")
    }
}

pub(crate) fn split_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}
