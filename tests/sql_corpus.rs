//! The SQL analysis over real migrations (`../shared/corpus/sql`, listed in INDEX.tsv): no file
//! makes it fail or panic, and the figures of the closing note (parse shares per dialect, rule
//! rates on up- versus down-migrations) are printed. Skipped, with the reason, when the corpus
//! is not there.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rollguard::sql::{Dialect, Parse, migrations_dir};

fn corpus() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/sql");
    dir.join("INDEX.tsv").is_file().then_some(dir)
}

#[derive(Default)]
struct Tally {
    files: usize,
    /// Files whose statements sqlparser parsed all, that needed the fallback, that kept some
    /// statement unparsed.
    all_sqlparser: usize,
    with_fallback: usize,
    with_unparsed: usize,
    statements: BTreeMap<&'static str, usize>,
}

#[test]
fn every_corpus_file_is_read_without_failing() {
    let Some(dir) = corpus() else {
        eprintln!("skipped: ../shared/corpus/sql/INDEX.tsv not found next to the crate");
        return;
    };
    let index = std::fs::read_to_string(dir.join("INDEX.tsv")).expect("INDEX.tsv readable");
    let mut by_dialect: BTreeMap<String, Tally> = BTreeMap::new();
    // (direction, rule) → files where it fires; direction → files.
    let mut fired: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut per_direction: BTreeMap<String, usize> = BTreeMap::new();
    for line in index.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let (path, dialect, direction) = (cols[0], cols[5], cols[6]);
        let forced = Dialect::parse(dialect);
        let scripts =
            migrations_dir::load(&dir.join(path), forced).unwrap_or_else(|e| panic!("{path}: {e}"));
        for script in &scripts {
            let t = by_dialect.entry(dialect.to_string()).or_default();
            t.files += 1;
            let parses: Vec<Parse> = script.statements.iter().map(|s| s.parse).collect();
            for p in &parses {
                *t.statements.entry(parse_name(*p)).or_default() += 1;
            }
            if parses.contains(&Parse::Unparsed) {
                t.with_unparsed += 1;
            } else if parses.contains(&Parse::Fallback) {
                t.with_fallback += 1;
            } else {
                t.all_sqlparser += 1;
            }
            *per_direction.entry(direction.to_string()).or_default() += 1;
            let mut rules: Vec<String> = script
                .statements
                .iter()
                .flat_map(|s| &s.hazards)
                .map(|h| format!("{:?}", h.hazard))
                .collect();
            if parses.contains(&Parse::Unparsed) {
                rules.push("Unparsed".into());
            }
            rules.sort();
            rules.dedup();
            for r in rules {
                *fired.entry((direction.to_string(), r)).or_default() += 1;
            }
        }
    }
    assert!(by_dialect.values().map(|t| t.files).sum::<usize>() > 1000);
    println!(
        "dialect   files  all-sqlparser  needed-fallback  some-unparsed  | statements: sqlparser / fallback / unparsed / meta"
    );
    for (dialect, t) in &by_dialect {
        let pct = |n: usize| 100.0 * n as f64 / t.files.max(1) as f64;
        let total: usize = t.statements.values().sum();
        let spct =
            |k: &str| 100.0 * *t.statements.get(k).unwrap_or(&0) as f64 / total.max(1) as f64;
        println!(
            "{dialect:<9} {:>5}  {:>12.1}%  {:>14.1}%  {:>12.1}%  | {:.1}% / {:.1}% / {:.2}% / {:.1}% of {total}",
            t.files,
            pct(t.all_sqlparser),
            pct(t.with_fallback),
            pct(t.with_unparsed),
            spct("sqlparser"),
            spct("fallback"),
            spct("unparsed"),
            spct("meta"),
        );
    }
    println!("\nrule (files where it fires)      up        down");
    let rules: std::collections::BTreeSet<&String> = fired.keys().map(|(_, r)| r).collect();
    for rule in rules {
        let rate = |d: &str| {
            let n = *fired.get(&(d.to_string(), rule.clone())).unwrap_or(&0);
            100.0 * n as f64 / (*per_direction.get(d).unwrap_or(&0)).max(1) as f64
        };
        println!("{rule:<30} {:>6.1}%  {:>6.1}%", rate("up"), rate("down"));
    }
    println!("files per direction: {per_direction:?}");
}

fn parse_name(p: Parse) -> &'static str {
    match p {
        Parse::Sqlparser => "sqlparser",
        Parse::Fallback => "fallback",
        Parse::Unparsed => "unparsed",
        Parse::Meta => "meta",
    }
}

#[test]
fn the_binary_reads_a_whole_project_folder() {
    let Some(dir) = corpus() else {
        eprintln!("skipped: ../shared/corpus/sql/INDEX.tsv not found next to the crate");
        return;
    };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_rollguard"))
        .args(["check", "--format", "json", "--migrations"])
        .arg(dir.join("lemmy"))
        .output()
        .expect("binary runs");
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
