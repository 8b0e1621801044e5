//! `rollguard render CHART`: what the native renderer produces, like `helm template`.

use super::output_dir;
use crate::cli::RenderArgs;
use crate::inputs::native::{release_options, render_error};
use crate::kube::KubeVersion;
use helm::chart::LoadedRelease;
use helm::engine::Rendered;
use helm::stream;
use source::{InputError, Result};
use std::collections::BTreeMap;

/// The `helm template` stream, or with `--json` the engine's raw map
/// `{"<chart>/templates/<file>": "<text>"}` (the shape of `helm-render --json`), handed to
/// `emit` on the thread that rendered it: `emit` may print it and end the process there.
pub fn run<T: Send>(args: &RenderArgs, emit: impl FnOnce(String) -> Result<T> + Send) -> Result<T> {
    // Helm's default capabilities, so the output compares with `helm template`; a given
    // version changes only `.Capabilities.KubeVersion`.
    let mut options = release_options(&args.args, None);
    options.without_source_map = true;
    // `check`'s fixed seed would print the same passwords to every user: like Helm, draw from
    // the operating system unless a reproducible render is asked for.
    options.seed = args.seed;
    // The process ends after printing: what the render built is left to the operating system.
    options.leave_to_exit = true;
    if let Some(v) = &args.args.kube_version {
        let version: KubeVersion = v
            .parse()
            .map_err(|e: String| InputError::new(format!("--kube-version: {e}")))?;
        options.capabilities.kube_version = format!("v{version}.0");
    }
    // The templates parse while the values load, the values' schemas are checked while the
    // templates execute (see `load_and_render_then`).
    let files = helm::chart::read_chart_with(&args.chart, &Default::default())?;
    let texts = files.template_texts();
    let values = args.args.value_options();
    helm::engine::load_and_render_then(
        &texts,
        || helm::chart::load_read_checking_later(files, &values),
        &options,
        |(loaded, rendered)| output(args, loaded, rendered).and_then(emit),
    )?
}

/// What `run` prints of the loaded and rendered chart; its warnings go to standard error.
fn output(
    args: &RenderArgs,
    loaded: LoadedRelease,
    rendered: std::result::Result<BTreeMap<String, Rendered>, helm::Error>,
) -> Result<String> {
    if loaded.root.metadata.deprecated {
        // What Helm's logger prints for a deprecated chart.
        eprintln!("level=WARN msg=\"this chart is deprecated\"");
    }
    // What Helm logs while it coalesces the values ("Ignoring non-table value" & co.).
    for warning in &loaded.warnings {
        eprintln!("{warning}");
    }
    let rendered = rendered.map_err(|e| render_error(&args.chart.display().to_string(), &e))?;
    if args.json {
        let map: serde_json::Map<String, serde_json::Value> = rendered
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v.text)))
            .collect();
        let mut text = serde_json::to_string_pretty(&map).unwrap_or_default();
        text.push('\n');
        return Ok(text);
    }
    let stream_options = stream::Options {
        hooks: !args.no_hooks,
        skip_tests: args.skip_tests,
        crds: if args.include_crds {
            stream::crds(&loaded)
        } else {
            Vec::new()
        },
    };
    let (entries, warnings) = stream::entries(&rendered, &stream_options);
    // Helm's warnings go where Helm prints them.
    for warning in &warnings {
        eprintln!("{warning}");
    }
    if let Some(dir) = &args.output_dir {
        output_dir::write(dir, &entries, |path| {
            super::print(&format!("wrote {path}\n"))
        })?;
        // What `helm template` prints after the files: its (empty) release manifest.
        return Ok("\n".to_string());
    }
    let text = stream::join(&entries);
    std::mem::forget(entries);
    std::mem::forget((rendered, loaded));
    if args.show_only.is_empty() {
        return Ok(text);
    }
    stream::show_only(&text, &args.show_only).map_err(|e| {
        InputError::in_path(args.chart.display().to_string(), e)
            .with_help("--show-only takes a template path without the chart name, e.g. templates/service.yaml; globs match one path segment")
    })
}
