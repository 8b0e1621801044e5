//! The verdict and the output formats. Reports read findings only.

mod github;
mod gitlab;
mod human;
mod json;
mod junit;
mod markdown;
mod sarif;

use std::cmp::Reverse;
use std::collections::BTreeMap;

use crate::finding::Severity;
use crate::finding::{Effect, Finding};
use crate::kube::KubeVersion;
use crate::model::ChartInfo;
use source::{InputError, shown};

/// Where the rule documentation pages live: `<REPOSITORY>/blob/main/docs/rules/<id>.md`.
const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// The rule's documentation page in the repository (the text `rollguard explain <id>` prints).
pub fn rule_docs_url(id: &str) -> String {
    format!("{REPOSITORY}/blob/main/docs/rules/{id}.md")
}

/// How the human-facing formats lay a report out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    /// ANSI colour (human format).
    pub color: bool,
    /// List every info finding instead of one summary line per rule (human and Markdown).
    pub verbose: bool,
}

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
    /// No error among the charts checked, but a chart asked for could not be checked (exit 2):
    /// nothing vouches for it, so the run is no GO.
    Incomplete,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Go => "go",
            Verdict::NoGo => "no-go",
            Verdict::Incomplete => "incomplete",
        }
    }

    pub fn banner(self) -> &'static str {
        match self {
            Verdict::Go => "GO",
            Verdict::NoGo => "NO-GO",
            Verdict::Incomplete => "INCOMPLETE",
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
    /// Sorted: chart, file, line, column, rule (the order of the machine formats; the human
    /// ones read [`Report::by_chart`]).
    pub findings: Vec<Finding>,
    /// One-line remarks about what was not checked (e.g. no baseline).
    pub notes: Vec<String>,
    pub release: String,
    /// The Kubernetes version the charts were checked against; none when nothing was checked.
    pub kube_version: Option<KubeVersion>,
    /// Why each chart that could not be checked was not (input errors): no format may vouch
    /// for them.
    pub unchecked: Vec<InputError>,
}

