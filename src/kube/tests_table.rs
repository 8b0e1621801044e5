//! Sanity of the shipped table as a whole: it parses, and its facts are consistent.

use std::collections::HashSet;

use super::*;

#[test]
fn builtin_table_is_the_shipped_file() {
    // build.rs compiles the file into the binary: what it wrote is what the file says.
    let text = include_str!("../../rules/kubernetes-apis.yaml");
    let table = ApiTable::parse(text).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(table.newest(), KubeVersion::new(1, 37));
    assert!(table.entries().len() > 100);
    assert_eq!(ApiTable::builtin().newest(), table.newest());
    assert_eq!(ApiTable::builtin().entries(), table.entries());
}

#[test]
fn facts_are_ordered_and_unique() {
    let table = ApiTable::builtin();
    let mut seen = HashSet::new();
    for e in table.entries() {
        let name = format!("{} {}", e.api_version, e.kind);
        assert!(seen.insert(name.clone()), "duplicate {name}");
        if let (Some(i), Some(d)) = (e.introduced, e.deprecated) {
            assert!(i <= d, "{name}: introduced {i} after deprecated {d}");
        }
        if let (Some(d), Some(r)) = (e.deprecated, e.removed) {
            assert!(d <= r, "{name}: deprecated {d} after removed {r}");
        }
        if let (Some(i), Some(r)) = (e.introduced, e.removed) {
            assert!(i < r, "{name}: introduced {i} not before removed {r}");
        }
        // Announced removals may lie one deprecation cycle past the newest release, no further.
        if let Some(r) = e.removed {
            assert!(r.minor <= table.newest().minor + 3, "{name}: removed {r}");
        }
    }
}

#[test]
fn every_removed_api_says_what_to_use_instead() {
    for e in ApiTable::builtin().entries() {
        if e.removed.is_some() || e.deprecated.is_some() {
            // PodSecurityPolicy, ComponentStatus and withdrawn alphas have no replacement API;
            // their note says so and what to do.
            assert!(
                e.replacement.is_some() || e.note.is_some(),
                "{} {} is deprecated or removed without a replacement or a note",
                e.api_version,
                e.kind
            );
        }
    }
}

#[test]
fn replacements_name_apis_in_the_table() {
    let table = ApiTable::builtin();
    for e in table.entries() {
        let Some(replacement) = &e.replacement else {
            continue;
        };
        let (api_version, kind) = match replacement.split_once(' ') {
            Some((api, kind)) => (api, kind),
            None => (replacement.as_str(), e.kind.as_str()),
        };
        let target = table.lookup(api_version, kind).unwrap_or_else(|| {
            panic!(
                "{} {}: replacement {replacement:?} is not in the table",
                e.api_version, e.kind
            )
        });
        // The replacement must be served no later than the release that drops the old API, or the
        // migration has a gap. (The guide's own advice can land in that very release: flowcontrol
        // v1beta1 -> v1beta3 in 1.26.) Alpha APIs carry no such promise: classic DRA was
        // withdrawn before its successor.
        if e.api_version.contains("alpha") {
            continue;
        }
        if let (Some(removed), Some(available)) = (e.removed, target.introduced) {
            assert!(
                available <= removed,
                "{} {}: replacement {replacement} only from {available}, removed {removed}",
                e.api_version,
                e.kind
            );
        }
    }
}

#[test]
fn stable_apis_are_never_off_by_default_and_alphas_always_are() {
    for e in ApiTable::builtin().entries() {
        let version = e.api_version.rsplit('/').next().unwrap_or_default();
        if version.contains("alpha") {
            assert!(e.default_off, "{} {}", e.api_version, e.kind);
        } else if !version.contains("beta") {
            assert!(!e.default_off, "{} {}", e.api_version, e.kind);
        }
    }
}

#[test]
fn core_kinds_the_brief_names_are_present() {
    let table = ApiTable::builtin();
    for kind in [
        "Pod",
        "Service",
        "ConfigMap",
        "Secret",
        "PersistentVolumeClaim",
        "PersistentVolume",
        "Namespace",
        "ServiceAccount",
        "Endpoints",
        "Event",
        "LimitRange",
        "ResourceQuota",
        "ReplicationController",
        "Node",
        "PodTemplate",
        "ComponentStatus",
    ] {
        assert!(table.lookup("v1", kind).is_some(), "v1 {kind}");
    }
    let newest = table.newest();
    let served = table.served(newest);
    for gv in [
        "apps/v1",
        "batch/v1",
        "networking.k8s.io/v1",
        "policy/v1",
        "rbac.authorization.k8s.io/v1",
        "storage.k8s.io/v1",
        "autoscaling/v1",
        "autoscaling/v2",
        "admissionregistration.k8s.io/v1",
        "apiextensions.k8s.io/v1",
        "apiregistration.k8s.io/v1",
        "certificates.k8s.io/v1",
        "coordination.k8s.io/v1",
        "discovery.k8s.io/v1",
        "events.k8s.io/v1",
        "flowcontrol.apiserver.k8s.io/v1",
        "node.k8s.io/v1",
        "scheduling.k8s.io/v1",
        "resource.k8s.io/v1",
        "authentication.k8s.io/v1",
        "authorization.k8s.io/v1",
    ] {
        assert!(
            served.iter().any(|s| s == gv),
            "{gv} not served at {newest}"
        );
    }
}
