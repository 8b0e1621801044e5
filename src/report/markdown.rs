//! `--format markdown`: a pull-request comment.

use super::{Report, plural, rule_docs_url, split_info, summarise};
use crate::finding::Finding;
use source::shown;

pub fn render(report: &Report, verbose: bool) -> String {
    let s = report.summary();
    let icon = match report.verdict() {
        super::Verdict::NoGo => "⛔",
        super::Verdict::Incomplete => "❓",
        // A GO whose warnings break the upgrade or the rollback is no all-clear.
        super::Verdict::Go if !report.risky_warnings().is_empty() => "⚠️",
        super::Verdict::Go => "✅",
    };
    let mut out = format!("## {icon} rollguard: {}\n\n", report.verdict().banner());
    out.push_str(&format!(
        "| errors | warnings | info | suppressed |\n|---:|---:|---:|---:|\n| {} | {} | {} | {} |\n\n",
        s.error, s.warning, s.info, s.suppressed
    ));
    for note in &report.notes {
        out.push_str(&format!("> {}\n\n", cell(note)));
    }
    for (chart, findings) in report.by_chart() {
        out.push_str(&format!(
            "### {} ({})\n\n",
            cell(&chart.title()),
            cell(&chart.path)
        ));
        if findings.is_empty() {
            out.push_str("No findings.\n\n");
            continue;
        }
        let (listed, summarised) = split_info(&findings, verbose);
        if !listed.is_empty() {
            out.push_str("| severity | rule | resource | location | finding | rollback effect |\n|---|---|---|---|---|---|\n");
        }
        for f in listed {
            let severity = if f.counts() {
                f.severity.as_str().to_string()
            } else {
                format!("~~{}~~ (suppressed)", f.severity.as_str())
            };
            let resource = f
                .resource
                .as_ref()
                .map(|r| code(&r.to_string()))
                .unwrap_or_default();
            let location = f
                .location
                .as_ref()
                .map(|l| code(&format!("{}:{}", l.file.name, l.span.line)))
                .unwrap_or_default();
            out.push_str(&format!(
                "| {severity} | {} | {resource} | {location} | {} | {} |\n",
                rule_link(f.rule.id),
                cell(&f.message),
                f.effect.as_str()
            ));
        }
        if !listed.is_empty() {
            out.push('\n');
        }
        summarise_info(&mut out, summarised);
    }
    out.push_str(&format!("**{}**\n", report.banner()));
    if !report.findings.is_empty() {
        out.push_str(
            "\nEach rule links to its documentation; `rollguard explain RULE` prints it.\n",
        );
    }
    out
}

/// The rule id linked to its documentation page.
fn rule_link(id: &str) -> String {
    format!("[`{id}`]({})", rule_docs_url(id))
}

/// A table of the info findings not listed: one row per rule.
fn summarise_info(out: &mut String, findings: &[&Finding]) {
    if findings.is_empty() {
        return;
    }
    out.push_str(&format!(
        "{}, one row per rule (`--verbose` lists them):\n\n| rule | findings | first location |\n|---|---:|---|\n",
        plural(findings.len(), "info finding")
    ));
    for rule in summarise(findings) {
        let count = match rule.suppressed {
            0 => rule.count.to_string(),
            n => format!("{} ({n} suppressed)", rule.count),
        };
        let location = rule
            .first
            .location
            .as_ref()
            .map(|l| code(&format!("{}:{}", l.file.name, l.span.line)))
            .unwrap_or_default();
        out.push_str(&format!(
            "| {} | {count} | {location} |\n",
            rule_link(rule.first.rule.id)
        ));
    }
    out.push('\n');
}

/// Chart text in a table cell or a line: one line (so nothing it holds starts a line, such as
/// `::error::` read as a workflow command), control characters escaped, and HTML written as
/// text (`<!--` would hide everything after it).
fn cell(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in shown::one_line(text).chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
    out
}

/// Chart text as a code span; a backtick inside would end it early.
fn code(text: &str) -> String {
    format!("`{}`", cell(text).replace('`', "'"))
}
