//! The command line: exit codes, inputs, config, errors.

mod common;

use common::{check_json, rollguard, rollguard_with_stdin};

#[test]
fn exit_codes_follow_verdict_and_fail_on() {
    // Only warnings: GO, exit 0; with --fail-on warning, exit 1; the verdict stays GO.
    let file = "fixtures/rules/missing-readiness-probe.yaml";
    let run = check_json(file, &[]);
    assert_eq!((run.code, run.json()["verdict"].as_str()), (0, Some("go")));
    let run = check_json(file, &["--fail-on", "warning"]);
    assert_eq!((run.code, run.json()["verdict"].as_str()), (1, Some("go")));
    // An error: NO-GO, exit 1, unless --fail-on never.
    let file = "fixtures/rules/api-removed.yaml";
    assert_eq!(check_json(file, &[]).code, 1);
    let run = check_json(file, &["--fail-on", "never"]);
    assert_eq!(
        (run.code, run.json()["verdict"].as_str()),
        (0, Some("no-go"))
    );
}

#[test]
fn reads_the_manifest_from_stdin() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/rules/pvc-no-keep-policy.yaml"
    ))
    .unwrap();
    let run = rollguard_with_stdin(&["check", "--manifest", "-", "--format", "json"], &text);
    let f = &run.findings("pvc-no-keep-policy")[0];
    assert_eq!(f["location"]["file"], "<stdin>");
    assert_eq!(f["location"]["line"], 6);
}

#[test]
fn namespace_flag_applies_to_objects_without_one() {
    let run = check_json("fixtures/rules/pvc-no-keep-policy.yaml", &["-n", "prod"]);
    assert_eq!(
        run.findings("pvc-no-keep-policy")[0]["resource"]["namespace"],
        "prod"
    );
}

