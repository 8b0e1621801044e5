//! One chart checked for the editor: `rollguard check CHART --base REF` with the unsaved texts of
//! open documents, its findings (or the error that stopped it) as diagnostics by file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Parser;
use lsp_types::{
    CodeDescription, Diagnostic, DiagnosticRelatedInformation, DiagnosticSeverity, NumberOrString,
    Range, Uri,
};
use serde_json::json;

use crate::baseline::cache::BaselineCache;
use crate::cli::{Cli, Command};
use crate::commands::check;
use crate::config::Config;
use crate::finding::{Finding, Location, Severity};
use source::{InputError, Overlay};

use super::text::{path_to_uri, range};
use source::shown::clean;

/// The baseline when `.rollguard.yaml` names none: the last commit.
pub const DEFAULT_BASE: &str = "HEAD";

/// What a check of one chart published: diagnostics by file.
pub type ByFile = BTreeMap<PathBuf, Vec<Diagnostic>>;

/// Settings every check of a server shares.
pub struct Checker {
    pub baselines: Arc<BaselineCache>,
    /// Where rule pages are (`<base><rule>.md`), for `codeDescription`.
    pub docs: Option<String>,
}

impl Checker {
    /// Checks `chart` (absolute) against its baseline; files `overlay` holds are read from it.
    /// Never fails: an input error, or a panic of the check itself, is a diagnostic too.
    pub fn check(&self, chart: &Path, overlay: &Overlay) -> ByFile {
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.check_unguarded(chart, overlay)
        }));
        run.unwrap_or_else(|_| {
            let error = InputError::new(
                "rollguard failed on this chart (an internal error; please report it)",
            );
            error_diagnostics(chart, &error)
        })
    }

    fn check_unguarded(&self, chart: &Path, overlay: &Overlay) -> ByFile {
        let mut command = vec!["rollguard".into(), "check".into(), "--quiet".into()];
        if let Some(base) = base_of(chart) {
            command.extend(["--base".into(), base]);
        }
        command.push(chart.display().to_string());
        let parsed = Cli::try_parse_from(command);
        let Ok(Cli {
            command: Command::Check(mut args),
        }) = parsed
        else {
            return error_diagnostics(chart, &InputError::new("cannot build the check"));
        };
        args.overlay = overlay.clone();
        args.baselines = Some(self.baselines.clone());
        match check::run(&args) {
            Ok(outcome) => {
                let mut by_file = ByFile::new();
                let report = &outcome.report;
                for finding in report.findings.iter().filter(|f| f.counts()) {
                    let label = report
                        .charts
                        .get(finding.chart)
                        .and_then(|c| c.baseline.as_deref());
                    let (path, diagnostic) = self.diagnostic(chart, finding, label);
                    by_file.entry(path).or_default().push(diagnostic);
                }
                by_file
            }
            Err(error) => error_diagnostics(chart, &error),
        }
    }

    /// `baseline` is the label of the chart's baseline (`git:HEAD`).
    fn diagnostic(
        &self,
        chart: &Path,
        finding: &Finding,
        baseline: Option<&str>,
    ) -> (PathBuf, Diagnostic) {
        let (path, range) = match &finding.location {
            Some(location) => place(chart, location),
            None => (chart.join("Chart.yaml"), Range::default()),
        };
        let rule = finding.rule.id;
        let mut message = clean(&finding.message).into_owned();
        message.push_str(&format!("\nOn a rollback: {}.", finding.effect.describe()));
        if let Some(help) = &finding.help {
            message.push_str(&format!("\nFix: {help}"));
        }
        let code_description = self
            .docs
            .as_ref()
            .and_then(|base| format!("{base}{rule}.md").parse::<Uri>().ok())
            .map(|href| CodeDescription { href });
        let resource = finding.resource.as_ref().map(|r| {
            json!({"apiVersion": r.api_version, "kind": r.kind, "namespace": r.namespace, "name": r.name})
        });
        let diagnostic = Diagnostic {
            range,
            severity: Some(severity(finding.severity)),
            code: Some(NumberOrString::String(rule.to_string())),
            code_description,
            source: Some("rollguard".into()),
            message,
            related_information: related(chart, finding, baseline),
            tags: None,
            data: Some(
                json!({"rule": rule, "category": finding.rule.category.as_str(), "resource": resource}),
            ),
        };
        (path, diagnostic)
    }
}

/// For a diff finding: where the baseline writes what changed, quoted, since the work tree's
/// file at that line may now say something else.
fn related(
    chart: &Path,
    finding: &Finding,
    baseline: Option<&str>,
) -> Option<Vec<DiagnosticRelatedInformation>> {
    let location = finding.baseline.as_ref()?;
    let (path, range) = place(chart, location);
    let uri = path_to_uri(&path)?;
    let line = location
        .file
        .text
        .lines()
        .nth(location.span.line.saturating_sub(1) as usize)
        .unwrap_or("")
        .trim();
    let message = format!(
        "the baseline ({}) has, at line {}: {}",
        baseline.unwrap_or("previous revision"),
        location.span.line,
        clean(line)
    );
    Some(vec![DiagnosticRelatedInformation {
        location: lsp_types::Location { uri, range },
        message,
    }])
}

