//! The fixture charts under `tests/fixtures/charts/` loaded with user values files, compared with
//! what the real Helm engine renders for them. Every chart's `templates/probe.txt` prints its
//! `.Values`, `.Chart` and `.Files` names; the expected outputs in `tests/fixtures/charts/expected/`
//! were produced by running the oracle (`shared/oracle/helm-render --json`) on exactly the chart
//! this test assembles. Regenerate them with `ROLLGUARD_REGEN_ORACLE=1 cargo test --test
//! chart_fixtures`.

mod chart_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use helm::chart::{LoadedRelease, RenderChart, ValueOptions, load};
use serde_json::Value;

use chart_support::{assemble, fixtures, normalised, shared};

fn values_files(files: &[&str]) -> Vec<PathBuf> {
    files
        .iter()
        .map(|f| fixtures().join("values").join(f))
        .collect()
}

fn oracle() -> PathBuf {
    shared().join("oracle/helm-render")
}

/// The expected rendering, re-derived from the oracle when asked.
fn expected(case: &str, dir: &Path, files: &[PathBuf]) -> serde_json::Map<String, Value> {
    let path = fixtures().join("expected").join(format!("{case}.json"));
    if std::env::var_os("ROLLGUARD_REGEN_ORACLE").is_some() {
        let mut cmd = Command::new(oracle());
        cmd.arg(dir).arg("--json");
        for f in files {
            cmd.arg("-f").arg(f);
        }
        let out = cmd.output().unwrap_or_else(|e| panic!("oracle: {e}"));
        assert!(
            out.status.success(),
            "oracle: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(&path, &out.stdout).unwrap_or_else(|e| panic!("{e}"));
    }
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn find<'a>(release: &'a LoadedRelease, full_path: &str) -> &'a RenderChart {
    release
        .charts()
        .into_iter()
        .find(|c| c.full_path == full_path)
        .unwrap_or_else(|| panic!("no chart {full_path}"))
}

/// Loads the fixture with the values files and checks it against the oracle's rendering.
fn check(case: &str, chart: &str, files: &[&str]) -> LoadedRelease {
    let (_tmp, dir) = assemble(chart);
    check_at(case, &dir, files)
}

/// [`check`] for a chart directory or archive already in place.
fn check_at(case: &str, dir: &Path, files: &[&str]) -> LoadedRelease {
    let files = values_files(files);
    let opts = ValueOptions {
        value_files: files.clone(),
        ..ValueOptions::default()
    };
    let release = load(dir, &opts).unwrap_or_else(|e| panic!("{case}: {e}"));
    let want = expected(case, dir, &files);
    let keys: Vec<String> = want.keys().cloned().collect();
    assert_eq!(release.output_paths(), keys, "{case}: rendered templates");
    for (key, text) in &want {
        let Some(full_path) = key.strip_suffix("/templates/probe.txt") else {
            continue;
        };
        let c = find(&release, full_path);
        let mut lines = text.as_str().unwrap_or("").lines();
        let mut json =
            || serde_json::from_str::<Value>(lines.next().unwrap_or("")).unwrap_or(Value::Null);
        assert_eq!(
            normalised(&Value::Object(c.values.clone())),
            normalised(&json()),
            "{case}: .Values of {full_path}"
        );
        assert_eq!(
            c.metadata.template_json(c.is_root),
            json(),
            "{case}: .Chart of {full_path}"
        );
        let files: Vec<&str> = c.files.iter().map(|f| f.name.as_str()).collect();
        let listed: Vec<&str> = lines.next().unwrap_or("").split_whitespace().collect();
        let mut sorted = files.clone();
        sorted.sort();
        assert_eq!(sorted, listed, "{case}: .Files of {full_path}");
    }
    release
}

#[test]
fn umbrella_defaults() {
    let r = check("umbrella-defaults", "umbrella", &[]);
    let names: Vec<&str> = r.root.subcharts.iter().map(|c| c.name.as_str()).collect();
    // session (alias of kv) is off by its condition; lib is a library chart.
    assert_eq!(names, ["cache", "db", "exporter", "lib"]);
    // The packaged subchart was read from the .tgz.
    assert!(
        find(&r, "umbrella/charts/exporter")
            .origin
            .ends_with("exporter-0.1.0.tgz")
    );
    // import-values: `conn` from exports, and service → dbService, under the parent's own keys.
    assert_eq!(r.root.values["dbPort"], 5432.0);
    assert_eq!(r.root.values["dbService"]["name"], "from-parent");
    // CRDs come from enabled charts' crds/ directories, manifests only.
    let crds: Vec<String> = r.root.crds().into_iter().map(|(path, _)| path).collect();
    assert_eq!(crds, ["umbrella/charts/db/crds/backup.yaml"]);
    // Library templates: only partials are kept, and none is output.
    let lib = find(&r, "umbrella/charts/lib");
    assert_eq!(lib.templates.len(), 1);
    assert!(lib.templates.iter().all(|t| t.is_partial()));
}

