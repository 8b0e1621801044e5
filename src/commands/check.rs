//! `rollguard check`: settings and charts from the inputs, the rules and suppressions over each
//! chart as soon as it is rendered, then the report and the exit code it implies.

use std::io::{IsTerminal, Write};

use crate::accepted;
use crate::cli::{CheckArgs, FailOn};
use crate::finding;
use crate::finding::Finding;
use crate::inputs::{self, Checked, Inputs};
use crate::model::{ChartInfo, ChartModel, Settings};
use crate::report::{Format, Report, Style};
use crate::rules;
use crate::suppress;
use source::{InputError, Result};

/// What `check` produced: the report (which names the charts that could not be checked) and
/// the exit code it implies.
pub struct Outcome {
    pub report: Report,
    pub exit_code: u8,
}

pub fn run(args: &CheckArgs) -> Result<Outcome> {
    let Some(Inputs { settings, charts }) = inputs::load(args)? else {
        let note = "none of the changed files belongs to a chart: nothing to check".to_string();
        let report = Report::new(
            Vec::new(),
            Vec::new(),
            vec![note],
            args.chart.release_name.clone(),
            None,
        );
        return Ok(Outcome {
            report,
            exit_code: 0,
        });
    };
    let Checked {
        entries,
        notes,
        failed,
    } = charts.check(args, &settings, |chart| Entry::check(chart, &settings))?;
    let mut infos = Vec::with_capacity(entries.len());
    let mut findings = Vec::new();
    let mut unused = Vec::with_capacity(entries.len());
    for (index, mut entry) in entries.into_iter().enumerate() {
        entry.findings.iter_mut().for_each(|f| f.chart = index);
        entry.unused.renumber(index);
        infos.push(entry.info);
        findings.extend(entry.findings);
        unused.push(entry.unused);
    }
    findings.extend(suppress::unused_findings(unused, &settings));
    let mut findings = finding::collapse_repeats(findings);
    if let Some(path) = &args.accepted {
        accepted::apply(path, &mut findings)?;
    }
    if let Some(path) = &args.write_accepted {
        accepted::write(path, &findings)?;
    }
    let mut report = Report::new(
        infos,
        findings,
        notes,
        args.chart.release_name.clone(),
        Some(settings.kube_version),
    );
    // A chart that could not be checked is an input error, whatever the others found.
    let exit_code = if failed.is_empty() {
        exit_code(&report, args.fail_on)
    } else {
        2
    };
    report.unchecked = failed;
    Ok(Outcome { report, exit_code })
}

/// What the report keeps of a checked chart once its rules ran: its model (the rendered
/// objects) is dropped then, so a run over many charts holds one model per worker thread.
struct Entry {
    info: ChartInfo,
    /// Numbered as chart 0 until the run knows the chart's place in the report.
    findings: Vec<Finding>,
    unused: suppress::Unused,
}

impl Entry {
    fn check(chart: ChartModel, settings: &Settings) -> Entry {
        let mut findings = rules::run(&chart, 0, settings);
        // Generated with check's fixed seed, those values are the same for every user.
        chart.generated.mask(&mut findings);
        let unused = suppress::apply(&mut findings, &chart, settings);
        Entry {
            info: chart.info,
            findings,
            unused,
        }
    }
}

/// Writes the report where asked. Under GitHub Actions the human format also emits workflow
/// annotations, so findings show up on the pull request.
pub fn emit(args: &CheckArgs, outcome: &Outcome) -> Result<()> {
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let color = to_terminal && std::env::var_os("NO_COLOR").is_none();
    let style = Style {
        color,
        verbose: args.verbose,
    };
    let mut text = if args.quiet && args.format == Format::Human {
        outcome.report.compact(args.verbose)
    } else {
        outcome.report.render(args.format, style)
    };
    if args.format == Format::Human && std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true") {
        text.push_str(&outcome.report.render(Format::Github, Style::default()));
    }
    match &args.output {
        Some(path) => std::fs::write(path, text).map_err(|e| {
            InputError::in_path(
                path.display().to_string(),
                format!("cannot write the report: {e}"),
            )
        })?,
        None => super::print(&text)?,
    }
    for error in &outcome.report.unchecked {
        // Standard error may be closed; the exit code still says it.
        let _ = writeln!(
            std::io::stderr(),
            "{:?}",
            miette::Report::new(error.clone())
        );
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
