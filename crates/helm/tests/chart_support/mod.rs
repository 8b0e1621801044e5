//! Helpers shared by the chart tests: the shared corpus and oracle, fixture charts assembled in
//! temporary directories, and value comparison across Go's number types.

#![allow(dead_code)] // each test crate uses its own part

use std::path::{Path, PathBuf};

use serde_json::Value;

/// `shared/` beside the repository (or `$ROLLGUARD_SHARED`).
pub fn shared() -> PathBuf {
    std::env::var_os("ROLLGUARD_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
}

/// This crate's fixture charts, values files and expected outputs.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/charts")
}

/// A fixture chart: this crate's own, else one the linter's tests read too (those stay in the
/// repository's `fixtures/charts`).
fn fixture_chart(name: &str) -> PathBuf {
    let own = fixtures().join(name);
    if own.is_dir() {
        return own;
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../fixtures/charts")
        .join(name)
}

pub fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in walkdir::WalkDir::new(from).min_depth(1) {
        let entry = entry.map_err(std::io::Error::other)?;
        let rel = entry
            .path()
            .strip_prefix(from)
            .map_err(std::io::Error::other)?;
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(to.join(rel))?;
        } else {
            std::fs::copy(entry.path(), to.join(rel))?;
        }
    }
    Ok(())
}

/// `tar czf` of a chart directory, its top directory kept, as `helm package` writes it.
pub fn package(chart_dir: &Path, out: &Path) -> std::io::Result<()> {
    let name = chart_dir.file_name().unwrap_or_default();
    let file = std::fs::File::create(out)?;
    let gz = flate2::write::GzEncoder::new(file, flate2::Compression::default());
    let mut tar = tar::Builder::new(gz);
    tar.append_dir_all(name, chart_dir)?;
    tar.into_inner()?.finish()?;
    Ok(())
}

/// A copy of a fixture chart in a temporary directory; the umbrella gets its packaged
/// subchart built from `tests/fixtures/charts/packaged/exporter`.
pub fn assemble(chart: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let dir = tmp.path().join(chart);
    copy_tree(&fixture_chart(chart), &dir).unwrap_or_else(|e| panic!("{e}"));
    if chart == "umbrella" {
        package(
            &fixtures().join("packaged/exporter"),
            &dir.join("charts/exporter-0.1.0.tgz"),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    (tmp, dir)
}

/// Numbers compared as f64: Go's `toJson` prints `1e6` as `1000000`, which reads back as an
/// integer, and `--set` integers are int64 where files give float64.
pub fn normalised(v: &Value) -> Value {
    match v {
        Value::Number(n) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::Null, Value::Number),
        Value::Array(items) => Value::Array(items.iter().map(normalised).collect()),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, v)| (k.clone(), normalised(v))).collect())
        }
        other => other.clone(),
    }
}
