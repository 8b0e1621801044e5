//! Renders every chart of `../shared/corpus/charts` with its default values and reports which
//! fail and why (`cargo test --test render_corpus -- --ignored --nocapture`). A survey, not a
//! gate: byte-for-byte comparison with Helm lives in the conformance cases.

use std::path::Path;

use rollguard::render::chart::{ChartFiles, Release, render_chart};
use rollguard::render::{funcs, run_with_stack};

const STACK: usize = 256 << 20;

fn load_chart(dir: &Path) -> ChartFiles {
    let mut files = ChartFiles::new();
    for entry in walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
    {
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        files.insert(rel.to_string_lossy().replace('\\', "/"), text);
    }
    files
}

#[test]
#[ignore = "survey over the shared corpus; run explicitly"]
fn corpus_charts_render() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/charts");
    let Ok(entries) = std::fs::read_dir(&root) else {
        eprintln!("no corpus at {}", root.display());
        return;
    };
    let mut dirs: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Chart.yaml").is_file())
        .collect();
    dirs.sort();
    if let Ok(only) = std::env::var("CHART") {
        dirs.retain(|d| d.file_name().is_some_and(|n| n.to_string_lossy() == only));
    }
    let (mut ok, mut failed) = (0, 0);
    for dir in dirs {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let files = load_chart(&dir);
        let result = run_with_stack(STACK, move || {
            render_chart(&files, &Release::default(), |e| {
                e.limits.stack_budget = STACK - (16 << 20);
                funcs::register(e);
            })
            .map(|m| m.len())
            .map_err(|e| e.helm_message())
        })
        .unwrap_or_else(|e| Err(format!("renderer crashed: {e}")));
        match result {
            Ok(n) => {
                ok += 1;
                println!("ok    {name}: {n} templates");
            }
            Err(e) => {
                failed += 1;
                let short: String = e.chars().take(240).collect();
                println!("FAIL  {name}: {}", short.replace('\n', " "));
            }
        }
    }
    println!("{ok} charts rendered, {failed} failed");
}
