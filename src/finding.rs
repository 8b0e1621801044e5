//! What rules produce and reports read: findings and where they point, and the vocabulary rules
//! describe themselves with (severity, effect, category, [`RuleMeta`]).

use std::sync::Arc;

use serde::Serialize;

use crate::manifest::{Object, ResourceId};
use crate::sql::Script;
use source::SourceFile;
use source::Span;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<Severity> {
        match text {
            "info" => Some(Severity::Info),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// What a finding means for a rollback. Ordered as reports name them: what stops the upgrade
/// first, bookkeeping last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Effect {
    UpgradeFails,
    RollbackFails,
    DataLoss,
    OldCodeBreaks,
    NotReverted,
    FalseRollback,
    NoAutoRollback,
    HistoryBloat,
    /// Findings about rollguard's own configuration, or about the text of a manifest rather
    /// than what it does to a rollback.
    None,
}

impl Effect {
    pub fn as_str(self) -> &'static str {
        match self {
            Effect::UpgradeFails => "upgrade-fails",
            Effect::RollbackFails => "rollback-fails",
            Effect::DataLoss => "data-loss",
            Effect::OldCodeBreaks => "old-code-breaks",
            Effect::NotReverted => "not-reverted",
            Effect::FalseRollback => "false-rollback",
            Effect::NoAutoRollback => "no-auto-rollback",
            Effect::HistoryBloat => "history-bloat",
            Effect::None => "none",
        }
    }

    /// One sentence for reports: what happens to the rollback.
    pub fn describe(self) -> &'static str {
        match self {
            Effect::UpgradeFails => "the upgrade (or the next one) fails",
            Effect::RollbackFails => "a rollback to the previous revision fails",
            Effect::DataLoss => "data is lost and a rollback cannot bring it back",
            Effect::OldCodeBreaks => "the previous app version cannot run after a rollback",
            Effect::NotReverted => "a rollback leaves this change in place",
            Effect::FalseRollback => "a healthy release is rolled back or never marked ready",
            Effect::NoAutoRollback => "a broken release is not detected or reverted",
            Effect::HistoryBloat => "release history grows without bound",
            Effect::None => "no effect on the release",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Category {
    Migrations,
    Apis,
    Storage,
    Probes,
    Configuration,
    Pipeline,
    Tool,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Migrations => "migrations",
            Category::Apis => "apis",
            Category::Storage => "storage",
            Category::Probes => "probes",
            Category::Configuration => "configuration",
            Category::Pipeline => "pipeline",
            Category::Tool => "tool",
        }
    }
}

/// Everything a user, a report or a doc page needs to know about a rule.
#[derive(Debug)]
pub struct RuleMeta {
    pub id: &'static str,
    pub category: Category,
    pub severity: Severity,
    pub effect: Effect,
    /// One line, for `rollguard rules` and SARIF short descriptions.
    pub summary: &'static str,
    /// A paragraph: what the rule looks for and why it breaks rollbacks.
    pub doc: &'static str,
    /// How to fix it.
    pub fix: &'static str,
}

#[derive(Debug, Clone)]
pub struct Location {
    pub file: Arc<SourceFile>,
    pub span: Span,
    /// The chart template that produced the text at `span`, when the file is a rendered stream.
    pub template: Option<String>,
}

impl Location {
    /// A position in an object's text; in a stream rollguard rendered itself, the template line
    /// that wrote it.
    pub fn in_object(object: &Object, span: Span) -> Location {
        match object.file.origin(span) {
            Some((file, span)) => Location {
                file,
                span,
                template: None,
            },
            None => Location {
                file: object.file.clone(),
                span,
                template: object.template.clone(),
            },
        }
    }

    /// A position in a migration script.
    pub fn in_script(script: &Script, span: Span) -> Location {
        Location {
            file: script.file().clone(),
            span,
            template: script.origin.template.clone(),
        }
    }
}

/// Why a finding does not count towards the verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Suppression {
    /// `rollguard.dev/ignore` on the resource.
    Annotation,
    /// `-- rollguard-ignore` in SQL.
    Comment,
    /// Listed in the accepted-findings file.
    Accepted,
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub rule: &'static RuleMeta,
    pub severity: Severity,
    pub effect: Effect,
    pub message: String,
    pub help: Option<String>,
    pub resource: Option<ResourceId>,
    pub location: Option<Location>,
    /// Index of the checked chart (or manifest) in the report.
    pub chart: usize,
    pub suppressed: Option<Suppression>,
    /// For diff findings: the changed part of the resource (paths and a unified diff).
    pub diff: Option<String>,
    /// For diff findings: where the baseline writes the changed part (its template line when
    /// rollguard rendered the baseline).
    pub baseline: Option<Location>,
}

impl Finding {
    pub fn new(rule: &'static RuleMeta, chart: usize, message: impl Into<String>) -> Finding {
        Finding {
            rule,
            severity: rule.severity,
            effect: rule.effect,
            message: message.into(),
            help: None,
            resource: None,
            location: None,
            chart,
            suppressed: None,
            diff: None,
            baseline: None,
        }
    }

