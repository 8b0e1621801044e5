//! The rule catalog: every rule in report order ([`all`], [`catalog`]), lookup by id
//! ([`find`]), and running them over one chart ([`run`]). A rule is a small type with its
//! metadata and a check over the model ([`framework`]); it never parses files and never prints.

mod api;
mod chart_meta;
mod config_rollout;
mod crd;
mod duplicate_key;
mod external;
pub mod framework;
mod hooks;
mod immutable;
mod migrations;
mod pipeline;
mod probes;
mod pvc;
mod secret_regenerated;
mod sql;
mod storage_diff;
#[cfg(test)]
mod test_utils;
mod timeout;
pub mod unused_suppression;

use crate::diff::pair;
use crate::finding::{Finding, RuleMeta};
use crate::model::{ChartModel, Settings};
use framework::{Context, Emitter, Rule};
use unused_suppression::UNUSED_SUPPRESSION;

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
        &chart_meta::UpgradeRenderFails,
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
        &hooks::WorkloadAsHook,
        &hooks::JobBlocksNextUpgrade,
        &probes::ReadinessDelayBelowStartup,
        &probes::LivenessKillsBeforeStartup,
        &probes::MissingReadinessProbe,
        &timeout::TimeoutBelowStartup,
        &external::ExternalConfigMap,
        &external::ExternalSecret,
        &external::DanglingReference,
        &config_rollout::ConfigChangeWithoutRollout,
        &secret_regenerated::SecretRegeneratedOnUpgrade,
        &chart_meta::LookupDependent,
        &pipeline::MissingHistoryMax,
        &pipeline::MissingAtomic,
        &pipeline::MissingWait,
        &pipeline::ForceUpgrade,
        &pipeline::MissingCleanupOnFail,
        &duplicate_key::DuplicateKey,
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
        if settings.is_disabled(meta.id) {
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
        if let Some(severity) = settings.severity_override(meta.id) {
            out[start..].iter_mut().for_each(|f| f.severity = severity);
        }
        if let Some(diff) = &cx.diff {
            out[start..]
                .iter_mut()
                .filter(|f| f.diff.is_some())
                .for_each(|f| f.baseline = framework::baseline_location(diff, f));
        }
    }
    out
}
