//! From the command line to what the rules read: the settings, and one [`ChartModel`] per chart,
//! manifest or migrations folder, each with its baseline, migrations and pipeline invocations,
//! handed over one at a time as each is complete ([`Charts::check`]).
//! Which charts ([`select`]), rendering them ([`charts`], [`native`], [`helm_binary`]) and which
//! helm invocations deploy them ([`pipelines`]) are this module's parts.

pub mod charts;
pub mod helm_binary;
pub mod native;
pub mod pipelines;
pub mod select;

use std::path::{Path, PathBuf};

use crate::baseline::{Baseline, Revision, Source, release};
use crate::cli::{CheckArgs, Renderer};
use crate::config::Config;
use crate::diff::pair;
use crate::kube::{ApiTable, KubeVersion};
use crate::manifest::load_stream;
use crate::model::{ChartInfo, ChartModel, Settings, chart_name};
use crate::pipeline;
use crate::sql;
use source::SourceFile;
use source::bounded;
use source::{InputError, Result};

use charts::check_charts;
use pipelines::Pipelines;

/// What a `check` run reads: its settings, and the charts with what each is checked with.
pub struct Inputs {
    pub settings: Settings,
    pub charts: Charts,
}

/// The checked entries of a run (charts, manifests, migrations folders), each as the run's
/// `finish` left it, in report order; the notes loading them left for the report; of several
/// charts, the input errors of those that could not be checked (the run's exit code is then 2).
pub struct Checked<T> {
    pub entries: Vec<T>,
    pub notes: Vec<String>,
    pub failed: Vec<InputError>,
}

/// What every chart of a run is checked with, read before any chart is rendered (`--manifest`
/// files, the baseline, `--migrations` scripts, the pipelines' helm invocations), so that
/// [`Charts::check`] can complete each chart's model as soon as it is rendered, hand it over and
/// drop it: a run over many charts holds one model per worker, not one per chart.
pub struct Charts {
    paths: Vec<PathBuf>,
    manifests: Vec<ChartModel>,
    base: Option<Baseline>,
    kube_version: KubeVersion,
    dialect: Option<sql::Dialect>,
    /// Each `--migrations` path with its scripts: they belong to the first checked entry.
    migrations: Vec<(PathBuf, Vec<sql::Script>)>,
    pipelines: Pipelines,
    /// What reading the pipeline files left for the report.
    pipeline_notes: Vec<String>,
}

/// Reads every input of a `check` run but the charts; `None` when `--changed` named only files
/// that belong to no chart.
pub fn load(args: &CheckArgs) -> Result<Option<Inputs>> {
    let chart_paths = chart_inputs(args)?;
    let start = input_start(args, &chart_paths);
    let config = load_config(args, start)?;
    let kube_version = kube_version(args, &config)?;
    let settings = config.settings(kube_version, &args.chart.release_name);
    if nothing_changed(args, &chart_paths) {
        return Ok(None);
    }
    let base = load_baseline(args)?;
    if (base.is_some() || args.base_chart.is_some()) && args.manifest.len() + chart_paths.len() > 1
    {
        return Err(InputError::new(
            "a baseline compares with one revision: give exactly one chart or --manifest",
        )
        .with_help("--base REF works with several charts: each is compared with itself at REF"));
    }
    if args.renderer == Renderer::Helm && args.base.is_some() {
        return Err(InputError::new("--base REF renders the chart at REF natively; it cannot be combined with --renderer helm")
            .with_help("render the previous revision with helm yourself and pass it with --base-manifest, or use --base-chart"));
    }
    let dialect = args.sql_dialect.or(config.sql_dialect);
    let namespace = &args.chart.namespace;
    let mut manifests = Vec::new();
    for input in &args.manifest {
        let file = read_input(input)?;
        let objects = load_stream(&file, namespace)?;
        let info = ChartInfo {
            path: file.name.clone(),
            name: chart_name(&objects).unwrap_or_else(|| file.name.clone()),
            version: None,
            baseline: base.as_ref().map(|b| b.label.clone()),
        };
        manifests.push(ChartModel::new(info, objects, base.clone(), None, dialect));
    }
    let mut migrations = Vec::new();
    for path in &args.migrations {
        migrations.push((path.clone(), sql::migrations_dir::load(path, dialect)?));
    }
    let pipelines = pipeline::read::load(pipeline_sources(args, &config, start))?;
    let charts = Charts {
        pipelines: Pipelines::new(pipelines.invocations),
        pipeline_notes: pipelines.notes,
        paths: chart_paths,
        manifests,
        base,
        kube_version,
        dialect,
        migrations,
    };
    Ok(Some(Inputs { settings, charts }))
}

