//! The charts of a `check` run: each rendered (natively or by `helm template`) with the run's
//! values and release settings, paired with its baseline (`--base REF`, `--base-chart`, or the
//! run's stored baseline), in parallel.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::iter::{IntoParallelIterator, ParallelIterator};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    // A chart checked alone parses its templates while its values load (see
    // `native::render_path`).
    let parse_ahead = paths.len() == 1;
    let one = |path: &PathBuf, migrations: &mut MigrationPaths| {
        // `finish` runs on the render's thread too, whose stack is sized for deep input.
        let checked = helm::engine::with_shared_parses(|| {
            let render = Render {
                args,
                options: &options,
                kube_version,
                parse_ahead,
            };
            check_chart(&render, path, base, dialect)
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
    let units = copies(rest, rayon::current_num_threads());
    results.extend(on_workers(rest, &units, |path| one(path, &mut Vec::new())));
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

/// Bytes of `Chart.yaml` read to tell copies of one chart apart ([`copies`]).
const CHART_YAML_KEY_BYTES: u64 = 64 << 10;

/// The charts of `paths` as units of work, by index: the charts with the same `Chart.yaml`
/// bytes (copies of one chart, e.g. one per team or environment) together, in path order, at
/// most a share of the run each; the costliest units first ([`template_bytes`] of a unit's
/// first chart times its charts), so that no long chart starts last while the other workers
/// run out of work. A unit is checked on one render thread, which parses each template file
/// of its charts once ([`helm::engine::with_parses_shared_across_charts`]). Only the work's
/// order depends on this: a chart whose `Chart.yaml` cannot be read is a unit of its own.
fn copies(paths: &[PathBuf], workers: usize) -> Vec<Vec<usize>> {
    let mut units: Vec<Vec<usize>> = Vec::new();
    let mut unit_of: std::collections::HashMap<Vec<u8>, usize> = Default::default();
    let share = paths.len().div_ceil(workers.max(1) * 16).max(1);
    for (i, path) in paths.iter().enumerate() {
        let key = std::fs::File::open(path.join("Chart.yaml")).and_then(|file| {
            let mut bytes = Vec::new();
            file.take(CHART_YAML_KEY_BYTES).read_to_end(&mut bytes)?;
            Ok(bytes)
        });
        let Ok(key) = key else {
            units.push(vec![i]);
            continue;
        };
        match unit_of.get(&key) {
            Some(&u) if units[u].len() < share => units[u].push(i),
            _ => {
                unit_of.insert(key, units.len());
                units.push(vec![i]);
            }
        }
    }
    // The walks run before any chart starts: on every core.
    let mut estimated: Vec<(u64, Vec<usize>)> = units
        .into_par_iter()
        .map(|unit| {
            let first = template_bytes(&paths[unit[0]]);
            (first.saturating_mul(unit.len() as u64), unit)
        })
        .collect();
    estimated.sort_by_key(|(cost, _)| std::cmp::Reverse(*cost));
    estimated.into_iter().map(|(_, unit)| unit).collect()
}

/// Bounds of [`template_bytes`]' walk: a repository, not a file system.
const ESTIMATE_DEPTH: usize = 12;
const ESTIMATE_ENTRIES: usize = 20_000;

/// Bytes of the files in a chart's `templates/` directories (its vendored subcharts' too) and
/// of its chart archives: about what rendering it costs (over the corpus, 50 to 400
/// instructions a byte, but for charts that generate keys).
fn template_bytes(chart: &Path) -> u64 {
    walkdir::WalkDir::new(chart)
        .max_depth(ESTIMATE_DEPTH)
        .follow_links(false)
        .into_iter()
        .take(ESTIMATE_ENTRIES)
        .filter_map(|entry| entry.ok())
        .filter(|entry| {
            let path = entry.path();
            entry.file_type().is_file()
                && (path.extension().is_some_and(|e| e == "tgz")
                    || path.components().any(|c| c.as_os_str() == "templates"))
        })
        .filter_map(|entry| entry.metadata().ok())
        .map(|meta| meta.len())
        .sum()
}

/// `check` of every item, the `units` of [`copies`] each on one worker's render thread, on as
/// many workers as rayon would use; results in the items' order.
fn on_workers<I: Sync, T: Send>(
    items: &[I],
    units: &[Vec<usize>],
    check: impl Fn(&I) -> T + Sync,
) -> Vec<T> {
    let slots: Vec<Mutex<Option<T>>> = items.iter().map(|_| Mutex::new(None)).collect();
    let next = AtomicUsize::new(0);
    // Each item once, even if a unit were checked again after its render thread failed.
    let check_unit = |unit: &Vec<usize>| {
        for &i in unit {
            let Some(slot) = slots.get(i) else { continue };
            if slot.lock().is_ok_and(|s| s.is_some()) {
                continue;
            }
            let done = check(&items[i]);
            if let Ok(mut slot) = slot.lock() {
                *slot = Some(done);
            }
        }
    };
    let work = || {
        while let Some(unit) = units.get(next.fetch_add(1, Ordering::Relaxed)) {
            // A unit that cannot have a render thread of its own: each chart as when alone.
            if helm::engine::with_parses_shared_across_charts(|| check_unit(unit)).is_err() {
                check_unit(unit);
            }
        }
    };
    let workers = rayon::current_num_threads().clamp(1, units.len().max(1));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            // One that cannot start leaves its share to the others. A worker's units share
            // one render thread, which keeps the parses of vendored subcharts; without one,
            // each unit has a render thread of its own.
            let _ = std::thread::Builder::new().spawn_scoped(scope, || {
                if helm::engine::with_subchart_parses_kept(work).is_err() {
                    work();
                }
            });
        }
    });
    // Whatever no worker took (none could start): checked here.
    work();
    slots
        .into_iter()
        .zip(items)
        .map(|(slot, item)| match slot.into_inner().ok().flatten() {
            Some(done) => done,
            None => check(item),
        })
        .collect()
}

