//! Kubernetes API versions the target cluster no longer (or soon no longer) serves.

use super::framework::{Context, Emitter, Rule};
use crate::finding::{Category, Effect, RuleMeta, Severity};
use std::collections::BTreeMap;

use crate::kube::{ApiStatus, ApiTable};
use crate::manifest::Object;

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

pub struct RollbackTargetApiRemoved;

/// An object stored with a removed API in one or more revisions.
struct Hit<'a> {
    revisions: Vec<String>,
    object: &'a Object,
    replacement: Option<String>,
}

static ROLLBACK_TARGET_API_REMOVED: RuleMeta = RuleMeta {
    id: "rollback-target-api-removed",
    category: Category::Apis,
    severity: Severity::Error,
    effect: Effect::RollbackFails,
    summary: "the baseline uses an apiVersion removed in the target version: `helm rollback` to it cannot work",
    doc: "A rollback re-applies the stored manifest of the target revision without re-rendering \
          it. When that manifest uses an apiVersion the target Kubernetes version no longer \
          serves, Helm cannot build its objects (\"unable to build kubernetes objects from … \
          release manifest\"): the rollback fails, and if it is the current revision, so does \
          the upgrade from it. Every stored revision given with `--base-release` is checked; \
          `helm mapkubeapis` repairs only the latest one. A baseline re-rendered from a chart \
          (`--base`, `--base-chart`) may differ from what the cluster stored.",
    fix: "Run `helm mapkubeapis` on the release before the cluster upgrade, and do not roll back \
          past the revision that moved to the new API.",
};

impl Rule for RollbackTargetApiRemoved {
    fn meta(&self) -> &'static RuleMeta {
        &ROLLBACK_TARGET_API_REMOVED
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        let Some(base) = &cx.chart.base else { return };
        let at = cx.settings.kube_version;
        let mut hits: BTreeMap<(String, String), Hit> = BTreeMap::new();
        for revision in &base.revisions {
            for object in &revision.objects {
                if let ApiStatus::Removed { since, replacement } =
                    ApiTable::builtin().status(&object.id.api_version, &object.id.kind, at)
                {
                    let key = (object.id.to_string(), object.id.api_version.clone());
                    let hit = hits.entry(key).or_insert_with(|| Hit {
                        revisions: Vec::new(),
                        object,
                        replacement,
                    });
                    hit.revisions
                        .push(format!("{} (removed in {since})", revision.label()));
                    // Point at the newest revision that stores it.
                    hit.object = object;
                }
            }
        }
        let rerendered = match base.source {
            crate::baseline::Source::Rerendered => {
                " The baseline was re-rendered from the chart; what the cluster stored may differ: check with --base-release."
            }
            crate::baseline::Source::Stored => "",
        };
        for (
            (resource, api),
            Hit {
                revisions,
                object,
                replacement,
            },
        ) in hits
        {
            let finding = out.object(
                object,
                object.span_at(&["apiVersion"]),
                format!(
                    "{resource} is stored as {api} in {}, which a Kubernetes {at} cluster no longer serves: `helm rollback` to it fails.{rerendered}",
                    revisions.join(", ")
                ),
            );
            finding.help(match replacement {
                Some(r) => format!("run `helm mapkubeapis` (moves stored manifests to {r}) and do not roll back past the revision that uses {r}"),
                None => "run `helm mapkubeapis` and do not roll back to these revisions".to_string(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_utils::{NONE, manifest};

    const OLD_INGRESS: &str = "\
apiVersion: extensions/v1beta1
kind: Ingress
metadata:
  name: web
";
    const INGRESS: &str = "\
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
";

    #[test]
    fn a_removed_api_is_an_error_at_its_api_version() {
        assert_eq!(
            manifest(OLD_INGRESS).findings(&ApiRemoved),
            [("api-removed", Severity::Error, 1)]
        );
        assert_eq!(manifest(INGRESS).findings(&ApiRemoved), NONE);
    }

    #[test]
    fn a_rollback_to_a_removed_api_fails() {
        assert_eq!(
            manifest(INGRESS)
                .base(OLD_INGRESS)
                .findings(&RollbackTargetApiRemoved),
            [("rollback-target-api-removed", Severity::Error, 1)]
        );
        assert_eq!(
            manifest(INGRESS)
                .base(INGRESS)
                .findings(&RollbackTargetApiRemoved),
            NONE
        );
    }
}
