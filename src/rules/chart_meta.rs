//! Rules on what only a rendered chart shows: its `Chart.yaml` constraints and its templates.

use super::framework::{Context, Emitter, Rule};
use crate::finding::{Category, Effect, RuleMeta, Severity};
use crate::finding::{Finding, Location};
use helm::chart::kube_version_compatible;

pub struct KubeVersionIncompatible;

static KUBE_VERSION_INCOMPATIBLE: RuleMeta = RuleMeta {
    id: "kube-version-incompatible",
    category: Category::Apis,
    severity: Severity::Error,
    effect: Effect::UpgradeFails,
    summary: "Chart.yaml `kubeVersion` excludes the target version: Helm refuses the install/upgrade",
    doc: "Helm checks the chart's `kubeVersion` constraint against the cluster before it renders \
          anything (\"chart requires kubeVersion: … which is incompatible with Kubernetes …\"). \
          When the target version (`--kube-version`) is outside the constraint, the upgrade is \
          refused. rollguard renders and checks the chart anyway, so the other findings are still \
          reported.",
    fix: "Widen the constraint (mind pre-releases: `>=1.21.0-0` also matches `v1.29.3-eks`), or \
          target a cluster version the chart supports.",
};

impl Rule for KubeVersionIncompatible {
    fn meta(&self) -> &'static RuleMeta {
        &KUBE_VERSION_INCOMPATIBLE
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        let Some((constraint, file, span)) = cx
            .chart
            .source
            .as_ref()
            .and_then(|s| s.kube_constraint.as_ref())
        else {
            return;
        };
        let target = cx.settings.kube_version;
        let version = format!("{target}.0");
        let message = match kube_version_compatible(constraint, &version) {
            Ok(true) => return,
            Ok(false) => format!(
                "chart {} requires kubeVersion `{constraint}`, which excludes Kubernetes {target}: Helm refuses the upgrade",
                cx.chart.info.name
            ),
            Err(e) => format!(
                "chart {} has an invalid kubeVersion `{constraint}` ({e}): Helm refuses to install it",
                cx.chart.info.name
            ),
        };
        let mut finding = Finding::new(&KUBE_VERSION_INCOMPATIBLE, cx.chart_index, message);
        finding.location = Some(Location {
            file: file.clone(),
            span: *span,
            template: None,
        });
        finding.help = Some(format!(
            "widen the constraint to include {target}, or check against the version the cluster runs"
        ));
        out.push(finding);
    }
}

pub struct UpgradeRenderFails;

static UPGRADE_RENDER_FAILS: RuleMeta = RuleMeta {
    id: "upgrade-render-fails",
    category: Category::Apis,
    severity: Severity::Error,
    effect: Effect::UpgradeFails,
    summary: "the new revision rendered as an upgrade stops at `fail`/`required`: Helm refuses the upgrade as the pipeline runs it",
    doc: "With a baseline, rollguard renders the new revision as Helm will: an upgrade \
          (`.Release.IsUpgrade`, the baseline's revision + 1) whose `lookup` sees the baseline's \
          objects. Some charts only check their upgrade path then — bitnami's \"you must provide \
          your current passwords when upgrading\", a `required` value that only an upgrade needs. \
          When that render stops at `fail` or `required` while the same chart and values render \
          as an install, `helm upgrade` with these values will fail before anything is applied. \
          The rest of the check reads the install render.",
    fix: "Pass the values the message asks for (`-f`/`--set`, the same ones the pipeline gives \
          `helm upgrade`), or fix the template's upgrade path.",
};

impl Rule for UpgradeRenderFails {
    fn meta(&self) -> &'static RuleMeta {
        &UPGRADE_RENDER_FAILS
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        let Some(failure) = cx
            .chart
            .source
            .as_ref()
            .and_then(|s| s.upgrade_failure.as_ref())
        else {
            return;
        };
        let message = format!(
            "rendered as an upgrade, chart {} stops with `{}`: Helm refuses the upgrade with these values",
            cx.chart.info.name,
            failure
                .message
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("")
                .trim()
        );
        let mut finding = Finding::new(&UPGRADE_RENDER_FAILS, cx.chart_index, message);
        finding.location = Some(Location {
            file: failure.file.clone(),
            span: failure.span,
            template: None,
        });
        finding.help = Some(
            "give the values the message asks for, as the pipeline gives them to helm upgrade"
                .to_string(),
        );
        out.push(finding);
    }
}

