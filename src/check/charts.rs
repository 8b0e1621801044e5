//! The charts of a `check` run: each rendered (natively or by `helm template`) with the run's
//! values and release settings, paired with its baseline (`--base REF`, `--base-chart`, or the
//! run's stored baseline), in parallel.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::baseline::{Baseline, Revision, Source};
use crate::cli::{ChartArgs, CheckArgs, Renderer};
use crate::error::Result;
use crate::kube::{ApiTable, KubeVersion};
use crate::manifest::{Object, load_stream};
use crate::model::{ChartInfo, ChartModel, ChartSource};
use crate::progress::Progress;
use crate::render::chart::Release;
use crate::render::objects::Capabilities;
use crate::render::release::ReleaseOptions;
use crate::rendered;
use crate::sql;

use super::{chart_model, chart_name};

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
    let base = match base {
        Some(b) => Some(b.clone()),
        None => chart_baseline(args, path, options, kube_version)?,
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
    let model = chart_model(info, rendered.objects, base, rendered.source, dialect);
    Ok((model, note))
}

/// A chart's new revision as the rules see it.
struct ChartRender {
    name: String,
    /// Unknown when Helm rendered the chart (its stream does not carry Chart.yaml).
    version: Option<String>,
    objects: Vec<Object>,
    source: Option<ChartSource>,
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
        let stream = crate::helm_template::render(path, &args.chart, Some(kube_version))?;
        let objects = load_stream(&stream, namespace)?;
        return Ok(ChartRender {
            name: chart_name(&objects).unwrap_or_else(|| path.display().to_string()),
            version: None,
            objects,
            source: None,
        });
    }
    let rendered = rendered::render_path(path, &args.chart.value_options(), options, true)?;
    Ok(ChartRender {
        name: rendered.name,
        version: Some(rendered.version),
        objects: load_stream(&rendered.stream, namespace)?,
        source: Some(ChartSource {
            kube_constraint: rendered.kube_constraint,
            lookups: rendered.lookups,
        }),
    })
}

/// Release settings for rendering. With a target version, charts see the API set that
/// Kubernetes version serves (what the real upgrade would meet); without one, Helm's defaults
/// (what `helm template` renders). Both revisions share one seed and clock, so generated
/// passwords and certificates do not look like changes.
pub fn release_options(args: &ChartArgs, target: Option<KubeVersion>) -> ReleaseOptions {
    let mut capabilities = Capabilities::default();
    if let Some(v) = target {
        capabilities.kube_version = format!("v{v}.0");
        capabilities.api_versions = ApiTable::builtin().served(v);
    }
    capabilities
        .api_versions
        .extend(args.api_versions.iter().cloned());
    ReleaseOptions {
        release: Release {
            name: args.release_name.clone(),
            namespace: args.namespace.clone(),
            revision: args.revision,
            is_upgrade: args.is_upgrade,
        },
        capabilities,
        seed: Some(RENDER_SEED),
        clock: Some(render_clock()),
        without_source_map: false,
    }
}

/// Any fixed value: what matters is that both revisions use the same one.
const RENDER_SEED: u64 = 0x726f_6c6c_6775_6172;

/// `now` for every render of one run.
fn render_clock() -> i64 {
    static CLOCK: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *CLOCK.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    })
}

/// `--base-chart` and `--base REF`: the previous chart, rendered with the same values and
/// settings. A chart that did not exist at REF is a new chart: no baseline.
fn chart_baseline(
    args: &CheckArgs,
    path: &Path,
    options: &ReleaseOptions,
    kube_version: KubeVersion,
) -> Result<Option<Baseline>> {
    let (label, version, objects) = if let Some(base) = &args.base_chart {
        let rendered = render_chart(args, base, options, kube_version)?;
        let label = format!("chart:{}", base.display());
        (label, rendered.version, rendered.objects)
    } else if let Some(reference) = &args.base {
        if !crate::chart::git::exists_at_revision(path, reference) {
            return Ok(None);
        }
        let chart = crate::chart::git::load_chart_at_revision(path, reference)?;
        let loaded = crate::chart::prepare(chart, &args.chart.value_options())?;
        let shown = format!("{}@{reference}", path.display());
        let rendered = rendered::render_loaded(&loaded, &shown, options, true)?;
        let objects = load_stream(&rendered.stream, &args.chart.namespace)?;
        (format!("git:{reference}"), Some(rendered.version), objects)
    } else {
        return Ok(None);
    };
    let revision = Revision {
        number: None,
        status: None,
        chart_version: version,
        objects,
    };
    Ok(Baseline::new(label, Source::Rerendered, vec![revision]))
}
