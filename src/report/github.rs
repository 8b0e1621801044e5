//! `--format github`: GitHub Actions workflow commands (`::error file=…,line=…::message`).

use super::{Report, position};
use crate::finding::Finding;
use crate::finding::Severity;
use source::{InputError, shown};

pub fn render(report: &Report) -> String {
    let mut out: String = report
        .findings
        .iter()
        .filter(|f| f.counts())
        .map(annotation)
        .collect();
    for error in &report.unchecked {
        out.push_str(&unchecked(error));
    }
    out
}

/// A chart that could not be checked: an error annotation, so the run is no silent pass.
fn unchecked(error: &InputError) -> String {
    let mut props = vec![format!(
        "title={}",
        escape_property("rollguard: chart not checked")
    )];
    if let Some(file) = error.file_name() {
        props.insert(0, format!("file={}", escape_property(file)));
        if let Some(span) = error.span {
            props.insert(1, format!("line={}", span.line));
        }
    }
    format!(
        "::error {}::{}\n",
        props.join(","),
        escape_data(&format!("not checked: {error}"))
    )
}

pub fn annotation(f: &Finding) -> String {
    let command = match f.severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "notice",
    };
    let mut props = vec![format!(
        "title={}",
        escape_property(&format!("rollguard {}", f.rule.id))
    )];
    if let Some((file, line, col)) = position(f) {
        props.insert(0, format!("file={}", escape_property(file)));
        props.insert(1, format!("line={line}"));
        props.insert(2, format!("col={col}"));
    }
    let mut message = format!("{} (rollback: {})", f.message, f.effect.describe());
    if let Some(help) = &f.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{command} {}::{}\n",
        props.join(","),
        escape_data(&message)
    )
}

/// Workflow-command data: `%`, CR and LF encoded as the runner decodes them, and other control
/// characters escaped ([`shown::clean`]) so they reach no log viewer raw.
fn escape_data(s: &str) -> String {
    shown::clean(s)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}
