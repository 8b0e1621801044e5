//! Every real chart of the shared corpus loads, and the templates it would render are exactly
//! the keys the real Helm engine renders (`helm-render --json`; NOTES.txt included, partials
//! not). The oracle is slow, so its key lists are cached in the system temp directory.

mod chart_support;

use std::collections::BTreeSet;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

use rollguard::chart::{RenderChart, ValueOptions, load};
use serde_json::Value;

use chart_support::{copy_tree, normalised, shared};

fn corpus_root() -> Option<PathBuf> {
    let dir = shared();
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

type Rendered = serde_json::Map<String, Value>;

/// Where the oracle's answer for a corpus chart is cached: named by the chart, the kind of
/// rendering and a fingerprint of the chart's files (paths, sizes, modification times), so an
/// edited chart is rendered again.
fn cache_path(corpus_chart: &Path, entry: &Entry, cache_name: &str) -> PathBuf {
    let mut hasher = DefaultHasher::new();
    (cache_name, PROBE, PROBE_TEXT, &entry.values).hash(&mut hasher);
    for e in walkdir::WalkDir::new(corpus_chart)
        .sort_by_file_name()
        .into_iter()
        .flatten()
    {
        e.path().hash(&mut hasher);
        if let Ok(meta) = e.metadata() {
            meta.len().hash(&mut hasher);
            meta.modified().ok().hash(&mut hasher);
        }
    }
    std::env::temp_dir()
        .join("rollguard-oracle-cache")
        .join(format!(
            "{}-{cache_name}-{:016x}.json",
            entry.name,
            hasher.finish()
        ))
}

/// What the real engine renders for `chart` (with the entry's values file, read from
/// `values_dir`, the corpus chart), cached; `None` when the oracle cannot run.
fn oracle_render(
    shared: &Path,
    chart: &Path,
    values_dir: &Path,
    entry: &Entry,
    cache_name: &str,
) -> Option<Rendered> {
    let cache = cache_path(values_dir, entry, cache_name);
    if let Ok(text) = std::fs::read_to_string(&cache) {
        return serde_json::from_str(&text).ok();
    }
    let mut cmd = Command::new(shared.join("oracle/helm-render"));
    cmd.arg(chart).arg("--json");
    if let Some(v) = &entry.values {
        cmd.arg("-f").arg(values_dir.join(v));
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
    let rendered: Rendered = serde_json::from_slice(&out.stdout).ok()?;
    std::fs::create_dir_all(cache.parent()?).ok()?;
    std::fs::write(&cache, serde_json::to_string(&rendered).ok()?).ok()?;
    Some(rendered)
}

fn options(dir: &Path, entry: &Entry) -> ValueOptions {
    ValueOptions {
        value_files: entry.values.iter().map(|v| dir.join(v)).collect(),
        ..ValueOptions::default()
    }
}

#[test]
fn corpus_charts_load_and_template_keys_match_helm() {
    let Some(shared) = corpus_root() else {
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
        let release = match load(&dir, &options(&dir, entry)) {
            Ok(r) => r,
            Err(e) => {
                failures.push(format!("{}: load failed: {e}", entry.name));
                continue;
            }
        };
        loaded += 1;
        let ours: BTreeSet<String> = release.output_paths().into_iter().collect();
        let Some(rendered) = oracle_render(&shared, &dir, &dir, entry, "keys") else {
            continue;
        };
        let theirs: BTreeSet<String> = rendered.keys().cloned().collect();
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

/// Helm renders deeper paths first: this one renders before every real template, which may
/// change `.Values` as it runs (`$_ := set .Values.global.redis "password" …`).
const PROBE: &str = "templates/rollguard/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/probe.yaml";
/// `.Values`, `.Chart`, then one `.Files` path a line.
const PROBE_TEXT: &str = "{{ toJson .Values }}\n{{ toJson .Chart }}\n{{ range $path, $_ := .Files }}{{ $path }}\n{{ end }}";

/// Each enabled application chart gets a probe template printing `.Values` and `.Chart` as JSON
/// and the `.Files` paths; the real engine renders the copy, and every chart's lines must equal
/// what we computed.
#[test]
fn corpus_values_and_chart_objects_match_helm() {
    let Some(shared) = corpus_root() else {
        eprintln!("skipped: no shared/corpus/charts beside the repository (set ROLLGUARD_SHARED)");
        return;
    };
    let corpus = shared.join("corpus/charts");
    let work = std::env::temp_dir().join("rollguard-probe-charts");
    let (mut charts_checked, mut charts_matched) = (0, 0);
    let mut failures = Vec::new();
    for entry in &index(&corpus) {
        let dir = corpus.join(&entry.name);
        let Ok(release) = load(&dir, &options(&dir, entry)) else {
            continue; // reported by the other test
        };
        let probed: Vec<&RenderChart> = release
            .charts()
            .into_iter()
            .filter(|c| !c.metadata.is_library())
            .collect();
        let copy = work.join(&entry.name);
        let cached = cache_path(&dir, entry, "probe").is_file();
        if !cached {
            let _ = std::fs::remove_dir_all(&copy);
            if let Err(e) = copy_tree(&dir, &copy) {
                failures.push(format!("{}: cannot copy: {e}", entry.name));
                continue;
            }
            for c in &probed {
                let rel = Path::new(&c.origin)
                    .strip_prefix(&dir)
                    .unwrap_or(Path::new(""));
                let probe = copy.join(rel).join(PROBE);
                let written = probe
                    .parent()
                    .map_or(Ok(()), std::fs::create_dir_all)
                    .and_then(|()| std::fs::write(&probe, PROBE_TEXT));
                if let Err(e) = written {
                    failures.push(format!("{}: cannot write probe: {e}", entry.name));
                }
            }
        }
        let Some(rendered) = oracle_render(&shared, &copy, &dir, entry, "probe") else {
            continue;
        };
        for c in probed {
            charts_checked += 1;
            let key = format!("{}/{PROBE}", c.full_path);
            let Some(Value::String(text)) = rendered.get(&key) else {
                failures.push(format!("{}: Helm rendered no {key}", entry.name));
                continue;
            };
            let mut lines = text.lines();
            let mut json =
                || serde_json::from_str::<Value>(lines.next().unwrap_or("")).unwrap_or(Value::Null);
            let (values, chart) = (json(), json());
            let helm_files: Vec<&str> = lines.collect();
            let mut our_files: Vec<&str> = c.files.iter().map(|f| f.name.as_str()).collect();
            our_files.sort();
            let ours_values = normalised(&Value::Object(c.values.clone()));
            let ours_chart = normalised(&c.metadata.template_json(c.is_root));
            let mut ok = true;
            if normalised(&values) != ours_values {
                ok = false;
                failures.push(format!(
                    "{}: .Values of {} differ:\n ours: {ours_values}\n helm: {values}",
                    entry.name, c.full_path
                ));
            }
            if normalised(&chart) != ours_chart {
                ok = false;
                failures.push(format!(
                    "{}: .Chart of {} differ:\n ours: {ours_chart}\n helm: {chart}",
                    entry.name, c.full_path
                ));
            }
            if our_files != helm_files {
                ok = false;
                failures.push(format!(
                    "{}: .Files of {} differ:\n ours: {our_files:?}\n helm: {helm_files:?}",
                    entry.name, c.full_path
                ));
            }
            charts_matched += usize::from(ok);
        }
    }
    eprintln!(
        "corpus: .Values, .Chart and .Files match Helm for {charts_matched}/{charts_checked} charts and subcharts"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
