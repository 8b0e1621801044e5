//! Renders the whole corpus (`../shared/corpus/charts`) natively and with the real Helm engine
//! (`../shared/oracle`), in the same run, and compares: `cargo bench --bench render`.
//!
//! Each side is timed per chart as the work a user waits for: loading the chart (files, values,
//! dependencies) and rendering every template, repeated; the per-chart figure is the median.
//! Helm's side runs in one Python process that imports the oracle's library and times the same
//! work in a loop (`Chart.load` + `render`, as `helm-render` does), so the interpreter's
//! start-up is not counted against Helm; it is measured and printed on its own. rollguard is
//! also timed as a whole `rollguard render` process per chart (start-up, loading, rendering,
//! printing): the ratio column compares that with Helm's in-process time. That binary is
//! `$ROLLGUARD_BIN`, else the workspace's own release build (`cargo build --release` first);
//! without one the process columns stay empty.
//! A chart that does not render with its defaults is rendered with the first of its `ci/*.yaml`
//! values files that works. `RENDER_BENCH_CHARTS=a,b` picks charts.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use helm::chart::{ValueOptions, load};

/// The allocator the `rollguard` binary uses, so the figures are the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use helm::engine::Release;
use helm::engine::{ReleaseOptions, render_release};

/// Each chart is rendered at least this many times, and for at least `MIN_TIME` per side.
const MIN_RUNS: usize = 5;
const MIN_TIME: Duration = Duration::from_millis(300);

/// Times Helm's engine the way the native side is timed; prints `{chart: [median seconds of
/// load + render, median seconds of the render alone]}`.
const ORACLE_LOOP: &str = r#"
import json, statistics, sys, time
from helm_python.chart import Chart
from helm_python import values_from_yaml
min_runs, min_time = int(sys.argv[1]), float(sys.argv[2])
out = {}
for line in sys.stdin:
    name, path, values_file = line.rstrip("\n").split("\t")
    values = {}
    if values_file:
        with open(values_file, encoding="utf-8") as fh:
            values = values_from_yaml(fh.read()) or {}
    def once():
        start = time.perf_counter()
        chart = Chart.load(path)
        loaded = time.perf_counter()
        chart.render(values, name="release-name", namespace="default",
                     revision=1, is_install=True, is_upgrade=False)
        end = time.perf_counter()
        return end - start, end - loaded
    once()
    times, spent = [], 0.0
    while len(times) < min_runs or spent < min_time:
        times.append(once())
        spent += times[-1][0]
    out[name] = [statistics.median(t[0] for t in times), statistics.median(t[1] for t in times)]
json.dump(out, sys.stdout)
"#;

struct Subject {
    name: String,
    dir: PathBuf,
    values: Option<PathBuf>,
}

fn native_once(subject: &Subject) -> Result<Duration, String> {
    let start = Instant::now();
    let options = ValueOptions {
        value_files: subject.values.iter().cloned().collect(),
        ..ValueOptions::default()
    };
    let loaded = load(&subject.dir, &options).map_err(|e| e.to_string())?;
    let release = ReleaseOptions {
        release: Release {
            name: "release-name".into(),
            namespace: "default".into(),
            ..Release::default()
        },
        ..ReleaseOptions::default()
    };
    render_release(&loaded, &release).map_err(|e| e.helm_message())?;
    Ok(start.elapsed())
}

/// The `rollguard` binary to time: `$ROLLGUARD_BIN`, else the one built beside this bench
/// (`target/<host tuple>/release/deps/render-…` → `target/<host tuple>/release/rollguard`).
fn rollguard_bin() -> Option<&'static Path> {
    static BIN: OnceLock<Option<PathBuf>> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("ROLLGUARD_BIN") {
            return Some(bin.into());
        }
        let exe = std::env::current_exe().ok()?;
        let bin = exe.parent()?.parent()?.join("rollguard");
        bin.is_file().then_some(bin)
    })
    .as_deref()
}

