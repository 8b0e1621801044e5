//! Version parsing, table parsing errors, and statuses for known facts.

use super::*;
use ApiStatus::*;

fn v(minor: u32) -> KubeVersion {
    KubeVersion::new(1, minor)
}

fn status(api_version: &str, kind: &str, minor: u32) -> ApiStatus {
    ApiTable::builtin().status(api_version, kind, v(minor))
}

// ------------------------------------------------------------------ KubeVersion

#[test]
fn parses_the_version_spellings_tools_use() {
    for text in [
        "1.29",
        "v1.29",
        "V1.29",
        "1.29.3",
        "v1.29.0-gke.1",
        "v1.29.2+k3s1",
        "1.29+",
        " 1.29 ",
    ] {
        assert_eq!(text.parse::<KubeVersion>(), Ok(v(29)), "{text}");
    }
    assert_eq!("2.0".parse::<KubeVersion>(), Ok(KubeVersion::new(2, 0)));
}

#[test]
fn displays_major_dot_minor() {
    assert_eq!(v(29).to_string(), "1.29");
    let parsed: KubeVersion = "v1.30.4-eks-1".parse().unwrap();
    assert_eq!(parsed.to_string(), "1.30");
}

#[test]
fn rejects_bad_versions_with_a_clear_message() {
    for (text, why) in [
        ("", "no version number"),
        ("v", "no version number"),
        ("1", "missing minor"),
        ("1.", "missing minor"),
        ("1.x", "minor \"x\" is not a number"),
        ("one.two", "major \"one\" is not a number"),
        ("1.29.", "missing patch"),
        ("1.29.3.4", "too many components"),
        ("1.-29", "missing minor"),
        ("1.99999999999", "too large"),
        ("latest", "is not a number"),
    ] {
        let err = text.parse::<KubeVersion>().unwrap_err();
        assert!(err.contains(why), "{text:?}: {err}");
        assert!(
            err.contains(&format!("{text:?}")),
            "message quotes the input: {err}"
        );
    }
}

#[test]
fn orders_by_major_then_minor() {
    assert!(v(9) < v(10));
    assert!(v(37) < KubeVersion::new(2, 0));
}

// ------------------------------------------------------------------ table parsing

#[test]
fn parses_a_small_table() {
    let table = ApiTable::parse(
        "newest: \"1.30\"\napis:\n  - apiVersion: example.io/v1beta1\n    kind: Widget\n    introduced: 1.20\n    deprecated: \"1.25\"\n    removed: \"1.28\"\n    replacement: example.io/v1\n    note: renamed fields\n  - {apiVersion: example.io/v1, kind: Widget, introduced: \"1.25\"}\n  - {apiVersion: example.io/v1alpha1, kind: Gadget}\n",
    )
    .unwrap();
    assert_eq!(table.newest(), v(30));
    let beta = table.lookup("example.io/v1beta1", "Widget").unwrap();
    // An unquoted 1.20 stays "1.20": scalars keep their text.
    assert_eq!(beta.introduced, Some(v(20)));
    assert_eq!(beta.removed, Some(v(28)));
    assert_eq!(beta.replacement.as_deref(), Some("example.io/v1"));
    assert_eq!(beta.note.as_deref(), Some("renamed fields"));
    assert!(!beta.default_off);
    assert!(
        table
            .lookup("example.io/v1alpha1", "Gadget")
            .unwrap()
            .default_off
    );
    assert_eq!(table.lookup("example.io/v1", "Gadget"), None);
}

#[test]
fn table_errors_name_the_line() {
    let cases = [
        (
            "newest: \"1.30\"\napis: []\nextra: 1\n",
            "line 3",
            "unknown key \"extra\"",
        ),
        ("apis: []\n", "line 1", "missing `newest`"),
        ("newest: \"1.x\"\napis: []\n", "line 1", "`newest`"),
        ("newest: \"1.30\"\napis: {}\n", "line 2", "must be a list"),
        (
            "newest: \"1.30\"\napis:\n  - {apiVersion: v1, kind: Pod}\n  - {kind: Service}\n",
            "line 4",
            "missing `apiVersion`",
        ),
        (
            "newest: \"1.30\"\napis:\n  - {apiVersion: v1, kind: Pod}\n  - {apiVersion: v1, kind: Pod}\n",
            "line 4",
            "listed twice (first on line 3)",
        ),
        (
            "newest: \"1.30\"\napis:\n  - {apiVersion: x/v1beta1, kind: A, deprecated: \"1.20\", removed: \"1.19\"}\n",
            "line 3",
            "`deprecated` (1.20) must be no later than `removed` (1.19)",
        ),
        (
            "newest: \"1.30\"\napis:\n  - {apiVersion: x/v1, kind: A, introduced: \"1.20\", removed: \"1.20\"}\n",
            "line 3",
            "must be before `removed`",
        ),
        (
            "newest: \"1.30\"\napis:\n  - apiVersion: x/v1\n    kind: A\n    introduced: soon\n",
            "line 5",
            "`introduced`",
        ),
        (
            "newest: \"1.30\"\napis:\n  - {apiVersion: x/v1, kind: A, defaultOff: maybe}\n",
            "line 3",
            "true or false",
        ),
        (
            "newest: \"1.30\"\napis:\n  - {apiVersion: apps/v1/x, kind: A}\n",
            "line 3",
            "is not `v1` or `group/version`",
        ),
        (
            "newest: \"1.30\"\napis:\n  - {apiVersion: apps/version1, kind: A}\n",
            "line 3",
            "is not `v1` or `group/version`",
        ),
        (
            "newest: \"1.30\"\napis:\n  - {apiVersion: apps/v1, kind: deployment}\n",
            "line 3",
            "not a Kubernetes kind name",
        ),
        (
            "newest: \"1.30\"\napis:\n  - {apiVersion: apps/v1, kind: A, kinds: B}\n",
            "line 3",
            "unknown key \"kinds\"",
        ),
        (
            "newest: \"1.30\"\napis: [\n",
            "line",
            "Kubernetes API table",
        ),
    ];
    for (text, line, message) in cases {
        let err = ApiTable::parse(text).unwrap_err();
        assert!(
            err.contains(line) && err.contains(message),
            "{text:?}: {err}"
        );
    }
    assert!(ApiTable::parse("").unwrap_err().contains("empty"));
}

