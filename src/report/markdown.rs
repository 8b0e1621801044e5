//! `--format markdown`: a pull-request comment.

use super::Report;
use source::shown;

pub fn render(report: &Report) -> String {
    let s = report.summary();
    let icon = match report.verdict() {
        super::Verdict::Go => "✅",
        super::Verdict::NoGo => "⛔",
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
        out.push_str("| severity | rule | resource | location | finding | rollback effect |\n|---|---|---|---|---|---|\n");
        for f in findings {
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
                "| {severity} | `{}` | {resource} | {location} | {} | {} |\n",
                f.rule.id,
                cell(&f.message),
                f.effect.as_str()
            ));
        }
        out.push('\n');
    }
    out.push_str(&format!("**{}**\n", report.banner()));
    out
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
