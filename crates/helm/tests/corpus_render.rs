//! Differential test against the real Helm: every chart of `../shared/corpus/charts` is
//! rendered natively (`chart::load` + `render_release`) and by the oracle
//! (`../shared/oracle/helm-render --json`, Helm v4's engine), with its default values and with
//! each of its `ci/*.yaml` values files, and every template is compared byte for byte.
//!
//! Output that is random or time-dependent (`randAlphaNum`, `genCA`, `now`, …) differs between
//! two Helm renders too, so the oracle renders every case twice: a template whose two oracle
//! renders differ is compared by shape (the same lines, and within a line where the two oracle
//! renders differ, the same tokens except those that differ between them; see [`same_shape`]).
//! A chart Helm rejects must be rejected natively too.
//!
//! Oracle outputs are cached under the target directory, keyed by a hash of the chart's files,
//! the values file and the oracle script, so only the first run pays for Helm.
//! `CHART=a,b` limits the charts; `CORPUS_REPORT=FILE` also writes the report there.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use helm::chart::{ValueOptions, load};
use helm::engine::Capabilities;
use helm::engine::Release;
use helm::engine::{ReleaseOptions, render_release};
use serde_json::json;

/// Share of charts (default values) whose templates must all match Helm.
const REQUIRED_IDENTICAL: f64 = 0.90;

type Outputs = BTreeMap<String, String>;

mod corpus_support;

use corpus_support::{Case, case_hash, cases, clip, first_difference, in_parallel, same_shape};

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared")
}

/// What Helm did with a case, rendered twice.
enum Oracle {
    Rendered(Outputs, Outputs),
    Rejected(String),
}

/// The oracle's invocation for a case; its output is `{template path: text}`, or an error.
fn run_oracle(oracle: &Path, dir: &Path, values: Option<&Path>) -> Result<Outputs, String> {
    let mut cmd = Command::new(oracle);
    cmd.arg(dir).arg("--json").env("TZ", "UTC");
    if let Some(v) = values {
        cmd.arg("-f").arg(v);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run oracle: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| format!("oracle output is not JSON: {e}"))
}