/// One `rollguard render` process for the chart, output discarded: what a user waits for.
fn process_once(subject: &Subject) -> Result<Duration, String> {
    let bin = rollguard_bin().ok_or("no rollguard binary")?;
    let mut command = Command::new(bin);
    command
        .args([
            "render",
            "--release-name",
            "release-name",
            "--namespace",
            "default",
        ])
        .arg(&subject.dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    if let Some(values) = &subject.values {
        command.arg("-f").arg(values);
    }
    let start = Instant::now();
    let status = command.status().map_err(|e| e.to_string())?;
    let took = start.elapsed();
    status
        .success()
        .then_some(took)
        .ok_or_else(|| format!("rollguard render failed on {}", subject.name))
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn median_of(
    subject: &Subject,
    once: fn(&Subject) -> Result<Duration, String>,
) -> Result<Duration, String> {
    once(subject)?;
    let (mut times, mut spent) = (Vec::new(), Duration::ZERO);
    while times.len() < MIN_RUNS || spent < MIN_TIME {
        let t = once(subject)?;
        spent += t;
        times.push(t);
    }
    Ok(median(times))
}

/// The charts, each with the values it renders with.
fn subjects(root: &Path) -> Vec<Subject> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    dirs.retain(|d| d.join("Chart.yaml").is_file());
    if let Ok(only) = std::env::var("RENDER_BENCH_CHARTS") {
        let wanted: Vec<&str> = only.split(',').collect();
        dirs.retain(|d| {
            d.file_name()
                .is_some_and(|n| wanted.contains(&n.to_string_lossy().as_ref()))
        });
    }
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        let name = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let mut ci: Vec<PathBuf> = std::fs::read_dir(dir.join("ci"))
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        ci.sort();
        let candidates = std::iter::once(None).chain(ci.into_iter().map(Some));
        let found = candidates
            .map(|values| Subject {
                name: name.clone(),
                dir: dir.clone(),
                values,
            })
            .find(|s| native_once(s).is_ok());
        match found {
            Some(s) => out.push(s),
            None => eprintln!("{name}: renders with none of its values files; left out"),
        }
    }
    out
}

/// The oracle's interpreter, where `helm-render` installs it.
fn oracle_python() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cache")))
        .unwrap_or_default();
    let venv = std::env::var_os("HELM_ORACLE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache.join("helm-oracle"));
    venv.join("bin/python")
}

/// Helm's timings.
struct HelmTimes {
    /// Per chart: load + render, and render alone.
    charts: BTreeMap<String, (Duration, Duration)>,
    /// The interpreter's start-up with the library imported (not in the charts' times).
    startup: Duration,
}