/// The baseline of `chart`: the `base` of its `.rollguard.yaml` (a config that cannot be read
/// is reported by the check itself), else [`DEFAULT_BASE`] when the chart is in a repository
/// with commits; else none.
fn base_of(chart: &Path) -> Option<String> {
    let configured = Config::discover(chart)
        .and_then(|path| Config::load(&path).ok())
        .and_then(|config| config.base);
    configured
        .or_else(|| helm::chart::revision_id(chart, DEFAULT_BASE).map(|_| DEFAULT_BASE.to_string()))
}

fn severity(severity: Severity) -> DiagnosticSeverity {
    match severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Info => DiagnosticSeverity::INFORMATION,
    }
}

/// The file and range a location points at. A template of the baseline
/// (`chart@REF/templates/x.yaml`) is shown on the work tree's file; a rendered stream without
/// provenance on the template that wrote it, at its top.
fn place(chart: &Path, location: &Location) -> (PathBuf, Range) {
    let file = &location.file;
    if let Some(template) = &location.template {
        let rest = template
            .split_once('/')
            .map_or(template.as_str(), |(_, r)| r);
        return (chart.join(rest), Range::default());
    }
    (
        on_disk(chart, &file.name),
        range(&file.text, location.span.start, location.span.end),
    )
}

/// The work-tree path a reported file name stands for: relative names are under the working
/// directory, `<chart>@<ref>/…` is the chart's own file.
pub fn on_disk(chart: &Path, name: &str) -> PathBuf {
    let chart_text = chart.display().to_string();
    if let Some(rest) = name.strip_prefix(&format!("{chart_text}@"))
        && let Some((_, inner)) = rest.split_once('/')
    {
        return chart.join(inner);
    }
    let path = PathBuf::from(name);
    if path.is_absolute() {
        return path;
    }
    std::env::current_dir().map_or(path.clone(), |dir| dir.join(&path))
}

/// An error that stopped the check, as one diagnostic where it points: its file and span, else
/// the template line a render error names, else the chart's `Chart.yaml`.
pub fn error_diagnostics(chart: &Path, error: &InputError) -> ByFile {
    let (path, range) = error_place(chart, error);
    let mut message = clean(&error.message).into_owned();
    if let Some(help) = &error.help {
        message.push_str(&format!("\n{help}"));
    }
    let diagnostic = Diagnostic {
        range,
        severity: Some(DiagnosticSeverity::ERROR),
        code: Some(NumberOrString::String("input-error".into())),
        source: Some("rollguard".into()),
        message,
        ..Diagnostic::default()
    };
    ByFile::from([(path, vec![diagnostic])])
}

fn error_place(chart: &Path, error: &InputError) -> (PathBuf, Range) {
    if let (Some(file), Some(span)) = (&error.file, error.span) {
        return (
            on_disk(chart, &file.name),
            range(&file.text, span.start, span.end),
        );
    }
    if let Some(found) = template_position(chart, &error.message) {
        return found;
    }
    match &error.path {
        Some(path) if on_disk(chart, path).is_file() => (on_disk(chart, path), Range::default()),
        _ => (chart.join("Chart.yaml"), Range::default()),
    }
}

/// The first `<chart>/templates/<file>:<line>[:<col>]` in a render error that is a file of
/// `chart` (template names start with the chart's name, not its directory).
fn template_position(chart: &Path, message: &str) -> Option<(PathBuf, Range)> {
    static PATTERN: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    let pattern = PATTERN
        .get_or_init(|| {
            regex::Regex::new(
                r"([^\s:()\x22]+/(?:templates|charts)/[^\s:()\x22]+):(\d+)(?::(\d+))?",
            )
            .ok()
        })
        .as_ref()?;
    pattern.captures_iter(message).find_map(|c| {
        let name = c.get(1)?.as_str();
        let (_, rest) = name.split_once('/')?;
        let path = chart.join(rest);
        if !path.is_file() {
            return None;
        }
        let line: u32 = c.get(2)?.as_str().parse().ok()?;
        let col: u32 = c.get(3).and_then(|m| m.as_str().parse().ok()).unwrap_or(1);
        let start = lsp_types::Position::new(line.saturating_sub(1), col.saturating_sub(1));
        // Past the end of the line means its end (LSP numbers stop at 2³¹ − 1).
        let end = lsp_types::Position::new(line.saturating_sub(1), i32::MAX as u32);
        Some((path, Range { start, end }))
    })
}
