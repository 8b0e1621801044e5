//! The shared conformance cases (`shared/conformance/cases`, produced by the real Helm engine)
//! that depend on chart loading and values alone: a template that is one `{{ toJson .Values…
//! }}` (plus plain text) must print exactly the values we computed, and a case whose error is
//! Helm's "cannot load values.yaml" must fail to load. The rest needs the template engine.

mod chart_support;

use std::path::Path;

use helm::chart::{ValueOptions, load};
use regex::Regex;
use serde_json::{Map, Value, json};
use source::yaml::{Origin, parse_single};

use chart_support::{normalised, shared};

/// Writes the case's chart as the conformance README describes.
fn write_chart(dir: &Path, case: &Map<String, Value>) {
    let write = |rel: &str, text: &str| {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    };
    let mut chart = json!({"apiVersion": "v2", "name": "c", "version": "0.1.0"});
    if let (Some(Value::Object(over)), Value::Object(base)) = (case.get("chart"), &mut chart) {
        base.extend(over.clone());
    }
    // JSON is YAML.
    write("Chart.yaml", &chart.to_string());
    if let Some(Value::String(v)) = case.get("values_yaml") {
        write("values.yaml", v);
    }
    if let Some(Value::Object(files)) = case.get("files") {
        for (rel, text) in files {
            write(rel, text.as_str().unwrap_or(""));
        }
    }
    write(
        "templates/case.yaml",
        case["template"].as_str().unwrap_or(""),
    );
}

fn lookup<'a>(values: &'a Map<String, Value>, path: &str) -> Option<&'a Value> {
    let mut keys = path.split('.').filter(|k| !k.is_empty());
    let first = values.get(keys.next()?)?;
    keys.try_fold(first, |v, k| v.get(k))
}

#[test]
fn conformance_cases_about_values() {
    let cases_dir = shared().join("conformance/cases");
    if !cases_dir.is_dir() {
        eprintln!("skipped: no shared/conformance/cases beside the repository");
        return;
    }
    let to_json = Regex::new(r"^\{\{ toJson \.Values((?:\.[A-Za-z0-9_]+)*) \}\}([^{]*)$")
        .unwrap_or_else(|e| panic!("{e}"));
    let (mut checked, mut failures) = (0, Vec::new());
    for file in ["values-semantics.yaml", "helm-subcharts.yaml"] {
        let text = std::fs::read_to_string(cases_dir.join(file)).unwrap_or_else(|e| panic!("{e}"));
        let doc = parse_single(&text, Origin::default())
            .unwrap_or_else(|e| panic!("{file}: {e}"))
            .map(|n| n.to_json())
            .unwrap_or(Value::Null);
        for case in doc
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_object)
        {
            let name = case["name"].as_str().unwrap_or("?");
            let output = case
                .get("output")
                .and_then(Value::as_str)
                .unwrap_or("templates/case.yaml");
            let source = match case.get("output") {
                Some(_) => case
                    .get("files")
                    .and_then(|f| f.get(output))
                    .and_then(Value::as_str),
                None => case["template"].as_str(),
            };
            let error = case.get("error").and_then(Value::as_str);
            let is_values_error = error.is_some_and(|e| e.starts_with("cannot load values.yaml"));
            let matched = source.and_then(|s| to_json.captures(s));
            if !is_values_error && (matched.is_none() || error.is_some()) {
                continue;
            }
            let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            write_chart(tmp.path(), case);
            let loaded = load(tmp.path(), &ValueOptions::default());
            checked += 1;
            if is_values_error {
                if loaded.is_ok() {
                    failures.push(format!("{name}: Helm fails to load the values, we did not"));
                }
                continue;
            }
            let (Some(m), Some(expect)) = (matched, case.get("expect").and_then(Value::as_str))
            else {
                continue;
            };
            let release = match loaded {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{name}: {e}"));
                    continue;
                }
            };
            let key = format!("{}/{output}", release.root.name);
            let Some((chart, _)) = release
                .parse_order()
                .into_iter()
                .find(|(_, t)| t.path == key)
            else {
                failures.push(format!("{name}: no template {key}"));
                continue;
            };
            let printed = expect.strip_suffix(&m[2]).unwrap_or(expect);
            let want: Value = serde_json::from_str(printed).unwrap_or(Value::Null);
            let ours = lookup(&chart.values, &m[1]).cloned();
            let ours = if m[1].is_empty() {
                Some(Value::Object(chart.values.clone()))
            } else {
                ours
            };
            if normalised(&want) != normalised(&ours.unwrap_or(Value::Null)) {
                failures.push(format!(
                    "{name}: Helm printed {printed}, we have {:?}",
                    lookup(&chart.values, &m[1])
                ));
            }
        }
    }
    eprintln!("conformance: {checked} value cases checked");
    assert!(checked > 0, "no conformance case selected");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
