//! The verdict and the output formats. Reports read findings only.

mod github;
mod gitlab;
mod human;
mod json;
mod junit;
mod markdown;
mod sarif;

use crate::finding::Finding;
use crate::finding::Severity;
use crate::model::ChartInfo;
use source::shown;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Junit,
    Markdown,
    Github,
    Gitlab,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Go,
    NoGo,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Go => "go",
            Verdict::NoGo => "no-go",
        }
    }

    pub fn banner(self) -> &'static str {
        match self {
            Verdict::Go => "GO",
            Verdict::NoGo => "NO-GO",
        }
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    pub error: usize,
    pub warning: usize,
    pub info: usize,
    pub suppressed: usize,
}

pub struct Report {
    pub charts: Vec<ChartInfo>,
    /// Sorted: chart, file, line, column, rule.
    pub findings: Vec<Finding>,
    /// One-line remarks about what was not checked (e.g. no baseline).
    pub notes: Vec<String>,
    pub release: String,
}

impl Report {
    pub fn new(
        charts: Vec<ChartInfo>,
        mut findings: Vec<Finding>,
        notes: Vec<String>,
        release: String,
    ) -> Report {
        findings.sort_by(|a, b| {
            let key = |f: &Finding| {
                (
                    f.chart,
                    f.location
                        .as_ref()
                        .map(|l| (l.file.name.clone(), l.span.line, l.span.col)),
                    f.rule.id,
                    f.message.clone(),
                )
            };
            key(a).cmp(&key(b))
        });
        Report {
            charts,
            findings,
            notes,
            release,
        }
    }

    /// Each checked chart with its findings, in report order.
    pub fn by_chart(&self) -> impl Iterator<Item = (&ChartInfo, Vec<&Finding>)> {
        self.charts.iter().enumerate().map(|(index, chart)| {
            let findings = self.findings.iter().filter(|f| f.chart == index).collect();
            (chart, findings)
        })
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary::default();
        for f in &self.findings {
            if !f.counts() {
                s.suppressed += 1;
                continue;
            }
            match f.severity {
                Severity::Error => s.error += 1,
                Severity::Warning => s.warning += 1,
                Severity::Info => s.info += 1,
            }
        }
        s
    }

    pub fn verdict(&self) -> Verdict {
        if self.summary().error > 0 {
            Verdict::NoGo
        } else {
            Verdict::Go
        }
    }

    /// `NO-GO  2 errors, 3 warnings (1 suppressed) — rollback of release X is not safe`
    pub fn banner(&self) -> String {
        let s = self.summary();
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        // "info" is a mass noun: "2 info", not "2 infos".
        let mut counts = vec![plural(s.error, "error"), plural(s.warning, "warning")];
        if s.info > 0 {
            counts.push(format!("{} info", s.info));
        }
        let suppressed = if s.suppressed > 0 {
            format!(" ({} suppressed)", s.suppressed)
        } else {
            String::new()
        };
        let outcome = match self.verdict() {
            Verdict::Go => "rollback is safe as far as rollguard can tell",
            Verdict::NoGo => "rollback is not safe",
        };
        format!(
            "{}  {}{suppressed} — release {}: {outcome}",
            self.verdict().banner(),
            counts.join(", "),
            self.release
        )
    }

    /// One line per finding that counts (`file:line:col: severity[rule] message`) and the banner.
    pub fn compact(&self) -> String {
        let mut out = String::new();
        for f in self.findings.iter().filter(|f| f.counts()) {
            if let Some((file, line, col)) = position(f) {
                out.push_str(&format!("{}:{line}:{col}: ", shown::one_line(file)));
            }
            out.push_str(&format!(
                "{}[{}] {}\n",
                f.severity.as_str(),
                f.rule.id,
                shown::one_line(&f.message)
            ));
        }
        out.push_str(&self.banner());
        out.push('\n');
        out
    }

    pub fn render(&self, format: Format, color: bool) -> String {
        match format {
            Format::Human => human::render(self, color),
            Format::Json => json::render(self),
            Format::Sarif => sarif::render(self),
            Format::Junit => junit::render(self),
            Format::Markdown => markdown::render(self),
            Format::Github => github::render(self),
            Format::Gitlab => gitlab::render(self),
        }
    }
}

/// Reports that want every finding's location as `file`, 1-based `line` and `column`.
fn position(f: &Finding) -> Option<(&str, u32, u32)> {
    f.location
        .as_ref()
        .map(|l| (l.file.name.as_str(), l.span.line, l.span.col))
}