/// How a run renders its charts: its arguments, release settings and target version, and
/// whether a chart parses its templates while its values load (see `native::render_path`).
struct Render<'a> {
    args: &'a CheckArgs,
    options: &'a ReleaseOptions,
    kube_version: KubeVersion,
    parse_ahead: bool,
}

/// One chart: its baseline, then the chart rendered as the upgrade of that baseline, and
/// notes for the report (what was assumed of the revisions; `--base REF` without the chart).
fn check_chart(
    render: &Render,
    path: &Path,
    base: Option<&Baseline>,
    dialect: Option<sql::Dialect>,
) -> Result<(ChartModel, Vec<String>)> {
    let Render { args, options, .. } = *render;
    let (base, mut generated) = match base {
        Some(b) => (Some(b.clone()), Generated::default()),
        None => chart_baseline(render, path)?,
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
    let rendered = render_chart(render, path, new_options, Some(options))?;
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
/// Without `install`, a baseline: nothing is made of its own upgrade (what it generates anew,
/// or whether it fails), which nothing reads.
fn render_chart(
    render: &Render,
    path: &Path,
    options: &ReleaseOptions,
    install: Option<&ReleaseOptions>,
) -> Result<ChartRender> {
    let args = render.args;
    let namespace = &args.chart.namespace;
    if args.renderer == Renderer::Helm {
        let stream = super::helm_binary::render(path, &args.chart, Some(render.kube_version))?;
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
    let (overlay, ahead) = (&args.overlay, render.parse_ahead);
    let rendered = match install {
        Some(install) => {
            native::render_path_as_upgrade(path, &values, options, install, true, overlay, ahead)?
        }
        None => native::render_path(path, &values, options, true, overlay, ahead)?,
    };
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
            revision: match install {
                Some(install) if rendered.upgrade_failure.is_some() => install.release.revision,
                _ => options.release.revision,
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
fn chart_baseline(render: &Render, path: &Path) -> Result<Rendered> {
    let Render {
        args,
        options,
        kube_version,
        ..
    } = *render;
    if let Some(base) = &args.base_chart {
        let rendered = render_chart(render, base, options, None)?;
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

#[cfg(test)]
mod tests {
    use super::{copies, on_workers};

    #[test]
    fn every_item_is_checked_once_and_results_keep_the_items_order() {
        let items: Vec<usize> = (0..50).collect();
        let units: Vec<Vec<usize>> = vec![vec![3, 1], (4..50).rev().collect(), vec![0, 2]];
        let calls = std::sync::atomic::AtomicUsize::new(0);
        let done = on_workers(&items, &units, |i| {
            calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            (*i, std::thread::current().id())
        });
        assert_eq!(calls.into_inner(), items.len());
        assert_eq!(done.iter().map(|d| d.0).collect::<Vec<_>>(), items);
        // Checked on the workers, not on the calling thread.
        assert!(done.iter().all(|d| d.1 != std::thread::current().id()));
        assert!(on_workers(&[] as &[usize], &[], |i| *i).is_empty());
    }

    #[test]
    fn copies_of_one_chart_are_a_unit_of_at_most_a_share_of_the_run() {
        let dir = tempfile::tempdir().unwrap();
        let chart = |name: &str, chart_yaml: Option<&str>| {
            let path = dir.path().join(name);
            std::fs::create_dir_all(&path).unwrap();
            if let Some(text) = chart_yaml {
                std::fs::write(path.join("Chart.yaml"), text).unwrap();
            }
            path
        };
        let (app, db) = ("name: app\nversion: 1.0.0\n", "name: db\nversion: 1.0.0\n");
        let paths = [
            chart("a", Some(app)),
            chart("b", Some(db)),
            chart("c", Some(app)),
            chart("d", None),
            chart("e", Some(app)),
            chart("f", Some("name: big\n")),
        ];
        let templates = paths[5].join("templates");
        std::fs::create_dir_all(&templates).unwrap();
        std::fs::write(templates.join("a.yaml"), "x".repeat(100)).unwrap();
        std::fs::write(paths[1].join("sub.tgz"), "x".repeat(10)).unwrap();
        std::fs::write(paths[0].join("values.yaml"), "x".repeat(1000)).unwrap();
        // Six charts on two workers: each a unit of its own (a share is 6 / 32, rounded up),
        // the costliest first (templates and archives counted, values not), ties in path order.
        assert_eq!(
            copies(&paths, 2),
            vec![vec![5], vec![1], vec![0], vec![2], vec![3], vec![4]]
        );
        // 41 charts on 2 workers: copies in units of at most 41 / 32, rounded up.
        let mut many: Vec<_> = (0..40).map(|_| paths[0].clone()).collect();
        many.push(paths[5].clone());
        let units = copies(&many, 2);
        assert_eq!(units[0], [40]);
        assert_eq!(
            units[1..],
            (0..20).map(|u| vec![2 * u, 2 * u + 1]).collect::<Vec<_>>()
        );
    }
}
