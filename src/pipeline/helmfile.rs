//! helmfile: every release of `releases:` is an upgrade (`helmfile apply/sync` runs
//! `helm upgrade --install`), with its own settings over `helmDefaults`. helmfile always passes
//! `--history-max` (its default 10), so an absent `historyMax` is bounded.
//!
//! helmfile renders a helmfile as a Go template before reading its YAML (`.gotmpl`, and
//! helmfile.yaml before v1). To read the YAML around the template, actions are neutralised in
//! place, byte for byte, so positions stay the file's: a line of actions only (`{{ if … }}`,
//! `{{ end }}`) becomes blank (both branches of a condition count), and an action inside a
//! value becomes `(( … ))`, which reads as text and is reported as templated.

use std::sync::Arc;

use super::declared::{as_written, bool_at, first, int_at, is_templated, seconds_at};
use super::embed::parse_yaml_text;
use super::{ChartArg, Invocation, Setting, Tool, Wait};
use source::SourceFile;
use source::yaml::Node;

pub fn load(file: &Arc<SourceFile>) -> Result<Vec<Invocation>, String> {
    let docs = parse_yaml_text(file, &neutralize(&file.text))?;
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
    if let Some(name) = name {
        inv.set_release(if is_templated(&name) {
            Err(as_written(&name))
        } else {
            Ok(name)
        });
    }
    inv.chart = match release.str_at(&["chart"]) {
        Some(c) if is_templated(c) => ChartArg::Unresolved(as_written(c)),
        Some(c) => ChartArg::Known(c.to_string()),
        None => ChartArg::Missing,
    };
    let layers = [Some(release), defaults];
    inv.atomic = pick(layers, |n| bool_at(n, "atomic"));
    inv.force = pick(layers, |n| bool_at(n, "force"));
    inv.cleanup_on_fail = pick(layers, |n| bool_at(n, "cleanupOnFail"));
    inv.timeout = pick(layers, |n| seconds_at(n, "timeout"));
    inv.history_max = pick(layers, |n| int_at(n, "historyMax"));
    inv.wait =
        pick(layers, |n| bool_at(n, "wait")).map(|w| if w { Wait::Workloads } else { Wait::No });
    inv
}

fn neutralize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        if !line.contains("{{") {
            out.push_str(line);
            continue;
        }
        let mut rest = line;
        let mut outside = String::new();
        while let Some(open) = rest.find("{{") {
            outside.push_str(&rest[..open]);
            rest = match rest[open..].find("}}") {
                Some(close) => &rest[open + close + 2..],
                None => "",
            };
        }
        outside.push_str(rest);
        if outside.trim().is_empty() {
            let body = line.trim_end_matches(['\n', '\r']);
            out.push_str(&" ".repeat(body.len()));
            out.push_str(&line[body.len()..]);
        } else {
            out.push_str(&line.replace("{{", "((").replace("}}", "))"));
        }
    }
    out
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

    #[test]
    fn go_templates_are_read_around() {
        let text = "environments:\n  default: {}\n---\nhelmDefaults:\n  timeout: {{ .Values.timeout }}\nreleases:\n{{- range .Values.apps }}\n  - name: {{ .name }}\n    chart: ./charts/{{ .name }}\n    atomic: true\n{{- end }}\n";
        let invs = load(&SourceFile::new("helmfile.yaml.gotmpl", text)).unwrap_or_default();
        assert_eq!(invs.len(), 1);
        assert_eq!(
            invs[0].chart,
            ChartArg::Unresolved("./charts/{{ .name }}".into())
        );
        assert_eq!(invs[0].atomic.value(), Some(true));
        let Setting::Unknown { because, span } = &invs[0].timeout else {
            panic!("timeout is templated: {:?}", invs[0].timeout)
        };
        assert!(because.contains("{{ .Values.timeout }}"), "{because}");
        assert_eq!(span.line, 5);
    }
}
