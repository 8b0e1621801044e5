//! Pairing resources of two revisions the way Helm does: API group + kind + namespace + name,
//! version ignored. Release resources and hooks are paired separately.

use std::collections::BTreeMap;

use crate::manifest::Object;

/// Groups whose kinds are stored as one object in the cluster: Helm sees a different group
/// (delete + create) but the API server updates the same object, so fields are still compared.
fn alias_group(group: &str, kind: &str) -> Option<&'static str> {
    match (group, kind) {
        ("extensions" | "apps", "Deployment" | "DaemonSet" | "ReplicaSet") => Some("apps"),
        ("extensions" | "networking.k8s.io", "Ingress" | "NetworkPolicy") => {
            Some("networking.k8s.io")
        }
        ("extensions" | "policy", "PodSecurityPolicy") => Some("policy"),
        _ => None,
    }
}

/// The group that identifies the stored object (aliases folded).
pub fn identity_group<'a>(group: &'a str, kind: &str) -> &'a str {
    alias_group(group, kind).unwrap_or(group)
}

type Key<'a> = (bool, &'a str, &'a str, &'a str, &'a str);

fn key(o: &Object) -> Key<'_> {
    (
        o.is_hook(),
        identity_group(o.id.group(), &o.id.kind),
        &o.id.kind,
        &o.id.namespace,
        &o.id.name,
    )
}

#[derive(Debug, Clone, Copy)]
pub struct Pair<'a> {
    pub old: &'a Object,
    pub new: &'a Object,
}

impl Pair<'_> {
    /// Helm treats the two as different resources (delete + create) although the cluster stores
    /// one object: `extensions/v1beta1` → `networking.k8s.io/v1` Ingress.
    pub fn crosses_groups(&self) -> bool {
        self.old.id.group() != self.new.id.group()
    }
}

#[derive(Debug, Default)]
pub struct RevisionDiff<'a> {
    /// Same resource in both revisions (hooks with hooks, resources with resources).
    pub pairs: Vec<Pair<'a>>,
    /// Only in the new revision: a rollback deletes them.
    pub added: Vec<&'a Object>,
    /// Only in the old revision: the upgrade deletes them.
    pub removed: Vec<&'a Object>,
}

pub fn pair<'a>(old: &'a [Object], new: &'a [Object]) -> RevisionDiff<'a> {
    let mut by_key: BTreeMap<Key, &Object> = old.iter().map(|o| (key(o), o)).collect();
    let mut diff = RevisionDiff::default();
    for n in new {
        match by_key.remove(&key(n)) {
            Some(o) => diff.pairs.push(Pair { old: o, new: n }),
            None => diff.added.push(n),
        }
    }
    // Keep the old revision's order for what was removed.
    diff.removed = old
        .iter()
        .filter(|o| by_key.contains_key(&key(o)))
        .collect();
    diff
}
