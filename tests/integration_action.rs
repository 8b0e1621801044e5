//! The GitHub Action's script steps, run locally with the environment a runner gives them
//! (`GITHUB_OUTPUT`, `GITHUB_STEP_SUMMARY`, `GITHUB_PATH`, the action's inputs as `ROLLGUARD_*`).

mod integration_support;

use std::path::Path;

use integration_support::{
    BIN, Run, command, crate_root, git, put_chart, repo_with_charts, script,
};

/// Runs `scripts/action-check.sh` in `repo` with the inputs given; returns the run and the
/// files the runner would read afterwards.
struct Step {
    run: Run,
    output: String,
    summary: String,
}

fn check_step(repo: &Path, inputs: &[(&str, &str)]) -> Step {
    let runner = tempfile::tempdir().unwrap();
    let output = runner.path().join("output");
    let summary = runner.path().join("summary.md");
    let mut cmd = command(crate_root().join("scripts/action-check.sh"), repo);
    cmd.env("GITHUB_WORKSPACE", repo)
        .env("GITHUB_OUTPUT", &output)
        .env("GITHUB_STEP_SUMMARY", &summary)
        .env("ROLLGUARD_BIN", BIN);
    for (name, value) in inputs {
        cmd.env(name, value);
    }
    let run = Run::from(cmd.output().unwrap());
    Step {
        run,
        output: std::fs::read_to_string(&output).unwrap_or_default(),
        summary: std::fs::read_to_string(&summary).unwrap_or_default(),
    }
}

/// A pull request: base commit with v1 charts, head commit changing `charts/web` to v2.
fn pull_request() -> (tempfile::TempDir, String) {
    let repo = repo_with_charts();
    let base = git(repo.path(), &["rev-parse", "HEAD"]);
    put_chart(&repo.path().join("charts/web"), "web");
    git(repo.path(), &["add", "-A"]);
    git(repo.path(), &["commit", "-qm", "v2"]);
    (repo, base)
}

#[test]
fn a_hazardous_pull_request_gets_sarif_annotations_a_summary_and_a_no_go() {
    let (repo, base) = pull_request();
    let step = check_step(
        repo.path(),
        &[
            ("ROLLGUARD_CHARTS", "charts/*"),
            ("ROLLGUARD_BASE", &base),
            ("ROLLGUARD_SARIF", "rollguard.sarif"),
            ("ROLLGUARD_ARGS", "--kube-version 1.31"),
        ],
    );
    // The step itself passes so the SARIF upload runs; the last step fails the job.
    assert_eq!(step.run.code, 0, "{}{}", step.run.stdout, step.run.stderr);
    assert_eq!(
        step.output,
        "verdict=no-go\nexit-code=1\nsarif-file=rollguard.sarif\n"
    );

    let sarif = std::fs::read_to_string(repo.path().join("rollguard.sarif")).unwrap();
    let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(sarif["version"], "2.1.0");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let storage = results
        .iter()
        .find(|r| r["ruleId"] == "pvc-storage-class-changed")
        .expect("the storage class change is in the SARIF report");
    let location = &storage["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "charts/web/templates/pvc.yaml"
    );
    assert_eq!(location["region"]["startLine"], 8);

    assert!(
        step.run.stdout.contains(
            "::error file=charts/web/templates/pvc.yaml,line=8,col=3,title=rollguard pvc-storage-class-changed::"
        ),
        "{}",
        step.run.stdout
    );
    assert!(step.run.stdout.contains("NO-GO"), "{}", step.run.stdout);

    assert!(
        step.summary.starts_with("## ⛔ rollguard: NO-GO"),
        "{}",
        step.summary
    );
    assert!(step.summary.contains("(charts/web)"), "{}", step.summary);
    assert!(step.summary.contains("(charts/other)"), "{}", step.summary);
    assert!(
        step.summary.contains("`pvc-storage-class-changed`"),
        "{}",
        step.summary
    );
}

