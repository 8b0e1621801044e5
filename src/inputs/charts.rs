//! The charts of a `check` run: each rendered (natively or by `helm template`) with the run's
//! values and release settings, paired with its baseline (`--base REF`, `--base-chart`, or the
//! run's stored baseline), in parallel.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::baseline::{Baseline, Revision, Source};
use crate::cli::{CheckArgs, Renderer};
use crate::kube::KubeVersion;
use crate::manifest::{Object, load_stream};
use crate::model::{ChartInfo, ChartModel, ChartSource, chart_name};
use crate::progress::Progress;
use crate::sql;
use helm::engine::ReleaseOptions;
use source::Result;

use super::native::{self, release_options};
use crate::generated::Generated;

/// Renders and models every chart, in parallel. Results keep the input order (and the first
/// error in that order wins), so the report is the same bytes however the work was scheduled.
pub(super) fn check_charts(
    args: &CheckArgs,
    paths: &[PathBuf],
    base: Option<&Baseline>,
    kube_version: KubeVersion,
    dialect: Option<sql::Dialect>,
) -> Result<Vec<(ChartModel, Option<String>)>> {
    let options = release_options(&args.chart, Some(kube_version));
    let progress = Progress::new("checking charts", paths.len());
    let results: Vec<Result<_>> = paths
        .par_iter()
        .map(|path| {
            let checked = check_chart(args, path, base, &options, kube_version, dialect);
            progress.advance();
            checked
        })
        .collect();
    progress.finish();
    results.into_iter().collect()
}

/// One chart: rendered, with its baseline, and a note when `--base REF` has no such chart.
fn check_chart(
    args: &CheckArgs,
    path: &Path,
    base: Option<&Baseline>,
    options: &ReleaseOptions,
    kube_version: KubeVersion,
    dialect: Option<sql::Dialect>,
) -> Result<(ChartModel, Option<String>)> {
    let rendered = render_chart(args, path, options, kube_version)?;
    let mut generated = rendered.generated;
    let base = match base {
        Some(b) => Some(b.clone()),
        None => {
            let (base, base_generated) = chart_baseline(args, path, options, kube_version)?;
            generated.extend(base_generated);
            base
        }
    };
    let note = match (&base, &args.base) {
        (None, Some(reference)) => Some(format!(
            "{} has no Chart.yaml at {reference} (a new chart, or an unknown revision): no baseline",
            path.display()
        )),
        _ => None,
    };
    let info = ChartInfo {
        path: path.display().to_string(),
        name: rendered.name,
        version: rendered.version,
        baseline: base.as_ref().map(|b| b.label.clone()),
    };
    let mut model = ChartModel::new(info, rendered.objects, base, rendered.source, dialect);
    model.generated = generated;
    Ok((model, note))
}

/// A chart's new revision as the rules see it.
struct ChartRender {
    name: String,
    /// Unknown when Helm rendered the chart (its stream does not carry Chart.yaml).
    version: Option<String>,
    objects: Vec<Object>,
    source: Option<ChartSource>,
    generated: Generated,
}

/// Renders `path` with the chosen renderer, with the run's values and release settings.
fn render_chart(
    args: &CheckArgs,
    path: &Path,
    options: &ReleaseOptions,
    kube_version: KubeVersion,
) -> Result<ChartRender> {
    let namespace = &args.chart.namespace;
    if args.renderer == Renderer::Helm {
        let stream = super::helm_binary::render(path, &args.chart, Some(kube_version))?;
        let objects = load_stream(&stream, namespace)?;
        return Ok(ChartRender {
            name: chart_name(&objects).unwrap_or_else(|| path.display().to_string()),
            version: None,
            objects,
            source: None,
            generated: Generated::default(),
        });
    }
    let rendered = native::render_path(path, &args.chart.value_options(), options, true)?;
    Ok(ChartRender {
        name: rendered.name,
        version: Some(rendered.version),
        objects: load_stream(&rendered.stream, namespace)?,
        source: Some(ChartSource {
            kube_constraint: rendered.kube_constraint,
            lookups: rendered.lookups,
            sql_files: rendered.sql_files,
        }),
        generated: rendered.generated,
    })
}

/// `--base-chart` and `--base REF`: the previous chart, rendered with the same values and
/// settings, and what it generated at random. A chart that did not exist at REF is a new
/// chart: no baseline.
fn chart_baseline(
    args: &CheckArgs,
    path: &Path,
    options: &ReleaseOptions,
    kube_version: KubeVersion,
) -> Result<(Option<Baseline>, Generated)> {
    let (label, version, objects, generated) = if let Some(base) = &args.base_chart {
        let rendered = render_chart(args, base, options, kube_version)?;
        let label = format!("chart:{}", base.display());
        (
            label,
            rendered.version,
            rendered.objects,
            rendered.generated,
        )
    } else if let Some(reference) = &args.base {
        if !helm::chart::exists_at_revision(path, reference) {
            return Ok((None, Generated::default()));
        }
        let chart = helm::chart::load_chart_at_revision(path, reference)?;
        let loaded = helm::chart::prepare(chart, &args.chart.value_options())?;
        let shown = format!("{}@{reference}", path.display());
        let rendered = native::render_loaded(&loaded, &shown, options, true)?;
        let objects = load_stream(&rendered.stream, &args.chart.namespace)?;
        let label = format!("git:{reference}");
        (label, Some(rendered.version), objects, rendered.generated)
    } else {
        return Ok((None, Generated::default()));
    };
    let revision = Revision {
        number: None,
        status: None,
        chart_version: version,
        objects,
    };
    let base = Baseline::new(label, Source::Rerendered, vec![revision]);
    Ok((base, generated))
}
