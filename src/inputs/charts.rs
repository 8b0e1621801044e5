//! The charts of a `check` run: each rendered (natively or by `helm template`) with the run's
//! values and release settings, paired with its baseline (`--base REF`, `--base-chart`, or the
//! run's stored baseline), in parallel.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;

use crate::baseline::cache::Rendered;
use crate::baseline::{Baseline, Revision, Source};
use crate::cli::{CheckArgs, Renderer};
use crate::kube::KubeVersion;
use crate::manifest::{Object, load_stream};
use crate::model::{ChartInfo, ChartModel, ChartSource, chart_name};
use crate::progress::Progress;
use crate::sql;
use helm::engine::ReleaseOptions;
use helm::funcs::{Half, Keys};
use source::{InputError, Result, SourceFile};

use super::native::{self, release_options};
use crate::generated::Generated;

/// The charts of a run: what `finish` made of those that rendered, with their notes, and the
/// input errors of those that did not.
pub(super) struct Checked<T> {
    pub charts: Vec<(T, Vec<String>)>,
    pub failed: Vec<InputError>,
}

/// Scripts given with `--migrations`, by path; the first chart checked takes them all.
type MigrationPaths = Vec<(PathBuf, Vec<sql::Script>)>;

/// Renders and models every chart, in parallel, and hands each model to `finish` on the thread
/// that rendered it (with `migrations`, which the first chart that renders takes). Results
/// keep the input order, so the report is the same bytes however the work was scheduled. Of
/// several charts, one that cannot be rendered does not stop the others (as `helm lint` over
/// several charts): it is returned with the run's failures. A single chart's error is the run's.
pub(super) fn check_charts<T: Send>(
    args: &CheckArgs,
    paths: &[PathBuf],
    base: Option<&Baseline>,
    kube_version: KubeVersion,
    dialect: Option<sql::Dialect>,
    migrations: &mut MigrationPaths,
    finish: &(impl Fn(ChartModel, &mut MigrationPaths) -> T + Sync),
) -> Result<Checked<T>> {
    let options = ReleaseOptions {
        // A check's generated keys never leave the process (and are masked in reports): it
        // need not pay for prime searches nobody benefits from.
        keys: Keys::Disposable(Half::First),
        ..release_options(&args.chart, Some(kube_version))
    };
    let progress = Progress::new("checking charts", paths.len());
    let one = |path: &PathBuf, migrations: &mut MigrationPaths| {
        // `finish` runs on the render's thread too, whose stack is sized for deep input.
        let checked = helm::engine::with_shared_parses(|| {
            check_chart(args, path, base, &options, kube_version, dialect)
                .map(|(chart, notes)| (finish(chart, migrations), notes))
        })
        .unwrap_or_else(|e| Err(native::render_error(&path.display().to_string(), &e)));
        progress.advance();
        checked
    };
    // Which chart takes the `--migrations` scripts depends on which charts before it render:
    // those charts are checked one by one, until one does.
    let mut results: Vec<Result<_>> = Vec::with_capacity(paths.len());
    let mut rest = paths;
    while !migrations.is_empty() {
        let Some((path, tail)) = rest.split_first() else {
            break;
        };
        results.push(one(path, migrations));
        rest = tail;
    }
    results.par_extend(rest.par_iter().map(|path| one(path, &mut Vec::new())));
    progress.finish();
    let mut checked = Checked {
        charts: Vec::new(),
        failed: Vec::new(),
    };
    for result in results {
        match result {
            Ok(chart) => checked.charts.push(chart),
            Err(e) if paths.len() == 1 => return Err(e),
            Err(e) => checked.failed.push(e),
        }
    }
    Ok(checked)
}

/// One chart: its baseline, then the chart rendered as the upgrade of that baseline, and
/// notes for the report (what was assumed of the revisions; `--base REF` without the chart).
fn check_chart(
    args: &CheckArgs,
    path: &Path,
    base: Option<&Baseline>,
    options: &ReleaseOptions,
    kube_version: KubeVersion,
    dialect: Option<sql::Dialect>,
) -> Result<(ChartModel, Vec<String>)> {
    let (base, mut generated) = match base {
        Some(b) => (Some(b.clone()), Generated::default()),
        None => chart_baseline(args, path, options, kube_version)?,
    };
    let mut notes = Vec::new();
    if let (None, Some(reference)) = (&base, &args.base) {
        notes.push(format!(
            "{} has no Chart.yaml at {reference}: a new chart, no baseline",
            path.display()
        ));
    }
    let upgrade = base.as_ref().map(|b| upgrade_options(options, b));
    if let (Some((upgrade, assumed)), Renderer::Native) = (&upgrade, args.renderer) {
        notes.push(format!(
            "{} rendered as revision {} (an upgrade of revision {}{}), its `lookup` seeing the baseline's objects",
            path.display(),
            upgrade.release.revision,
            upgrade.release.revision - 1,
            if *assumed { ", assumed" } else { ", from the release record" }
        ));
    }
    let new_options = upgrade.as_ref().map_or(options, |(o, _)| o);
    let rendered = render_chart(args, path, new_options, options, kube_version)?;
    generated.extend(rendered.generated);
    let info = ChartInfo {
        path: path.display().to_string(),
        name: rendered.name,
        version: rendered.version,
        baseline: base.as_ref().map(|b| b.label.clone()),
    };
    let mut model = ChartModel::new(info, rendered.objects, base, rendered.source, dialect);
    model.generated = generated;
    Ok((model, notes))
}