impl Report {
    pub fn new(
        charts: Vec<ChartInfo>,
        mut findings: Vec<Finding>,
        notes: Vec<String>,
        release: String,
        kube_version: Option<KubeVersion>,
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
            kube_version,
            unchecked: Vec::new(),
        }
    }

    /// Each checked chart with its findings: errors, then warnings, then info, each in file
    /// order — what to read first comes first.
    pub fn by_chart(&self) -> impl Iterator<Item = (&ChartInfo, Vec<&Finding>)> {
        self.charts.iter().enumerate().map(|(index, chart)| {
            let mut findings: Vec<&Finding> =
                self.findings.iter().filter(|f| f.chart == index).collect();
            // Stable: file order within a severity.
            findings.sort_by_key(|f| Reverse(f.severity));
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

    /// NO-GO when a checked chart has an error (no chart left unchecked could undo that), else
    /// INCOMPLETE when a chart asked for could not be checked, else GO.
    pub fn verdict(&self) -> Verdict {
        if self.summary().error > 0 {
            Verdict::NoGo
        } else if !self.unchecked.is_empty() {
            Verdict::Incomplete
        } else {
            Verdict::Go
        }
    }

    /// The verdict, the counts and what they mean, e.g.
    /// `NO-GO  1 error, 0 warnings — release web cannot be applied to Kubernetes 1.29, which no
    /// longer serves API versions it uses`.
    pub fn banner(&self) -> String {
        let s = self.summary();
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
        let unchecked = match self.unchecked.len() {
            0 => String::new(),
            n => format!(
                "; {} could not be checked and {} no verdict",
                plural(n, "chart"),
                if n == 1 { "has" } else { "have" }
            ),
        };
        format!(
            "{}  {}{suppressed} — release {}{}{unchecked}",
            self.verdict().banner(),
            counts.join(", "),
            self.release,
            self.meaning()
        )
    }

    /// What the verdict means, continuing "release X": why it is NO-GO (what the errors do), or
    /// for a GO, whether warnings still put the rollback at risk.
    fn meaning(&self) -> String {
        let errors = self.counting(|f| f.severity == Severity::Error);
        if !errors.is_empty() {
            if errors.iter().all(|f| unappliable(f)) {
                return format!(
                    " cannot be applied to {}, which no longer serves API versions it uses",
                    self.target()
                );
            }
            return format!(": {}", self.consequences(&errors, "error"));
        }
        let risky = self.risky_warnings();
        if risky.is_empty() {
            let what = if !self.unchecked.is_empty() {
                "rollback of the charts checked"
            } else {
                "rollback"
            };
            return format!(": {what} is safe as far as rollguard can tell");
        }
        format!(
            ": nothing blocks it, but {} the rollback at risk: {}",
            match risky.len() {
                1 => "1 warning puts".to_string(),
                n => format!("{n} warnings put"),
            },
            self.consequences(&risky, "warning")
        )
    }

    /// The warnings that count and make "rollback is safe" untrue.
    pub fn risky_warnings(&self) -> Vec<&Finding> {
        self.counting(|f| f.severity == Severity::Warning && endangers_rollback(f.effect))
    }

    fn counting(&self, which: impl Fn(&Finding) -> bool) -> Vec<&Finding> {
        self.findings
            .iter()
            .filter(|f| f.counts() && which(f))
            .collect()
    }

    /// What `findings` do, each consequence once with how many findings say it, what stops
    /// the upgrade first: `it cannot be applied to Kubernetes 1.33 (1 error); a rollback to the
    /// previous revision fails (2 errors)`.
    fn consequences(&self, findings: &[&Finding], noun: &str) -> String {
        let mut counts: BTreeMap<Consequence, usize> = BTreeMap::new();
        for f in findings {
            let consequence = if unappliable(f) {
                Consequence::Unappliable
            } else {
                Consequence::Effect(f.effect)
            };
            *counts.entry(consequence).or_default() += 1;
        }
        counts
            .iter()
            .map(|(consequence, n)| {
                let what = match consequence {
                    Consequence::Unappliable => {
                        format!("it cannot be applied to {}", self.target())
                    }
                    Consequence::Effect(effect) => effect.describe().to_string(),
                };
                format!("{what} ({})", plural(*n, noun))
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn target(&self) -> String {
        match self.kube_version {
            Some(v) => format!("Kubernetes {v}"),
            None => "the target Kubernetes version".to_string(),
        }
    }

    /// One line per finding that counts (`file:line:col: severity[rule] message`), info
    /// findings one line per rule unless `verbose`, then the banner.
    pub fn compact(&self, verbose: bool) -> String {
        let mut out = String::new();
        let line = |out: &mut String, f: &Finding, message: &str| {
            if let Some((file, line, col)) = position(f) {
                out.push_str(&format!("{}:{line}:{col}: ", shown::one_line(file)));
            }
            out.push_str(&format!(
                "{}[{}] {}\n",
                f.severity.as_str(),
                f.rule.id,
                shown::one_line(message)
            ));
        };
        for (_, findings) in self.by_chart() {
            let counting: Vec<&Finding> = findings.into_iter().filter(|f| f.counts()).collect();
            let (listed, summarised) = split_info(&counting, verbose);
            for f in listed {
                line(&mut out, f, &f.message);
            }
            for rule in summarise(summarised) {
                let message = match rule.count {
                    1 => rule.first.message.clone(),
                    n => format!(
                        "{} (and {} more of this rule; --verbose lists them)",
                        rule.first.message,
                        n - 1
                    ),
                };
                line(&mut out, rule.first, &message);
            }
        }
        out.push_str(&self.banner());
        out.push('\n');
        out
    }

    pub fn render(&self, format: Format, style: Style) -> String {
        match format {
            Format::Human => human::render(self, style),
            Format::Json => json::render(self),
            Format::Sarif => sarif::render(self),
            Format::Junit => junit::render(self),
            Format::Markdown => markdown::render(self, style.verbose),
            Format::Github => github::render(self),
            Format::Gitlab => gitlab::render(self),
        }
    }
}

/// The findings to list one by one, and the info findings to summarise per rule (none when
/// `verbose`). `findings` are in [`Report::by_chart`] order, so the info findings are last.
fn split_info<'a, 'f>(
    findings: &'a [&'f Finding],
    verbose: bool,
) -> (&'a [&'f Finding], &'a [&'f Finding]) {
    if verbose {
        return (findings, &[]);
    }
    let first_info = findings
        .iter()
        .position(|f| f.severity == Severity::Info)
        .unwrap_or(findings.len());
    findings.split_at(first_info)
}

/// One rule's info findings in a chart, summarised on one line.
struct RuleSummary<'f> {
    first: &'f Finding,
    count: usize,
    suppressed: usize,
}

/// `findings` grouped by rule, in order of each rule's first finding.
fn summarise<'f>(findings: &[&'f Finding]) -> Vec<RuleSummary<'f>> {
    let mut rules: Vec<RuleSummary<'f>> = Vec::new();
    for &f in findings {
        let suppressed = usize::from(!f.counts());
        match rules.iter_mut().find(|r| r.first.rule.id == f.rule.id) {
            Some(r) => {
                r.count += 1;
                r.suppressed += suppressed;
            }
            None => rules.push(RuleSummary {
                first: f,
                count: 1,
                suppressed,
            }),
        }
    }
    rules
}

/// What a finding does, as the banner words it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Consequence {
    /// The target cluster does not serve an API version the release uses.
    Unappliable,
    Effect(Effect),
}

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

/// A finding saying the release cannot even be sent to the target cluster.
fn unappliable(f: &Finding) -> bool {
    f.rule.id == "api-removed"
}

/// Effects of a warning that make "rollback is safe" untrue: the upgrade or the rollback fails,
/// data is gone, or the previous version cannot run once rolled back to.
fn endangers_rollback(effect: Effect) -> bool {
    matches!(
        effect,
        Effect::UpgradeFails | Effect::RollbackFails | Effect::DataLoss | Effect::OldCodeBreaks
    )
}

/// Reports that want every finding's location as `file`, 1-based `line` and `column`.
fn position(f: &Finding) -> Option<(&str, u32, u32)> {
    f.location
        .as_ref()
        .map(|l| (l.file.name.as_str(), l.span.line, l.span.col))
}
