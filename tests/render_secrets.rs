//! Generated secrets: `rollguard render` draws them from the operating system as Helm does
//! (`--seed N` for a reproducible render), and `check`, which renders with a fixed seed and
//! disposable keys, never prints what it generated.

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
  ca.key: {{ $ca.Key | b64enc }}
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

/// The generated values in a rendered stream: password, token, certificate (base64), the
/// certificate's PEM and the private key (base64).
fn secrets(stream: &str) -> Vec<String> {
    let found: Vec<String> = ["password:", "token:", "ca.crt:", "ca.pem:", "ca.key:"]
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

/// What a render with `seed` generated before its first key: the password and the token.
/// (`check` draws its keys from a disposable pool, `render` does not: their keys differ.)
fn generated_with(chart: &str, seed: &str) -> Vec<String> {
    secrets(&rollguard(&["render", chart, "--seed", seed]).stdout)[..2].to_vec()
}

/// The runs of base64 letters in `text` long and mixed enough to be generated material (a
/// password, a certificate's or key's base64 or PEM lines): 24 characters or more with
/// upper- and lower-case letters and digits. `/` ends a run, so paths do not count; hex
/// fingerprints have no upper case.
fn material(text: &str) -> Vec<&str> {
    text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '='))
        .filter(|run| {
            run.len() >= 24
                && run.chars().any(|c| c.is_ascii_uppercase())
                && run.chars().any(|c| c.is_ascii_lowercase())
                && run.chars().any(|c| c.is_ascii_digit())
        })
        .collect()
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
fn render_salts_every_hash_anew() {
    // `check` hashes a password from values with the same salt whatever its seed; `render`, as
    // Helm, with a new one every time.
    let chart = "fixtures/charts/secret-regenerated-htpasswd.safe";
    let field = |stream: &str, key: &str| {
        let line = stream.lines().find(|l| l.trim_start().starts_with(key));
        line.unwrap_or_else(|| panic!("no {key} in\n{stream}"))
            .to_string()
    };
    let (first, second) = (rollguard(&["render", chart]), rollguard(&["render", chart]));
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_ne!(
        field(&first.stdout, "REGISTRY_HTPASSWD:"),
        field(&second.stdout, "REGISTRY_HTPASSWD:")
    );
    assert_eq!(
        field(&first.stdout, "REGISTRY_PASSWORD:"),
        field(&second.stdout, "REGISTRY_PASSWORD:")
    );
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

/// `rollguard ARGS` at a fixed clock, so certificates of separate runs share their dates.
fn at_fixed_clock(args: &[&str]) -> common::Run {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rollguard"))
        .args(args)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    common::Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

#[test]
fn check_never_prints_what_it_generated() {
    let dir = tempfile::tempdir().unwrap();
    // A new password length: the diff of the Secret shows both revisions' passwords.
    let base = chart(&dir.path().join("v1"), "admin", 24);
    let new = chart(&dir.path().join("v2"), "operator", 32);
    // What `check` generates before its keys: its fixed seed.
    let seed = RENDER_SEED.to_string();
    let mut generated = generated_with(&new, &seed);
    generated.extend(generated_with(&base, &seed));
    // What is not generated: the runs renders with other seeds have too (a certificate's PEM
    // lines that encode only its name, dates and extensions; where its lines break depends on
    // the length of its random serial number, hence many seeds: 24 distinct streams, odd seeds
    // as the generator's state is the seed with its low bit set, so that every serial length
    // check's renders may draw is among them).
    let fixed: Vec<String> = (0..24)
        .map(|i| 2 * i + 1)
        .flat_map(|seed| {
            let other = at_fixed_clock(&["render", &new, "--seed", &seed.to_string()]).stdout;
            material(&other)
                .into_iter()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    let rendered = at_fixed_clock(&["render", &new, "--seed", &seed]).stdout;
    let in_render: Vec<&str> = material(&rendered)
        .into_iter()
        .filter(|run| !fixed.iter().any(|f| f == run))
        .collect();
    assert!(
        in_render.len() >= 10,
        "the detector sees the keys and certificates a render generated: {in_render:?}"
    );
    for format in [
        "human", "json", "sarif", "markdown", "junit", "gitlab", "github",
    ] {
        let run = at_fixed_clock(&[
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
        // Whatever else it generated (keys, certificates) is masked too, wherever it appears.
        for out in [&run.stdout, &run.stderr] {
            let printed: Vec<&str> = material(out)
                .into_iter()
                .filter(|run| !fixed.iter().any(|f| f == run))
                .collect();
            assert!(
                printed.is_empty(),
                "{format} report prints generated material {printed:?}:\n{out}"
            );
        }
        if format == "human" {
            // The secrets were there to be masked: the human report shows the changed fields,
            // the certificate and key among them.
            for field in ["data.password: \"*****", "data.[\"ca.key\"]: \"*****"] {
                assert!(run.stdout.contains(field), "{field}: {}", run.stdout);
            }
        }
    }
}
