//! The real charts of the shared corpus, loaded with their default values and with each of their
//! own `ci/*.yaml` values files, against the real Helm engine (`shared/oracle/helm-render
//! --json`). The oracle renders a copy of each chart in which every chart directory has a probe
//! template printing `.Values`, `.Chart` and the `.Files` paths; we compare:
//!
//! - the rendered template paths (NOTES.txt included, partials not, probes left out) with
//!   [`LoadedRelease::output_paths`], which also checks the set of enabled subcharts;
//! - every enabled chart's `.Values`, `.Chart` and `.Files` with ours;
//! - when Helm refuses the values (schema), that we refuse them too.
//!
//! The oracle is slow, so its answers are cached in the system temp directory, keyed by a
//! fingerprint of the chart's files.

mod chart_support;

use std::collections::{BTreeSet, HashMap};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;

use helm::chart::{LoadedRelease, ValueOptions, load};
use serde_json::{Map, Value, json};

use chart_support::{copy_tree, normalised, shared};

/// Helm renders deeper paths first: this one renders before every real template, which may
/// change `.Values` as it runs (`$_ := set .Values.global.redis "password" …`).
const PROBE: &str = "templates/rollguard/1/2/3/4/5/6/7/8/9/10/11/12/13/14/15/16/probe.yaml";
/// `.Values`, `.Chart`, then one `.Files` path a line.
const PROBE_TEXT: &str = "{{ toJson .Values }}\n{{ toJson .Chart }}\n{{ range $path, $_ := .Files }}{{ $path }}\n{{ end }}";

fn corpus() -> Option<PathBuf> {
    let dir = shared().join("corpus/charts");
    dir.is_dir().then_some(dir)
}

/// One rendering to compare: a corpus chart and the values file it is given, if any.
struct Run {
    chart: String,
    values: Option<String>,
}

impl Run {
    fn label(&self) -> String {
        match &self.values {
            Some(v) => format!("{} -f {v}", self.chart),
            None => self.chart.clone(),
        }
    }
}

/// INDEX.tsv: the charts, and for those that need values to render, one of their `ci/` files.
fn default_runs(corpus: &Path) -> Vec<Run> {
    let text = std::fs::read_to_string(corpus.join("INDEX.tsv")).unwrap_or_default();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let (name_col, values_col) = (col("name").unwrap_or(0), col("renders_with_values"));
    lines
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .map(|f| Run {
            chart: f.get(name_col).unwrap_or(&"").to_string(),
            values: values_col
                .and_then(|c| f.get(c))
                .filter(|v| !v.is_empty())
                .map(|v| v.to_string()),
        })
        .filter(|r| !r.chart.is_empty())
        .collect()
}

/// Every chart with each of its own `ci/*.yaml` files.
fn ci_runs(corpus: &Path) -> Vec<Run> {
    let mut runs = Vec::new();
    for run in default_runs(corpus) {
        let Ok(dir) = std::fs::read_dir(corpus.join(&run.chart).join("ci")) else {
            continue;
        };
        let mut files: Vec<String> = dir
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".yaml") || n.ends_with(".yml"))
            .collect();
        files.sort();
        runs.extend(files.into_iter().map(|f| Run {
            chart: run.chart.clone(),
            values: Some(format!("ci/{f}")),
        }));
    }
    runs
}

/// What the oracle said about a run.
enum Oracle {
    Rendered(Map<String, Value>),
    /// Helm refused the values (schema validation).
    ValuesRefused(String),
    /// Helm failed otherwise (a template error): nothing to compare.
    Failed(String),
    /// The oracle itself could not run (not installed, no network to install it).
    Unavailable(String),
}

fn fingerprint(dir: &Path) -> u64 {
    let mut hasher = DefaultHasher::new();
    PROBE_TEXT.hash(&mut hasher);
    for e in walkdir::WalkDir::new(dir)
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
    hasher.finish()
}

