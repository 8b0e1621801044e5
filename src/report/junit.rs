//! `--format junit`: one test suite per chart, one test case per finding; errors and warnings
//! fail, info passes, suppressed findings are skipped.

use super::Report;
use crate::finding::Severity;

pub fn render(report: &Report) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let s = report.summary();
    out.push_str(&format!(
        "<testsuites name=\"rollguard\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n",
        report.findings.len().max(report.charts.len()) + report.unchecked.len(),
        s.error + s.warning,
        report.unchecked.len()
    ));
    for (chart, findings) in report.by_chart() {
        let failures = findings
            .iter()
            .filter(|f| f.counts() && f.severity >= Severity::Warning)
            .count();
        let skipped = findings.iter().filter(|f| !f.counts()).count();
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" skipped=\"{skipped}\">\n",
            xml(&chart.path),
            findings.len().max(1)
        ));
        if findings.is_empty() {
            out.push_str("    <testcase classname=\"rollguard\" name=\"no findings\"/>\n");
        }
        for f in findings {
            let place = f
                .location
                .as_ref()
                .map(|l| format!("{}:{}:{}", l.file.name, l.span.line, l.span.col))
                .unwrap_or_else(|| chart.path.clone());
            out.push_str(&format!(
                "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\">\n",
                xml(f.rule.id),
                xml(&format!(
                    "{} at {place}",
                    f.resource
                        .as_ref()
                        .map(|r| r.to_string())
                        .unwrap_or_default()
                )),
                xml(f
                    .location
                    .as_ref()
                    .map_or(chart.path.as_str(), |l| l.file.name.as_str()))
            ));
            if !f.counts() {
                out.push_str("      <skipped message=\"suppressed\"/>\n");
            } else if f.severity >= Severity::Warning {
                out.push_str(&format!(
                    "      <failure type=\"{}\" message=\"{}\">{}</failure>\n",
                    f.severity.as_str(),
                    xml(&f.message),
                    xml(&format!(
                        "{}\nrollback: {}\n{}",
                        f.message,
                        f.effect.describe(),
                        f.help.as_deref().unwrap_or("")
                    ))
                ));
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    // A chart that could not be checked is a test that could not run: JUnit's `error`.
    for e in &report.unchecked {
        let path = e.file_name().unwrap_or("chart");
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"1\" failures=\"0\" errors=\"1\">\n    <testcase classname=\"rollguard\" name=\"not checked\" file=\"{}\">\n      <error type=\"input\" message=\"{}\"/>\n    </testcase>\n  </testsuite>\n",
            xml(path),
            xml(path),
            xml(&format!("not checked: {e}"))
        ));
    }
    out.push_str("</testsuites>\n");
    out
}

fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\n' | '\t' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}
