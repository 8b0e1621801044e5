//! Every rule: a fixture that must trigger it (rule id, severity, file and line asserted) and a
//! safe twin that must not.

mod common;

use common::{Run, check_json};

struct Case {
    rule: &'static str,
    severity: &'static str,
    line: u64,
    extra: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case {
        rule: "api-removed",
        severity: "error",
        line: 3,
        extra: &[],
    },
    Case {
        rule: "api-deprecated",
        severity: "warning",
        line: 3,
        extra: &["--kube-version", "1.22"],
    },
    Case {
        rule: "missing-readiness-probe",
        severity: "warning",
        line: 15,
        extra: &[],
    },
    Case {
        rule: "readiness-delay-below-startup",
        severity: "warning",
        line: 21,
        extra: &[],
    },
    Case {
        rule: "liveness-kills-before-startup",
        severity: "error",
        line: 23,
        extra: &[],
    },
    Case {
        rule: "external-configmap",
        severity: "warning",
        line: 19,
        extra: &[],
    },
    Case {
        rule: "external-secret",
        severity: "info",
        line: 18,
        extra: &[],
    },
    Case {
        rule: "dangling-reference",
        severity: "warning",
        line: 18,
        extra: &[],
    },
    Case {
        rule: "pvc-no-keep-policy",
        severity: "info",
        line: 6,
        extra: &[],
    },
    Case {
        rule: "hook-failed-left-behind",
        severity: "warning",
        line: 9,
        extra: &[],
    },
    Case {
        rule: "workload-as-hook",
        severity: "warning",
        line: 9,
        extra: &[],
    },
    Case {
        rule: "job-blocks-next-upgrade",
        severity: "warning",
        line: 7,
        extra: &[],
    },
    Case {
        rule: "unused-suppression",
        severity: "info",
        line: 9,
        extra: &[],
    },
    Case {
        rule: "duplicate-key",
        severity: "warning",
        line: 5,
        extra: &[],
    },
];

fn hazard(case: &Case) -> (String, Run) {
    let file = format!("fixtures/rules/{}.yaml", case.rule);
    let run = check_json(&file, case.extra);
    (file, run)
}

#[test]
fn every_rule_fires_on_its_fixture_at_the_right_place() {
    for case in CASES {
        let (file, run) = hazard(case);
        let found = run.findings(case.rule);
        assert!(
            !found.is_empty(),
            "{} did not fire on {file}:\n{}",
            case.rule,
            run.stdout
        );
        let f = &found[0];
        assert_eq!(f["severity"], case.severity, "{}", case.rule);
        assert_eq!(f["location"]["file"], file.as_str(), "{}", case.rule);
        assert_eq!(f["location"]["line"], case.line, "{}: {}", case.rule, f);
        assert_eq!(f["suppressed"], false, "{}", case.rule);
        let expected_code = if case.severity == "error" { 1 } else { 0 };
        assert_eq!(run.code, expected_code, "{}: {}", case.rule, run.stderr);
    }
}

#[test]
fn no_rule_fires_on_its_safe_twin() {
    for case in CASES {
        let file = format!("fixtures/rules/{}.safe.yaml", case.rule);
        let run = check_json(&file, case.extra);
        assert!(run.code == 0 || run.code == 1, "{file}: {}", run.stderr);
        assert_eq!(
            run.findings(case.rule),
            Vec::<serde_json::Value>::new(),
            "{} fired on {file}",
            case.rule
        );
    }
}

/// Every rule in the catalog has a hazard fixture named after it and a safe twin named
/// `<id>.safe` (a file or a directory) somewhere under `fixtures/`, and a test that names it.
#[test]
fn every_catalog_rule_has_a_hazard_and_a_safe_fixture() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut names = std::collections::BTreeSet::new();
    for entry in walkdir::WalkDir::new(root.join("fixtures")) {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().to_string();
        names.insert(name.trim_end_matches(".yaml").to_string());
    }
    let mut tests = String::new();
    for entry in walkdir::WalkDir::new(root.join("tests")) {
        let path = entry.unwrap().into_path();
        if path.extension().is_some_and(|e| e == "rs") {
            tests.push_str(&std::fs::read_to_string(path).unwrap());
        }
    }
    let listed = common::rollguard(&["rules"]).stdout;
    let ids: Vec<&str> = listed
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert!(ids.len() >= CASES.len());
    for id in ids {
        assert!(
            names.contains(id),
            "rule {id} has no hazard fixture named {id}"
        );
        assert!(
            names.contains(&format!("{id}.safe")),
            "rule {id} has no safe twin named {id}.safe"
        );
        assert!(
            tests.contains(&format!("\"{id}\"")),
            "no test names rule {id}"
        );
    }
}

