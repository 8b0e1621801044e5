//! The pipeline rules: per rule a hazardous pipeline file (rule id, severity, file and line
//! asserted) and a safe twin, checked together with the chart they deploy
//! (`fixtures/pipelines/app.yaml`, chart `app`).

mod common;

use common::{Run, check_json};

struct Case {
    rule: &'static str,
    severity: &'static str,
    /// Hazard file in fixtures/pipelines/rules; the safe twin has `.safe` before the kind.
    file: &'static str,
    line: u64,
    manifest: &'static str,
}

const APP: &str = "fixtures/pipelines/app.yaml";

/// Every rule whose findings point into pipeline files; tests/rules.rs lists the same ids.
const CASES: &[Case] = &[
    Case {
        rule: "missing-history-max",
        severity: "warning",
        file: "missing-history-max.gitlab-ci.yml",
        line: 13,
        manifest: APP,
    },
    Case {
        rule: "missing-atomic",
        severity: "warning",
        file: "missing-atomic.sh",
        line: 5,
        manifest: APP,
    },
    Case {
        rule: "missing-wait",
        severity: "info",
        file: "missing-wait.jenkinsfile",
        line: 11,
        manifest: APP,
    },
    Case {
        rule: "force-upgrade",
        severity: "warning",
        file: "force-upgrade.helmfile.yaml",
        line: 10,
        manifest: APP,
    },
    Case {
        rule: "missing-cleanup-on-fail",
        severity: "info",
        file: "missing-cleanup-on-fail.flux.yaml",
        line: 16,
        manifest: APP,
    },
    Case {
        rule: "timeout-below-startup",
        severity: "error",
        file: "timeout-below-startup.github.yml",
        line: 17,
        manifest: APP,
    },
];

fn path(file: &str) -> String {
    format!("fixtures/pipelines/rules/{file}")
}

fn safe_twin(file: &str) -> String {
    // `missing-atomic.sh` → `missing-atomic.safe.sh`, `x.gitlab-ci.yml` → `x.safe.gitlab-ci.yml`.
    let (stem, rest) = file.split_once('.').expect("a file kind");
    path(&format!("{stem}.safe.{rest}"))
}

fn check(manifest: &str, pipeline: &str) -> Run {
    check_json(manifest, &["--pipeline", pipeline])
}

#[test]
fn every_pipeline_rule_fires_on_its_fixture_at_the_right_place() {
    for case in CASES {
        let file = path(case.file);
        let run = check(case.manifest, &file);
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
        let file = safe_twin(case.file);
        let run = check(case.manifest, &file);
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