#[test]
fn a_safe_pull_request_is_go() {
    let repo = repo_with_charts();
    let base = git(repo.path(), &["rev-parse", "HEAD"]);
    let step = check_step(
        repo.path(),
        &[("ROLLGUARD_ALL", "true"), ("ROLLGUARD_BASE", &base)],
    );
    assert_eq!(step.run.code, 0, "{}", step.run.stderr);
    assert_eq!(
        step.output,
        "verdict=go\nexit-code=0\nsarif-file=rollguard.sarif\n"
    );
    assert!(
        step.summary.starts_with("## ✅ rollguard: GO"),
        "{}",
        step.summary
    );
    assert!(!step.run.stdout.contains("::error"), "{}", step.run.stdout);
}

#[test]
fn a_shallow_checkout_fetches_the_base_commit() {
    let (origin, base) = pull_request();
    let clone = tempfile::tempdir().unwrap();
    let url = format!("file://{}", origin.path().display());
    git(clone.path(), &["clone", "-q", "--depth=1", &url, "."]);
    let step = check_step(
        clone.path(),
        &[
            ("ROLLGUARD_CHARTS", "charts/web"),
            ("ROLLGUARD_BASE", &base),
        ],
    );
    assert_eq!(step.run.code, 0, "{}", step.run.stderr);
    assert!(
        step.output.starts_with("verdict=no-go\n"),
        "{}",
        step.output
    );
}

/// The step failed with rollguard's exit 2, said so as an error annotation.
fn assert_step_failed_unchecked(step: &Step) {
    assert!(
        step.run
            .stdout
            .contains("::error title=rollguard::rollguard could not check the charts (exit 2)"),
        "{}",
        step.run.stdout
    );
}

/// No report at all (the only chart asked for is missing): the step fails, the verdict is
/// `incomplete`, and no SARIF file is named for the upload step — not even one left from before.
#[test]
fn an_input_error_fails_the_step() {
    let repo = repo_with_charts();
    std::fs::write(repo.path().join("rollguard.sarif"), "{}").unwrap();
    let step = check_step(repo.path(), &[("ROLLGUARD_CHARTS", "charts/missing")]);
    assert_eq!(step.run.code, 2);
    assert_step_failed_unchecked(&step);
    assert_eq!(step.output, "verdict=incomplete\nexit-code=2\n");
    assert!(!repo.path().join("rollguard.sarif").exists());
    assert_eq!(step.summary, "");
}

/// A chart that cannot be rendered (exit 2) next to charts that can: the report of the others
/// is written everywhere, the step fails, and `verdict` is `incomplete` — or `no-go` when a
/// chart that was checked has an error, which no unchecked chart could undo.
#[test]
fn a_chart_that_cannot_be_checked_makes_the_verdict_incomplete_and_fails_the_step() {
    for (hazard, verdict, heading) in [
        (false, "incomplete", "## ❓ rollguard: INCOMPLETE"),
        (true, "no-go", "## ⛔ rollguard: NO-GO"),
    ] {
        let (repo, base) = if hazard {
            pull_request()
        } else {
            let repo = repo_with_charts();
            let base = git(repo.path(), &["rev-parse", "HEAD"]);
            (repo, base)
        };
        let broken = repo.path().join("charts/broken");
        std::fs::create_dir_all(broken.join("templates")).unwrap();
        std::fs::write(
            broken.join("Chart.yaml"),
            "apiVersion: v2\nname: broken\nversion: 1.0.0\n",
        )
        .unwrap();
        std::fs::write(broken.join("templates/cm.yaml"), "{{ .Values.x | nope }}\n").unwrap();
        let step = check_step(
            repo.path(),
            &[
                ("ROLLGUARD_CHARTS", "charts/*"),
                ("ROLLGUARD_BASE", &base),
                ("ROLLGUARD_ARGS", "--kube-version 1.31"),
            ],
        );
        assert_eq!(step.run.code, 2, "{verdict}: {}", step.run.stderr);
        assert_eq!(
            step.output,
            format!("verdict={verdict}\nexit-code=2\nsarif-file=rollguard.sarif\n")
        );
        let sarif = std::fs::read_to_string(repo.path().join("rollguard.sarif")).unwrap();
        let sarif: serde_json::Value = serde_json::from_str(&sarif).unwrap();
        assert_eq!(
            sarif["runs"][0]["invocations"][0]["executionSuccessful"], false,
            "{verdict}"
        );
        assert!(step.summary.starts_with(heading), "{}", step.summary);
        assert!(
            step.run
                .stdout
                .contains("::error file=charts/broken,title=rollguard%3A chart not checked::"),
            "{}",
            step.run.stdout
        );
        assert_step_failed_unchecked(&step);
    }
}