fn oracle_medians(python: &Path, subjects: &[Subject]) -> Result<HelmTimes, String> {
    use std::io::Write;
    let startup = {
        let start = Instant::now();
        let status = Command::new(python)
            .args(["-c", "import helm_python.chart"])
            .status()
            .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
        if !status.success() {
            return Err("the oracle's Python cannot import helm_python".into());
        }
        start.elapsed()
    };
    let mut child = Command::new(python)
        .args([
            "-c",
            ORACLE_LOOP,
            &MIN_RUNS.to_string(),
            &MIN_TIME.as_secs_f64().to_string(),
        ])
        .env("TZ", "UTC")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        // Helm logs coalescing warnings on every render; they would drown the table.
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| e.to_string())?;
    let list: String = subjects
        .iter()
        .map(|s| {
            format!(
                "{}\t{}\t{}\n",
                s.name,
                s.dir.display(),
                s.values
                    .as_ref()
                    .map(|v| v.display().to_string())
                    .unwrap_or_default()
            )
        })
        .collect();
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(list.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err("the oracle's timing loop failed".into());
    }
    let secs: BTreeMap<String, (f64, f64)> =
        serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let charts = secs
        .into_iter()
        .map(|(k, (all, render))| {
            (
                k,
                (
                    Duration::from_secs_f64(all),
                    Duration::from_secs_f64(render),
                ),
            )
        })
        .collect();
    Ok(HelmTimes { charts, startup })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    // `cargo test --benches` runs bench binaries without `--bench`: nothing to measure then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    let subjects = subjects(&shared.join("corpus/charts"));
    if subjects.is_empty() {
        eprintln!(
            "no corpus charts at {}",
            shared.join("corpus/charts").display()
        );
        return;
    }
    if rollguard_bin().is_none() {
        eprintln!(
            "no rollguard binary (set ROLLGUARD_BIN or run `cargo build --release`): process times left out"
        );
    }
    // Per chart: in-process load + render, and the whole `rollguard render` process.
    let native: Vec<(String, Duration, Option<Duration>)> = subjects
        .iter()
        .filter_map(|s| {
            let inner = median_of(s, native_once).ok()?;
            let process = median_of(s, process_once).ok();
            Some((s.name.clone(), inner, process))
        })
        .collect();
    let oracle = match oracle_medians(&oracle_python(), &subjects) {
        Ok(o) => Some(o),
        Err(e) => {
            eprintln!("Helm oracle not measured: {e}");
            None
        }
    };
    println!(
        "{:<34} {:>10} {:>10} {:>10} {:>14} {:>7}",
        "chart", "native ms", "process ms", "helm ms", "helm render ms", "ratio"
    );
    let mut ratios = Vec::new();
    for (name, inner, process) in &native {
        let helm = oracle.as_ref().and_then(|o| o.charts.get(name));
        let ratio = helm
            .zip(*process)
            .map(|((h, _), p)| h.as_secs_f64() / p.as_secs_f64());
        ratios.extend(ratio);
        println!(
            "{name:<34} {:>10.2} {:>10} {:>10} {:>14} {:>7}",
            ms(*inner),
            process.map_or("-".into(), |p| format!("{:.2}", ms(p))),
            helm.map_or("-".into(), |(h, _)| format!("{:.2}", ms(*h))),
            helm.map_or("-".into(), |(_, r)| format!("{:.2}", ms(*r))),
            ratio.map_or("-".into(), |r| format!("{r:.1}x")),
        );
    }
    let sides = [
        ("native (load + render, in process)", 1usize),
        ("rollguard render (whole process)", 2),
    ];
    // A side is summed only when every chart has its time.
    let figures: Vec<(&str, Duration, Duration)> = sides
        .iter()
        .filter_map(|(what, side)| {
            let times: Option<Vec<Duration>> = native
                .iter()
                .map(|t| if *side == 1 { Some(t.1) } else { t.2 })
                .collect();
            let times = times.filter(|t| !t.is_empty())?;
            Some((*what, times.iter().sum(), median(times)))
        })
        .collect();
    for (what, total, med) in &figures {
        println!(
            "{what}: {} charts, total {:.1} ms, median {:.2} ms per chart",
            native.len(),
            ms(*total),
            ms(*med)
        );
    }
    if let Some(helm) = &oracle {
        ratios.sort_by(f64::total_cmp);
        for (what, pick) in [
            (
                "load + render",
                (|t: &(Duration, Duration)| t.0) as fn(&_) -> Duration,
            ),
            ("render only", |t| t.1),
        ] {
            let times: Vec<Duration> = helm.charts.values().map(pick).collect();
            let helm_total: Duration = times.iter().sum();
            let helm_median = median(times);
            println!(
                "helm ({what}): {} charts, total {:.1} ms, median {:.2} ms per chart",
                helm.charts.len(),
                ms(helm_total),
                ms(helm_median),
            );
            for (side, total, med) in &figures {
                println!(
                    "  vs {side}: {:.1}x in total, {:.1}x on the median chart",
                    helm_total.as_secs_f64() / total.as_secs_f64(),
                    helm_median.as_secs_f64() / med.as_secs_f64(),
                );
            }
        }
        println!(
            "per-chart ratio (helm load + render / rollguard process): min {:.1}x, median {:.1}x, max {:.1}x; Python start-up, not counted: {:.0} ms",
            ratios.first().copied().unwrap_or(0.0),
            ratios.get(ratios.len() / 2).copied().unwrap_or(0.0),
            ratios.last().copied().unwrap_or(0.0),
            ms(helm.startup)
        );
    }
}
