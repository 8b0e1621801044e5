//! Renders every chart of `../shared/corpus/charts` with its default values and reports which
//! fail and why (`cargo test --test render_corpus -- --ignored --nocapture`). A survey, not a
//! gate: byte-for-byte comparison with Helm lives in the conformance cases.

use std::path::Path;

use rollguard::render::chart::{Release, load_chart_dir, render_chart};
use rollguard::render::funcs;

fn corpus_dirs() -> Vec<std::path::PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/charts");
    let Ok(entries) = std::fs::read_dir(&root) else {
        eprintln!("no corpus at {}", root.display());
        return Vec::new();
    };
    let mut dirs: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("Chart.yaml").is_file())
        .collect();
    dirs.sort();
    if let Ok(only) = std::env::var("CHART") {
        let wanted: Vec<&str> = only.split(',').collect();
        dirs.retain(|d| {
            d.file_name()
                .is_some_and(|n| wanted.contains(&n.to_string_lossy().as_ref()))
        });
    }
    dirs
}

fn render_dir(
    dir: &Path,
    release: Release,
) -> Result<std::collections::BTreeMap<String, String>, String> {
    render_chart(
        &load_chart_dir(dir).map_err(|e| e.to_string())?,
        &release,
        funcs::register,
    )
    .map_err(|e| e.helm_message())
}

#[test]
#[ignore = "survey over the shared corpus; run explicitly"]
fn corpus_charts_render() {
    let (mut ok, mut failed) = (0, 0);
    for dir in corpus_dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        match render_dir(&dir, Release::default()) {
            Ok(m) => {
                ok += 1;
                println!("ok    {name}: {} templates", m.len());
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

/// Compares every rendered template with the real Helm (`../shared/oracle/helm-render`,
/// slow). Templates that use random or time functions differ on every run, so this lists
/// differences for a human to judge rather than asserting.
#[test]
#[ignore = "needs the Helm oracle; run explicitly"]
fn corpus_charts_match_helm() {
    let oracle = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/oracle/helm-render");
    for dir in corpus_dirs() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let out = std::process::Command::new(&oracle)
            .arg(&dir)
            .arg("--json")
            .output();
        let Ok(out) = out else {
            eprintln!("oracle not runnable at {}", oracle.display());
            return;
        };
        let Ok(want) =
            serde_json::from_slice::<std::collections::BTreeMap<String, String>>(&out.stdout)
        else {
            println!(
                "{name}: Helm fails: {}",
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .next()
                    .unwrap_or("")
            );
            continue;
        };
        let release = Release {
            name: "release-name".into(),
            namespace: "default".into(),
            ..Release::default()
        };
        match render_dir(&dir, release) {
            Ok(got) => {
                let differ: Vec<&String> = want
                    .iter()
                    .filter(|(k, v)| got.get(*k) != Some(v))
                    .map(|(k, _)| k)
                    .collect();
                println!(
                    "{name}: {} identical, {} differ {differ:?}",
                    want.len() - differ.len(),
                    differ.len()
                );
            }
            Err(e) => println!("{name}: we fail where Helm renders: {e}"),
        }
    }
}
