//! helmfile: every release of `releases:` is an upgrade (`helmfile apply/sync` runs
//! `helm upgrade --install`), with its own settings over `helmDefaults`. helmfile always passes
//! `--history-max` (its default 10), so an absent `historyMax` is bounded.

use std::sync::Arc;

use super::declared::{bool_at, first, int_at, seconds_at};
use super::embed::parse_yaml;
use super::{ChartArg, Invocation, Setting, Tool, Wait};
use crate::source::SourceFile;
use crate::yaml::Node;

pub fn load(file: &Arc<SourceFile>) -> Result<Vec<Invocation>, String> {
    let docs = parse_yaml(file)?;
    let mut out = Vec::new();
    // Later documents of a layered helmfile see the defaults of earlier ones.
    let mut defaults: Option<&Node> = None;
    for doc in &docs {
        defaults = doc.get("helmDefaults").or(defaults);
        for release in doc.items("releases") {
            out.push(release_invocation(file, release, defaults));
        }
    }
    Ok(out)
}

fn release_invocation(
    file: &Arc<SourceFile>,
    release: &Node,
    defaults: Option<&Node>,
) -> Invocation {
    let span = release.entry("name").map_or(release.span, |(k, _)| k.span);
    let name = release.str_at(&["name"]).map(str::to_string);
    let mut inv = Invocation::new(file, span, Tool::Helmfile, name.clone().unwrap_or_default());
    inv.extent = (release.span.start, release.span.end);
    inv.release = name;
    inv.chart = match release.str_at(&["chart"]) {
        Some(c) if c.contains("{{") => ChartArg::Unresolved(c.to_string()),
        Some(c) => ChartArg::Known(c.to_string()),
        None => ChartArg::Missing,
    };
    let layers = [Some(release), defaults];
    inv.atomic = pick(layers, |n| bool_at(n, "atomic"));
    inv.force = pick(layers, |n| bool_at(n, "force"));
    inv.cleanup_on_fail = pick(layers, |n| bool_at(n, "cleanupOnFail"));
    inv.timeout = pick(layers, |n| seconds_at(n, "timeout"));
    inv.history_max = pick(layers, |n| int_at(n, "historyMax"));
    inv.wait = match pick(layers, |n| bool_at(n, "wait")) {
        Setting::Set { value, span } => Setting::Set {
            value: if value { Wait::Workloads } else { Wait::No },
            span,
        },
        Setting::Unknown { because, span } => Setting::Unknown { because, span },
        Setting::Absent => Setting::Absent,
    };
    inv
}

/// The release's own key wins over helmDefaults.
fn pick<T>(layers: [Option<&Node>; 2], read: impl Fn(&Node) -> Option<Setting<T>>) -> Setting<T> {
    first(layers.into_iter().map(|n| n.and_then(&read)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn releases_override_defaults() {
        let text = "helmDefaults:\n  atomic: true\n  timeout: 600\n  historyMax: 0\nreleases:\n  - name: app\n    chart: ./charts/app\n    atomic: false\n  - name: db\n    chart: bitnami/postgresql\n";
        let invs = load(&SourceFile::new("helmfile.yaml", text)).unwrap_or_default();
        assert_eq!(invs.len(), 2);
        assert_eq!(invs[0].atomic.value(), Some(false));
        assert_eq!(invs[1].atomic.value(), Some(true));
        assert_eq!(invs[0].timeout.value(), Some(600));
        assert_eq!(invs[0].history_max.value(), Some(0));
        assert_eq!(invs[0].span.line, 6);
    }
}