#[test]
fn bad_input_is_exit_2_with_file_and_line() {
    let cases: &[(&str, &str)] = &[
        (
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  labels: [\n",
            "<stdin>:",
        ),
        (
            "---\n- a\n- b\n",
            "<stdin>:2:1: a manifest document must be a mapping",
        ),
        (
            "apiVersion: v1\nmetadata:\n  name: x\n",
            "<stdin>:1:1: object has no `kind`",
        ),
        ("apiVersion: v1\nkind: ConfigMap\n", "has no metadata.name"),
        (
            "apiVersion: v1\nkind: List\nitems: 3\n",
            "`items` of a List must be a list",
        ),
    ];
    for (text, expected) in cases {
        let run = rollguard_with_stdin(&["check", "--manifest", "-"], text);
        assert_eq!(run.code, 2, "{text:?}: {}", run.stderr);
        assert!(run.stderr.contains(expected), "{text:?}: {}", run.stderr);
        assert!(!run.stderr.contains("panicked"), "{}", run.stderr);
    }
}

#[test]
fn unreadable_inputs_are_exit_2() {
    let run = rollguard(&["check", "--manifest", "fixtures"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("fixtures: is a directory"),
        "{}",
        run.stderr
    );
    let run = rollguard(&["check", "--manifest", "no/such/file.yaml"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("no/such/file.yaml: cannot read"),
        "{}",
        run.stderr
    );
    let run = rollguard(&[
        "check",
        "--manifest",
        "fixtures/rules/api-removed.yaml",
        "--kube-version",
        "one.two",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--kube-version"), "{}", run.stderr);
    let run = rollguard(&["check"]);
    assert_eq!(run.code, 2, "usage errors are exit 2 too");
}

fn with_config(config: &str, manifest: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(".rollguard.yaml"), config).unwrap();
    let nested = dir.path().join("out");
    std::fs::create_dir(&nested).unwrap();
    let text =
        std::fs::read_to_string(format!("{}/{manifest}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let path = nested.join("rendered.yaml");
    std::fs::write(&path, text).unwrap();
    let path = path.display().to_string();
    (dir, path)
}

#[test]
fn config_is_found_walking_up_and_applies() {
    let config = "kubeVersion: \"1.22\"\n\
                  disable: [missing-readiness-probe]\n\
                  severity: {external-configmap: error}\n\
                  allow:\n  secrets: [\"shop-*\"]\n\
                  startup:\n  default: 10\n  workloads: {shop: 120}\n";
    let (_dir, path) = with_config(config, "fixtures/examples/shop.yaml");
    let run = check_json(&path, &[]);
    assert!(run.findings("missing-readiness-probe").is_empty());
    assert_eq!(run.findings("external-configmap")[0]["severity"], "error");
    assert!(
        run.findings("external-secret").is_empty(),
        "allowed by glob"
    );
    // The PDB's policy/v1beta1 is only deprecated at 1.22.
    assert_eq!(run.findings("api-deprecated").len(), 1);
    // The annotation (45s) wins over the config's per-workload startup time.
    let msg = run.findings("liveness-kills-before-startup")[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("45s"), "{msg}");
}

#[test]
fn startup_time_from_config_enables_the_probe_rules() {
    let config = "startup:\n  workloads: {api: 90}\n";
    let (_dir, path) = with_config(config, "fixtures/rules/missing-readiness-probe.safe.yaml");
    assert!(
        check_json(&path, &[])
            .findings("readiness-delay-below-startup")
            .is_empty()
    );
    let (_dir, path) = with_config(
        config,
        "fixtures/rules/liveness-kills-before-startup.safe.yaml",
    );
    // The safe twin declares 90s itself and its liveness budget (90s) covers it.
    assert!(
        check_json(&path, &[])
            .findings("liveness-kills-before-startup")
            .is_empty()
    );
}

#[test]
fn config_errors_are_exit_2_with_line() {
    for (config, expected) in [
        (
            "disable: [no-such-rule]\n",
            ".rollguard.yaml:1:11: unknown rule id `no-such-rule`",
        ),
        (
            "severity: {api-removed: fatal}\n",
            "severity must be one of",
        ),
        ("colour: red\n", "unknown config key `colour`"),
        ("startup: {default: -3}\n", "whole seconds"),
        ("allow: {configMaps: [\"[\"]}\n", "invalid glob"),
    ] {
        let (_dir, path) = with_config(config, "fixtures/rules/api-removed.yaml");
        let run = check_json(&path, &[]);
        assert_eq!(run.code, 2, "{config}");
        assert!(run.stderr.contains(expected), "{config}: {}", run.stderr);
    }
}

#[test]
fn explicit_config_flag() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("strict.yaml");
    std::fs::write(&config, "severity: {pvc-no-keep-policy: error}\n").unwrap();
    let run = check_json(
        "fixtures/rules/pvc-no-keep-policy.yaml",
        &["--config", config.to_str().unwrap()],
    );
    assert_eq!(run.code, 1);
    assert_eq!(run.findings("pvc-no-keep-policy")[0]["severity"], "error");
}

#[test]
fn rules_and_explain() {
    let run = rollguard(&["rules"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.lines().any(|l| l.starts_with("api-removed")
        && l.contains("error")
        && l.contains("upgrade-fails")));
    let run = rollguard(&["explain", "pvc-no-keep-policy"]);
    assert_eq!(run.code, 0);
    assert!(run.stdout.contains("helm.sh/resource-policy: keep"));
    assert!(
        run.stdout
            .contains("rollguard.dev/ignore: pvc-no-keep-policy")
    );
    let run = rollguard(&["explain", "nope"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("unknown rule `nope`"));
}

#[test]
fn output_file_and_github_annotations() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("report.sarif");
    let run = rollguard(&[
        "check",
        "--manifest",
        "fixtures/rules/api-removed.yaml",
        "--format",
        "sarif",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("\"version\": \"2.1.0\"")
    );

    let output = std::process::Command::new(env!("CARGO_BIN_EXE_rollguard"))
        .args(["check", "--manifest", "fixtures/rules/api-removed.yaml"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("GITHUB_ACTIONS", "true")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("NO-GO"), "{stdout}");
    assert!(
        stdout.contains("::error file=fixtures/rules/api-removed.yaml,line=3,col=1,title=rollguard api-removed::"),
        "{stdout}"
    );
}

#[test]
fn output_is_deterministic() {
    let a = check_json("fixtures/examples/shop.yaml", &[]).stdout;
    let b = check_json("fixtures/examples/shop.yaml", &[]).stdout;
    assert_eq!(a, b);
}

#[test]
fn accepted_findings_leave_the_verdict_but_stay_listed() {
    let dir = tempfile::tempdir().unwrap();
    let accepted = dir.path().join("accepted.json");
    let acc = accepted.to_str().unwrap();
    let file = "fixtures/examples/shop.yaml";
    let first = check_json(file, &["--write-accepted", acc]);
    assert_eq!(first.code, 1);
    let written = std::fs::read_to_string(&accepted).unwrap();
    assert!(written.contains("\"schema\": \"rollguard/accepted/v1\""));
    assert!(
        !written.contains("\"line\""),
        "fingerprints, not line numbers"
    );

    // An unrelated edit moves every line; the accepted findings still match.
    let shifted = dir.path().join("shop.yaml");
    let text = std::fs::read_to_string(format!("{}/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    std::fs::write(&shifted, format!("# a comment\n# another\n{text}")).unwrap();
    let run = check_json(shifted.to_str().unwrap(), &["--accepted", acc]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let json = run.json();
    assert_eq!(json["verdict"], "go");
    assert_eq!(json["summary"]["error"], 0);
    assert!(
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["suppressed"] == true)
    );

    // A new hazard is not accepted.
    std::fs::write(
        &shifted,
        format!(
            "{text}---\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: more\n"
        ),
    )
    .unwrap();
    let run = check_json(shifted.to_str().unwrap(), &["--accepted", acc]);
    let fresh: Vec<_> = run
        .findings("pvc-no-keep-policy")
        .into_iter()
        .filter(|f| f["suppressed"] == false)
        .collect();
    assert_eq!(fresh.len(), 1);
    assert!(
        fresh[0]["message"]
            .as_str()
            .unwrap()
            .contains("default/more")
    );

    std::fs::write(&accepted, "{\"schema\": 3}").unwrap();
    let run = check_json(file, &["--accepted", acc]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("not an accepted-findings file"),
        "{}",
        run.stderr
    );
}

#[test]
fn quiet_is_one_line_per_finding() {
    let run = rollguard(&[
        "check",
        "--manifest",
        "fixtures/rules/api-removed.yaml",
        "--quiet",
    ]);
    assert_eq!(run.code, 1);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stdout);
    assert!(lines[0].starts_with("fixtures/rules/api-removed.yaml:3:1: error[api-removed] Ingress default/web uses extensions/v1beta1"));
    assert!(lines[1].starts_with("NO-GO  1 error"));
}

#[test]
fn completions_and_version() {
    for shell in ["bash", "zsh", "fish"] {
        let run = rollguard(&["completions", shell]);
        assert_eq!(run.code, 0);
        assert!(
            run.stdout.contains("rollguard") && run.stdout.contains("check"),
            "{shell}"
        );
    }
    let run = rollguard(&["--version"]);
    assert!(run.stdout.starts_with("rollguard "));
    assert_eq!(rollguard(&["completions", "tcsh"]).code, 2);
}