/// The chart with a probe in every chart directory, copied once per fingerprint.
fn probe_copy(source: &Path, name: &str, print: u64) -> std::io::Result<PathBuf> {
    let copy = std::env::temp_dir()
        .join("rollguard-probe-charts")
        .join(format!("{name}-{print:016x}"));
    // The marker sits beside the copy: inside, it would be one of the chart's files.
    let complete = copy.with_extension("complete");
    if complete.is_file() {
        return Ok(copy);
    }
    let _ = std::fs::remove_dir_all(&copy);
    copy_tree(source, &copy)?;
    for e in walkdir::WalkDir::new(&copy).into_iter().flatten() {
        if e.file_name() == "Chart.yaml" {
            let chart_dir = e.path().parent().unwrap_or(&copy);
            let probe = chart_dir.join(PROBE);
            std::fs::create_dir_all(probe.parent().unwrap_or(chart_dir))?;
            std::fs::write(probe, PROBE_TEXT)?;
        }
    }
    std::fs::write(complete, "")?;
    Ok(copy)
}

/// `print` is the chart's [`fingerprint`].
fn ask_oracle(corpus: &Path, run: &Run, print: u64) -> Oracle {
    let source = corpus.join(&run.chart);
    let cache = std::env::temp_dir()
        .join("rollguard-oracle-cache")
        .join(format!(
            "{}-{}-{print:016x}.json",
            run.chart,
            run.values.as_deref().unwrap_or("default").replace('/', "_")
        ));
    let cached: Option<Value> = std::fs::read_to_string(&cache)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let answer = match cached {
        Some(v) => v,
        None => {
            let copy = match probe_copy(&source, &run.chart, print) {
                Ok(c) => c,
                Err(e) => return Oracle::Failed(format!("cannot copy the chart: {e}")),
            };
            let mut cmd = Command::new(shared().join("oracle/helm-render"));
            cmd.arg(&copy).arg("--json");
            if let Some(v) = &run.values {
                cmd.arg("-f").arg(source.join(v));
            }
            let answer = match cmd.output() {
                Err(e) => return Oracle::Unavailable(format!("cannot run the oracle: {e}")),
                Ok(out) if out.status.success() => json!({
                    "rendered": serde_json::from_slice::<Value>(&out.stdout).unwrap_or(Value::Null)
                }),
                Ok(out) => {
                    let message = String::from_utf8_lossy(&out.stderr).trim().to_string();
                    // Only the engine's own verdicts ("helm-render: HelmRenderError: …") are
                    // answers worth keeping; anything else is the oracle failing to run.
                    if !message.starts_with("helm-render: Helm") {
                        return Oracle::Unavailable(message);
                    }
                    json!({"error": message})
                }
            };
            if let Some(dir) = cache.parent() {
                let _ = std::fs::create_dir_all(dir);
                let _ = std::fs::write(&cache, answer.to_string());
            }
            answer
        }
    };
    match (&answer["rendered"], answer["error"].as_str()) {
        (Value::Object(m), _) => Oracle::Rendered(m.clone()),
        (_, Some(e)) if e.contains("values don't meet") => Oracle::ValuesRefused(e.to_string()),
        (_, Some(e)) => Oracle::Failed(e.to_string()),
        _ => Oracle::Failed("unreadable oracle answer".into()),
    }
}

/// Differences between our loaded release and the oracle's rendering of the probed copy.
fn differences(label: &str, ours: &LoadedRelease, rendered: &Map<String, Value>) -> Vec<String> {
    let mut out = Vec::new();
    let theirs: BTreeSet<&str> = rendered
        .keys()
        .map(String::as_str)
        .filter(|k| !k.ends_with(PROBE))
        .collect();
    let paths = ours.output_paths();
    let mine: BTreeSet<&str> = paths.iter().map(String::as_str).collect();
    if mine != theirs {
        out.push(format!(
            "{label}: template paths differ; only ours: {:?}; only Helm's: {:?}",
            mine.difference(&theirs).collect::<Vec<_>>(),
            theirs.difference(&mine).collect::<Vec<_>>()
        ));
    }
    for c in ours
        .charts()
        .into_iter()
        .filter(|c| !c.metadata.is_library())
    {
        let key = format!("{}/{PROBE}", c.full_path);
        let Some(Value::String(text)) = rendered.get(&key) else {
            out.push(format!("{label}: Helm rendered no {key}"));
            continue;
        };
        let mut lines = text.lines();
        let mut next_json =
            || serde_json::from_str::<Value>(lines.next().unwrap_or("")).unwrap_or(Value::Null);
        let (values, chart) = (next_json(), next_json());
        let helm_files: Vec<&str> = lines.collect();
        let mut our_files: Vec<&str> = c.files.iter().map(|f| f.name.as_str()).collect();
        our_files.sort();
        let our_values = normalised(&Value::Object(c.values.clone()));
        if normalised(&values) != our_values {
            out.push(format!(
                "{label}: .Values of {} differ:\n ours: {our_values}\n helm: {values}",
                c.full_path
            ));
        }
        let our_chart = c.metadata.template_json(c.is_root);
        if normalised(&chart) != normalised(&our_chart) {
            out.push(format!(
                "{label}: .Chart of {} differ:\n ours: {our_chart}\n helm: {chart}",
                c.full_path
            ));
        }
        if our_files != helm_files {
            out.push(format!(
                "{label}: .Files of {} differ:\n ours: {our_files:?}\n helm: {helm_files:?}",
                c.full_path
            ));
        }
    }
    out
}