pub struct LookupDependent;

static LOOKUP_DEPENDENT: RuleMeta = RuleMeta {
    id: "lookup-dependent",
    category: Category::Configuration,
    severity: Severity::Info,
    effect: Effect::NotReverted,
    summary: "a template executed `lookup` in this render: output depends on live cluster state",
    doc: "`lookup` reads live objects from the cluster while Helm renders. What it returns is not \
          part of the release: `helm template` renders it as empty (rollguard too, except that \
          the upgrade render of a chart with a baseline sees the baseline's objects), the real \
          upgrade sees the cluster, and a rollback re-applies the stored manifest without asking \
          again. Typical uses (reusing a generated password) are fine; anything whose output \
          changes with the cluster cannot be judged statically and is not reverted by a rollback. \
          Reported once per call site that the render executed: not the word in comments, \
          NOTES.txt, helper names or branches the values skip, and not a lookup of a Secret or \
          ConfigMap (reading back a generated password or stored state keeps the output stable).",
    fix: "Prefer values or explicit Secrets over `lookup`; where it stays, make the template's \
          output the same whether or not the object exists.",
};

impl Rule for LookupDependent {
    fn meta(&self) -> &'static RuleMeta {
        &LOOKUP_DEPENDENT
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        let Some(source) = &cx.chart.source else {
            return;
        };
        // Reading a Secret or ConfigMap back is how charts keep generated passwords and state
        // stable across upgrades: the output is the same whether or not the object exists.
        let reuse = |kind: Option<&str>| matches!(kind, Some("Secret" | "ConfigMap"));
        for lookup in source.lookups.iter().filter(|l| !reuse(l.kind.as_deref())) {
            let file = &lookup.file;
            let mut finding = Finding::new(
                &LOOKUP_DEPENDENT,
                cx.chart_index,
                format!(
                    "this `lookup` in {} runs in this render: what it renders depends on the live cluster, which neither rollguard nor a rollback sees",
                    file.name
                ),
            );
            finding.location = Some(Location {
                file: file.clone(),
                span: lookup.span,
                template: None,
            });
            finding.help = Some(
                "make the output independent of the lookup's result, or pass the value explicitly"
                    .into(),
            );
            out.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_utils::{NONE, manifest};

    const POD: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: app\n";

    #[test]
    fn a_constraint_that_excludes_the_target_is_an_error_where_it_is_written() {
        let case = |constraint| {
            manifest(POD)
                .kube_version("1.31")
                .rendered_chart(Some(constraint), &[])
                .findings(&KubeVersionIncompatible)
        };
        assert_eq!(
            case("<1.29.0-0"),
            [("kube-version-incompatible", Severity::Error, 3)]
        );
        assert_eq!(case(">=1.21.0-0"), NONE);
    }

    #[test]
    fn an_upgrade_render_that_stops_is_an_error_at_the_template_line() {
        let message = "\nPASSWORDS ERROR: You must provide your current passwords when upgrading the release.";
        assert_eq!(
            manifest(POD)
                .upgrade_fails(message, 7)
                .findings(&UpgradeRenderFails),
            [("upgrade-render-fails", Severity::Error, 7)]
        );
        assert_eq!(
            manifest(POD).revision(2).findings(&UpgradeRenderFails),
            NONE
        );
    }

    #[test]
    fn an_executed_lookup_of_cluster_state_is_reported() {
        let lookup = "{{ if (lookup \"rbac.authorization.k8s.io/v1\" \"ClusterRole\" \"\" \"\") }}";
        assert_eq!(
            manifest(POD)
                .rendered_chart(None, &[(lookup, "ClusterRole")])
                .findings(&LookupDependent),
            [("lookup-dependent", Severity::Info, 1)]
        );
        // Reading back a generated password keeps the output stable.
        let reuse = "{{ $s := (lookup \"v1\" \"Secret\" .Release.Namespace \"app\").data }}";
        assert_eq!(
            manifest(POD)
                .rendered_chart(None, &[(reuse, "Secret")])
                .findings(&LookupDependent),
            NONE
        );
    }
}
