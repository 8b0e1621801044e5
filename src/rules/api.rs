//! Kubernetes API versions the target cluster no longer (or soon no longer) serves.

use super::{Category, Context, Effect, Emitter, Rule, RuleMeta, Severity};
use crate::kube::{ApiStatus, ApiTable};

pub struct ApiRemoved;

static API_REMOVED: RuleMeta = RuleMeta {
    id: "api-removed",
    category: Category::Apis,
    severity: Severity::Error,
    effect: Effect::UpgradeFails,
    summary: "apiVersion removed in the target Kubernetes version",
    doc: "The new revision uses an apiVersion/kind that the target Kubernetes version \
          (`--kube-version`, default the newest version rollguard knows) no longer serves. Helm \
          cannot build the object and the upgrade fails before anything is applied. Facts come \
          from the Kubernetes deprecated API migration guide (`rules/kubernetes-apis.yaml`).",
    fix: "Move the resource to the replacement apiVersion (and adjust the fields it changed).",
};

impl Rule for ApiRemoved {
    fn meta(&self) -> &'static RuleMeta {
        &API_REMOVED
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        let at = cx.settings.kube_version;
        for object in &cx.chart.objects {
            if let ApiStatus::Removed { since, replacement } =
                ApiTable::builtin().status(&object.id.api_version, &object.id.kind, at)
            {
                let finding = out.object(
                    object,
                    object.span_at(&["apiVersion"]),
                    format!(
                        "{} uses {}, removed in Kubernetes {since}: the upgrade to a {at} cluster fails",
                        object.id, object.id.api_version
                    ),
                );
                if let Some(r) = replacement {
                    finding.help(format!("use {r}"));
                }
            }
        }
    }
}

pub struct ApiDeprecated;

static API_DEPRECATED: RuleMeta = RuleMeta {
    id: "api-deprecated",
    category: Category::Apis,
    severity: Severity::Warning,
    effect: Effect::UpgradeFails,
    summary: "apiVersion deprecated in the target version, removed in a later one",
    doc: "The new revision uses an apiVersion/kind that is deprecated at the target Kubernetes \
          version and not yet removed there. It works today; after the cluster upgrade that \
          removes it, this revision can neither be upgraded from nor rolled back to.",
    fix: "Move the resource to the replacement apiVersion before the cluster is upgraded.",
};

impl Rule for ApiDeprecated {
    fn meta(&self) -> &'static RuleMeta {
        &API_DEPRECATED
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        let at = cx.settings.kube_version;
        for object in &cx.chart.objects {
            if let ApiStatus::Deprecated {
                since,
                removed_in,
                replacement,
            } = ApiTable::builtin().status(&object.id.api_version, &object.id.kind, at)
            {
                let removal = removed_in
                    .map(|v| format!(", removed in {v}"))
                    .unwrap_or_default();
                let finding = out.object(
                    object,
                    object.span_at(&["apiVersion"]),
                    format!(
                        "{} uses {}, deprecated since Kubernetes {since}{removal}",
                        object.id, object.id.api_version
                    ),
                );
                if let Some(r) = replacement {
                    finding.help(format!("use {r}"));
                }
            }
        }
    }
}
