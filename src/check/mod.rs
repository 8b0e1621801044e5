//! `rollguard check`: load → model → rules → findings → report.

mod charts;

use charts::check_charts;
pub use charts::release_options;

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use crate::accepted;
use crate::baseline::{Baseline, Revision, Source, release};
use crate::cli::{CheckArgs, FailOn, Renderer};
use crate::config::Config;
use crate::diff::pair;
use crate::error::{InputError, Result};
use crate::finding::{Category, Severity};
use crate::kube::{ApiTable, KubeVersion};
use crate::manifest::{Object, load_stream};
use crate::model::{ChartInfo, ChartModel, ChartSource};
use crate::pipeline;
use crate::report::{Format, Report};
use crate::rules;
use crate::source::SourceFile;
use crate::sql;

/// What `check` produced: the rendered report and the exit code it implies.
pub struct Outcome {
    pub report: Report,
    pub exit_code: u8,
}

pub fn run(args: &CheckArgs) -> Result<Outcome> {
    let chart_paths = chart_inputs(args)?;
    let start = input_start(args, &chart_paths);
    let config = load_config(args, start)?;
    let kube_version = kube_version(args, &config)?;
    let settings = config.settings(kube_version);
    if nothing_changed(args, &chart_paths) {
        let note = "none of the changed files belongs to a chart: nothing to check".to_string();
        let report = Report::new(
            Vec::new(),
            Vec::new(),
            vec![note],
            args.chart.release_name.clone(),
        );
        return Ok(Outcome {
            report,
            exit_code: 0,
        });
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
        charts.push(chart_model(info, objects, base.clone(), None, dialect));
    }
    let mut notes = Vec::new();
    let checked = check_charts(args, &chart_paths, base.as_ref(), kube_version, dialect)?;
    for (chart, note) in checked {
        charts.push(chart);
        notes.extend(note);
    }
    add_migrations(&mut charts, &args.migrations, dialect)?;
    let pipelines = pipeline::read::load(pipeline_sources(args, &config, start))?;
    for chart in &mut charts {
        chart.invocations = pipeline::related(&pipelines.invocations, chart);
    }
    let mut findings = Vec::new();
    for (index, chart) in charts.iter().enumerate() {
        findings.extend(rules::run(chart, index, &settings));
    }
    crate::suppress::apply_suppressions(&mut findings, &charts, &settings);
    if let Some(path) = &args.accepted {
        accepted::apply(path, &mut findings)?;
    }
    if let Some(path) = &args.write_accepted {
        accepted::write(path, &findings)?;
    }
    notes.extend(self::notes(&charts));
    notes.extend(pipelines.notes);
    notes.extend(charts.iter().filter_map(pipeline::checked_note));
    let report = Report::new(
        charts.into_iter().map(|c| c.info).collect(),
        findings,
        notes,
        args.chart.release_name.clone(),
    );
    let exit_code = exit_code(&report, args.fail_on);
    Ok(Outcome { report, exit_code })
}

/// `--changed` with files that belong to no chart, and nothing else to check.
fn nothing_changed(args: &CheckArgs, chart_paths: &[PathBuf]) -> bool {
    args.changed && chart_paths.is_empty() && args.manifest.is_empty() && args.migrations.is_empty()
}

/// Writes the report where asked. Under GitHub Actions the human format also emits workflow
/// annotations, so findings show up on the pull request.
pub fn emit(args: &CheckArgs, outcome: &Outcome) -> Result<()> {
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = to_terminal && std::env::var_os("NO_COLOR").is_none();
    let mut text = if args.quiet && args.format == Format::Human {
        outcome.report.compact()
    } else {
        outcome.report.render(args.format, color)
    };
    if args.format == Format::Human && std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        text.push_str(&outcome.report.render(Format::Github, false));
    }
    match &args.output {
        Some(path) => std::fs::write(path, text).map_err(|e| {
            InputError::in_path(
                path.display().to_string(),
                format!("cannot write the report: {e}"),
            )
        }),
        None => {
            print!("{text}");
            Ok(())
        }
    }
}

fn chart_model(
    info: ChartInfo,
    objects: Vec<Object>,
    base: Option<Baseline>,
    source: Option<ChartSource>,
    dialect: Option<sql::Dialect>,
) -> ChartModel {
    let mut migrations = sql::extract(&objects, dialect);
    if let Some(base) = &base {
        migrations.drop_shipped(&sql::extract(&base.current().objects, dialect));
    }
    ChartModel {
        info,
        objects,
        invocations: Vec::new(),
        base,
        migrations,
        source,
    }
}