    pub fn counts(&self) -> bool {
        self.suppressed.is_none()
    }
}

impl Finding {
    pub fn help(&mut self, text: impl Into<String>) -> &mut Finding {
        self.help = Some(text.into());
        self
    }

    pub fn severity(&mut self, severity: Severity) -> &mut Finding {
        self.severity = severity;
        self
    }

    pub fn diff(&mut self, text: impl Into<String>) -> &mut Finding {
        let text = text.into();
        self.diff = (!text.is_empty()).then_some(text);
        self
    }

    pub fn effect(&mut self, effect: Effect) -> &mut Finding {
        self.effect = effect;
        self
    }
}

impl Finding {
    /// A stable identity for the finding that survives unrelated edits: the rule, the resource
    /// and the message (which names the offending values), not the line. FNV-1a, 64 bits, hex.
    pub fn fingerprint(&self) -> String {
        let resource = self.resource.as_ref().map(|r| {
            format!(
                "{}/{}/{}/{}",
                crate::diff::identity_group(r.group(), &r.kind),
                r.kind,
                r.namespace,
                r.name
            )
        });
        let text = format!(
            "{}\u{0}{}\u{0}{}",
            self.rule.id,
            resource.unwrap_or_default(),
            self.message
        );
        fnv1a(&text)
    }
}

/// FNV-1a, 64 bits, as 16 hex digits: a stable identity for a text, the same on every machine.
pub fn fnv1a(text: &str) -> String {
    let mut hash: u64 = 0xcbf29ce484222325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x100000001b3);
    }
    format!("{hash:016x}")
}

/// Lines listed in the help of a finding that stands for its repeats.
const REPEATS_LISTED: usize = 10;

/// Findings that say the same thing about the same resource in the same file, only at other
/// places, become one: 8,000 copies of one `DROP COLUMN` are one hazard, and a report that
/// repeats it 8,000 times buries the others. The first stays, and its help says where the
/// repeats are. Suppressed and counting findings are never merged with each other.
pub fn collapse_repeats(findings: Vec<Finding>) -> Vec<Finding> {
    type Key = (
        usize,
        &'static str,
        Severity,
        String,
        Option<ResourceId>,
        Option<String>,
        bool,
    );
    let mut first: std::collections::HashMap<Key, usize> = std::collections::HashMap::new();
    let mut out: Vec<Finding> = Vec::with_capacity(findings.len());
    let mut repeats: Vec<Vec<String>> = Vec::with_capacity(findings.len());
    for f in findings {
        let key = (
            f.chart,
            f.rule.id,
            f.severity,
            f.message.clone(),
            f.resource.clone(),
            f.location.as_ref().map(|l| l.file.name.clone()),
            f.suppressed.is_some(),
        );
        match first.get(&key) {
            Some(&i) => repeats[i].push(
                f.location
                    .as_ref()
                    .map_or_else(String::new, |l| format!("{}:{}", l.span.line, l.span.col)),
            ),
            None => {
                first.insert(key, out.len());
                out.push(f);
                repeats.push(Vec::new());
            }
        }
    }
    for (f, lines) in out.iter_mut().zip(repeats) {
        if lines.is_empty() {
            continue;
        }
        let mut listed: Vec<String> = lines.iter().take(REPEATS_LISTED).cloned().collect();
        if lines.len() > REPEATS_LISTED {
            listed.push("…".into());
        }
        let note = format!(
            "the same finding repeats {} more time{} in this file (at {})",
            lines.len(),
            if lines.len() == 1 { "" } else { "s" },
            listed.join(", ")
        );
        f.help = Some(match f.help.take() {
            Some(h) => format!("{h}\n{note}"),
            None => note,
        });
    }
    out
}

#[cfg(test)]
mod collapse_tests {
    use super::*;
    use crate::rules;

    #[test]
    fn repeats_of_one_finding_become_one_that_lists_them() {
        let meta = rules::find("sql-drop-column").expect("rule");
        let file = source::SourceFile::new("m.sql", "x\n".repeat(30));
        let at = |line: u32| {
            let mut f = Finding::new(meta, 0, "drops column `t.c`");
            f.location = Some(Location {
                file: file.clone(),
                span: source::Span {
                    start: 0,
                    end: 1,
                    line,
                    col: 1,
                },
                template: None,
            });
            f
        };
        let mut other = at(2);
        other.message = "drops column `t.d`".into();
        let mut suppressed = at(3);
        suppressed.suppressed = Some(Suppression::Comment);
        let mut findings = vec![at(1), other, suppressed];
        findings.extend((4..20).map(at));
        let out = collapse_repeats(findings);
        assert_eq!(out.len(), 3);
        assert_eq!(
            out[0].help.as_deref(),
            Some(
                "the same finding repeats 16 more times in this file (at 4:1, 5:1, 6:1, 7:1, 8:1, 9:1, 10:1, 11:1, 12:1, 13:1, …)"
            )
        );
        assert_eq!(out[1].help, None);
        assert_eq!(out[2].help, None);
    }
}