impl Charts {
    /// Renders and models every entry, in parallel, and hands each complete model to `finish`
    /// on the thread that rendered it; what `finish` returns is kept, in report order (the
    /// `--manifest` files, the charts, then `--migrations` paths when nothing else was
    /// checked). `settings.release` relates pipeline invocations to charts.
    pub fn check<T: Send>(
        self,
        args: &CheckArgs,
        settings: &Settings,
        finish: impl Fn(ChartModel) -> T + Sync,
    ) -> Result<Checked<T>> {
        let Charts {
            paths,
            manifests,
            base,
            kube_version,
            dialect,
            mut migrations,
            pipelines,
            pipeline_notes,
        } = self;
        // What the report says of each entry, taken from its model before `finish` drops it.
        let complete = |mut chart: ChartModel,
                        migrations: &mut Vec<(PathBuf, Vec<sql::Script>)>| {
            chart.invocations = pipelines.related(&chart, &settings.release);
            for (_, scripts) in migrations.drain(..) {
                chart.migrations.scripts.extend(scripts);
            }
            let notes = EntryNotes::of(&chart);
            (finish(chart), notes)
        };
        let mut done = Vec::new();
        for chart in manifests {
            done.push(complete(chart, &mut migrations));
        }
        let checked = check_charts(
            args,
            &paths,
            base.as_ref(),
            kube_version,
            dialect,
            &mut migrations,
            &complete,
        )?;
        let mut notes = Vec::new();
        for (entry, render_notes) in checked.charts {
            done.push(entry);
            notes.extend(render_notes);
        }
        notes.extend(checked.failed.iter().map(|e| format!("not checked: {e}")));
        // Alone, each `--migrations` path is a report entry of its own.
        for (path, scripts) in migrations {
            let chart = migrations_entry(&path, scripts);
            done.push(complete(chart, &mut Vec::new()));
        }
        let (entries, entry_notes): (Vec<T>, Vec<EntryNotes>) = done.into_iter().unzip();
        let mut baseline_notes: Vec<String> = entry_notes
            .iter()
            .flat_map(|n| n.baseline.iter().cloned())
            .collect();
        baseline_notes.dedup();
        notes.extend(baseline_notes);
        notes.extend(pipeline_notes);
        notes.extend(entry_notes.into_iter().filter_map(|n| n.pipelines));
        Ok(Checked {
            entries,
            notes,
            failed: checked.failed,
        })
    }
}
/// `--changed` with files that belong to no chart, and nothing else to check.
fn nothing_changed(args: &CheckArgs, chart_paths: &[PathBuf]) -> bool {
    args.changed && chart_paths.is_empty() && args.manifest.is_empty() && args.migrations.is_empty()
}

/// The charts to render: those `--changed` files belong to, every chart here with `--all`,
/// those named, else `.` when nothing else is to be checked.
fn chart_inputs(args: &CheckArgs) -> Result<Vec<PathBuf>> {
    if args.changed {
        // No files named: git says what changed since the baseline.
        if let (true, Some(reference)) = (args.charts.is_empty(), &args.base) {
            return Ok(select::containing(&select::changed_since(reference)?));
        }
        return Ok(select::containing(&args.charts));
    }
    if args.all {
        let found = select::under(Path::new("."));
        if found.is_empty() {
            return Err(InputError::new("--all: no Chart.yaml under the working directory")
                .with_help("charts under fixtures/, testdata/ and hidden directories are skipped: name them to check them"));
        }
        return Ok(found);
    }
    if !args.charts.is_empty() || !args.manifest.is_empty() || !args.migrations.is_empty() {
        return Ok(args.charts.clone());
    }
    if Path::new("Chart.yaml").is_file() {
        return Ok(vec![PathBuf::from(".")]);
    }
    Err(InputError::new("nothing to check: no Chart.yaml here")
        .with_help("name a chart (`rollguard check path/to/chart`), or use --manifest FILE or --migrations PATH"))
}

/// The previous revision(s), from whichever baseline flag was given (clap allows only one).
fn load_baseline(args: &CheckArgs) -> Result<Option<Baseline>> {
    let (label, revisions) = if let Some(input) = &args.base_manifest {
        let file = read_input(input)?;
        let objects = load_stream(&file, &args.chart.namespace)?;
        let revision = Revision {
            number: None,
            status: None,
            chart_version: None,
            objects,
            crds: None,
        };
        (format!("manifest:{}", file.name), vec![revision])
    } else if !args.base_release.is_empty() {
        let mut revisions = Vec::new();
        for path in &args.base_release {
            revisions.extend(release::load(path, &args.chart.namespace)?);
        }
        let names: Vec<String> = args
            .base_release
            .iter()
            .map(|p| p.display().to_string())
            .collect();
        (format!("release:{}", names.join(",")), revisions)
    } else {
        return Ok(None);
    };
    Ok(Baseline::new(label, Source::Stored, revisions))
}

