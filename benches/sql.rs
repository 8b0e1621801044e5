//! SQL analysis over the real migrations of `../shared/corpus/sql`: statements per second of
//! the whole analysis (split, sqlparser, fallback, procedural, schema) against splitting alone,
//! measured in the same run so the figure is a ratio, not a machine-dependent number.

use std::path::PathBuf;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rollguard::sql::{Dialect, analyse, lex};

/// Every corpus file with the dialect INDEX.tsv gives it; empty when the corpus is absent.
fn corpus() -> Vec<(String, Dialect)> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/sql");
    let Ok(index) = std::fs::read_to_string(dir.join("INDEX.tsv")) else {
        eprintln!("../shared/corpus/sql not found: nothing to measure");
        return Vec::new();
    };
    index
        .lines()
        .skip(1)
        .filter_map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            let text = std::fs::read_to_string(dir.join(cols.first()?)).ok()?;
            let dialect = cols
                .get(5)
                .and_then(|d| Dialect::parse(d))
                .unwrap_or(Dialect::Generic);
            Some((text, dialect))
        })
        .collect()
}

fn split_all(files: &[(String, Dialect)]) -> usize {
    files
        .iter()
        .map(|(t, d)| lex::split(t, *d).pieces.len())
        .sum()
}

fn analyse_all(files: &[(String, Dialect)]) -> usize {
    files
        .iter()
        .map(|(t, d)| analyse(t, *d).statements.len())
        .sum()
}

fn bench(c: &mut Criterion) {
    let files = corpus();
    if files.is_empty() {
        return;
    }
    let statements = split_all(&files);
    // The ratio, timed here so both sides share the machine's state.
    let time = |f: &dyn Fn() -> usize| {
        let start = Instant::now();
        for _ in 0..3 {
            std::hint::black_box(f());
        }
        start.elapsed().as_secs_f64() / 3.0
    };
    let (split, full) = (time(&|| split_all(&files)), time(&|| analyse_all(&files)));
    eprintln!(
        "{statements} statements: split {:.0}/s, analyse {:.0}/s, analyse costs {:.1}× splitting",
        statements as f64 / split,
        statements as f64 / full,
        full / split
    );
    let mut group = c.benchmark_group("sql-corpus");
    group.sample_size(10);
    group.throughput(Throughput::Elements(statements as u64));
    group.bench_function("split (reference)", |b| b.iter(|| split_all(&files)));
    group.bench_function("analyse", |b| b.iter(|| analyse_all(&files)));
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
