//! Revision-diff rules on fixture pairs (`fixtures/pairs/<case>/{old,new}.yaml`), and every
//! baseline form that needs no chart rendering: a manifest and Helm release records.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Run, check_json, rollguard};
use std::io::Write;

fn pair(case: &str, extra: &[&str]) -> Run {
    let new = format!("fixtures/pairs/{case}/new.yaml");
    let old = format!("fixtures/pairs/{case}/old.yaml");
    let mut args = vec!["--base-manifest", old.as_str()];
    args.extend_from_slice(extra);
    check_json(&new, &args)
}

struct Case {
    rule: &'static str,
    dir: &'static str,
    severity: &'static str,
    /// `old` or `new`: which revision the finding points into.
    side: &'static str,
    line: u64,
}

const CASES: &[Case] = &[
    Case {
        rule: "config-change-without-rollout",
        dir: "config-change-without-rollout",
        severity: "warning",
        side: "new",
        line: 7,
    },
    Case {
        rule: "crd-changed",
        dir: "crd-changed",
        severity: "warning",
        side: "new",
        line: 7,
    },
    Case {
        rule: "immutable-field-changed",
        dir: "immutable-field-changed",
        severity: "error",
        side: "new",
        line: 9,
    },
    Case {
        rule: "pvc-access-modes-changed",
        dir: "pvc-access-modes-changed",
        severity: "error",
        side: "new",
        line: 8,
    },
    Case {
        rule: "pvc-removed",
        dir: "pvc-removed",
        severity: "error",
        side: "old",
        line: 14,
    },
    Case {
        rule: "pvc-shrunk",
        dir: "pvc-shrunk",
        severity: "error",
        side: "new",
        line: 12,
    },
    Case {
        rule: "pvc-shrunk",
        dir: "pvc-shrunk.grows",
        severity: "warning",
        side: "new",
        line: 12,
    },
    Case {
        rule: "pvc-storage-class-changed",
        dir: "pvc-storage-class-changed",
        severity: "error",
        side: "new",
        line: 9,
    },
    Case {
        rule: "resource-becomes-hook",
        dir: "resource-becomes-hook",
        severity: "warning",
        side: "new",
        line: 8,
    },
    Case {
        rule: "rollback-deletes-pvc",
        dir: "rollback-deletes-pvc",
        severity: "warning",
        side: "new",
        line: 14,
    },
    Case {
        rule: "rollback-target-api-removed",
        dir: "rollback-target-api-removed",
        severity: "error",
        side: "old",
        line: 3,
    },
    Case {
        rule: "storage-class-changed",
        dir: "storage-class-changed",
        severity: "error",
        side: "new",
        line: 7,
    },
    Case {
        rule: "sts-volume-claim-templates-changed",
        dir: "sts-volume-claim-templates-changed",
        severity: "error",
        side: "new",
        line: 22,
    },
];

/// Every diff rule, for `rules.rs`'s check that each catalog rule has a hazard and a safe case.
pub const DIFF_RULES: &[&str] = &[
    "config-change-without-rollout",
    "crd-changed",
    "immutable-field-changed",
    "pvc-access-modes-changed",
    "pvc-removed",
    "pvc-shrunk",
    "pvc-storage-class-changed",
    "resource-becomes-hook",
    "rollback-deletes-pvc",
    "rollback-target-api-removed",
    "storage-class-changed",
    "sts-volume-claim-templates-changed",
];

#[test]
fn every_diff_rule_fires_on_its_pair_at_the_right_place() {
    for case in CASES {
        let run = pair(case.dir, &[]);
        let found = run.findings(case.rule);
        assert_eq!(
            found.len(),
            1,
            "{} on {}: {}",
            case.rule,
            case.dir,
            run.stdout
        );
        let f = &found[0];
        assert_eq!(f["severity"], case.severity, "{}", case.dir);
        assert_eq!(
            f["location"]["file"],
            format!("fixtures/pairs/{}/{}.yaml", case.dir, case.side),
            "{}",
            case.dir
        );
        assert_eq!(f["location"]["line"], case.line, "{}: {f}", case.dir);
    }
    for rule in DIFF_RULES {
        assert!(CASES.iter().any(|c| c.rule == *rule), "{rule} has no case");
    }
}

#[test]
fn no_diff_rule_fires_on_its_safe_twin() {
    for rule in DIFF_RULES {
        let run = pair(&format!("{rule}.safe"), &[]);
        assert!(run.code == 0 || run.code == 1, "{rule}: {}", run.stderr);
        assert!(
            run.findings(rule).is_empty(),
            "{rule} fired on its safe twin: {}",
            run.stdout
        );
    }
}

