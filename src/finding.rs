//! What rules produce and reports read.

use std::sync::Arc;

use crate::manifest::{Object, ResourceId};
use crate::rules::{Effect, RuleMeta, Severity};
use crate::source::SourceFile;
use crate::yaml::Span;

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
