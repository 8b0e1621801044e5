//! `rollguard check CHART` and `rollguard render CHART`: rendered natively, findings pointing at
//! template lines, chart baselines (`--base-chart`, `--base REF`), and the rules only a chart
//! shows (`kube-version-incompatible`, `lookup-dependent`).

mod common;

use std::path::Path;
use std::process::Command;

use common::{Run, rollguard};

fn check(chart: &str, extra: &[&str]) -> Run {
    let mut args = vec!["check", chart, "--format", "json", "--no-pipelines"];
    args.extend_from_slice(extra);
    rollguard(&args)
}

fn at(run: &Run, rule: &str) -> (String, u64) {
    let found = run.findings(rule);
    assert!(
        !found.is_empty(),
        "{rule} did not fire: {}{}",
        run.stdout,
        run.stderr
    );
    let l = &found[0]["location"];
    (
        l["file"].as_str().unwrap().to_string(),
        l["line"].as_u64().unwrap(),
    )
}

#[test]
fn findings_point_at_the_template_line_that_wrote_the_field() {
    let run = check("fixtures/charts/web", &["--kube-version", "1.31"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // `initialDelaySeconds: {{ .Values.probes.readinessDelay }}` is line 28 of the template.
    assert_eq!(
        at(&run, "readiness-delay-below-startup"),
        ("fixtures/charts/web/templates/deployment.yaml".into(), 28)
    );
    assert_eq!(
        at(&run, "pvc-no-keep-policy"),
        ("fixtures/charts/web/templates/pvc.yaml".into(), 5)
    );
    // SQL from `.Files.Glob … AsConfig`: the line of the chart's own SQL file.
    assert_eq!(
        at(&run, "sql-drop-column"),
        (
            "fixtures/charts/web/files/migrations/002_cleanup.sql".into(),
            2
        )
    );
    let chart = &run.json()["charts"][0];
    assert_eq!(
        (chart["name"].as_str(), chart["version"].as_str()),
        (Some("web"), Some("2.0.0"))
    );
}

/// Every finding's rule, file, line and column, in report order.
fn locations(run: &Run) -> Vec<(String, String, u64, u64)> {
    run.json()["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            let l = &f["location"];
            (
                f["rule"].as_str().unwrap_or_default().to_string(),
                l["file"].as_str().unwrap_or_default().to_string(),
                l["line"].as_u64().unwrap_or_default(),
                l["column"].as_u64().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn findings_on_a_container_a_helper_writes_point_at_the_helper_line() {
    // `{{- include "shop.container" . | nindent 8 }}`: the container's `- name:`, the
    // `secretKeyRef` `name:` and the volume's `secretName:` are written in _helpers.tpl.
    let helpers = "fixtures/charts/helper-container/templates/_helpers.tpl";
    let run = check("fixtures/charts/helper-container", &[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let expected = [
        ("missing-readiness-probe", 3, 3),
        ("external-secret", 12, 20),
        ("external-secret", 19, 20),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|&(rule, line, col)| (rule.to_string(), helpers.to_string(), line, col))
        .collect();
    assert_eq!(locations(&run), expected);
    // The text report shows the same line, and SARIF names the same region.
    let text = rollguard(&[
        "check",
        "fixtures/charts/helper-container",
        "--no-pipelines",
    ]);
    assert!(
        text.stdout.contains(&format!("{helpers}:3:3]")),
        "{}",
        text.stdout
    );
    assert!(
        text.stdout.contains("3 │ - name: {{ .Chart.Name }}"),
        "{}",
        text.stdout
    );
    let sarif = rollguard(&[
        "check",
        "fixtures/charts/helper-container",
        "--no-pipelines",
        "--format",
        "sarif",
    ]);
    let regions: Vec<_> = sarif.json()["runs"][0]["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            let p = &r["locations"][0]["physicalLocation"];
            (
                r["ruleId"].as_str().unwrap_or_default().to_string(),
                p["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                p["region"]["startLine"].as_u64().unwrap_or_default(),
                p["region"]["startColumn"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(regions, expected);

    // The same Deployment written out in the template keeps the template's lines.
    let direct = check("fixtures/charts/inline-container", &[]);
    let template = "fixtures/charts/inline-container/templates/deployment.yaml";
    let expected: Vec<_> = [
        ("missing-readiness-probe", 15, 11),
        ("external-secret", 24, 28),
        ("external-secret", 29, 28),
    ]
    .iter()
    .map(|&(rule, line, col)| (rule.to_string(), template.to_string(), line, col))
    .collect();
    assert_eq!(locations(&direct), expected);
}

#[test]
fn a_previous_chart_is_a_baseline() {
    let run = check(
        "fixtures/charts/web",
        &[
            "--base-chart",
            "fixtures/charts/web-v1",
            "--kube-version",
            "1.31",
        ],
    );
    assert_eq!(
        at(&run, "pvc-storage-class-changed"),
        ("fixtures/charts/web/templates/pvc.yaml".into(), 8)
    );
    assert_eq!(
        run.json()["charts"][0]["baseline"],
        "chart:fixtures/charts/web-v1"
    );
    // 001_init.sql shipped with 1.4.0: only 002 is new.
    let drops = run.findings("sql-drop-column");
    assert_eq!(drops.len(), 1);
    assert!(run.json()["notes"].to_string().contains("already shipped"));
    // The same chart as its own baseline changes nothing: the random seed and clock are shared.
    let same = check(
        "fixtures/charts/web",
        &[
            "--base-chart",
            "fixtures/charts/web",
            "--kube-version",
            "1.31",
        ],
    );
    for rule in [
        "pvc-storage-class-changed",
        "config-change-without-rollout",
        "immutable-field-changed",
        "sql-drop-column",
    ] {
        assert!(same.findings(rule).is_empty(), "{rule}: {}", same.stdout);
    }
}

#[test]
fn a_packaged_chart_is_a_baseline_too() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    let tgz = dir.path().join("web-1.4.0.tgz");
    let gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&tgz).unwrap(),
        flate2::Compression::default(),
    );
    let mut archive = tar::Builder::new(gz);
    archive
        .append_dir_all("web", root.join("fixtures/charts/web-v1"))
        .unwrap();
    archive.into_inner().unwrap().finish().unwrap();
    let run = check(
        "fixtures/charts/web",
        &[
            "--base-chart",
            tgz.to_str().unwrap(),
            "--kube-version",
            "1.31",
        ],
    );
    assert_eq!(
        run.findings("pvc-storage-class-changed").len(),
        1,
        "{}{}",
        run.stdout,
        run.stderr
    );
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from) {
        let entry = entry.unwrap();
        let dest = to.join(entry.path().strip_prefix(from).unwrap());
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&dest).unwrap();
        } else {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

#[test]
fn a_git_revision_is_a_baseline_and_a_new_chart_has_none() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let repo = tempfile::tempdir().unwrap();
    let chart = repo.path().join("charts/web");
    git(repo.path(), &["init", "-q"]);
    git(
        repo.path(),
        &["commit", "-q", "--allow-empty", "-m", "empty"],
    );
    copy_dir(&root.join("fixtures/charts/web-v1"), &chart);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-q", "-m", "v1"]);
    std::fs::remove_dir_all(&chart).unwrap();
    copy_dir(&root.join("fixtures/charts/web"), &chart);
    let chart_arg = chart.to_str().unwrap();
    let run = check(chart_arg, &["--base", "HEAD", "--kube-version", "1.31"]);
    assert_eq!(run.json()["charts"][0]["baseline"], "git:HEAD");
    assert_eq!(
        run.findings("pvc-storage-class-changed").len(),
        1,
        "{}{}",
        run.stdout,
        run.stderr
    );
    let msg = run.findings("pvc-storage-class-changed")[0]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("\"standard\" to \"fast-ssd\""), "{msg}");
    // At the first commit the chart did not exist: a new chart, no baseline, not an error.
    let run = check(chart_arg, &["--base", "HEAD~1", "--kube-version", "1.31"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.json()["charts"][0]["baseline"].is_null());
    // A revision that does not exist is not a new chart either: the baseline that was asked
    // for cannot be read, an input error.
    let run = check(
        chart_arg,
        &["--base", "no-such-ref", "--kube-version", "1.31"],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("does not name"), "{}", run.stderr);
}

#[test]
fn chart_yaml_kube_version_is_checked_against_the_target() {
    let run = check(
        "fixtures/charts/kube-version-incompatible",
        &["--kube-version", "1.29"],
    );
    assert_eq!(run.code, 1);
    let f = &run.findings("kube-version-incompatible")[0];
    assert_eq!(f["severity"], "error");
    assert_eq!(
        f["location"]["file"],
        "fixtures/charts/kube-version-incompatible/Chart.yaml"
    );
    assert_eq!(f["location"]["line"], 5);
    // Still served at 1.21: fine.
    assert!(
        check(
            "fixtures/charts/kube-version-incompatible",
            &["--kube-version", "1.21"]
        )
        .findings("kube-version-incompatible")
        .is_empty()
    );
    assert!(
        check(
            "fixtures/charts/kube-version-incompatible.safe",
            &["--kube-version", "1.29"]
        )
        .findings("kube-version-incompatible")
        .is_empty()
    );
}

#[test]
fn templates_that_call_lookup_are_reported() {
    let run = check("fixtures/charts/lookup-dependent", &[]);
    let f = &run.findings("lookup-dependent")[0];
    assert_eq!(f["severity"], "info");
    assert_eq!(
        f["location"]["file"],
        "fixtures/charts/lookup-dependent/templates/ingress.yaml"
    );
    assert_eq!(f["location"]["line"], 1);
    assert!(
        check("fixtures/charts/lookup-dependent.safe", &[])
            .findings("lookup-dependent")
            .is_empty()
    );
}

#[test]
fn render_prints_helm_template_and_the_raw_map() {
    let run = rollguard(&["render", "fixtures/charts/web"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sources: Vec<&str> = run
        .stdout
        .lines()
        .filter(|l| l.starts_with("# Source: "))
        .collect();
    // Install order: ConfigMap, PVC, Deployment; the hooks (by weight) last.
    assert_eq!(
        sources,
        [
            "# Source: web/templates/configmap.yaml",
            "# Source: web/templates/pvc.yaml",
            "# Source: web/templates/deployment.yaml",
            "# Source: web/templates/migrations.yaml",
            "# Source: web/templates/migrations.yaml",
        ]
    );
    let json: serde_json::Value =
        serde_json::from_str(&rollguard(&["render", "fixtures/charts/web", "--json"]).stdout)
            .unwrap();
    let keys: Vec<&String> = json.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 4, "partials are left out: {keys:?}");
    let no_hooks = rollguard(&["render", "fixtures/charts/web", "--no-hooks"]).stdout;
    assert!(!no_hooks.contains("helm.sh/hook"));
    let set = rollguard(&[
        "render",
        "fixtures/charts/web",
        "--set",
        "persistence.enabled=false",
    ])
    .stdout;
    assert!(!set.contains("PersistentVolumeClaim"));
}

#[test]
fn render_matches_helm_byte_for_byte() {
    let oracle = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/oracle/helm-render");
    let Ok(out) = Command::new(&oracle)
        .args(["fixtures/charts/web", "--json"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
    else {
        println!("skipped: the Helm oracle is not here");
        return;
    };
    if !out.status.success() {
        println!(
            "skipped: the Helm oracle did not run: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let helm: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ours: serde_json::Value =
        serde_json::from_str(&rollguard(&["render", "fixtures/charts/web", "--json"]).stdout)
            .unwrap();
    assert_eq!(ours, helm);
}

#[test]
fn broken_charts_are_exit_2_with_the_template_position() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("templates")).unwrap();
    std::fs::write(
        dir.path().join("Chart.yaml"),
        "apiVersion: v2\nname: broken\nversion: 1.0.0\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("templates/cm.yaml"),
        "kind: ConfigMap\ndata:\n  x: {{ .Values.a.b }}\n",
    )
    .unwrap();
    let run = rollguard(&["check", dir.path().to_str().unwrap(), "--no-pipelines"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("broken/templates/cm.yaml:3"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("nil pointer evaluating interface {}.b"),
        "{}",
        run.stderr
    );
    let run = rollguard(&["check", "fixtures/no-such-chart"]);
    assert_eq!(run.code, 2);
}

#[test]
fn a_change_in_crds_is_reported_because_helm_never_upgrades_it() {
    let run = check(
        "fixtures/charts/operator",
        &["--base-chart", "fixtures/charts/operator-v1"],
    );
    assert_eq!(
        at(&run, "crd-changed"),
        ("fixtures/charts/operator/crds/widgets.yaml".into(), 21)
    );
    let unchanged = check(
        "fixtures/charts/operator-v1",
        &["--base-chart", "fixtures/charts/operator-v1"],
    );
    assert!(
        unchanged.findings("crd-changed").is_empty(),
        "{}",
        unchanged.stdout
    );
}

#[test]
fn an_upgrade_that_stops_at_fail_is_an_error_at_the_template_line() {
    // 2.0.0 renamed its Secret: rendered as the upgrade of 1.0.0, its lookup finds no current
    // password and the chart fails, as `helm upgrade` would.
    let run = check(
        "fixtures/charts/upgrade-render-fails",
        &["--base-chart", "fixtures/charts/upgrade-render-fails.base"],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(
        at(&run, "upgrade-render-fails"),
        (
            "fixtures/charts/upgrade-render-fails/templates/secret.yaml".into(),
            7
        )
    );
    let message = run.findings("upgrade-render-fails")[0]["message"].to_string();
    assert!(
        message.contains("You must provide your current passwords"),
        "{message}"
    );
    // 1.9.0 already had the Secret: the upgrade's lookup finds it and reuses the password.
    let safe = check(
        "fixtures/charts/upgrade-render-fails",
        &["--base-chart", "fixtures/charts/upgrade-render-fails.safe"],
    );
    assert!(
        safe.findings("upgrade-render-fails").is_empty(),
        "{}",
        safe.stdout
    );
    let notes = safe.json()["notes"].to_string();
    assert!(
        notes.contains("rendered as revision 2 (an upgrade of revision 1, assumed)"),
        "{notes}"
    );
    // Without a baseline it is an install: nothing to report.
    let install = check("fixtures/charts/upgrade-render-fails", &[]);
    assert!(
        install.findings("upgrade-render-fails").is_empty(),
        "{}",
        install.stdout
    );
}

#[test]
fn a_password_every_upgrade_generates_anew_is_an_error() {
    // stable/mysql: `randAlphaNum` with no lookup of the existing Secret, used by the pod.
    let run = check("fixtures/charts/secret-regenerated-on-upgrade", &[]);
    assert_eq!(
        at(&run, "secret-regenerated-on-upgrade"),
        (
            "fixtures/charts/secret-regenerated-on-upgrade/templates/secrets.yaml".into(),
            10
        )
    );
    assert_eq!(
        run.findings("secret-regenerated-on-upgrade")[0]["severity"],
        "error"
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    // The value a user gives is the same on every upgrade.
    let given = check(
        "fixtures/charts/secret-regenerated-on-upgrade",
        &["--set", "mysqlRootPassword=s3cret-pass"],
    );
    assert!(
        given.findings("secret-regenerated-on-upgrade").is_empty(),
        "{}",
        given.stdout
    );
    // Reused through lookup, with or without a baseline.
    let safe = "fixtures/charts/secret-regenerated-on-upgrade.safe";
    for extra in [&[][..], &["--base-chart", safe][..]] {
        let run = check(safe, extra);
        assert!(
            run.findings("secret-regenerated-on-upgrade").is_empty(),
            "{}",
            run.stdout
        );
    }
}

/// The `secret-regenerated-on-upgrade` findings of `run`: severity, file and line.
fn regenerated(run: &Run) -> Vec<(String, String, u64)> {
    run.findings("secret-regenerated-on-upgrade")
        .iter()
        .map(|f| {
            let l = &f["location"];
            (
                f["severity"].as_str().unwrap().to_string(),
                l["file"].as_str().unwrap().to_string(),
                l["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn a_hash_is_regenerated_only_when_the_password_it_hashes_is() {
    // A generated password hashed for a registry's htpasswd file: a new password, so a new hash,
    // on every upgrade, and the registry mounts it. (The clients' copy is read by nothing in
    // the release: not reported.)
    let chart = "fixtures/charts/secret-regenerated-htpasswd";
    let run = check(chart, &[]);
    assert_eq!(
        regenerated(&run),
        [("error".into(), format!("{chart}/templates/secret.yaml"), 9)],
        "{}",
        run.stdout
    );
    // harbor: the password is from values, only the salt is new (any salt verifies it).
    let safe = check("fixtures/charts/secret-regenerated-htpasswd.safe", &[]);
    assert_eq!(safe.code, 0, "{}{}", safe.stdout, safe.stderr);
    assert!(
        safe.findings("secret-regenerated-on-upgrade").is_empty(),
        "{}",
        safe.stdout
    );
}

#[test]
fn a_regenerated_config_nothing_reads_is_not_reported() {
    // mattermost: a starting config.json with generated keys, read only by a load test.
    let chart = "fixtures/charts/secret-regenerated-init-config";
    let run = check(chart, &[]);
    assert_eq!(
        regenerated(&run),
        [(
            "error".into(),
            format!("{chart}/templates/configmap-config.yaml"),
            7
        )],
        "{}",
        run.stdout
    );
    // With the load test off (mattermost's default), nothing in the release reads it.
    let safe = check("fixtures/charts/secret-regenerated-init-config.safe", &[]);
    assert_eq!(safe.code, 0, "{}{}", safe.stdout, safe.stderr);
    assert!(regenerated(&safe).is_empty(), "{}", safe.stdout);
}

#[test]
fn a_chart_missing_a_declared_dependency_is_refused() {
    // nextcloud declares collabora-online (disabled) without vendoring it: Helm refuses the
    // chart before rendering anything, so the check cannot be a GO.
    let run = check("fixtures/charts/missing-dependency", &[]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("chart dependencies are missing")
            && run.stderr.contains("collabora-online"),
        "{}",
        run.stderr
    );
}

#[test]
fn one_chart_that_cannot_be_checked_does_not_stop_the_others() {
    // As `helm lint` over several charts: every chart is checked, the one Helm refuses is an
    // input error on standard error and in the report's notes, and the run exits 2.
    for charts in [
        ["fixtures/charts/missing-dependency", "fixtures/charts/web"],
        ["fixtures/charts/web", "fixtures/charts/missing-dependency"],
    ] {
        let run = rollguard(&[
            "check",
            charts[0],
            charts[1],
            "--format",
            "json",
            "--no-pipelines",
        ]);
        assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
        assert!(
            run.stderr.contains("chart dependencies are missing"),
            "{}",
            run.stderr
        );
        let report = run.json();
        let checked: Vec<&str> = report["charts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["path"].as_str().unwrap())
            .collect();
        assert_eq!(checked, ["fixtures/charts/web"]);
        assert_eq!(
            at(&run, "pvc-no-keep-policy"),
            ("fixtures/charts/web/templates/pvc.yaml".into(), 5)
        );
        let notes = report["notes"].to_string();
        assert!(
            notes.contains("not checked: fixtures/charts/missing-dependency"),
            "{notes}"
        );
    }
}