#[test]
fn findings_show_what_changed() {
    let run = rollguard(&[
        "check",
        "--manifest",
        "fixtures/pairs/sts-volume-claim-templates-changed/new.yaml",
        "--base-manifest",
        "fixtures/pairs/sts-volume-claim-templates-changed/old.yaml",
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("[0].spec.storageClassName: \"standard\" → \"fast-ssd\""),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("-    storageClassName: standard")
            && run.stdout.contains("+    storageClassName: fast-ssd"),
        "{}",
        run.stdout
    );
    let growth = &pair("pvc-shrunk.grows", &[]).findings("pvc-shrunk")[0];
    assert_eq!(growth["effect"], "rollback-fails");
}

#[test]
fn group_moves_are_paired_and_said() {
    let run = pair("rollback-target-api-removed", &[]);
    let notes = run.json()["notes"].to_string();
    assert!(
        notes.contains("moves from extensions/v1beta1 to networking.k8s.io/v1"),
        "{notes}"
    );
    assert!(notes.contains("delete and a create"), "{notes}");
    assert_eq!(
        run.json()["charts"][0]["baseline"],
        "manifest:fixtures/pairs/rollback-target-api-removed/old.yaml"
    );
    // Before 1.22 the old Ingress is still served: a rollback works.
    assert!(
        pair("rollback-target-api-removed", &["--kube-version", "1.21"])
            .findings("rollback-target-api-removed")
            .is_empty()
    );
}

#[test]
fn without_a_baseline_diff_rules_are_skipped_and_said() {
    let run = check_json("fixtures/pairs/pvc-removed/new.yaml", &[]);
    assert!(
        run.json()["notes"][0]
            .as_str()
            .unwrap()
            .contains("no baseline")
    );
    assert!(run.findings("pvc-removed").is_empty());
}

/// A Helm release record (Secret driver) for `manifest`, as `kubectl get secret -o yaml` prints it.
fn release_secret(name: &str, revision: u32, status: &str, manifest: &str) -> String {
    let release = serde_json::json!({
        "name": name, "version": revision, "namespace": "default",
        "info": {"status": status},
        "chart": {"metadata": {"name": "web", "version": format!("1.{revision}.0")}},
        "manifest": manifest, "hooks": [],
    });
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(release.to_string().as_bytes()).unwrap();
    let inner = STANDARD.encode(gz.finish().unwrap());
    format!(
        "- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: sh.helm.release.v1.{name}.v{revision}\n    labels: {{owner: helm, status: {status}, version: \"{revision}\"}}\n  type: helm.sh/release.v1\n  data:\n    release: {}\n",
        STANDARD.encode(inner)
    )
}

fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

#[test]
fn release_records_are_a_baseline_and_a_history_window() {
    let old_ingress = fixture("fixtures/pairs/rollback-target-api-removed/old.yaml");
    let new_ingress = fixture("fixtures/pairs/rollback-target-api-removed/new.yaml");
    let dir = tempfile::tempdir().unwrap();
    let history = dir.path().join("history.yaml");
    let list = format!(
        "apiVersion: v1\nkind: List\nitems:\n{}{}{}",
        release_secret("web", 1, "superseded", &old_ingress),
        release_secret("web", 2, "superseded", &new_ingress),
        release_secret("web", 3, "deployed", &new_ingress),
    );
    std::fs::write(&history, list).unwrap();
    let run = check_json(
        "fixtures/pairs/rollback-target-api-removed/new.yaml",
        &["--base-release", history.to_str().unwrap()],
    );
    let found = run.findings("rollback-target-api-removed");
    assert_eq!(found.len(), 1, "{}", run.stdout);
    let msg = found[0]["message"].as_str().unwrap();
    assert!(
        msg.contains("revision 1 (superseded)") && !msg.contains("revision 3"),
        "{msg}"
    );
    assert!(
        found[0]["location"]["file"]
            .as_str()
            .unwrap()
            .contains("web revision 1: manifest")
    );
    let notes = run.json()["notes"].to_string();
    assert!(
        notes.contains("compared with revision 3 (deployed) of 3 stored revisions"),
        "{notes}"
    );
    // The current revision (3) already uses networking.k8s.io/v1: nothing moves.
    assert!(!notes.contains("moves from"), "{notes}");
}

#[test]
fn a_directory_of_release_records() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = fixture("fixtures/pairs/pvc-removed/old.yaml");
    let secret = release_secret("db", 4, "deployed", &manifest);
    std::fs::write(
        dir.path().join("db.v4.yaml"),
        secret.trim_start_matches("- ").replace("\n  ", "\n"),
    )
    .unwrap();
    let run = check_json(
        "fixtures/pairs/pvc-removed/new.yaml",
        &["--base-release", dir.path().to_str().unwrap()],
    );
    assert_eq!(
        run.findings("pvc-removed").len(),
        1,
        "{}{}",
        run.stdout,
        run.stderr
    );
}

#[test]
fn corrupt_baselines_are_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yaml");
    std::fs::write(
        &bad,
        "apiVersion: v1\nkind: Secret\ndata:\n  release: bm90IGd6aXA=\n",
    )
    .unwrap();
    let run = check_json(
        "fixtures/pairs/pvc-removed/new.yaml",
        &["--base-release", bad.to_str().unwrap()],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("bad.yaml:4:12"), "{}", run.stderr);
    let empty = dir.path().join("empty.yaml");
    std::fs::write(
        &empty,
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n",
    )
    .unwrap();
    let run = check_json(
        "fixtures/pairs/pvc-removed/new.yaml",
        &["--base-release", empty.to_str().unwrap()],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no Helm release record"),
        "{}",
        run.stderr
    );
    let run = rollguard(&[
        "check",
        "--manifest",
        "fixtures/pairs/pvc-removed/new.yaml",
        "--base-manifest",
        "x.yaml",
        "--base-release",
        "y.yaml",
    ]);
    assert_eq!(run.code, 2, "one baseline at a time");
}

#[test]
fn migrations_the_baseline_already_shipped_are_not_reported_again() {
    let file = "fixtures/sql/sql-drop-column.yaml";
    assert_eq!(check_json(file, &[]).findings("sql-drop-column").len(), 1);
    let run = check_json(file, &["--base-manifest", file]);
    assert!(run.findings("sql-drop-column").is_empty(), "{}", run.stdout);
    assert!(
        run.json()["notes"]
            .to_string()
            .contains("already shipped in the baseline")
    );
    // A baseline without that migration: it runs with this upgrade.
    let run = check_json(
        file,
        &["--base-manifest", "fixtures/rules/pvc-no-keep-policy.yaml"],
    );
    assert_eq!(run.findings("sql-drop-column").len(), 1);
}