/// Whether the oracle works here at all: it renders a one-template chart.
fn oracle_usable(oracle: &Path) -> Result<(), String> {
    if !oracle.is_file() {
        return Err(format!("no oracle at {}", oracle.display()));
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    std::fs::create_dir_all(dir.path().join("templates")).map_err(|e| e.to_string())?;
    std::fs::write(
        dir.path().join("Chart.yaml"),
        "apiVersion: v2\nname: probe\nversion: 0.1.0\n",
    )
    .map_err(|e| e.to_string())?;
    std::fs::write(dir.path().join("templates/t.yaml"), "{{ .Release.Name }}")
        .map_err(|e| e.to_string())?;
    let out = run_oracle(oracle, dir.path(), None)?;
    match out.get("probe/templates/t.yaml").map(String::as_str) {
        Some("release-name") => Ok(()),
        other => Err(format!("oracle renders the probe chart as {other:?}")),
    }
}

fn oracle_outputs(oracle: &Path, cache: &Path, case: &Case, script: &[u8]) -> Oracle {
    let file = cache.join(format!("{:016x}.json", case_hash(case, script)));
    let cached: Option<serde_json::Value> = std::fs::read(&file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    let record = cached.unwrap_or_else(|| {
        let values = case.values.as_deref();
        let record = match (
            run_oracle(oracle, &case.dir, values),
            run_oracle(oracle, &case.dir, values),
        ) {
            (Ok(a), Ok(b)) => json!({"a": a, "b": b}),
            (Err(e), _) | (_, Err(e)) => json!({ "error": e }),
        };
        // A cache that cannot be written only costs time.
        let _ = std::fs::write(&file, record.to_string());
        record
    });
    match (
        serde_json::from_value(record["a"].clone()),
        serde_json::from_value(record["b"].clone()),
    ) {
        (Ok(a), Ok(b)) => Oracle::Rendered(a, b),
        _ => Oracle::Rejected(record["error"].as_str().unwrap_or("?").to_string()),
    }
}

fn render_native(case: &Case) -> Result<Outputs, String> {
    let options = ValueOptions {
        value_files: case.values.iter().cloned().collect(),
        ..ValueOptions::default()
    };
    let loaded = load(&case.dir, &options).map_err(|e| e.to_string())?;
    let options = ReleaseOptions {
        release: Release {
            name: "release-name".into(),
            namespace: "default".into(),
            revision: 1,
            is_upgrade: false,
        },
        capabilities: Capabilities::default(),
        seed: None,
        clock: None,
        without_source_map: false,
        budget: Default::default(),
        cluster: None,
        keys: Default::default(),
        only: None,
        watch_release: false,
        leave_to_exit: false,
    };
    let rendered = render_release(&loaded, &options).map_err(|e| e.helm_message())?;
    Ok(rendered.into_iter().map(|(k, r)| (k, r.text)).collect())
}

#[derive(Default)]
struct Outcome {
    identical: usize,
    by_shape: usize,
    /// Template and the first difference.
    differing: Vec<(String, String)>,
    /// What happened to the case as a whole, when not every template was compared.
    note: Option<String>,
}

impl Outcome {
    fn matches(&self) -> bool {
        self.differing.is_empty()
    }
}

fn compare(oracle: Oracle, native: Result<Outputs, String>) -> Outcome {
    let mut outcome = Outcome::default();
    let (a, b, got) = match (oracle, native) {
        (Oracle::Rejected(_), Err(_)) => {
            outcome.note = Some("rejected by both".into());
            return outcome;
        }
        (Oracle::Rejected(why), Ok(_)) => {
            outcome.differing.push((
                "(chart)".into(),
                format!("Helm rejects the chart, we render it: {}", clip(&why)),
            ));
            return outcome;
        }
        (Oracle::Rendered(a, _), Err(why)) => {
            outcome.differing.push((
                "(chart)".into(),
                format!(
                    "we fail where Helm renders {} templates: {}",
                    a.len(),
                    clip(&why)
                ),
            ));
            return outcome;
        }
        (Oracle::Rendered(a, b), Ok(got)) => (a, b, got),
    };
    let paths: BTreeSet<&String> = a.keys().chain(b.keys()).chain(got.keys()).collect();
    for path in paths {
        let verdict = match (a.get(path), b.get(path), got.get(path)) {
            (Some(x), Some(y), Some(g)) if x == y => (x == g)
                .then_some(true)
                .ok_or_else(|| first_difference(x, g)),
            (Some(x), Some(y), Some(g)) => same_shape(x, y, g).map(|()| false),
            (Some(_), _, None) => Err("not rendered".into()),
            (None, _, Some(_)) => Err("rendered, Helm has no such template".into()),
            _ => Err("Helm renders it only once of two times".into()),
        };
        match verdict {
            Ok(true) => outcome.identical += 1,
            Ok(false) => outcome.by_shape += 1,
            Err(why) => outcome.differing.push((path.clone(), why)),
        }
    }
    outcome
}

#[test]
fn corpus_renders_like_helm() {
    let root = shared().join("corpus/charts");
    let oracle = shared().join("oracle/helm-render");
    if !root.is_dir() {
        println!("skipped: no corpus at {}", root.display());
        return;
    }
    if let Err(why) = oracle_usable(&oracle) {
        println!("skipped: the Helm oracle cannot run: {why}");
        return;
    }
    let script = std::fs::read(shared().join("oracle/helm_render.py")).unwrap_or_default();
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("corpus-oracle");
    std::fs::create_dir_all(&cache).unwrap();
    let cases = cases(&root);
    let results = in_parallel(cases.len(), |i| {
        compare(
            oracle_outputs(&oracle, &cache, &cases[i], &script),
            render_native(&cases[i]),
        )
    });

    let mut report = format!(
        "{:<52} {:>9} {:>8} {:>9}\n",
        "chart", "identical", "by-shape", "differing"
    );
    let mut details = String::new();
    // (cases, cases matching, identical, by shape, differing) for default and ci/ values.
    let mut totals = [(0, 0, 0, 0, 0); 2];
    for (case, outcome) in cases.iter().zip(&results) {
        report.push_str(&format!(
            "{:<52} {:>9} {:>8} {:>9}{}\n",
            case.label(),
            outcome.identical,
            outcome.by_shape,
            outcome.differing.len(),
            outcome
                .note
                .as_ref()
                .map(|n| format!("  ({n})"))
                .unwrap_or_default()
        ));
        let t = &mut totals[usize::from(case.values.is_some())];
        t.0 += 1;
        t.1 += usize::from(outcome.matches());
        t.2 += outcome.identical;
        t.3 += outcome.by_shape;
        t.4 += outcome.differing.len();
        for (path, why) in &outcome.differing {
            details.push_str(&format!("{}: {path}\n    {why}\n", case.label()));
        }
    }
    for (t, what) in totals.iter().zip(["default values", "ci/*.yaml values"]) {
        report.push_str(&format!(
            "{what}: {}/{} charts match Helm in every template; templates: {} identical, {} by shape, {} differing\n",
            t.1, t.0, t.2, t.3, t.4
        ));
    }
    if !details.is_empty() {
        report.push_str("\ndiffering templates (first difference):\n");
        report.push_str(&details);
    }
    println!("{report}");
    if let Ok(out) = std::env::var("CORPUS_REPORT") {
        std::fs::write(out, &report).unwrap();
    }
    for (t, what) in totals.iter().zip(["default values", "ci/*.yaml values"]) {
        assert!(
            t.1 as f64 >= REQUIRED_IDENTICAL * t.0 as f64,
            "with {what}, only {}/{} charts match Helm in every template (need {:.0}%)",
            t.1,
            t.0,
            REQUIRED_IDENTICAL * 100.0
        );
    }
}

#[test]
fn shape_comparison_masks_only_what_differs_between_helm_renders() {
    let (a, b) = (
        "kind: Secret\n  password: \"UHB2SjJ3c2NKdA==\"\n  user: admin",
        "kind: Secret\n  password: \"bWtRQTZhUXFTVA==\"\n  user: admin",
    );
    assert!(
        same_shape(
            a,
            b,
            "kind: Secret\n  password: \"c21FSk40NkNQUw==\"\n  user: admin"
        )
        .is_ok()
    );
    // A token of another length, a changed line, a changed token next to the random one.
    for got in [
        "kind: Secret\n  password: \"c21FSk40NkNQ\"\n  user: admin",
        "kind: Secret\n  password: \"c21FSk40NkNQUw==\"\n  user: root",
        "kind: Secret\n  passwd: \"c21FSk40NkNQUw==\"\n  user: admin",
        "kind: Secret\n  password: \"c21FSk40NkNQUw==\"",
    ] {
        assert!(same_shape(a, b, got).is_err(), "{got}");
    }
}
