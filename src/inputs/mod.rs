//! From the command line to what the rules read: the settings, and one [`ChartModel`] per chart,
//! manifest or migrations folder, each with its baseline, migrations and pipeline invocations.
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

/// What a `check` run reads: its settings, and the checked charts with the notes loading them
/// left for the report; of several charts, the input errors of those that could not be
/// checked (the run's exit code is then 2).
pub struct Inputs {
    pub settings: Settings,
    pub charts: Vec<ChartModel>,
    pub notes: Vec<String>,
    pub failed: Vec<InputError>,
}

/// Reads every input of a `check` run; `None` when `--changed` named only files that belong to
/// no chart.
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
    let mut charts = Vec::new();
    for input in &args.manifest {
        let file = read_input(input)?;
        let objects = load_stream(&file, namespace)?;
        let info = ChartInfo {
            path: file.name.clone(),
            name: chart_name(&objects).unwrap_or_else(|| file.name.clone()),
            version: None,
            baseline: base.as_ref().map(|b| b.label.clone()),
        };
        charts.push(ChartModel::new(info, objects, base.clone(), None, dialect));
    }
    let mut notes = Vec::new();
    let checked = check_charts(args, &chart_paths, base.as_ref(), kube_version, dialect)?;
    for (chart, note) in checked.charts {
        charts.push(chart);
        notes.extend(note);
    }
    notes.extend(checked.failed.iter().map(|e| format!("not checked: {e}")));
    add_migrations(&mut charts, &args.migrations, dialect)?;
    let found = pipeline::read::load(pipeline_sources(args, &config, start))?;
    for chart in &mut charts {
        chart.invocations = pipelines::related(&found.invocations, chart, &settings.release);
    }
    notes.extend(self::notes(&charts));
    notes.extend(found.notes);
    notes.extend(charts.iter().filter_map(pipelines::checked_note));
    Ok(Some(Inputs {
        settings,
        charts,
        notes,
        failed: checked.failed,
    }))
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

/// One-line remarks for the report: what was not checked, and what the diff found that a
/// reader should know although no rule fires on it.
fn notes(charts: &[ChartModel]) -> Vec<String> {
    let mut notes = Vec::new();
    for chart in charts {
        let Some(base) = &chart.base else {
            notes.push("no baseline given: the revision-diff rules did not run".to_string());
            continue;
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
    }
    notes.dedup();
    notes
}

/// `--migrations` files belong to the first checked chart (the application's release); alone,
/// each path is a report entry of its own.
fn add_migrations(
    charts: &mut Vec<ChartModel>,
    paths: &[std::path::PathBuf],
    dialect: Option<sql::Dialect>,
) -> Result<()> {
    let with_manifests = !charts.is_empty();
    for path in paths {
        let scripts = sql::migrations_dir::load(path, dialect)?;
        if with_manifests {
            charts[0].migrations.scripts.extend(scripts);
            continue;
        }
        let shown = path.display().to_string();
        charts.push(ChartModel {
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
        });
    }
    Ok(())
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
