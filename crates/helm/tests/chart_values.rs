//! User values through `load`: `-f`, `--set`, `--set-string`, `--set-json`, `--set-file`,
//! `--set-literal`, on the
//! umbrella fixture. Which subcharts a tag or condition turns off was checked with the real
//! engine using the equivalent `-f` files (the oracle takes no `--set`); the types are Helm's
//! documented ones: `--set` integers are int64, everything from files and JSON float64.

mod chart_support;

use helm::chart::{LoadedRelease, ValueOptions, load};
use serde_json::json;
use std::path::PathBuf;

use chart_support::assemble;

fn with(opts: ValueOptions) -> LoadedRelease {
    let (_tmp, dir) = assemble("umbrella");
    load(&dir, &opts).unwrap_or_else(|e| panic!("{e}"))
}

fn set(exprs: &[&str]) -> ValueOptions {
    ValueOptions {
        values: exprs.iter().map(|s| s.to_string()).collect(),
        ..ValueOptions::default()
    }
}

/// A chart directory `name` in a new temporary directory, holding `files` (path, text).
fn chart_with(name: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join(name);
    for (rel, text) in files {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap_or(&dir)).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(p, text).unwrap_or_else(|e| panic!("{e}"));
    }
    (tmp, dir)
}

fn subcharts(r: &LoadedRelease) -> Vec<&str> {
    r.root.subcharts.iter().map(|c| c.name.as_str()).collect()
}

#[test]
fn set_types_and_disables() {
    let r = with(set(&[
        "db.enabled=false,replicas=3",
        "nested.flag=true,nested.name=0755",
    ]));
    assert_eq!(subcharts(&r), ["cache", "exporter", "lib"]);
    let replicas = &r.root.values["replicas"];
    assert!(replicas.is_i64(), "--set integers are int64: {replicas}");
    assert_eq!(
        r.root.values["nested"],
        json!({"keep": 1.0, "list": [1.0, null], "flag": true, "name": "0755"})
    );
}

#[test]
fn tags_yield_to_conditions() {
    // tags.backend=false alone: db's condition db.enabled (true) wins.
    assert_eq!(
        subcharts(&with(set(&["tags.backend=false"]))),
        ["cache", "db", "exporter", "lib"]
    );
    // With db.enabled null the condition holds no boolean, so the tag decides.
    let r = with(set(&["tags.backend=false,db.enabled=null"]));
    assert_eq!(subcharts(&r), ["cache", "exporter", "lib"]);
}

#[test]
fn user_null_deletes_a_subchart_default() {
    let r = with(set(&["cache.size=null", "session.enabled=true"]));
    let cache = r
        .root
        .subcharts
        .iter()
        .find(|c| c.name == "cache")
        .map(|c| &c.values);
    assert_eq!(cache.and_then(|v| v.get("size")), None);
    let session = r
        .root
        .subcharts
        .iter()
        .find(|c| c.name == "session")
        .map(|c| &c.values);
    assert_eq!(session.and_then(|v| v.get("size")), Some(&json!(16.0)));
}

#[test]
fn set_json_string_and_file() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let cert = tmp.path().join("cert.pem");
    std::fs::write(&cert, "-----BEGIN-----\n").unwrap_or_else(|e| panic!("{e}"));
    let r = with(ValueOptions {
        json_values: vec![r#"cache={"size":128,"extra":[1,"a"]}"#.into()],
        string_values: vec!["version=1.10,enabled=true".into()],
        file_values: vec![format!("tls.cert={}", cert.display())],
        ..ValueOptions::default()
    });
    let cache = r
        .root
        .subcharts
        .iter()
        .find(|c| c.name == "cache")
        .map(|c| c.values.clone());
    let cache = cache.unwrap_or_default();
    assert!(cache["size"].is_f64(), "--set-json numbers are float64");
    assert_eq!(cache["extra"], json!([1.0, "a"]));
    assert_eq!(r.root.values["version"], "1.10");
    assert_eq!(r.root.values["enabled"], "true");
    assert_eq!(r.root.values["tls"]["cert"], "-----BEGIN-----\n");
}