/// The charts to render: those `--changed` files belong to, every chart here with `--all`,
/// those named, else `.` when nothing else is to be checked.
fn chart_inputs(args: &CheckArgs) -> Result<Vec<PathBuf>> {
    if args.changed {
        // No files named: git says what changed since the baseline.
        if let (true, Some(reference)) = (args.charts.is_empty(), &args.base) {
            return Ok(crate::charts::containing(&crate::charts::changed_since(
                reference,
            )?));
        }
        return Ok(crate::charts::containing(&args.charts));
    }
    if args.all {
        let found = crate::charts::under(Path::new("."));
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
        });
    }
    Ok(())
}

fn exit_code(report: &Report, fail_on: FailOn) -> u8 {
    let s = report.summary();
    let fails = match fail_on {
        FailOn::Error => s.error > 0,
        FailOn::Warning => s.error + s.warning > 0,
        FailOn::Never => false,
    };
    u8::from(fails)
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
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| InputError::in_path("<stdin>", format!("cannot read: {e}")))?;
        return Ok(SourceFile::new("<stdin>", text));
    }
    let path = Path::new(input);
    if path.is_dir() {
        return Err(InputError::in_path(
            input,
            "is a directory; --manifest expects a rendered manifest file",
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| InputError::in_path(input, format!("cannot read: {e}")))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        InputError::in_path(
            input,
            format!("not UTF-8 text (byte {})", e.utf8_error().valid_up_to()),
        )
    })?;
    Ok(SourceFile::new(input, text))
}

/// The chart name from the first `# Source: <chart>/templates/…` comment.
fn chart_name(objects: &[crate::manifest::Object]) -> Option<String> {
    objects
        .iter()
        .find_map(|o| o.template.as_deref()?.split('/').next().map(str::to_string))
}

/// `rollguard rules`: the catalog as a table.
pub fn rules_table() -> String {
    let mut out = format!(
        "{:<32} {:<8} {:<17} {}\n",
        "RULE", "SEVERITY", "EFFECT", "SUMMARY"
    );
    for m in rules::catalog() {
        out.push_str(&format!(
            "{:<32} {:<8} {:<17} {}\n",
            m.id,
            m.severity.as_str(),
            m.effect.as_str(),
            m.summary
        ));
    }
    out
}

/// `rollguard explain RULE`: the rule's documentation, as text or Markdown.
pub fn explain(id: &str, markdown: bool) -> Result<String> {
    let m = rules::find(id).ok_or_else(|| {
        InputError::new(format!("unknown rule `{id}`"))
            .with_help("`rollguard rules` lists the rule ids")
    })?;
    let blocks = if m.severity == Severity::Error {
        "blocks the release (NO-GO)"
    } else {
        "does not block by default (`--fail-on warning` makes it)"
    };
    let sql_comment = if m.category == Category::Migrations {
        format!(", put `-- rollguard-ignore {id}` on the SQL statement or the line before it")
    } else {
        String::new()
    };
    // Pipeline findings have no resource to annotate: a comment on the invocation instead.
    let suppress = if m.category == Category::Pipeline {
        format!(
            "put `# rollguard-ignore {id}` on the helm command's line or just above it, or disable the rule in .rollguard.yaml (`disable: [{id}]`)"
        )
    } else {
        format!(
            "annotate the resource with `rollguard.dev/ignore: {id}`{sql_comment}, or disable the rule in .rollguard.yaml (`disable: [{id}]`)"
        )
    };
    Ok(if markdown {
        format!(
            "# `{id}`\n\n{}\n\n| severity | effect on a rollback | category |\n|---|---|---|\n| {} — {blocks} | `{}`: {} | {} |\n\n## What it finds\n\n{}\n\n## The fix\n\n{}\n\n## Suppressing it\n\nTo accept the risk, {suppress}.\n",
            m.summary,
            m.severity.as_str(),
            m.effect.as_str(),
            m.effect.describe(),
            m.category.as_str(),
            m.doc,
            m.fix
        )
    } else {
        format!(
            "{id}\n\nseverity: {} ({blocks})\neffect:   {} — {}\ncategory: {}\n\n{}\n\nFix: {}\n\nSuppress: {suppress}.\n",
            m.severity.as_str(),
            m.effect.as_str(),
            m.effect.describe(),
            m.category.as_str(),
            m.doc,
            m.fix
        )
    })
}