/// Loads and compares every run; returns (runs compared, runs matching, failures).
fn check_runs(corpus: &Path, runs: &[Run]) -> (usize, usize, Vec<String>) {
    let (mut compared, mut matched, mut failures) = (0, 0, Vec::new());
    let mut prints: HashMap<&str, u64> = HashMap::new();
    let mut oracle_down = false;
    for run in runs {
        let print = *prints
            .entry(&run.chart)
            .or_insert_with(|| fingerprint(&corpus.join(&run.chart)));
        let dir = corpus.join(&run.chart);
        let opts = ValueOptions {
            value_files: run.values.iter().map(|v| dir.join(v)).collect(),
            ..ValueOptions::default()
        };
        if oracle_down {
            continue;
        }
        let ours = load(&dir, &opts);
        let found = match (ask_oracle(corpus, run, print), &ours) {
            (Oracle::Unavailable(e), _) => {
                // Trying again for every run would only repeat the failure, slowly.
                eprintln!("skipped the comparisons: the oracle cannot run: {e}");
                oracle_down = true;
                continue;
            }
            (Oracle::Failed(e), _) => {
                eprintln!(
                    "{}: not compared, Helm fails: {}",
                    run.label(),
                    e.lines().next().unwrap_or("")
                );
                continue;
            }
            (Oracle::ValuesRefused(_), Err(_)) => Vec::new(),
            (Oracle::ValuesRefused(e), Ok(_)) => {
                vec![format!(
                    "{}: Helm refuses the values, we did not: {e}",
                    run.label()
                )]
            }
            (Oracle::Rendered(_), Err(e)) => vec![format!("{}: load failed: {e}", run.label())],
            (Oracle::Rendered(rendered), Ok(release)) => {
                differences(&run.label(), release, &rendered)
            }
        };
        compared += 1;
        matched += usize::from(found.is_empty());
        failures.extend(found);
    }
    (compared, matched, failures)
}

#[test]
fn corpus_with_default_values_matches_helm() {
    let Some(corpus) = corpus() else {
        eprintln!("skipped: no shared/corpus/charts beside the repository (set ROLLGUARD_SHARED)");
        return;
    };
    let mut runs = default_runs(&corpus);
    assert!(!runs.is_empty(), "INDEX.tsv lists no charts");
    // Every chart loads, whatever the oracle can say, but those `helm template` refuses for a
    // dependency missing from charts/ (the oracle's engine alone renders them; the real helm's
    // refusal is checked by the root package's helm_stream test).
    runs.retain(|run| {
        let dir = corpus.join(&run.chart);
        let opts = ValueOptions {
            value_files: run.values.iter().map(|v| dir.join(v)).collect(),
            ..ValueOptions::default()
        };
        match load(&dir, &opts) {
            Ok(_) => true,
            Err(e) if e.to_string().contains("but missing in charts/ directory") => false,
            Err(e) => panic!("{}: load failed: {e}", run.label()),
        }
    });
    let (compared, matched, failures) = check_runs(&corpus, &runs);
    eprintln!(
        "corpus: {} charts loaded; paths, subcharts, .Values, .Chart and .Files match Helm for {matched}/{compared} compared",
        runs.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn corpus_with_ci_values_matches_helm() {
    let Some(corpus) = corpus() else {
        eprintln!("skipped: no shared/corpus/charts beside the repository (set ROLLGUARD_SHARED)");
        return;
    };
    let runs = ci_runs(&corpus);
    let (compared, matched, failures) = check_runs(&corpus, &runs);
    eprintln!(
        "corpus: with the charts' ci/ values files, {matched}/{compared} compared runs match Helm ({} runs)",
        runs.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
