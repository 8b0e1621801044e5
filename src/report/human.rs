//! The default format: miette diagnostics pointing into the files, grouped by chart, then the
//! verdict banner.

use std::fmt;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};

use super::Report;
use crate::finding::Severity;
use crate::finding::{Finding, Suppression};

struct Shown<'a>(&'a Finding);

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let suppressed = match &self.0.suppressed {
            None => "",
            Some(Suppression::Accepted) => " (accepted)",
            Some(_) => " (suppressed)",
        };
        write!(f, "{}{suppressed}", self.0.message)
    }
}

impl std::error::Error for Shown<'_> {}

impl Diagnostic for Shown<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.0.rule.id))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.0.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let effect = format!("rollback: {}", self.0.effect.describe());
        Some(Box::new(match &self.0.help {
            Some(h) => format!("{h}\n{effect}"),
            None => effect,
        }))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.0
            .location
            .as_ref()
            .map(|l| l.file.as_ref() as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let l = self.0.location.as_ref()?;
        let label = match &l.template {
            Some(t) => format!("{} (rendered from {t})", self.0.effect.as_str()),
            None => self.0.effect.as_str().to_string(),
        };
        // Underline the first line only: a whole mapping's span would draw a bracket over the
        // rest of the object.
        let first_line_end = l.file.text[l.span.start..]
            .find('\n')
            .map_or(l.file.text.len(), |i| l.span.start + i);
        let len = l
            .span
            .end
            .min(first_line_end)
            .saturating_sub(l.span.start)
            .max(1);
        Some(Box::new(std::iter::once(LabeledSpan::new(
            Some(label),
            l.span.start,
            len,
        ))))
    }
}

pub fn render(report: &Report, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_context_lines(1);
    let mut out = String::new();
    for (chart, findings) in report.by_chart() {
        out.push_str(&format!("── {} ({})\n", chart.title(), chart.path));
        if findings.is_empty() {
            out.push_str("  no findings\n\n");
        }
        for f in findings {
            // Writing into a String cannot fail.
            let _ = handler.render_report(&mut out, &Shown(f));
            if let Some(diff) = &f.diff {
                for line in diff.lines() {
                    out.push_str("    │ ");
                    out.push_str(line);
                    out.push('\n');
                }
            }
            out.push('\n');
        }
    }
    for note in &report.notes {
        out.push_str(&format!("note: {note}\n"));
    }
    out.push_str(&report.banner());
    out.push('\n');
    out
}
