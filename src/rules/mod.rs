//! The rule framework and the catalog. A rule is a small type with its metadata and a check over
//! the model; it never parses files and never prints.

mod api;
mod chart_meta;
mod config_rollout;
mod crd;
mod external;
mod hooks;
mod immutable;
mod migrations;
mod migrations_suppression;
mod pipeline;
mod pipeline_suppression;
mod probes;
mod pvc;
mod sql;
mod storage_diff;
mod suppression;
mod timeout;

use serde::Serialize;

use crate::diff::{RevisionDiff, pair};
use crate::finding::{Finding, Location};
use crate::manifest::Object;
use crate::model::{ChartModel, Settings};
use crate::yaml::Span;

pub use suppression::{IGNORE_ANNOTATION, UNUSED_SUPPRESSION, apply_suppressions};

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
    /// Findings about rollguard's own configuration.
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

/// What a rule sees: one chart's model and the run's settings.
pub struct Context<'a> {
    pub chart: &'a ChartModel,
    pub chart_index: usize,
    pub settings: &'a Settings,
    /// The new revision paired with the baseline's current revision, when there is a baseline.
    pub diff: Option<RevisionDiff<'a>>,
}

pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, cx: &Context, out: &mut Emitter);
}

/// Collects one rule's findings, filling in the rule, chart and location plumbing.
pub struct Emitter<'a> {
    meta: &'static RuleMeta,
    chart: usize,
    out: &'a mut Vec<Finding>,
}

impl Emitter<'_> {
    /// A finding about `object`, located at `span` in its source.
    pub fn object(
        &mut self,
        object: &Object,
        span: Span,
        message: impl Into<String>,
    ) -> &mut Finding {
        let mut finding = Finding::new(self.meta, self.chart, message);
        finding.resource = Some(object.id.clone());
        finding.location = Some(Location::in_object(object, span));
        self.push(finding)
    }

    /// A finding at a location that is not (only) an object's, such as a SQL statement.
    pub fn at(
        &mut self,
        location: Location,
        resource: Option<crate::manifest::ResourceId>,
        message: impl Into<String>,
    ) -> &mut Finding {
        let mut finding = Finding::new(self.meta, self.chart, message);
        finding.resource = resource;
        finding.location = Some(location);
        self.push(finding)
    }

    /// Records a finding. A location in text rollguard rendered moves to the template line
    /// that wrote it.
    pub fn push(&mut self, mut finding: Finding) -> &mut Finding {
        if let Some(l) = &finding.location
            && let Some((file, span)) = l.file.origin(l.span)
        {
            finding.location = Some(Location {
                file,
                span,
                template: None,
            });
        }
        self.out.push(finding);
        let last = self.out.len() - 1;
        &mut self.out[last]
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

/// Every rule, in catalog order.
pub fn all() -> &'static [&'static dyn Rule] {
    // A static, since the SQL rules are statics themselves.
    static ALL: &[&dyn Rule] = &[
        &sql::DROP_TABLE,
        &sql::DROP_COLUMN,
        &sql::TRUNCATE,
        &sql::UNBOUNDED_WRITE,
        &sql::RENAME,
        &sql::ADD_NOT_NULL_COLUMN,
        &sql::SET_NOT_NULL,
        &sql::ALTER_COLUMN_TYPE,
        &sql::ADD_CONSTRAINT,
        &sql::Unparsed,
        &migrations::MigrationOpaque,
        &migrations::MigrationNotPreUpgrade,
        &migrations::MigrationWithoutBackup,
        &api::ApiRemoved,
        &api::ApiDeprecated,
        &api::RollbackTargetApiRemoved,
        &chart_meta::KubeVersionIncompatible,
        &crd::CrdChanged,
        &storage_diff::PvcRemoved,
        &storage_diff::PvcStorageClassChanged,
        &storage_diff::PvcShrunk,
        &storage_diff::PvcAccessModesChanged,
        &storage_diff::StsVolumeClaimTemplatesChanged,
        &storage_diff::StorageClassChanged,
        &pvc::PvcNoKeepPolicy,
        &storage_diff::RollbackDeletesPvc,
        &hooks::ResourceBecomesHook,
        &immutable::ImmutableFieldChanged,
        &hooks::HookFailedLeftBehind,
        &probes::ReadinessDelayBelowStartup,
        &probes::LivenessKillsBeforeStartup,
        &probes::MissingReadinessProbe,
        &timeout::TimeoutBelowStartup,
        &external::ExternalConfigMap,
        &external::ExternalSecret,
        &config_rollout::ConfigChangeWithoutRollout,
        &chart_meta::LookupDependent,
        &pipeline::MissingHistoryMax,
        &pipeline::MissingAtomic,
        &pipeline::MissingWait,
        &pipeline::ForceUpgrade,
        &pipeline::MissingCleanupOnFail,
    ];
    ALL
}

/// Metadata of every rule, in catalog order, including the ones that are not a [`Rule`]
/// because they judge the other rules' findings.
pub fn catalog() -> impl Iterator<Item = &'static RuleMeta> {
    all()
        .iter()
        .map(|r| r.meta())
        .chain(std::iter::once(&UNUSED_SUPPRESSION))
}

pub fn find(id: &str) -> Option<&'static RuleMeta> {
    catalog().find(|m| m.id == id)
}

/// Runs every enabled rule over one chart. Severity overrides from the config apply here;
/// suppressions are applied afterwards, over all findings.
pub fn run(chart: &ChartModel, chart_index: usize, settings: &Settings) -> Vec<Finding> {
    let cx = Context {
        chart,
        chart_index,
        settings,
        diff: chart
            .base
            .as_ref()
            .map(|b| pair(&b.current().objects, &chart.objects)),
    };
    let mut out = Vec::new();
    for rule in all() {
        let meta = rule.meta();
        if settings.config.is_disabled(meta.id) {
            continue;
        }
        let start = out.len();
        rule.check(
            &cx,
            &mut Emitter {
                meta,
                chart: chart_index,
                out: &mut out,
            },
        );
        if let Some(severity) = settings.config.severity_override(meta.id) {
            out[start..].iter_mut().for_each(|f| f.severity = severity);
        }
    }
    out
}