#[test]
fn flag_kinds_apply_in_helms_order() {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (first, second) = (tmp.path().join("a.yaml"), tmp.path().join("b.yaml"));
    std::fs::write(&first, "replicas: 4\nm: {a: 1, b: 1}\n").unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&second, "replicas: 5\nm: {b: 2}\n").unwrap_or_else(|e| panic!("{e}"));
    let file = tmp.path().join("r.txt");
    std::fs::write(&file, "from-file").unwrap_or_else(|e| panic!("{e}"));
    let opts = |string: bool, file_flag: bool| ValueOptions {
        value_files: vec![first.clone(), second.clone()],
        json_values: vec!["replicas=6".into()],
        values: vec!["replicas=7".into()],
        string_values: if string {
            vec!["replicas=8".into()]
        } else {
            vec![]
        },
        file_values: if file_flag {
            vec![format!("replicas={}", file.display())]
        } else {
            vec![]
        },
        ..ValueOptions::default()
    };
    // Files merge in order; then --set-json, --set, --set-string, --set-file, --set-literal,
    // whatever the order on the command line.
    let r = with(opts(false, false));
    assert_eq!(r.root.values["replicas"], json!(7));
    assert_eq!(r.root.values["m"], json!({"a": 1.0, "b": 2.0}));
    assert_eq!(with(opts(true, false)).root.values["replicas"], json!("8"));
    assert_eq!(
        with(opts(true, true)).root.values["replicas"],
        json!("from-file")
    );
    let literal = ValueOptions {
        literal_values: vec!["replicas=9,x".into()],
        ..opts(true, true)
    };
    assert_eq!(with(literal).root.values["replicas"], json!("9,x"));
}