// ------------------------------------------------------------------ known facts

#[test]
fn ingress_extensions_v1beta1_deprecated_at_1_21_removed_at_1_22() {
    let Deprecated {
        since,
        removed_in,
        replacement,
    } = status("extensions/v1beta1", "Ingress", 21)
    else {
        panic!("expected Deprecated");
    };
    assert_eq!((since, removed_in), (v(14), Some(v(22))));
    assert_eq!(replacement.as_deref(), Some("networking.k8s.io/v1"));
    assert_eq!(
        status("extensions/v1beta1", "Ingress", 22),
        Removed {
            since: v(22),
            replacement: Some("networking.k8s.io/v1".into())
        }
    );
    assert!(matches!(
        status("networking.k8s.io/v1beta1", "Ingress", 22),
        Removed { since, .. } if since == v(22)
    ));
    assert_eq!(status("networking.k8s.io/v1", "Ingress", 19), Served);
    assert_eq!(
        status("networking.k8s.io/v1", "Ingress", 18),
        NotYetServed { from: v(19) }
    );
}

#[test]
fn cronjob_batch_v1beta1_deprecated_from_1_21_to_1_24_removed_at_1_25() {
    assert_eq!(status("batch/v1beta1", "CronJob", 20), Served);
    for minor in 21..=24 {
        assert!(
            matches!(status("batch/v1beta1", "CronJob", minor),
                Deprecated { since, removed_in: Some(r), .. } if since == v(21) && r == v(25)),
            "1.{minor}"
        );
    }
    assert_eq!(
        status("batch/v1beta1", "CronJob", 25),
        Removed {
            since: v(25),
            replacement: Some("batch/v1".into())
        }
    );
    assert_eq!(status("batch/v1", "CronJob", 21), Served);
}

#[test]
fn pdb_policy_v1_served_from_1_21() {
    assert_eq!(
        status("policy/v1", "PodDisruptionBudget", 20),
        NotYetServed { from: v(21) }
    );
    for minor in [21, 25, 30, 37] {
        assert_eq!(status("policy/v1", "PodDisruptionBudget", minor), Served);
    }
    assert!(matches!(
        status("policy/v1beta1", "PodDisruptionBudget", 25),
        Removed { since, .. } if since == v(25)
    ));
}

#[test]
fn apps_beta_workloads_removed_at_1_16() {
    for api in ["apps/v1beta1", "apps/v1beta2", "extensions/v1beta1"] {
        assert_eq!(
            status(api, "Deployment", 16),
            Removed {
                since: v(16),
                replacement: Some("apps/v1".into())
            },
            "{api}"
        );
    }
    assert!(matches!(
        status("apps/v1beta2", "Deployment", 15),
        Deprecated { since, .. } if since == v(9)
    ));
    assert_eq!(status("apps/v1", "Deployment", 16), Served);
}

#[test]
fn psp_removed_without_replacement() {
    assert_eq!(
        status("policy/v1beta1", "PodSecurityPolicy", 25),
        Removed {
            since: v(25),
            replacement: None
        }
    );
}

#[test]
fn flowcontrol_betas_follow_the_guide() {
    let removed = |api: &str| match status(api, "FlowSchema", 37) {
        Removed { since, .. } => since,
        other => panic!("{api}: {other:?}"),
    };
    assert_eq!(removed("flowcontrol.apiserver.k8s.io/v1beta1"), v(26));
    assert_eq!(removed("flowcontrol.apiserver.k8s.io/v1beta2"), v(29));
    assert_eq!(removed("flowcontrol.apiserver.k8s.io/v1beta3"), v(32));
    assert_eq!(
        status("flowcontrol.apiserver.k8s.io/v1", "FlowSchema", 29),
        Served
    );
}

