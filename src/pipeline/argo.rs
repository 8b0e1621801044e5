//! Argo CD `Application`s with a Helm source. Argo CD renders the chart with `helm template`
//! and applies it itself: there is no Helm release, no Helm history, no `--atomic` and no
//! `--timeout`, so the Helm CLI's settings are not read. Rolling back is Argo CD's business:
//! with automated sync it is reverting the commit (Argo CD refuses `argocd app rollback` while
//! auto-sync is on), with manual sync the one who syncs rolls back with `argocd app rollback`
//! (within the Application's `revisionHistoryLimit`, 10 by default). The invocation is kept so
//! that the report names the file and its suppression comments are accounted for.

use std::sync::Arc;

use super::{ChartArg, Invocation, Tool};
use source::SourceFile;
use source::yaml::Node;

pub fn load(file: &Arc<SourceFile>, doc: &Node) -> Vec<Invocation> {
    let Some(spec) = doc.get("spec") else {
        return Vec::new();
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
            let mut inv = Invocation::new(
                file,
                span,
                Tool::ArgoCd,
                name.unwrap_or_default().to_string(),
            );
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
