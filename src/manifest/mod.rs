//! Rendered Kubernetes objects with their source positions: what every rule reads.

mod id;
mod load;
pub mod pod;
pub mod refs;
pub mod service;

pub use id::{Hook, ResourceId};
pub use load::load_stream;

use std::sync::Arc;

use source::SourceFile;
use source::Span;
use source::yaml::Node;

/// One Kubernetes object of a release.
#[derive(Debug, Clone)]
pub struct Object {
    pub id: ResourceId,
    pub root: Node,
    pub file: Arc<SourceFile>,
    /// The chart template that produced it (`# Source:`), when known.
    pub template: Option<String>,
    pub hook: Option<Hook>,
}

impl Object {
    pub fn annotation(&self, key: &str) -> Option<&str> {
        self.root.path(&["metadata", "annotations", key])?.as_str()
    }

    pub fn is_hook(&self) -> bool {
        self.hook.is_some()
    }

    /// `helm.sh/resource-policy: keep`: Helm never deletes the object.
    pub fn kept(&self) -> bool {
        self.annotation("helm.sh/resource-policy")
            .is_some_and(|p| p.trim() == "keep")
    }

    /// Span of the object's start (its first key), for findings about the whole object.
    pub fn span(&self) -> Span {
        self.root.span
    }

    /// Span of the node at a path, or of the deepest existing ancestor.
    pub fn span_at(&self, keys: &[&str]) -> Span {
        let mut node = &self.root;
        let mut span = node.span;
        for key in keys {
            match node.entry(key) {
                Some((k, v)) => {
                    span = k.span;
                    node = v;
                }
                None => break,
            }
        }
        span
    }
}
