//! Runs the template conformance cases of `../shared/conformance/cases` (outputs recorded from
//! the real Helm) through rollguard's renderer and reports per topic. Cases that call a function
//! the engine does not define yet are skipped and listed with that reason; the core language
//! topics must pass completely. Each case's chart is written to disk and goes the product's way:
//! loaded by [`helm::chart::load`], rendered by [`render_release`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use helm::chart::{ValueOptions, load_chart, prepare};
use helm::engine::Release;
use helm::engine::{ReleaseOptions, render_release};
use source::yaml::{self, Kind, Node};

/// Topics that must have no failures and no skips.
const CORE_TOPICS: &[&str] = &[
    "core-actions",
    "core-control",
    "core-define",
    "core-funcs",
    "core-printf",
    "errors",
    "values-semantics",
];

/// Cases outside the core topics that do not pass yet, and why. Any other case failing or
/// being skipped fails the test, and so does a case listed here that passes (drop it then):
/// the list stays exact.
const KNOWN_GAPS: &[(&str, &str)] = &[];

/// Error cases whose message may differ from Helm's, and why. Rendering must still fail.
const ERROR_TEXT_MAY_DIFFER: &[(&str, &str)] = &[
    (
        "values-invalid-yaml-is-error",
        "the chart layer reports a broken values.yaml in rollguard's words, at file:line:column",
    ),
    (
        "values-top-level-list-is-error",
        "the chart layer reports a values.yaml that is not a map in rollguard's words, at file:line:column",
    ),
];

/// A chart as files: paths relative to the chart root → contents.
type ChartFiles = BTreeMap<String, String>;

struct Case {
    name: String,
    files: ChartFiles,
    release: Release,
    output: String,
    expect: Option<String>,
    error: Option<String>,
}

enum Outcome {
    Pass,
    Fail(String),
    Skip(String),
}

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/conformance/cases")
}

fn to_json(node: &Node) -> serde_json::Value {
    match &node.kind {
        Kind::Scalar(s) => yaml::scalar::resolve(s).into_json(),
        Kind::Seq(items) => items.iter().map(to_json).collect(),
        Kind::Map(entries) => entries
            .iter()
            .map(|(k, v)| (k.as_str().unwrap_or_default().to_string(), to_json(v)))
            .collect::<serde_json::Map<_, _>>()
            .into(),
    }
}

fn text(node: Option<&Node>) -> Option<String> {
    node.and_then(|n| n.scalar()).map(|s| s.text.clone())
}

fn load_case(node: &Node) -> Case {
    let get = |k: &str| node.get(k);
    let name = text(get("name")).expect("case without name");
    let mut files = ChartFiles::new();
    let mut chart = serde_json::json!({"apiVersion": "v2", "name": "c", "version": "0.1.0"});
    if let Some(over) = get("chart") {
        for (k, v) in to_json(over).as_object().cloned().unwrap_or_default() {
            chart[k] = v;
        }
    }
    // JSON is YAML: the merged Chart.yaml is written as JSON.
    files.insert("Chart.yaml".into(), chart.to_string());
    if let Some(v) = text(get("values_yaml")) {
        files.insert("values.yaml".into(), v);
    }
    if let Some(Node {
        kind: Kind::Map(entries),
        ..
    }) = get("files")
    {
        for (k, v) in entries {
            files.insert(
                k.as_str().unwrap_or_default().to_string(),
                text(Some(v)).unwrap_or_default(),
            );
        }
    }
    files.insert(
        "templates/case.yaml".into(),
        text(get("template")).unwrap_or_default(),
    );
    let mut release = Release::default();
    if let Some(r) = get("release") {
        if let Some(n) = text(r.get("name")) {
            release.name = n;
        }
        if let Some(n) = text(r.get("namespace")) {
            release.namespace = n;
        }
        if let Some(n) = r.get("revision").and_then(|n| n.as_i64()) {
            release.revision = n;
        }
        if let Some(u) = text(r.get("upgrade")) {
            release.is_upgrade = u == "true";
        }
    }
    let chart_name = chart["name"].as_str().unwrap_or("c").to_string();
    let output = format!(
        "{chart_name}/{}",
        text(get("output")).unwrap_or_else(|| "templates/case.yaml".into())
    );
    Case {
        name,
        files,
        release,
        output,
        expect: text(get("expect")),
        error: text(get("error")),
    }
}

/// How the case files store long messages: head, elision note, tail.
fn abbreviate(msg: String) -> String {
    let chars: Vec<char> = msg.chars().collect();
    if chars.len() <= 2000 {
        return msg;
    }
    let head: String = chars[..1000].iter().collect();
    let tail: String = chars[chars.len() - 600..].iter().collect();
    format!(
        "{head}\n[... {} characters elided ...]\n{tail}",
        chars.len() - 1600
    )
}

/// Keeps reports readable when a message is huge.
fn shorten(msg: &str) -> String {
    let chars: Vec<char> = msg.chars().collect();
    if chars.len() <= 600 {
        return msg.to_string();
    }
    format!(
        "{}…{}",
        chars[..300].iter().collect::<String>(),
        chars[chars.len() - 200..].iter().collect::<String>()
    )
}

fn undefined_function(msg: &str) -> Option<&str> {
    let rest = msg.split("function \"").nth(1)?;
    let name = rest.split('"').next()?;
    msg.contains(&format!("function \"{name}\" not defined"))
        .then_some(name)
}

