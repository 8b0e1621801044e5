//! Every real chart of the shared corpus loads, and the templates it would render are exactly
//! the keys the real Helm engine renders (`helm-render --json`; NOTES.txt included, partials
//! not). The oracle is slow, so its key lists are cached in the system temp directory.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use rollguard::chart::{ValueOptions, load};

fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("ROLLGUARD_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared"));
    dir.join("corpus/charts").is_dir().then_some(dir)
}

struct Entry {
    name: String,
    values: Option<String>,
}

/// INDEX.tsv: charts that need values to render name one of their own `ci/` files.
fn index(corpus: &Path) -> Vec<Entry> {
    let text = std::fs::read_to_string(corpus.join("INDEX.tsv")).unwrap_or_default();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (name_col, values_col) = (col("name").unwrap_or(0), col("renders_with_values"));
    lines
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .map(|f| Entry {
            name: f.get(name_col).unwrap_or(&"").to_string(),
            values: values_col
                .and_then(|c| f.get(c))
                .filter(|v| !v.is_empty())
                .map(|v| v.to_string()),
        })
        .filter(|e| !e.name.is_empty())
        .collect()
}

/// The oracle's rendered keys, cached; `None` when the oracle cannot run.
fn oracle_keys(shared: &Path, chart: &Path, entry: &Entry) -> Option<BTreeSet<String>> {
    let cache_dir = std::env::temp_dir().join("rollguard-oracle-keys");
    let cache = cache_dir.join(format!("{}.json", entry.name));
    if let Ok(text) = std::fs::read_to_string(&cache) {
        return serde_json::from_str(&text).ok();
    }
    let mut cmd = Command::new(shared.join("oracle/helm-render"));
    cmd.arg(chart).arg("--json");
    if let Some(v) = &entry.values {
        cmd.arg("-f").arg(chart.join(v));
    }
    let out = cmd.output().ok()?;
    if !out.status.success() {
        eprintln!(
            "{}: oracle failed: {}",
            entry.name,
            String::from_utf8_lossy(&out.stderr).trim()
        );
        return None;
    }
    let rendered: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(&out.stdout).ok()?;
    let keys: BTreeSet<String> = rendered.keys().cloned().collect();
    std::fs::create_dir_all(&cache_dir).ok()?;
    std::fs::write(&cache, serde_json::to_string(&keys).ok()?).ok()?;
    Some(keys)
}

#[test]
fn corpus_charts_load_and_template_keys_match_helm() {
    let Some(shared) = shared() else {
        eprintln!("skipped: no shared/corpus/charts beside the repository (set ROLLGUARD_SHARED)");
        return;
    };
    let corpus = shared.join("corpus/charts");
    let entries = index(&corpus);
    assert!(!entries.is_empty(), "INDEX.tsv lists no charts");
    let (mut loaded, mut compared, mut matched) = (0, 0, 0);
    let mut failures = Vec::new();
    for entry in &entries {
        let dir = corpus.join(&entry.name);
        let opts = ValueOptions {
            value_files: entry.values.iter().map(|v| dir.join(v)).collect(),
            ..ValueOptions::default()
        };
        let release = match load(&dir, &opts) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: load failed: {e}", entry.name));
                continue;
            }
        };
        loaded += 1;
        let ours: BTreeSet<String> = release.output_paths().into_iter().collect();
        let Some(theirs) = oracle_keys(&shared, &dir, entry) else {
            continue;
        };
        compared += 1;
        if ours == theirs {
            matched += 1;
        } else {
            let only_ours: Vec<_> = ours.difference(&theirs).collect();
            let only_helm: Vec<_> = theirs.difference(&ours).collect();
            failures.push(format!(
                "{}: template keys differ; only ours: {only_ours:?}; only Helm's: {only_helm:?}",
                entry.name
            ));
        }
    }
    eprintln!(
        "corpus: {loaded}/{} charts loaded; template keys match Helm for {matched}/{compared} compared",
        entries.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