/// `install: source` builds with cargo once per action ref into the tool cache and puts it on
/// PATH; a fake cargo stands in for the build.
#[test]
fn the_install_step_builds_once_per_action_ref() {
    let runner = tempfile::tempdir().unwrap();
    let tools = runner.path().join("tools");
    let fake_bin = runner.path().join("fake-bin");
    std::fs::create_dir_all(&fake_bin).unwrap();
    let calls = runner.path().join("cargo-calls");
    script(
        &fake_bin.join("cargo"),
        &format!(
            "#!/bin/sh\necho \"$@\" >> '{}'\nroot=$5\nmkdir -p \"$root/bin\"\nprintf '#!/bin/sh\\necho rollguard 0.1.0\\n' > \"$root/bin/rollguard\"\nchmod +x \"$root/bin/rollguard\"\n",
            calls.display()
        ),
    );
    let path = format!("{}:/usr/bin:/bin", fake_bin.display());
    let github_path = runner.path().join("github-path");
    for _ in 0..2 {
        let run = command(
            crate_root().join("scripts/action-install.sh"),
            runner.path(),
        )
        .env("PATH", &path)
        .env("GITHUB_ACTION_PATH", crate_root())
        .env("GITHUB_ACTION_REF", "v1/x")
        .env("RUNNER_TOOL_CACHE", &tools)
        .env("GITHUB_PATH", &github_path)
        .output()
        .unwrap();
        let run = Run::from(run);
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert_eq!(run.stdout, "rollguard 0.1.0\n");
    }
    let root = tools.join("rollguard/v1-x");
    assert_eq!(
        std::fs::read_to_string(&calls).unwrap(),
        format!(
            "install --locked --quiet --root {} --path {}\n",
            root.display(),
            crate_root().display()
        )
    );
    let added = std::fs::read_to_string(&github_path).unwrap();
    assert_eq!(added, format!("{0}/bin\n{0}/bin\n", root.display()));
}

/// The action wires its inputs to the variables the scripts read, and the scripts exist.
#[test]
fn action_yml_runs_the_scripts_with_their_inputs() {
    let action = std::fs::read_to_string(crate_root().join("action.yml")).unwrap();
    assert!(action.contains("using: composite"));
    for script in ["action-install.sh", "action-check.sh"] {
        assert!(action.contains(&format!("\"$GITHUB_ACTION_PATH/scripts/{script}\"")));
        assert!(crate_root().join("scripts").join(script).is_file());
    }
    let check = std::fs::read_to_string(crate_root().join("scripts/action-check.sh")).unwrap();
    for input in ["CHARTS", "ALL", "BASE", "ARGS", "FAIL_ON", "SARIF"] {
        let var = format!("ROLLGUARD_{input}");
        assert!(check.contains(&var), "the check script ignores {var}");
        assert!(
            action.contains(&format!("{var}: ${{{{ inputs.")),
            "action.yml does not set {var}"
        );
    }
    assert!(action.contains("github/codeql-action/upload-sarif@v3"));
    assert!(action.contains("exit \"$ROLLGUARD_EXIT\""));
}