/// Renders the case as the product renders a chart: written to disk, loaded by the chart layer,
/// rendered by the engine. Errors are Helm's message text.
fn render(files: &ChartFiles, release: Release) -> Result<BTreeMap<String, String>, String> {
    let dir = tempfile::tempdir().expect("temp dir");
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    // Helm's engine, as the cases were recorded: without the install action's check that every
    // declared dependency is vendored (`helm template` refuses such a chart; `chart::load` too).
    let chart = load_chart(dir.path()).map_err(|e| e.message)?;
    let loaded = prepare(chart, &ValueOptions::default()).map_err(|e| e.message)?;
    let options = ReleaseOptions {
        release,
        ..ReleaseOptions::default()
    };
    let rendered = render_release(&loaded, &options).map_err(|e| e.helm_message())?;
    Ok(rendered.into_iter().map(|(k, r)| (k, r.text)).collect())
}

fn run_case(case: Case) -> Outcome {
    let Case {
        name,
        files,
        release,
        output,
        expect,
        error,
    } = case;
    let loose = ERROR_TEXT_MAY_DIFFER.iter().any(|(n, _)| *n == name);
    let result = render(&files, release).map_err(abbreviate);
    match (result, expect, error) {
        (Err(got), want_out, want_err) => {
            if let Some(f) = undefined_function(&got)
                && want_err.as_deref().and_then(undefined_function) != Some(f)
            {
                return Outcome::Skip(format!("function `{f}` not defined yet"));
            }
            match (want_out, want_err) {
                (_, Some(want)) if want == got || loose => Outcome::Pass,
                (_, Some(want)) => Outcome::Fail(format!(
                    "error differs:\n  want: {:?}\n  got:  {:?}",
                    shorten(&want),
                    shorten(&got)
                )),
                (Some(want), None) => Outcome::Fail(format!(
                    "unexpected error {:?}\n  want output {want:?}",
                    shorten(&got)
                )),
                (None, None) => Outcome::Fail("case has neither expect nor error".into()),
            }
        }
        (Ok(map), Some(want), _) => match map.get(&output) {
            Some(got) if *got == want => Outcome::Pass,
            Some(got) => Outcome::Fail(format!(
                "output differs:\n  want: {want:?}\n  got:  {got:?}"
            )),
            None => Outcome::Fail(format!("no rendered {output}")),
        },
        (Ok(map), None, Some(want)) => Outcome::Fail(format!(
            "rendered without error (want {want:?}); got {:?}",
            map.get(&output)
        )),
        (Ok(_), None, None) => Outcome::Fail("case has neither expect nor error".into()),
    }
}

#[test]
fn conformance() {
    let dir = cases_dir();
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("no conformance cases at {}: nothing to run", dir.display());
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.retain(|p| p.extension().is_some_and(|x| x == "yaml"));
    paths.sort();
    let filter = std::env::var("CASE").ok();
    let mut report = String::new();
    let mut core_problems = Vec::new();
    let mut regressions = Vec::new();
    let mut outcomes: BTreeMap<String, bool> = BTreeMap::new();
    let mut totals = (0, 0, 0);
    for path in paths {
        let topic = path.file_stem().unwrap().to_string_lossy().to_string();
        let src = std::fs::read_to_string(&path).unwrap();
        let doc = yaml::parse_single(&src, yaml::Origin::default())
            .unwrap()
            .unwrap();
        let Kind::Seq(items) = &doc.kind else {
            panic!("{topic}: not a list")
        };
        let (mut pass, mut fail, mut skip) = (0, 0, 0);
        let mut details: BTreeMap<String, String> = BTreeMap::new();
        for item in items {
            let case = load_case(item);
            if filter
                .as_ref()
                .is_some_and(|f| !case.name.contains(f.as_str()))
            {
                continue;
            }
            let name = case.name.clone();
            let outcome = run_case(case);
            outcomes.insert(name.clone(), matches!(outcome, Outcome::Pass));
            match outcome {
                Outcome::Pass => pass += 1,
                Outcome::Fail(why) => {
                    fail += 1;
                    details.insert(name.clone(), format!("FAIL {why}"));
                }
                Outcome::Skip(why) => {
                    skip += 1;
                    details.insert(name.clone(), format!("SKIP {why}"));
                }
            }
        }
        report.push_str(&format!(
            "{topic}: {pass} passed, {fail} failed, {skip} skipped\n"
        ));
        for (name, why) in &details {
            report.push_str(&format!("    {name}: {why}\n"));
            if CORE_TOPICS.contains(&topic.as_str()) {
                core_problems.push(format!("{topic}/{name}"));
            } else if !KNOWN_GAPS.iter().any(|(n, _)| n == name) {
                regressions.push(format!("{topic}/{name}"));
            }
        }
        totals.0 += pass;
        totals.1 += fail;
        totals.2 += skip;
    }
    report.push_str(&format!(
        "total: {} passed, {} failed, {} skipped\n",
        totals.0, totals.1, totals.2
    ));
    println!("{report}");
    if let Ok(out) = std::env::var("CONFORMANCE_REPORT") {
        std::fs::write(out, &report).unwrap();
    }
    assert!(
        core_problems.is_empty(),
        "core topics must pass completely; failing or skipped: {core_problems:#?}"
    );
    assert!(
        regressions.is_empty(),
        "cases failing or skipped that KNOWN_GAPS does not list: {regressions:#?}"
    );
    if filter.is_none() {
        let fixed: Vec<&str> = KNOWN_GAPS
            .iter()
            .filter(|(n, _)| outcomes.get(*n) != Some(&false))
            .map(|(n, _)| *n)
            .collect();
        assert!(
            fixed.is_empty(),
            "KNOWN_GAPS lists cases that now pass or no longer exist: {fixed:?}"
        );
    }
}