/// Helm renders an upgrade at the baseline's revision + 1, with `.Release.IsUpgrade`, and its
/// `lookup` sees what the baseline put in the cluster. The baseline's revision is the release
/// record's, else the one the run renders at (`--revision`, 1): then it is assumed.
fn upgrade_options(options: &ReleaseOptions, base: &Baseline) -> (ReleaseOptions, bool) {
    let current = base.current();
    let number = current.number.map(i64::from);
    let mut upgrade = options.clone();
    upgrade.release.revision = number.unwrap_or(options.release.revision) + 1;
    upgrade.release.is_upgrade = true;
    upgrade.cluster = Some(Arc::new(native::cluster_of(&current.objects)));
    (upgrade, number.is_none())
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

/// Renders `path` with the chosen renderer, with the run's values and release settings
/// (`options`; `install` when they stand for an upgrade that stops at `fail`/`required`).
fn render_chart(
    args: &CheckArgs,
    path: &Path,
    options: &ReleaseOptions,
    install: &ReleaseOptions,
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
    let values = args.chart.value_options();
    let rendered =
        native::render_path_as_upgrade(path, &values, options, install, true, &args.overlay)?;
    Ok(ChartRender {
        name: rendered.name,
        version: Some(rendered.version),
        objects: match rendered.objects {
            Some(objects) => objects,
            None => load_stream(&rendered.stream, namespace)?,
        },
        source: Some(ChartSource {
            kube_constraint: rendered.kube_constraint,
            lookups: rendered.lookups,
            sql_files: rendered.sql_files,
            revision: if rendered.upgrade_failure.is_some() {
                install.release.revision
            } else {
                options.release.revision
            },
            crds: rendered.crds,
            upgrade_failure: rendered.upgrade_failure,
            regenerated: rendered.regenerated,
        }),
        generated: rendered.generated,
    })
}

/// `--base-chart` and `--base REF`: the previous chart, rendered with the same values and
/// settings, and what it generated at random; with a [`BaselineCache`](crate::baseline::cache::BaselineCache), a baseline rendered
/// earlier for the same commit.
fn chart_baseline(
    args: &CheckArgs,
    path: &Path,
    options: &ReleaseOptions,
    kube_version: KubeVersion,
) -> Result<Rendered> {
    if let Some(base) = &args.base_chart {
        let rendered = render_chart(args, base, options, options, kube_version)?;
        let label = format!("chart:{}", base.display());
        let crds = rendered.source.map(|s| s.crds);
        let base = rerendered(label, rendered.version, rendered.objects, crds);
        return Ok((base, rendered.generated));
    }
    let Some(reference) = &args.base else {
        return Ok((None, Generated::default()));
    };
    // A revision that names no commit is for `git_baseline` to report.
    let cached = args
        .baselines
        .as_ref()
        .zip(helm::chart::revision_id(path, reference));
    let Some((cache, commit)) = cached else {
        return git_baseline(args, path, reference, options);
    };
    let key = (path.to_path_buf(), commit, kube_version);
    if let Some(hit) = cache.get(&key) {
        return Ok(hit);
    }
    let baseline = git_baseline(args, path, reference, options)?;
    cache.put(key, baseline.clone());
    Ok(baseline)
}

/// A baseline rollguard rendered itself: one revision, its number unknown.
fn rerendered(
    label: String,
    version: Option<String>,
    objects: Vec<Object>,
    crds: Option<Vec<(String, Arc<SourceFile>)>>,
) -> Option<Baseline> {
    let revision = Revision {
        number: None,
        status: None,
        chart_version: version,
        objects,
        crds,
    };
    Baseline::new(label, Source::Rerendered, vec![revision])
}

/// `--base REF`: the chart as committed at REF, rendered with the run's values. A chart that did
/// not exist at REF is a new chart: no baseline.
fn git_baseline(
    args: &CheckArgs,
    path: &Path,
    reference: &str,
    options: &ReleaseOptions,
) -> Result<Rendered> {
    let Some(chart) = helm::chart::load_chart_at_revision(path, reference)? else {
        return Ok((None, Generated::default()));
    };
    let loaded = helm::chart::prepare(chart, &args.chart.value_options())?;
    let shown = format!("{}@{reference}", path.display());
    let rendered = native::render_loaded(&loaded, &shown, options, true)?;
    let objects = load_stream(&rendered.stream, &args.chart.namespace)?;
    let label = format!("git:{reference}");
    let base = rerendered(label, Some(rendered.version), objects, Some(rendered.crds));
    Ok((base, rendered.generated))
}
