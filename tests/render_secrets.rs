//! Generated secrets: `rollguard render` draws them from the operating system as Helm does
//! (`--seed N` for a reproducible render), and `check`, which renders with a fixed seed, never
//! prints what it generated.

mod common;

use std::path::Path;

use common::rollguard;
use rollguard::inputs::native::RENDER_SEED;

const SECRET: &str = r#"apiVersion: v1
kind: Secret
metadata:
  name: app
type: Opaque
data:
  user: {{ .Values.user | b64enc }}
  password: {{ randAlphaNum (int .Values.length) | b64enc }}
  token: {{ uuidv4 | quote }}
{{- $ca := genCA "app-ca" 365 }}
  ca.crt: {{ $ca.Cert | b64enc }}
  ca.pem: {{ $ca.Cert | quote }}
"#;

const DEPLOYMENT: &str = r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  selector: {matchLabels: {app: app}}
  template:
    metadata: {labels: {app: app}}
    spec:
      containers:
        - name: app
          image: app:1
          envFrom: [{secretRef: {name: app}}]
          readinessProbe: {httpGet: {path: /, port: 80}}
"#;

/// A chart with generated secrets, the user and the password's length in its values.
fn chart(dir: &Path, user: &str, length: usize) -> String {
    let templates = dir.join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(
        dir.join("Chart.yaml"),
        "apiVersion: v2\nname: app\nversion: 1.0.0\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("values.yaml"),
        format!("user: {user}\nlength: {length}\n"),
    )
    .unwrap();
    std::fs::write(templates.join("secret.yaml"), SECRET).unwrap();
    std::fs::write(templates.join("deployment.yaml"), DEPLOYMENT).unwrap();
    dir.display().to_string()
}

/// The generated values in a rendered stream: password, token, certificate (base64) and the
/// certificate's PEM.
fn secrets(stream: &str) -> Vec<String> {
    let found: Vec<String> = ["password:", "token:", "ca.crt:", "ca.pem:"]
        .iter()
        .map(|key| {
            let line = stream.lines().find(|l| l.trim_start().starts_with(key));
            let value = line.unwrap_or_else(|| panic!("no {key} in\n{stream}"));
            value
                .split_once(':')
                .unwrap()
                .1
                .trim()
                .trim_matches('"')
                .to_string()
        })
        .collect();
    assert!(found.iter().all(|s| s.len() >= 24), "{found:?}");
    found
}

/// What a render with `seed` generated that one with another seed does not have: the values,
/// and the lines of the PEM (some encode only the name and dates, the same in both).
fn generated_with(chart: &str, seed: &str) -> Vec<String> {
    let render = |seed: &str| secrets(&rollguard(&["render", chart, "--seed", seed]).stdout);
    let (mine, other) = (render(seed), render("2"));
    let pem_lines = |pem: &str| -> Vec<String> { pem.split("\\n").map(str::to_string).collect() };
    let other_lines = pem_lines(&other[3]);
    let mut found = mine[..3].to_vec();
    found.extend(
        pem_lines(&mine[3])
            .into_iter()
            .filter(|l| l.len() > 40 && !other_lines.contains(l)),
    );
    found
}

#[test]
fn render_draws_secrets_from_the_operating_system() {
    let dir = tempfile::tempdir().unwrap();
    let chart = chart(dir.path(), "admin", 24);
    let first = rollguard(&["render", &chart]);
    let second = rollguard(&["render", &chart]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    let (a, b) = (secrets(&first.stdout), secrets(&second.stdout));
    // Password, token and the certificate as a whole. The PEM's own first lines (subject,
    // validity to the second) are the same in two renders of one second; key and signature are
    // not.
    for (x, y) in a[..3].iter().zip(&b[..3]) {
        assert_ne!(x, y, "the same secret twice");
    }
    assert_ne!(a[3..], b[3..], "the same certificate twice");
}

#[test]
fn a_seeded_render_is_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let chart = chart(dir.path(), "admin", 24);
    let run = || {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_rollguard"));
        cmd.args(["render", &chart, "--seed", "1"])
            .env("SOURCE_DATE_EPOCH", "1700000000");
        let out = cmd.output().unwrap();
        assert!(out.status.success());
        String::from_utf8(out.stdout).unwrap()
    };
    let (first, second) = (run(), run());
    assert_eq!(first, second);
    assert_eq!(secrets(&first), secrets(&second));
    let unseeded = rollguard(&["render", &chart]).stdout;
    assert_ne!(secrets(&first)[0], secrets(&unseeded)[0]);
}

#[test]
fn check_never_prints_what_it_generated() {
    let dir = tempfile::tempdir().unwrap();
    // A new password length: the diff of the Secret shows both revisions' passwords.
    let base = chart(&dir.path().join("v1"), "admin", 24);
    let new = chart(&dir.path().join("v2"), "operator", 32);
    // What `check` generates: its fixed seed.
    let seed = RENDER_SEED.to_string();
    let mut generated = generated_with(&new, &seed);
    generated.extend(generated_with(&base, &seed));
    for format in ["human", "json", "sarif", "markdown", "junit", "gitlab"] {
        let run = rollguard(&[
            "check",
            &new,
            "--base-chart",
            &base,
            "--no-pipelines",
            "--format",
            format,
        ]);
        assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
        assert!(
            run.stdout.contains("config-change-without-rollout"),
            "{format}: {}",
            run.stdout
        );
        for secret in &generated {
            assert!(
                !run.stdout.contains(secret.as_str()),
                "{format} report prints the generated {secret}:\n{}",
                run.stdout
            );
        }
        if format == "human" {
            // The secrets were there to be masked: the human report shows the changed fields.
            assert!(
                run.stdout.contains("data.password: \"*****"),
                "{}",
                run.stdout
            );
        }
    }
}
