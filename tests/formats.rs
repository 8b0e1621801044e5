//! Every output format on one realistic fixture (snapshots), and the JSON formats validated
//! against their schemas.

mod common;

use common::rollguard;

const EXAMPLE: &str = "fixtures/examples/shop.yaml";

fn report(format: &str) -> String {
    let run = rollguard(&[
        "check",
        "--manifest",
        EXAMPLE,
        "--kube-version",
        "1.29",
        "--format",
        format,
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    run.stdout
}

fn schema(path: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(format!("{}/{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    serde_json::from_str(&text).unwrap()
}

#[test]
fn human() {
    insta::assert_snapshot!(report("human"));
}

#[test]
fn json() {
    insta::assert_snapshot!(report("json"));
}

/// The results only: the rule descriptors grow with the catalog and are checked on their own.
#[test]
fn sarif() {
    let doc: serde_json::Value = serde_json::from_str(&report("sarif")).unwrap();
    let listed = rollguard(&["rules"]).stdout;
    let descriptors = doc["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(descriptors.len(), listed.lines().count() - 1);
    assert!(descriptors.iter().all(|d| {
        d["fullDescription"]["text"]
            .as_str()
            .is_some_and(|t| t.len() > 40)
    }));
    // Each rule's help names `rollguard explain` and points at its page, which exists.
    for d in descriptors {
        let id = d["id"].as_str().unwrap();
        let page = format!("docs/rules/{id}.md");
        assert_eq!(
            d["helpUri"],
            format!("https://github.com/rollguard/rollguard/blob/main/{page}"),
        );
        assert!(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join(&page)
                .is_file(),
            "{page}"
        );
        let help = d["help"]["text"].as_str().unwrap();
        assert!(
            help.contains(&format!("`rollguard explain {id}`")),
            "{help}"
        );
    }
    insta::assert_json_snapshot!(doc["runs"][0]["results"]);
}

#[test]
fn junit() {
    insta::assert_snapshot!(report("junit"));
}

#[test]
fn markdown() {
    insta::assert_snapshot!(report("markdown"));
}

#[test]
fn github() {
    insta::assert_snapshot!(report("github"));
}

#[test]
fn gitlab() {
    insta::assert_snapshot!(report("gitlab"));
    let doc: serde_json::Value = serde_json::from_str(&report("gitlab")).unwrap();
    let issues = doc.as_array().unwrap();
    let summary =
        serde_json::from_str::<serde_json::Value>(&report("json")).unwrap()["summary"].clone();
    let counted = ["error", "warning", "info"]
        .iter()
        .map(|k| summary[k].as_u64().unwrap())
        .sum::<u64>();
    assert_eq!(
        issues.len() as u64,
        counted,
        "suppressed findings are left out"
    );
    let mut prints: Vec<&str> = issues
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    prints.sort();
    prints.dedup();
    assert_eq!(prints.len(), issues.len(), "fingerprints are unique");
}

#[test]
fn json_matches_the_report_schema() {
    let validator = jsonschema::validator_for(&schema("schema/report-v1.json")).unwrap();
    for file in [
        EXAMPLE,
        "fixtures/rules/unused-suppression.safe.yaml",
        "fixtures/rules/api-removed.safe.yaml",
    ] {
        let run = rollguard(&["check", "--manifest", file, "--format", "json"]);
        let doc: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
        let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
        assert!(errors.is_empty(), "{file}: {errors:#?}");
    }
}

/// The published SARIF 2.1.0 schema, compiled.
fn sarif_validator() -> jsonschema::Validator {
    // The published schema's `language` patterns end in a stray `]`, a literal in ECMA regexes
    // but an error for Rust's regex engine: escape it, change nothing else.
    let text = std::fs::read_to_string(format!(
        "{}/tests/data/sarif-2.1.0.schema.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let stray = r#"[a-zA-Z]{2}]?$"#;
    assert_eq!(text.matches(stray).count(), 2);
    let text = text.replace(stray, r#"[a-zA-Z]{2}\\]?$"#);
    let sarif_schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    jsonschema::validator_for(&sarif_schema).unwrap()
}

#[test]
fn sarif_matches_the_sarif_2_1_0_schema() {
    let validator = sarif_validator();
    let doc: serde_json::Value = serde_json::from_str(&report("sarif")).unwrap();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let results = doc["runs"][0]["results"].as_array().unwrap();
    let suppressed: Vec<_> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(
        suppressed.len(),
        1,
        "the suppressed finding stays in the log, marked"
    );
    assert_eq!(suppressed[0]["ruleId"], "api-removed");
    let region = &results[0]["locations"][0]["physicalLocation"]["region"];
    assert!(region["startLine"].as_u64().unwrap() >= 1);
}

#[test]
fn junit_is_well_formed_xml() {
    let text = report("junit");
    let opens = text.matches("<testcase ").count();
    let closes = text.matches("</testcase>").count() + text.matches("\"/>\n").count()
        - text.matches("<skipped").count();
    assert_eq!(opens, closes, "{text}");
    assert!(text.contains("<failure type=\"error\""));
    assert!(text.contains("<skipped message=\"suppressed\"/>"));
}

/// Two charts asked for, the second cannot be rendered (a dependency is missing): the run exits
/// 2, and no format may read as a pass — the JSON verdict is `incomplete`, SARIF says the run
/// failed, JUnit counts an error, the annotations and Code Quality carry one for the chart.
#[test]
fn a_chart_not_checked_is_no_pass_in_any_format() {
    const MISSING: &str = "fixtures/charts/missing-dependency";
    let run = |format: &str| {
        let run = rollguard(&[
            "check",
            "fixtures/charts/kube-version-incompatible.safe",
            MISSING,
            "--no-pipelines",
            "--format",
            format,
        ]);
        assert_eq!(run.code, 2, "{format}: {}{}", run.stdout, run.stderr);
        run.stdout
    };
    let json: serde_json::Value = serde_json::from_str(&run("json")).unwrap();
    assert_eq!(json["verdict"], "incomplete");
    assert_eq!(json["summary"]["error"], 0, "the chart checked is clean");
    let validator = jsonschema::validator_for(&schema("schema/report-v1.json")).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&json)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let sarif: serde_json::Value = serde_json::from_str(&run("sarif")).unwrap();
    let errors: Vec<String> = sarif_validator()
        .iter_errors(&sarif)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let invocation = &sarif["runs"][0]["invocations"][0];
    assert_eq!(invocation["executionSuccessful"], false);
    let notification = invocation["toolExecutionNotifications"][0]["message"]["text"].to_string();
    assert!(notification.contains(MISSING), "{notification}");

    let junit = run("junit");
    assert!(
        junit.contains("errors=\"1\">\n  <testsuite") && junit.contains("<error type=\"input\""),
        "{junit}"
    );
    let github = run("github");
    assert!(
        github.starts_with(&format!("::error file={MISSING},")),
        "{github}"
    );
    let gitlab: serde_json::Value = serde_json::from_str(&run("gitlab")).unwrap();
    assert_eq!(
        (&gitlab[0]["severity"], &gitlab[0]["location"]["path"]),
        (&"blocker".into(), &MISSING.into())
    );
    let markdown = run("markdown");
    assert!(
        markdown.starts_with("## ❓ rollguard: INCOMPLETE"),
        "{markdown}"
    );
    let human = run("human");
    assert!(
        human
            .lines()
            .last()
            .unwrap()
            .starts_with("INCOMPLETE  0 errors"),
        "{human}"
    );
}
