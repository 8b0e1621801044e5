//! The default format: miette diagnostics pointing into the files, grouped by chart, then the
//! verdict banner.

use std::fmt;

use miette::{Diagnostic, GraphicalReportHandler, GraphicalTheme, LabeledSpan, SourceCode};

use super::{Report, Style, plural, rule_docs_url, split_info, summarise};
use crate::finding::Severity;
use crate::finding::{Finding, Suppression};
use source::shown;

/// A finding as a miette diagnostic. `snippet` is false when the file around the finding is not
/// safe to show ([`shown::snippet_is_safe`]); the message then names the position.
struct Shown<'a> {
    finding: &'a Finding,
    snippet: bool,
}

impl<'a> Shown<'a> {
    fn new(finding: &'a Finding) -> Self {
        let snippet = finding
            .location
            .as_ref()
            .is_some_and(|l| shown::snippet_is_safe(&l.file.text, l.span.start));
        Shown { finding, snippet }
    }
}

impl fmt::Debug for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl fmt::Display for Shown<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let suppressed = match &self.finding.suppressed {
            None => "",
            Some(Suppression::Accepted) => " (accepted)",
            Some(_) => " (suppressed)",
        };
        write!(f, "{}{suppressed}", shown::clean(&self.finding.message))?;
        match &self.finding.location {
            Some(l) if !self.snippet => write!(
                f,
                " ({}:{}:{})",
                shown::one_line(&l.file.name),
                l.span.line,
                l.span.col
            ),
            _ => Ok(()),
        }
    }
}

impl std::error::Error for Shown<'_> {}

impl Diagnostic for Shown<'_> {
    fn code<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(self.finding.rule.id))
    }

    /// Shown next to the rule id as text (never a terminal hyperlink): the same bytes on every
    /// terminal, and the terminal links it anyway.
    fn url<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        Some(Box::new(rule_docs_url(self.finding.rule.id)))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.finding.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
            Severity::Info => miette::Severity::Advice,
        })
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        let effect = format!(
            "rollback: {}\ndocs: rollguard explain {}",
            self.finding.effect.describe(),
            self.finding.rule.id
        );
        Some(Box::new(match &self.finding.help {
            Some(h) => format!("{}\n{effect}", shown::clean(h)),
            None => effect,
        }))
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        self.finding
            .location
            .as_ref()
            .filter(|_| self.snippet)
            .map(|l| l.file.as_ref() as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let l = self.finding.location.as_ref()?;
        let label = match &l.template {
            Some(t) => format!(
                "{} (rendered from {})",
                self.finding.effect.as_str(),
                shown::one_line(t)
            ),
            None => self.finding.effect.as_str().to_string(),
        };
        // Underline the first line only: a whole mapping's span would draw a bracket over the
        // rest of the object.
        let first_line_end = l
            .file
            .text
            .get(l.span.start..)
            .and_then(|rest| rest.find('\n'))
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

pub fn render(report: &Report, style: Style) -> String {
    let theme = if style.color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(100)
        .with_links(false)
        .with_context_lines(1);
    let mut out = String::new();
    for (chart, findings) in report.by_chart() {
        out.push_str(&format!(
            "── {} ({})\n",
            shown::one_line(&chart.title()),
            shown::one_line(&chart.path)
        ));
        if findings.is_empty() {
            out.push_str("  no findings\n\n");
        }
        let (listed, summarised) = split_info(&findings, style.verbose);
        for f in listed {
            // Writing into a String cannot fail.
            let _ = handler.render_report(&mut out, &Shown::new(f));
            if let Some(diff) = &f.diff {
                for line in diff.lines() {
                    out.push_str("    │ ");
                    out.push_str(&shown::one_line(line));
                    out.push('\n');
                }
            }
            out.push('\n');
        }
        summarise_info(&mut out, summarised);
    }
    for note in &report.notes {
        out.push_str(&format!("note: {}\n", shown::clean(note)));
    }
    out.push_str(&report.banner());
    out.push('\n');
    out
}

/// One line per rule for the info findings not listed: how many, where the first is, and where
/// the rule is explained.
fn summarise_info(out: &mut String, findings: &[&Finding]) {
    if findings.is_empty() {
        return;
    }
    out.push_str(&format!(
        "  ☞ {}, one line per rule (--verbose lists them):\n",
        plural(findings.len(), "info finding")
    ));
    for rule in summarise(findings) {
        let suppressed = match rule.suppressed {
            0 => String::new(),
            n => format!(" ({n} suppressed)"),
        };
        let at = match (&rule.first.location, rule.count) {
            (Some(l), 1) => format!(
                " at {}:{}:{}",
                shown::one_line(&l.file.name),
                l.span.line,
                l.span.col
            ),
            (Some(l), _) => format!(
                ", first at {}:{}:{}",
                shown::one_line(&l.file.name),
                l.span.line,
                l.span.col
            ),
            (None, _) => String::new(),
        };
        out.push_str(&format!(
            "    {} ×{}{suppressed}{at} — rollguard explain {}\n",
            rule.first.rule.id, rule.count, rule.first.rule.id
        ));
    }
    out.push('\n');
}
