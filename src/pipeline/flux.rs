//! Flux `HelmRelease` (helm.toolkit.fluxcd.io): helm-controller upgrades through the Helm SDK.
//! Its defaults differ from the CLI's: history is kept to 5 (`spec.maxHistory`), it waits for
//! resources unless `upgrade.disableWait`, and a failed upgrade is only rolled back when
//! `upgrade.remediation` asks for it (`retries` > 0 or `remediateLastFailure: true`, strategy
//! `rollback`, the default). `install.remediation` is left alone on purpose: it governs a failed
//! first install (uninstall and retry), where there is nothing to roll back to.

use std::sync::Arc;

use super::declared::{bool_at, duration_at, first, int_at};
use super::{ChartArg, Invocation, Setting, Tool, Wait};
use source::SourceFile;
use source::yaml::Node;

pub fn load(file: &Arc<SourceFile>, doc: &Node) -> Invocation {
    let spec = doc.get("spec");
    let name = doc.str_at(&["metadata", "name"]);
    let span = doc.entry("spec").map_or(doc.span, |(k, _)| k.span);
    let mut inv = Invocation::new(file, span, Tool::Flux, name.unwrap_or_default().to_string());
    inv.extent = (doc.span.start, doc.span.end);
    let Some(spec) = spec else { return inv };
    inv.release = spec.str_at(&["releaseName"]).or(name).map(str::to_string);
    inv.chart = match (
        spec.str_at(&["chart", "spec", "chart"]),
        spec.str_at(&["chartRef", "name"]),
    ) {
        (Some(chart), _) => ChartArg::Known(chart.to_string()),
        // An OCIRepository or HelmChart object: its name need not be the chart's.
        (None, Some(source)) => ChartArg::Unresolved(format!("chartRef {source}")),
        (None, None) => ChartArg::Missing,
    };
    let upgrade = spec.get("upgrade");
    inv.history_max = first([int_at(spec, "maxHistory")]);
    inv.timeout = first([
        upgrade.and_then(|u| duration_at(u, "timeout")),
        duration_at(spec, "timeout"),
    ]);
    inv.force = first([upgrade.and_then(|u| bool_at(u, "force"))]);
    inv.cleanup_on_fail = first([upgrade.and_then(|u| bool_at(u, "cleanupOnFail"))]);
    inv.wait = first([upgrade.and_then(|u| bool_at(u, "disableWait"))])
        .map(|disabled| if disabled { Wait::No } else { Wait::Workloads });
    inv.atomic = remediation(upgrade);
    inv
}

/// Does a failed upgrade get rolled back? Set at the key that decides it.
fn remediation(upgrade: Option<&Node>) -> Setting<bool> {
    let Some(upgrade) = upgrade else {
        return Setting::Absent;
    };
    // Flux 2.7 `upgrade.strategy.name: RetryOnFailure` retries instead of remediating.
    if let Some((k, v)) = upgrade.entry("strategy")
        && v.str_at(&["name"]) == Some("RetryOnFailure")
    {
        return Setting::Set {
            value: false,
            span: k.span,
        };
    }
    let Some((key, rem)) = upgrade.entry("remediation") else {
        return Setting::Absent;
    };
    if let Some((k, v)) = rem.entry("strategy")
        && v.as_str() == Some("uninstall")
    {
        return Setting::Set {
            value: false,
            span: k.span,
        };
    }
    let retries = rem.get("retries").and_then(Node::as_i64).unwrap_or(0);
    let last = rem.get("remediateLastFailure").and_then(Node::as_bool);
    // remediateLastFailure defaults to true when retries > 0; a negative count is unlimited.
    let remediates = last.unwrap_or(retries != 0);
    Setting::Set {
        value: remediates,
        span: key.span,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use source::yaml::{Origin, parse_single};

    fn release(yaml: &str) -> Invocation {
        let file = SourceFile::new("hr.yaml", yaml);
        let doc = parse_single(&file.text, Origin::default())
            .ok()
            .flatten()
            .expect("a document");
        load(&file, &doc)
    }

    #[test]
    fn remediation_and_defaults() {
        let inv = release(
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: app}\nspec:\n  chart: {spec: {chart: ./charts/app}}\n  maxHistory: 0\n  timeout: 10m\n  upgrade:\n    remediation:\n      retries: 3\n",
        );
        assert_eq!(inv.atomic.value(), Some(true));
        assert_eq!(inv.history_max.value(), Some(0));
        assert_eq!(inv.timeout.value(), Some(600));
        assert_eq!(inv.chart, ChartArg::Known("./charts/app".into()));
        let plain = release(
            "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: app}\nspec:\n  upgrade: {remediation: {retries: 0}}\n",
        );
        assert_eq!(plain.atomic.value(), Some(false));
    }
}
