//! The pipeline rules: per rule a hazardous pipeline file (rule id, severity, file and line
//! asserted) and a safe twin, checked together with the chart they deploy
//! (`fixtures/pipelines/app.yaml`, chart `app`).

mod common;

use common::{Run, check_json};

struct Case {
    rule: &'static str,
    severity: &'static str,
    /// The hazard file inside `fixtures/pipelines/rules/<rule>/`, a directory given to
    /// `--pipeline`; the safe twin is the same file in `<rule>.safe/`.
    file: &'static str,
    line: u64,
    /// The chart's rendered manifest, when the rule's directories hold their own (so the rule's
    /// documentation page shows it); else the shared `fixtures/pipelines/app.yaml`.
    manifest: Option<&'static str>,
}

/// Every rule whose findings point into pipeline files.
const CASES: &[Case] = &[
    Case {
        rule: "missing-history-max",
        severity: "warning",
        file: ".gitlab-ci.yml",
        line: 13,
        manifest: None,
    },
    Case {
        rule: "missing-atomic",
        severity: "warning",
        file: "deploy.sh",
        line: 5,
        manifest: None,
    },
    Case {
        rule: "missing-wait",
        severity: "info",
        file: "Jenkinsfile",
        line: 11,
        manifest: None,
    },
    Case {
        rule: "force-upgrade",
        severity: "warning",
        file: "helmfile.yaml",
        line: 10,
        manifest: None,
    },
    Case {
        rule: "missing-cleanup-on-fail",
        severity: "info",
        file: "helmrelease.yaml",
        line: 16,
        manifest: None,
    },
    Case {
        rule: "timeout-below-startup",
        severity: "error",
        file: "deploy.yml",
        line: 17,
        manifest: Some("app.yaml"),
    },
];

fn dir(rule: &str) -> String {
    format!("fixtures/pipelines/rules/{rule}")
}

fn check(case: &Case, dir: &str) -> Run {
    let manifest = match case.manifest {
        Some(name) => format!("{dir}/{name}"),
        None => "fixtures/pipelines/app.yaml".to_string(),
    };
    check_json(&manifest, &["--pipeline", dir])
}

#[test]
fn every_pipeline_rule_fires_on_its_fixture_at_the_right_place() {
    for case in CASES {
        let file = format!("{}/{}", dir(case.rule), case.file);
        let run = check(case, &dir(case.rule));
        let found = run.findings(case.rule);
        assert!(
            !found.is_empty(),
            "{} did not fire on {file}:\n{}{}",
            case.rule,
            run.stdout,
            run.stderr
        );
        let f = &found[0];
        assert_eq!(f["severity"], case.severity, "{}: {f}", case.rule);
        assert_eq!(f["location"]["file"], file.as_str(), "{}", case.rule);
        assert_eq!(f["location"]["line"], case.line, "{}: {f}", case.rule);
        let errors = run.json()["summary"]["error"].as_u64().unwrap_or(0);
        assert_eq!(
            run.code,
            i32::from(errors > 0),
            "{}: {}",
            case.rule,
            run.stderr
        );
    }
}

#[test]
fn no_pipeline_rule_fires_on_its_safe_twin() {
    for case in CASES {
        let file = format!("{}.safe", dir(case.rule));
        let run = check(case, &file);
        assert!(run.code == 0 || run.code == 1, "{file}: {}", run.stderr);
        assert_eq!(
            run.findings(case.rule),
            Vec::<serde_json::Value>::new(),
            "{} fired on {file}",
            case.rule
        );
    }
}

#[test]
fn every_pipeline_rule_has_a_case() {
    for id in [
        "missing-history-max",
        "missing-atomic",
        "missing-wait",
        "force-upgrade",
        "missing-cleanup-on-fail",
        "timeout-below-startup",
    ] {
        assert!(CASES.iter().any(|c| c.rule == id), "{id} has no case");
        let explain = common::rollguard(&["explain", id]);
        assert_eq!(explain.code, 0, "{id} is not in the catalog");
    }
}