#[test]
fn hpa_betas_removed_at_1_25_and_1_26() {
    assert!(matches!(
        status("autoscaling/v2beta1", "HorizontalPodAutoscaler", 25),
        Removed { since, .. } if since == v(25)
    ));
    assert!(matches!(
        status("autoscaling/v2beta2", "HorizontalPodAutoscaler", 25),
        Deprecated { since, .. } if since == v(23)
    ));
    assert!(matches!(
        status("autoscaling/v2beta2", "HorizontalPodAutoscaler", 26),
        Removed { since, .. } if since == v(26)
    ));
}

#[test]
fn endpoints_deprecated_from_1_33_and_never_removed() {
    assert_eq!(status("v1", "Endpoints", 32), Served);
    assert_eq!(
        status("v1", "Endpoints", 37),
        Deprecated {
            since: v(33),
            removed_in: None,
            replacement: Some("discovery.k8s.io/v1 EndpointSlice".into())
        }
    );
}

#[test]
fn crd_groups_and_aggregated_apis_are_unknown() {
    for (api, kind) in [
        ("cert-manager.io/v1", "Certificate"),
        ("monitoring.coreos.com/v1", "ServiceMonitor"),
        ("metrics.k8s.io/v1beta1", "PodMetrics"),
        ("", "Pod"),
    ] {
        for minor in [16, 22, 37] {
            assert_eq!(status(api, kind, minor), Unknown, "{api} {kind} 1.{minor}");
        }
    }
}

#[test]
fn unlisted_kind_follows_its_group_version_when_it_is_gone() {
    // extensions/v1beta1 is not served at all from 1.22, whatever the kind.
    assert!(matches!(
        status("extensions/v1beta1", "Scale", 22),
        Removed { since, .. } if since == v(22)
    ));
    // Before that, some of its kinds are served: an unlisted kind is not guessed at.
    assert_eq!(status("extensions/v1beta1", "Scale", 21), Unknown);
    // A group/version that came back with new kinds is not "removed" while it is served again.
    assert_eq!(
        status("admissionregistration.k8s.io/v1beta1", "Unlisted", 30),
        Unknown
    );
    assert!(matches!(
        status("admissionregistration.k8s.io/v1beta1", "Unlisted", 25),
        Removed { since, replacement: Some(r) } if since == v(22) && r == "admissionregistration.k8s.io/v1"
    ));
    // Known group/version, wrong-case kind: still judged by the group/version.
    assert_eq!(status("apps/v1", "deployment", 30), Unknown);
}

#[test]
fn unlisted_kind_before_its_group_version_exists_is_not_yet_served() {
    let table = ApiTable::parse(
        "newest: \"1.30\"\napis:\n  - {apiVersion: x.io/v1, kind: A, introduced: \"1.25\"}\n",
    )
    .unwrap();
    assert_eq!(
        table.status("x.io/v1", "B", v(24)),
        NotYetServed { from: v(25) }
    );
    assert_eq!(table.status("x.io/v1", "B", v(25)), Unknown);
}

// ------------------------------------------------------------------ served sets

#[test]
fn served_at_1_25_has_policy_v1_and_not_policy_v1beta1() {
    let served = ApiTable::builtin().served(v(25));
    assert!(served.iter().any(|s| s == "policy/v1/PodDisruptionBudget"));
    assert!(served.iter().any(|s| s == "policy/v1"));
    assert!(!served.iter().any(|s| s.starts_with("policy/v1beta1")));
    assert!(!served.iter().any(|s| s.starts_with("batch/v1beta1")));
    assert!(served.iter().any(|s| s == "batch/v1/CronJob"));
}

#[test]
fn served_at_newest_has_core_and_apps() {
    let table = ApiTable::builtin();
    let served = table.served(table.newest());
    for want in [
        "v1",
        "v1/Pod",
        "v1/Service",
        "apps/v1",
        "apps/v1/Deployment",
    ] {
        assert!(served.iter().any(|s| s == want), "missing {want}");
    }
    // Sorted and free of duplicates, as Helm's .Capabilities.APIVersions expects.
    assert!(served.windows(2).all(|w| w[0] < w[1]));
    // Off-by-default and alpha APIs are not served by a default API server.
    assert!(!served.iter().any(|s| s.contains("alpha")));
    assert!(
        !served
            .iter()
            .any(|s| s.starts_with("resource.k8s.io/v1beta"))
    );
    assert!(
        served
            .iter()
            .any(|s| s == "resource.k8s.io/v1/ResourceClaim")
    );
}

#[test]
fn served_at_1_16_still_has_the_1_22_removals() {
    let served = ApiTable::builtin().served(v(16));
    assert!(served.iter().any(|s| s == "extensions/v1beta1/Ingress"));
    assert!(
        served
            .iter()
            .any(|s| s == "apiextensions.k8s.io/v1beta1/CustomResourceDefinition")
    );
    assert!(!served.iter().any(|s| s == "extensions/v1beta1/Deployment"));
    assert!(!served.iter().any(|s| s.starts_with("apps/v1beta")));
}