#[test]
fn messages_carry_the_facts() {
    let run = check_json("fixtures/rules/api-removed.yaml", &[]);
    let f = &run.findings("api-removed")[0];
    assert_eq!(f["effect"], "upgrade-fails");
    assert_eq!(f["category"], "apis");
    assert_eq!(f["resource"]["kind"], "Ingress");
    assert_eq!(f["resource"]["namespace"], "default");
    assert_eq!(f["location"]["template"], "web/templates/ingress.yaml");
    assert!(f["message"].as_str().unwrap().contains("1.22"), "{f}");
    assert!(
        f["help"].as_str().unwrap().contains("networking.k8s.io/v1"),
        "{f}"
    );

    let run = check_json("fixtures/rules/external-secret.yaml", &[]);
    let msg = run.findings("external-secret")[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains("Secret `db-credentials`") && msg.contains("projected volume"),
        "{msg}"
    );
}

#[test]
fn api_rules_follow_the_target_version() {
    // batch/v1beta1 CronJob: deprecated in 1.21, removed in 1.25.
    let file = "fixtures/rules/api-deprecated.yaml";
    assert!(
        check_json(file, &["--kube-version", "1.20"]).json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["category"] != "apis")
    );
    assert_eq!(
        check_json(file, &["--kube-version", "1.24"])
            .findings("api-deprecated")
            .len(),
        1
    );
    let removed = check_json(file, &["--kube-version", "v1.25.3"]);
    assert_eq!(removed.findings("api-removed").len(), 1);
    assert_eq!(removed.findings("api-deprecated").len(), 0);
}

#[test]
fn unused_suppression_reports_unknown_and_stale_ids() {
    let run = check_json("fixtures/rules/unused-suppression.yaml", &[]);
    let found = run.findings("unused-suppression");
    let messages: Vec<&str> = found
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(found.len(), 2, "{messages:?}");
    assert!(
        messages
            .iter()
            .any(|m| m.contains("unknown rule `no-such-rule`"))
    );
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`pvc-no-keep-policy`, which reported nothing"))
    );

    let safe = check_json("fixtures/rules/unused-suppression.safe.yaml", &[]);
    let json = safe.json();
    assert_eq!(json["summary"]["suppressed"], 1);
    let pvc = safe.findings("pvc-no-keep-policy");
    assert_eq!(pvc.len(), 1);
    assert_eq!(pvc[0]["suppressed"], true);
}

#[test]
fn readme_rule_table_matches_the_catalog() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let table = readme
        .split("<!-- rules:start -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- rules:end -->").next())
        .expect("README has the rules table markers");
    let rows: Vec<Vec<String>> = table
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let mut cells: Vec<String> = l
                .trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect();
            cells[0] = cells[0].trim_matches('`').to_string();
            cells
        })
        .collect();
    let columns = regex::Regex::new(r"^(\S+)\s+(\S+)\s+(\S+)\s+(.*)$").unwrap();
    let catalog: Vec<Vec<String>> = common::rollguard(&["rules"])
        .stdout
        .lines()
        .skip(1)
        .map(|l| {
            let c = columns.captures(l).expect("four columns");
            (1..=4).map(|i| c[i].trim().to_string()).collect()
        })
        .collect();
    if std::env::var_os("UPDATE_README").is_some() && rows != catalog {
        let body: String = catalog
            .iter()
            .map(|r| format!("| `{}` | {} | {} | {} |\n", r[0], r[1], r[2], r[3]))
            .collect();
        let new_table =
            format!("\n| rule | severity | effect | summary |\n|---|---|---|---|\n{body}");
        let updated = readme.replacen(table, &new_table, 1);
        std::fs::write(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"), updated).unwrap();
        return;
    }
    assert_eq!(
        rows, catalog,
        "README's rule table must list the catalog (id, severity, effect, summary); UPDATE_README=1 cargo test --test rules rewrites it"
    );
}
