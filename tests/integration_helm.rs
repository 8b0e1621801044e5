//! `--renderer helm` and the Helm plugin, with a fake `helm` that records its arguments and
//! prints a fixture manifest as `helm template` would.

mod integration_support;

use std::path::{Path, PathBuf};

use integration_support::{BIN, Run, command, crate_root, script};

/// A fake helm in `dir`: its arguments go to `dir/args`, its output is the shop example.
fn fake_helm(dir: &Path) -> PathBuf {
    let helm = dir.join("helm");
    let manifest = crate_root().join("fixtures/examples/shop.yaml");
    script(
        &helm,
        &format!(
            "#!/bin/sh\necho \"$@\" > '{}'\ncat '{}'\n",
            dir.join("args").display(),
            manifest.display()
        ),
    );
    helm
}

fn recorded_args(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("args")).unwrap()
}

#[test]
fn helm_renderer_runs_helm_template_with_the_chart_arguments() {
    let tmp = tempfile::tempdir().unwrap();
    let helm = fake_helm(tmp.path());
    let out = command(BIN, &crate_root())
        .env("ROLLGUARD_HELM", &helm)
        .env("HELM_BIN", "/nonexistent/helm")
        .args(["check", "fixtures/charts/web-v1", "--renderer", "helm"])
        .args(["--release-name", "shop", "-n", "prod", "--set", "a=b"])
        .args(["-f", "values-prod.yaml", "--kube-version", "1.29"])
        .args(["--format", "json"])
        .output()
        .unwrap();
    let run = Run::from(out);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(
        recorded_args(tmp.path()).trim(),
        "template shop fixtures/charts/web-v1 --namespace prod --values values-prod.yaml \
         --set a=b --kube-version 1.29.0"
    );
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["charts"][0]["name"], "shop");
    assert_eq!(report["charts"][0]["path"], "fixtures/charts/web-v1");
    let files: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["location"]["file"].as_str())
        .collect();
    assert!(
        files.contains(&"helm template fixtures/charts/web-v1"),
        "{files:?}"
    );
}

#[test]
fn helm_renderer_without_helm_is_an_input_error() {
    let run = command(BIN, &crate_root())
        .env("ROLLGUARD_HELM", "/nonexistent/helm")
        .args(["check", "fixtures/charts/web-v1", "--renderer", "helm"])
        .output()
        .unwrap();
    let run = Run::from(run);
    assert_eq!(run.code, 2, "{}", run.stderr);
    // miette wraps the message: compare words.
    let message: Vec<&str> = run
        .stderr
        .split_whitespace()
        .filter(|w| *w != "│")
        .collect();
    let message = message.join(" ");
    assert!(
        message.contains("cannot run helm (/nonexistent/helm from ROLLGUARD_HELM)"),
        "{message}"
    );
    assert!(message.contains("--renderer native"), "{message}");
}

#[test]
fn helm_renderer_reports_a_failing_helm_template() {
    let tmp = tempfile::tempdir().unwrap();
    let helm = tmp.path().join("helm");
    script(
        &helm,
        "#!/bin/sh\necho 'Error: chart requires kubeVersion' >&2\nexit 1\n",
    );
    let run = command(BIN, &crate_root())
        .env("HELM_BIN", &helm)
        .args(["check", "fixtures/charts/web-v1", "--renderer", "helm"])
        .output()
        .unwrap();
    let run = Run::from(run);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("helm template failed"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("chart requires kubeVersion"));
}

/// The plugin checking the `web-v1` fixture chart with a fake helm (recording its arguments in
/// `tmp`), as Helm runs it in namespace `namespace`.
fn plugin_check(tmp: &Path, namespace: &str) -> Run {
    let helm = fake_helm(tmp);
    let run = command(crate_root().join("scripts/helm-plugin.sh"), &crate_root())
        .env("HELM_PLUGIN_DIR", crate_root())
        .env("HELM_BIN", &helm)
        .env("HELM_NAMESPACE", namespace)
        .env("ROLLGUARD_BIN", BIN)
        .args([
            "check",
            "fixtures/charts/web-v1",
            "--renderer",
            "helm",
            "-q",
        ])
        .output()
        .unwrap();
    Run::from(run)
}

/// `helm rollguard check …` as Helm runs it: the plugin's command with HELM_PLUGIN_DIR,
/// HELM_BIN and HELM_NAMESPACE set.
#[test]
fn helm_plugin_runs_rollguard_with_helms_environment() {
    let manifest = std::fs::read_to_string(crate_root().join("plugin.yaml")).unwrap();
    assert!(manifest.contains("name: rollguard"));
    let command_line = "command: \"$HELM_PLUGIN_DIR/scripts/helm-plugin.sh\"";
    assert!(manifest.contains(command_line), "{manifest}");

    let tmp = tempfile::tempdir().unwrap();
    let run = plugin_check(tmp.path(), "staging");
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        recorded_args(tmp.path()).contains("--namespace staging"),
        "{}",
        recorded_args(tmp.path())
    );
    assert!(run.stdout.contains("NO-GO"), "{}", run.stdout);
}

#[test]
fn helm_plugin_without_a_binary_says_how_to_get_one() {
    let tmp = tempfile::tempdir().unwrap();
    let run = command("/bin/sh", tmp.path())
        .arg(crate_root().join("scripts/helm-plugin.sh"))
        .args(["check", "."])
        .env("HELM_PLUGIN_DIR", tmp.path())
        .env("PATH", "/usr/bin:/bin")
        .output()
        .unwrap();
    let run = Run::from(run);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("helm plugin update rollguard"),
        "{}",
        run.stderr
    );
}

#[test]
fn helm_plugin_reads_an_empty_namespace_as_unset() {
    let tmp = tempfile::tempdir().unwrap();
    assert_eq!(plugin_check(tmp.path(), "").code, 1);
    assert!(recorded_args(tmp.path()).contains("--namespace default"));
}

#[test]
fn helm_renderer_and_a_git_baseline_do_not_mix() {
    let run = command(BIN, &crate_root())
        .args(["check", "fixtures/charts/web-v1", "--renderer", "helm"])
        .args(["--base", "HEAD"])
        .output()
        .unwrap();
    let run = Run::from(run);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--base-manifest"), "{}", run.stderr);
}
