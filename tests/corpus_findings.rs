//! Every chart of `../shared/corpus/charts` checked with defaults at one Kubernetes version, and
//! its findings compared with `tests/data/corpus_findings.tsv`: rule, severity, resource and
//! location of each, with a judgement reviewed by reading the chart (`hazard`: the engineer
//! running that chart would act on it; `noise`: they would not). A finding that is new, or one
//! that is lost, fails the test until the file is reviewed again:
//! `UPDATE_CORPUS_FINDINGS=1 cargo test --test corpus_findings` rewrites it, keeping the
//! judgements of the findings that stay and marking new ones `unreviewed`, which fails until a
//! person replaces it. The table of findings and hazards per rule is printed (`--nocapture`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

const KUBE_VERSION: &str = "1.33";
const EXPECTED: &str = "tests/data/corpus_findings.tsv";
const JUDGEMENTS: [&str; 2] = ["hazard", "noise"];

/// chart, rule, severity, resource, location: what identifies a finding in the file.
type Key = [String; 5];

fn charts_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/charts");
    dir.is_dir().then_some(dir)
}

/// The findings of one chart, checked from the corpus directory so that locations read
/// `chart/templates/…`; a chart that cannot be rendered with its defaults is one row with
/// rule `input-error`.
fn findings(dir: &Path, chart: &str) -> Vec<Key> {
    let out = Command::new(env!("CARGO_BIN_EXE_rollguard"))
        .args([
            "check",
            chart,
            "--kube-version",
            KUBE_VERSION,
            "--format",
            "json",
        ])
        .current_dir(dir)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("HELM_NAMESPACE")
        .output()
        .expect("binary runs");
    let row = |rule: &str, severity: &str, resource: String, location: String| {
        [
            chart.to_string(),
            rule.to_string(),
            severity.to_string(),
            resource,
            location,
        ]
    };
    if out.status.code() == Some(2) {
        return vec![row("input-error", "-", "-".into(), "-".into())];
    }
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{chart}: not a JSON report ({e})"));
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    report["findings"]
        .as_array()
        .expect("findings array")
        .iter()
        .map(|f| {
            let r = &f["resource"];
            let resource = if r.is_object() {
                format!(
                    "{}/{}/{}",
                    text(&r["kind"]),
                    text(&r["namespace"]),
                    text(&r["name"])
                )
            } else {
                "-".into()
            };
            let l = &f["location"];
            let location = if l.is_object() {
                format!("{}:{}", text(&l["file"]), l["line"])
            } else {
                "-".into()
            };
            row(&text(&f["rule"]), &text(&f["severity"]), resource, location)
        })
        .collect()
}

/// The reviewed file: each finding's key with its judgement and note.
fn expected(text: &str) -> Vec<(Key, String, String)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert!(cols.len() >= 6, "{EXPECTED}: a row needs 6 columns: {l}");
            let key = std::array::from_fn(|i| cols[i].to_string());
            (
                key,
                cols[5].to_string(),
                cols.get(6).unwrap_or(&"").to_string(),
            )
        })
        .collect()
}

/// Per rule: findings, and how many are judged hazards.
fn table(rows: &[(Key, String, String)]) -> String {
    let mut per_rule: BTreeMap<(&str, &str), (usize, usize)> = BTreeMap::new();
    for (key, judgement, _) in rows.iter().filter(|(k, _, _)| k[1] != "input-error") {
        let e = per_rule.entry((&key[2], &key[1])).or_default();
        e.0 += 1;
        e.1 += usize::from(judgement == "hazard");
    }
    let mut out = format!(
        "{:<8} {:<30} {:>8} {:>8}\n",
        "severity", "rule", "findings", "hazards"
    );
    for ((severity, rule), (n, hazards)) in per_rule {
        out.push_str(&format!("{severity:<8} {rule:<30} {n:>8} {hazards:>8}\n"));
    }
    out
}

#[test]
fn corpus_findings_match_the_reviewed_file() {
    let Some(dir) = charts_dir() else {
        eprintln!("skipped: ../shared/corpus/charts is not there");
        return;
    };
    let mut charts: Vec<String> = std::fs::read_dir(&dir)
        .expect("corpus readable")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("Chart.yaml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    charts.sort();
    let mut found: Vec<Key> = charts.iter().flat_map(|c| findings(&dir, c)).collect();
    found.sort();

    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(EXPECTED);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut reviewed = expected(&text);
    let mut judged: BTreeMap<Key, Vec<(String, String)>> = BTreeMap::new();
    for (key, judgement, note) in &reviewed {
        judged
            .entry(key.clone())
            .or_default()
            .push((judgement.clone(), note.clone()));
    }

    if std::env::var_os("UPDATE_CORPUS_FINDINGS").is_some() {
        let header: String = text
            .lines()
            .take_while(|l| l.starts_with('#'))
            .map(|l| format!("{l}\n"))
            .collect();
        let mut out = header;
        for key in &found {
            let (judgement, note) = judged
                .get_mut(key)
                .and_then(|v| (!v.is_empty()).then(|| v.remove(0)))
                .unwrap_or_else(|| ("unreviewed".into(), String::new()));
            out.push_str(&format!("{}\t{judgement}\t{note}\n", key.join("\t")));
        }
        std::fs::write(&path, out).expect("expectations written");
        reviewed = expected(&std::fs::read_to_string(&path).unwrap_or_default());
    }

    println!("{}", table(&reviewed));
    let mut want: Vec<Key> = reviewed.iter().map(|(k, _, _)| k.clone()).collect();
    want.sort();
    let new: Vec<String> = multiset_minus(&found, &want);
    let lost: Vec<String> = multiset_minus(&want, &found);
    let unjudged: Vec<String> = reviewed
        .iter()
        .filter(|(k, j, _)| k[1] != "input-error" && !JUDGEMENTS.contains(&j.as_str()))
        .map(|(k, j, _)| format!("{j}: {}", k.join(" ")))
        .collect();
    assert!(
        new.is_empty() && lost.is_empty() && unjudged.is_empty(),
        "corpus findings differ from {EXPECTED} (review by reading the chart; UPDATE_CORPUS_FINDINGS=1 rewrites it)\nnew:\n  {}\nlost:\n  {}\nnot judged hazard|noise:\n  {}",
        new.join("\n  "),
        lost.join("\n  "),
        unjudged.join("\n  ")
    );
}

/// What `a` has more often than `b`, one line each.
fn multiset_minus(a: &[Key], b: &[Key]) -> Vec<String> {
    let mut count: BTreeMap<&Key, isize> = BTreeMap::new();
    for k in a {
        *count.entry(k).or_default() += 1;
    }
    for k in b {
        *count.entry(k).or_default() -= 1;
    }
    count
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .flat_map(|(k, n)| std::iter::repeat_n(k.join(" "), n as usize))
        .collect()
}