#[test]
fn bad_flags_are_input_errors() {
    let (_tmp, dir) = assemble("umbrella");
    let err = |opts: ValueOptions| {
        load(&dir, &opts)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert!(err(set(&["novalue"])).contains("--set novalue: key \"novalue\" has no value"));
    assert!(err(set(&["a=1", "a.b=2"])).contains("--set a.b=2: cannot set \"a\" as a map"));
    let json = ValueOptions {
        json_values: vec!["a={".into()],
        ..ValueOptions::default()
    };
    assert!(err(json).contains("--set-json a={"));
    let file = ValueOptions {
        file_values: vec!["a=/nonexistent/x".into()],
        ..ValueOptions::default()
    };
    assert!(err(file).contains("/nonexistent/x: cannot read"));
    let missing = ValueOptions {
        value_files: vec!["/nonexistent.yaml".into()],
        ..ValueOptions::default()
    };
    assert!(err(missing).contains("/nonexistent.yaml: values file: cannot read"));
    let remote = ValueOptions {
        value_files: vec!["https://example.com/values.yaml".into()],
        ..ValueOptions::default()
    };
    assert!(err(remote).contains("cannot read a values file from a URL"));
    // A map given for a subchart must stay a map.
    let r = load(&dir, &set(&["db=text"]));
    assert!(
        r.err()
            .map(|e| e.to_string())
            .unwrap_or_default()
            .contains("type mismatch on db")
    );
}

/// Nested nulls in a copied default, and globals whose shapes disagree between parent and
/// subchart. Expected values recorded from `shared/oracle/helm-render --json` on this chart
/// with this values file (Helm warns "cannot overwrite table with non table" and "destination
/// … is a table" and keeps the parent's value in both cases).
#[test]
fn coalescing_edge_cases() {
    let (_tmp, dir) = chart_with(
        "p5",
        &[
            ("Chart.yaml", "apiVersion: v2\nname: p5\nversion: 0.1.0\n"),
            (
                "values.yaml",
                "m:\n  deep: {d: null, k: 2}\n  keep: 1\nglobal:\n  img: x\n  tbl: {a: 1}\n",
            ),
            (
                "charts/sub/Chart.yaml",
                "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
            ),
            (
                "charts/sub/values.yaml",
                "global:\n  img: {a: 1}\n  tbl: scalar\n",
            ),
            ("u.yaml", "m:\n  x: 1\n"),
        ],
    );
    let opts = ValueOptions {
        value_files: vec![dir.join("u.yaml")],
        ..ValueOptions::default()
    };
    let r = load(&dir, &opts).unwrap_or_else(|e| panic!("{e}"));
    let global = json!({"img": "x", "tbl": {"a": 1.0}});
    assert_eq!(
        serde_json::Value::Object(r.root.values.clone()),
        json!({"global": global, "m": {"deep": {"k": 2.0}, "keep": 1.0, "x": 1.0}, "sub": {"global": global}})
    );
    assert_eq!(
        serde_json::Value::Object(r.root.subcharts[0].values.clone()),
        json!({"global": global})
    );
    // What Helm v4.1.4 prints on standard error for this chart.
    assert_eq!(
        r.warnings,
        [
            "level=INFO msg=\"warning: cannot overwrite table with non table for p5.sub.global.img (map[a:1])\"",
            "level=INFO msg=\"warning: destination for p5.sub.global.tbl is a table. Ignoring non-table value (scalar)\""
        ]
    );
}

/// Helm's coalescing messages, each as often as Helm logs it (once per coalescing pass: the
/// dependency conditions, import-values, the final values), with Helm's dotted paths and Go's
/// `%v`. Expected lines are what `helm template app -f user.yaml` (v4.1.4) prints, sorted:
/// Helm's order within a pass follows Go's random map order.
#[test]
fn coalescing_warns_as_helm_does() {
    let (_tmp, dir) = chart_with(
        "app",
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: app\nversion: 1.0.0\ndependencies:\n  - name: sub\n    version: 1.0.0\n",
            ),
            (
                "values.yaml",
                "a:\n  b: false\ns:\n  t:\n    u: 1000000\nk: str\nsub:\n  m:\n    n: [1, 2]\n  g: 1.5\nglobal:\n  x:\n    y: 1\n",
            ),
            (
                "charts/sub/Chart.yaml",
                "apiVersion: v2\nname: sub\nversion: 1.0.0\n",
            ),
            (
                "charts/sub/values.yaml",
                "m: plain\ng:\n  h: 1\nglobal:\n  x: scalar\n",
            ),
            ("user.yaml", "a:\n  b:\n    c: 1\ns:\n  t: x\nk:\n  x: 1\n"),
        ],
    );
    let opts = ValueOptions {
        value_files: vec![dir.join("user.yaml")],
        ..ValueOptions::default()
    };
    let r = load(&dir, &opts).unwrap_or_else(|e| panic!("{e}"));
    let mut got = r.warnings.clone();
    got.sort();
    let line = |m: &str| format!("level=INFO msg=\"warning: {m}\"");
    let mut want = [
        (2, "skipped value for app.k: Not a table."),
        (3, "skipped value for app.sub.m: Not a table."),
        (
            3,
            "destination for app.sub.global.x is a table. Ignoring non-table value (scalar)",
        ),
        (
            2,
            "cannot overwrite table with non table for app.s.t (map[u:1e+06])",
        ),
        (
            2,
            "destination for app.a.b is a table. Ignoring non-table value (false)",
        ),
    ]
    .iter()
    .flat_map(|(n, m)| std::iter::repeat_n(line(m), *n))
    .collect::<Vec<_>>();
    want.sort();
    assert_eq!(got, want);
}

/// Helm copies each map under `global` shallowly into a subchart, so maps two levels down are
/// shared, and the null that the parent's defaults carry into the subchart's table (when the user
/// gives values for the subchart) shows up in the parent's own globals too. Expected values
/// recorded from `shared/oracle/helm-render --json` on this chart, with and without the values
/// file.
#[test]
fn globals_share_nested_maps_as_in_helm() {
    let (_tmp, dir) = chart_with(
        "p8",
        &[
            (
                "Chart.yaml",
                "apiVersion: v2\nname: p8\nversion: 0.1.0\ndependencies:\n- name: sub\n  version: 0.1.0\n",
            ),
            (
                "values.yaml",
                "global:\n  features:\n    db:\n      secret: {name: null, key: k}\n",
            ),
            (
                "charts/sub/Chart.yaml",
                "apiVersion: v2\nname: sub\nversion: 0.1.0\n",
            ),
        ],
    );
    let global = |with_null: bool| {
        let secret = if with_null {
            json!({"key": "k", "name": null})
        } else {
            json!({"key": "k"})
        };
        json!({"features": {"db": {"secret": secret}}})
    };
    let r = load(&dir, &ValueOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.root.values["global"], global(false));
    assert_eq!(r.root.subcharts[0].values["global"], global(false));
    let r = load(&dir, &set(&["sub.x=1"])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.root.values["global"], global(true));
    assert_eq!(r.root.subcharts[0].values["global"], global(true));
}
