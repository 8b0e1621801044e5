//! Parse and render real charts from `../shared/corpus/charts` (read at bench time, never
//! copied into the project). `RENDER_BENCH_CHARTS=a,b` picks the charts.

use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use rollguard::chart::{ValueOptions, load};
use rollguard::render::release::{ReleaseOptions, render_release};
use rollguard::render::{Engine, funcs};

const DEFAULT_CHARTS: &str = "bitnami-postgresql,bitnami-redis,kube-prometheus-stack";

fn bench(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/charts");
    let names = std::env::var("RENDER_BENCH_CHARTS").unwrap_or_else(|_| DEFAULT_CHARTS.into());
    for name in names.split(',') {
        let dir = root.join(name);
        if !dir.is_dir() {
            eprintln!("skipping {name}: {} not found", dir.display());
            continue;
        }
        let loaded = match load(&dir, &ValueOptions::default()) {
            Ok(loaded) => loaded,
            Err(e) => {
                eprintln!("skipping {name}: {e}");
                continue;
            }
        };
        let templates: Vec<(&String, &String)> = loaded
            .parse_order()
            .into_iter()
            .map(|(_, t)| (&t.path, &t.text))
            .collect();
        let bytes: usize = templates.iter().map(|(_, t)| t.len()).sum();
        eprintln!(
            "{name}: {} template files, {} KiB",
            templates.len(),
            bytes / 1024
        );
        c.bench_function(&format!("parse/{name}"), |b| {
            b.iter(|| {
                let mut e = Engine::new();
                funcs::register(&mut e);
                for (path, text) in &templates {
                    // A template that does not parse still costs its parse time.
                    let _ = e.add_template(path, text);
                }
                e
            })
        });
        let options = ReleaseOptions::default();
        match render_release(&loaded, &options) {
            Ok(out) => eprintln!("{name}: rendered {} templates", out.len()),
            Err(e) => eprintln!(
                "{name}: render fails: {}",
                e.helm_message().chars().take(300).collect::<String>()
            ),
        }
        c.bench_function(&format!("render/{name}"), |b| {
            b.iter(|| render_release(&loaded, &options))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
