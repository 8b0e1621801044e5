//! Parses the template files of every corpus chart (`../shared/corpus/charts`, subcharts
//! included), with Helm's functions registered as a render has them: `cargo bench --bench
//! parse`. Prints the median time of one pass over all the files.
//!
//! `PARSE_BENCH_PASSES=N` fixes the number of passes: one pass under callgrind counts the
//! instructions parsing takes (`--toggle-collect='*add_template*'` leaves out the loading).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use gotmpl::Engine;
use helm::chart::{ValueOptions, load};

/// The allocator the `rollguard` binary uses, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Passes made when `PARSE_BENCH_PASSES` does not say: at least this many, for at least
/// `MIN_TIME`.
const MIN_PASSES: usize = 5;
const MIN_TIME: Duration = Duration::from_millis(500);

/// Every template file of the corpus charts that loads: (name as rendered, text).
fn corpus_templates(root: &Path) -> Vec<(String, String)> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    dirs.retain(|d| d.join("Chart.yaml").is_file());
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        match load(&dir, &ValueOptions::default()) {
            Ok(release) => out.extend(
                release
                    .parse_order()
                    .into_iter()
                    .map(|(_, t)| (t.path.clone(), t.text.clone())),
            ),
            Err(e) => eprintln!("{}: does not load ({e}); left out", dir.display()),
        }
    }
    out
}

/// One pass: every file parsed by a fresh engine (as each render has), returning how many
/// failed to parse.
fn pass(templates: &[(String, String)]) -> (Duration, usize) {
    let mut engine = Engine::new();
    helm::funcs::register(&mut engine);
    let start = Instant::now();
    let failed = templates
        .iter()
        .filter(|(name, text)| engine.add_template(name, text).is_err())
        .count();
    (start.elapsed(), failed)
}

fn main() {
    // `cargo test --benches` runs bench binaries without `--bench`: nothing to measure then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let templates = corpus_templates(&shared.join("corpus/charts"));
    if templates.is_empty() {
        eprintln!("no corpus charts at {}: nothing to parse", shared.display());
        return;
    }
    let bytes: usize = templates.iter().map(|(_, t)| t.len()).sum();
    let fixed: Option<usize> = std::env::var("PARSE_BENCH_PASSES")
        .ok()
        .and_then(|n| n.parse().ok());
    let mut times = Vec::new();
    let mut spent = Duration::ZERO;
    let mut failed = 0;
    while match fixed {
        Some(n) => times.len() < n,
        None => times.len() < MIN_PASSES || spent < MIN_TIME,
    } {
        let (took, bad) = pass(&templates);
        spent += took;
        failed = bad;
        times.push(took);
    }
    times.sort();
    let Some(median) = times.get(times.len() / 2) else {
        return;
    };
    println!(
        "{} files, {:.1} MiB ({failed} do not parse): median pass {:.2} ms over {} passes, {:.0} MiB/s",
        templates.len(),
        bytes as f64 / (1 << 20) as f64,
        median.as_secs_f64() * 1e3,
        times.len(),
        bytes as f64 / (1 << 20) as f64 / median.as_secs_f64(),
    );
}
