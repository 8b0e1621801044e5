//! `--format markdown`: a pull-request comment.

use super::Report;

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
        out.push_str(&format!("> {note}\n\n"));
    }
    for (chart, findings) in report.by_chart() {
        out.push_str(&format!("### {} ({})\n\n", chart.title(), chart.path));
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
                .map(|r| format!("`{r}`"))
                .unwrap_or_default();
            let location = f
                .location
                .as_ref()
                .map(|l| format!("`{}:{}`", l.file.name, l.span.line))
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

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}
