//! Argo CD `Application`s with a Helm source. Argo CD renders the chart with `helm template`
//! and applies it itself: there is no Helm release, no Helm history, no `--atomic` and no
//! `--timeout`. What matters for a rollback is that a failed sync is not reverted (unless the
//! chart's workloads are Argo Rollouts with analysis), and that with automated sync a manual
//! `argocd app rollback` is refused. `syncPolicy.retry` retries a failing sync; it does not
//! revert one, so it changes none of this.

use std::sync::Arc;

use super::{ChartArg, Invocation, Tool};
use source::SourceFile;
use source::yaml::Node;

pub fn load(file: &Arc<SourceFile>, doc: &Node) -> Vec<Invocation> {
    let Some(spec) = doc.get("spec") else {
        return Vec::new();
    };
    let automated = spec.path(&["syncPolicy", "automated"]);
    let tool = Tool::ArgoCd {
        automated: automated
            .is_some_and(|a| a.path(&["enabled"]).and_then(Node::as_bool) != Some(false)),
        self_heal: automated
            .and_then(|a| a.get("selfHeal"))
            .and_then(Node::as_bool)
            .unwrap_or(false),
    };
    let name = doc.str_at(&["metadata", "name"]);
    let sources = spec.get("source").into_iter().chain(spec.items("sources"));
    sources
        .filter(|s| s.get("helm").is_some() || s.get("chart").is_some())
        .map(|source| {
            let span = source
                .entry("helm")
                .or(source.entry("chart"))
                .map_or(source.span, |(k, _)| k.span);
            let mut inv = Invocation::new(file, span, tool, name.unwrap_or_default().to_string());
            inv.extent = (doc.span.start, doc.span.end);
            inv.release = source
                .str_at(&["helm", "releaseName"])
                .or(name)
                .map(str::to_string);
            inv.chart = match (source.str_at(&["chart"]), source.str_at(&["path"])) {
                (Some(chart), _) | (None, Some(chart)) => ChartArg::Known(chart.to_string()),
                (None, None) => ChartArg::Missing,
            };
            inv
        })
        .collect()
}
