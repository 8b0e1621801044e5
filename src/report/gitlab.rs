//! `--format gitlab`: GitLab Code Quality (a JSON array of issues). Code Quality has no notion of
//! suppression, so suppressed findings are left out.

use serde_json::{Value, json};

use super::Report;
use crate::finding::{Severity, fnv1a};

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "critical",
        Severity::Warning => "major",
        Severity::Info => "info",
    }
}

pub fn render(report: &Report) -> String {
    let mut issues: Vec<Value> = report
        .findings
        .iter()
        .filter(|f| f.counts())
        .map(|f| {
            let (path, line) = f
                .location
                .as_ref()
                .map_or(("", 1), |l| (l.file.name.as_str(), l.span.line));
            json!({
                "type": "issue",
                "check_name": f.rule.id,
                "description": format!("{} (rollback: {})", f.message, f.effect.describe()),
                "categories": ["Bug Risk"],
                "severity": severity(f.severity),
                "fingerprint": f.fingerprint(),
                "location": {"path": path, "lines": {"begin": line}},
            })
        })
        .collect();
    // Code Quality has no notion of a failed run: a chart that could not be checked is a
    // blocker issue, so the widget never shows a clean report for it.
    issues.extend(report.unchecked.iter().map(|e| {
        let description = format!("not checked: {e}");
        json!({
            "type": "issue",
            "check_name": "not-checked",
            "description": description,
            "categories": ["Bug Risk"],
            "severity": "blocker",
            "fingerprint": fnv1a(&description),
            "location": {
                "path": e.file_name().unwrap_or_default(),
                "lines": {"begin": e.span.map_or(1, |s| s.line)},
            },
        })
    }));
    let mut text = serde_json::to_string_pretty(&issues).unwrap_or_default();
    text.push('\n');
    text
}