#[test]
fn umbrella_packaged_as_an_archive() {
    let (tmp, dir) = assemble("umbrella");
    let archive = tmp.path().join("umbrella-1.2.3.tgz");
    chart_support::package(&dir, &archive).unwrap_or_else(|e| panic!("{e}"));
    let r = check_at("umbrella-packaged", &archive, &[]);
    // No .helmignore for an archive (helm package applies it when packing): the ignored files
    // are files of the chart, and the dot file under templates/ is a template.
    let files: Vec<&str> = r.root.files.iter().map(|f| f.name.as_str()).collect();
    assert!(files.contains(&"README.md") && files.contains(&"scratch/notes.txt"));
    assert!(
        r.output_paths()
            .contains(&"umbrella/templates/.hidden.yaml".to_string())
    );
}

#[test]
fn umbrella_toggles_and_user_nulls() {
    let r = check("umbrella-toggles", "umbrella", &["umbrella-toggles.yaml"]);
    let names: Vec<&str> = r.root.subcharts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["cache", "lib", "session"]);
}

#[test]
fn umbrella_condition_falls_through_to_global() {
    check(
        "umbrella-global-condition",
        "umbrella",
        &["umbrella-global-condition.yaml"],
    );
}

#[test]
fn umbrella_user_nulls_in_subcharts() {
    let r = check(
        "umbrella-subchart-nulls",
        "umbrella",
        &["umbrella-subchart-nulls.yaml"],
    );
    let db = find(&r, "umbrella/charts/db");
    assert!(db.values.get("user").is_none());
    // Once the user gives values for db, the parent's `dropped: null` travels with them and
    // deletes db's default too (without user values for db it would not: see the defaults).
    assert!(db.values.get("dropped").is_none());
    assert!(db.values["service"].get("port").is_none());
}

#[test]
fn legacy_v1_chart_with_requirements_yaml() {
    let r = check("legacy-defaults", "legacy-v1", &[]);
    assert_eq!(
        r.root.metadata.app_version, "1.1",
        "Helm reads appVersion 1.10 as a number"
    );
    check("legacy-other-on", "legacy-v1", &["legacy-other-on.yaml"]);
}

#[test]
fn schema_violations_are_reported_with_chart_and_path() {
    let (_tmp, dir) = assemble("schema-app");
    assert!(load(&dir, &ValueOptions::default()).is_ok());
    let opts = ValueOptions {
        value_files: values_files(&["schema-bad.yaml"]),
        ..ValueOptions::default()
    };
    let err = load(&dir, &opts)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    // Helm: "- at '/image/tag': got number, want string", "- at '/replicas': minimum: got 0,
    // want 1" for schema-app, "- at '/port': maximum: got 70,000, want 65,535" for web.
    for needle in ["schema-app:", "/image/tag", "/replicas", "web:", "/port"] {
        assert!(err.contains(needle), "{needle} missing from: {err}");
    }
    // The error points at the first offending value where it was written.
    assert!(
        err.contains("schema-bad.yaml:3:8: values don't meet"),
        "{err}"
    );

    // Given by --set: no file to point at, the schema is named instead.
    let opts = ValueOptions {
        values: vec!["replicas=0".into()],
        ..ValueOptions::default()
    };
    let err = load(&dir, &opts)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("schema-app/values.schema.json: values don't meet"),
        "{err}"
    );

    // A chart's own default: its values.yaml; a subchart's, set by the parent: the parent's.
    let values = "replicas: 1\nimage:\n  tag: \"1.0\"\nweb:\n  port: 99999\n";
    std::fs::write(dir.join("values.yaml"), values).unwrap_or_else(|e| panic!("{e}"));
    let err = load(&dir, &ValueOptions::default())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        err.contains("schema-app/values.yaml:5:9: values don't meet"),
        "{err}"
    );
}

#[test]
fn nested_conditions_tags_and_unmatched_alias() {
    let r = check("nested-defaults", "nested", &[]);
    // kv does not satisfy `version: 9.x`, so the alias `cache` (and its condition) never
    // applies: kv stays, under its own name. Same for plain, whose dependency has no version
    // (an empty constraint is an error, so it matches nothing).
    let names: Vec<&str> = r.root.subcharts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["kv", "mid", "plain"]);
    // leaf: its condition (true) overrides its tag (false); leaf2: condition false.
    let mid = find(&r, "nested/charts/mid");
    let names: Vec<&str> = mid.subcharts.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["leaf"]);
}