/// The report's remarks about one entry, kept apart by kind since the report lists each kind
/// for all entries together.
struct EntryNotes {
    /// What was not checked, and what the diff found that a reader should know although no
    /// rule fires on it.
    baseline: Vec<String>,
    /// Which pipeline files it was checked with.
    pipelines: Option<String>,
}

impl EntryNotes {
    fn of(chart: &ChartModel) -> EntryNotes {
        EntryNotes {
            baseline: baseline_notes(chart),
            pipelines: pipelines::checked_note(chart),
        }
    }
}

fn baseline_notes(chart: &ChartModel) -> Vec<String> {
    let mut notes = Vec::new();
    let Some(base) = &chart.base else {
        notes.push("no baseline given: the revision-diff rules did not run".to_string());
        return notes;
    };
    if chart.migrations.already_shipped > 0 {
        notes.push(format!(
            "{} migration script(s) already shipped in the baseline have run and were not checked again",
            chart.migrations.already_shipped
        ));
    }
    if base.revisions.len() > 1 {
        notes.push(format!(
            "compared with {} of {} stored revisions",
            base.current().label(),
            base.revisions.len()
        ));
    }
    let diff = pair(&base.current().objects, &chart.objects);
    for p in diff.pairs.iter().filter(|p| p.crosses_groups()) {
        notes.push(format!(
            "{} moves from {} to {}: Helm handles this as a delete and a create of one stored object",
            p.new.id, p.old.id.api_version, p.new.id.api_version
        ));
    }
    notes
}

/// A `--migrations` path checked alone: an entry of its own, with no objects.
fn migrations_entry(path: &Path, scripts: Vec<sql::Script>) -> ChartModel {
    let shown = path.display().to_string();
    ChartModel {
        info: ChartInfo {
            name: shown.clone(),
            path: shown,
            version: None,
            baseline: None,
        },
        objects: Vec::new(),
        invocations: Vec::new(),
        base: None,
        migrations: sql::Migrations {
            scripts,
            ..sql::Migrations::default()
        },
        source: None,
        generated: crate::generated::Generated::default(),
    }
}

fn load_config(args: &CheckArgs, start: &Path) -> Result<Config> {
    if let Some(path) = &args.config {
        return Config::load(path);
    }
    match Config::discover(start) {
        Some(path) => Config::load(&path),
        None => Ok(Config::default()),
    }
}

/// `--pipeline` and the config's `pipelines:` replace discovery; `--no-pipelines` turns
/// discovery off. Discovery starts at the first input file (standard input: the working
/// directory) and covers its repository.
fn pipeline_sources<'a>(
    args: &'a CheckArgs,
    config: &'a Config,
    start: &'a Path,
) -> pipeline::read::Sources<'a> {
    use pipeline::read::Sources;
    if !args.pipeline.is_empty() {
        return Sources::Given(&args.pipeline);
    }
    if !config.pipelines.is_empty() {
        return Sources::Given(&config.pipelines);
    }
    if args.no_pipelines {
        return Sources::None;
    }
    Sources::DiscoverFrom(start)
}

/// Where the config and pipeline files are looked for: the first chart, else the first
/// manifest file, else the first migrations path, else the working directory.
fn input_start<'a>(args: &'a CheckArgs, charts: &'a [PathBuf]) -> &'a Path {
    charts
        .first()
        .map(PathBuf::as_path)
        .or_else(|| {
            args.manifest
                .iter()
                .find(|m| m.as_str() != "-")
                .map(|m| Path::new(m.as_str()))
        })
        .or_else(|| args.migrations.first().map(PathBuf::as_path))
        .unwrap_or(Path::new("."))
}

fn kube_version(args: &CheckArgs, config: &Config) -> Result<KubeVersion> {
    let table = ApiTable::builtin();
    let (text, origin) = match (&args.chart.kube_version, &config.kube_version) {
        (Some(v), _) => (v.as_str(), "--kube-version"),
        (None, Some(v)) => (v.as_str(), "kubeVersion in the config"),
        (None, None) => return Ok(table.newest()),
    };
    text.parse()
        .map_err(|e: String| InputError::new(format!("{origin}: {e}")))
}

fn read_input(input: &str) -> Result<std::sync::Arc<SourceFile>> {
    if input == "-" {
        let text = bounded::read_text_stream(std::io::stdin(), bounded::MAX_MANIFEST_BYTES)
            .map_err(|e| InputError::in_path("<stdin>", e.to_string()))?;
        return Ok(SourceFile::new("<stdin>", text));
    }
    let path = Path::new(input);
    if path.is_dir() {
        return Err(InputError::in_path(
            input,
            "is a directory; --manifest expects a rendered manifest file",
        ));
    }
    let text = bounded::read_text_file(path, bounded::MAX_MANIFEST_BYTES)
        .map_err(|e| InputError::in_path(input, e.to_string()))?;
    Ok(SourceFile::new(input, text))
}
