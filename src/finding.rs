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

/// What a finding means for a rollback.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
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
        let mut hash: u64 = 0xcbf29ce484222325;
        for byte in text.bytes() {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x100000001b3);
        }
        format!("{hash:016x}")
    }
}
