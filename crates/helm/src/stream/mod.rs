//! The `helm template` stream of a rendered release as Helm's manifest sorter leaves it
//! (`releaseutil.SortManifests`): templates by path, each cut into documents as Helm cuts them
//! ([`split_manifests`]), then a stable sort by kind in Helm's install order
//! (`releaseutil.InstallOrder`); hooks after the resources, sorted the same way (never by
//! weight), hooks for events Helm does not know dropped with Helm's warning. Each document is
//! printed under its `# Source:` line; with provenance, every stretch remembers the template
//! line that wrote it.

mod manifests;
mod split;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::chart::{LoadedRelease, RenderChart, glob_match};
use crate::engine::Rendered;

pub use manifests::split_manifests;
use source::{Provenance, SourceFile, line_starts};
pub use split::{Chunk, split};

/// Every template's text as a source file named by where it is on disk
/// (`charts/app/templates/x.yaml` for the template `app/templates/x.yaml` of `charts/app`).
pub fn template_sources(loaded: &LoadedRelease, shown: &str) -> HashMap<String, Arc<SourceFile>> {
    loaded
        .parse_order()
        .into_iter()
        .map(|(_, t)| {
            let rest = t.path.split_once('/').map_or(t.path.as_str(), |(_, r)| r);
            let name = format!("{}/{rest}", shown.trim_end_matches('/'));
            (t.path.clone(), SourceFile::new(name, t.text.clone()))
        })
        .collect()
}

/// One document of a template's output.
struct Doc<'a> {
    path: &'a str,
    rendered: &'a Rendered,
    /// Byte range of the document in the template's output (leading white space cut, the
    /// trailing kept, as Helm v4.2 does).
    start: usize,
    end: usize,
    kind: &'a str,
    /// The hook events it declares (`helm.sh/hook`), if it is a hook: looked up once, the
    /// search goes through the whole document.
    events: Option<&'a str>,
}

/// What `helm template` prints besides the resources.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Hooks after the resources (not `--no-hooks`).
    pub hooks: bool,
    /// `--skip-tests`: no `test` hooks.
    pub skip_tests: bool,
    /// `--include-crds`: the charts' `crds/` files, from [`crds`], before the resources.
    pub crds: Vec<(String, String)>,
}

/// The `crds/` files (`.yaml`, `.yml`, `.json`) of the chart and its enabled subcharts, named
/// as Helm names them (`chart/charts/sub/crds/x.yaml`), in Helm's order (`Chart.CRDObjects`).
pub fn crds(loaded: &LoadedRelease) -> Vec<(String, String)> {
    fn walk(chart: &RenderChart, out: &mut Vec<(String, String)>) {
        for file in chart.files.iter() {
            let manifest = [".yaml", ".yml", ".json"]
                .iter()
                .any(|x| file.name.ends_with(x));
            if file.name.starts_with("crds/") && manifest {
                let name = format!("{}/{}", chart.full_path, file.name);
                out.push((name, String::from_utf8_lossy(&file.data).into_owned()));
            }
        }
        for sub in &chart.subcharts {
            walk(sub, out);
        }
    }
    let mut out = Vec::new();
    walk(&loaded.root, &mut out);
    out
}

/// The documents of the release in `helm template`'s order (resources, then hooks unless
/// `include_hooks` is false), and Helm's warnings about what it left out.
fn ordered_docs(
    rendered: &BTreeMap<String, Rendered>,
    include_hooks: bool,
) -> (Vec<Doc<'_>>, Vec<String>) {
    let mut resources = Vec::new();
    let mut hooks = Vec::new();
    let mut warnings = Vec::new();
    // By path, as Go sorts strings (bytes), which is the map's order.
    for (path, r) in rendered {
        if path.ends_with("/NOTES.txt") || r.text.trim().is_empty() {
            continue;
        }
        for (start, end) in split_manifests(&r.text) {
            let content = &r.text[start..end];
            let events = hook_events(content);
            let doc = Doc {
                path,
                rendered: r,
                start,
                end,
                kind: kind_of(content),
                events,
            };
            match events {
                None => resources.push(doc),
                Some(events) if events.split(',').all(known_hook_event) => hooks.push(doc),
                Some(events) => warnings.push(format!(
                    "{} hookTypes={}",
                    crate::slog::info("skipping unknown hooks"),
                    crate::slog::value(events)
                )),
            }
        }
    }
    // Stable sorts: documents of one kind keep their order.
    resources.sort_by(|a, b| install_rank(a.kind).cmp(&install_rank(b.kind)));
    hooks.sort_by(|a, b| install_rank(a.kind).cmp(&install_rank(b.kind)));
    if include_hooks {
        resources.append(&mut hooks);
    }
    (resources, warnings)
}

/// Appends one document as `helm template` prints it (and `--output-dir` writes it); returns
/// where its text starts.
pub fn push_doc(out: &mut String, name: &str, text: &str) -> usize {
    out.push_str("---\n# Source: ");
    out.push_str(name);
    out.push('\n');
    let base = out.len();
    out.push_str(text);
    out.push('\n');
    base
}

/// What `helm template` prints on standard output, and the warnings it prints on standard
/// error.
pub struct Stream {
    pub text: String,
    pub warnings: Vec<String>,
}

/// One document of `helm template`'s output: the file it comes from (its `# Source:` path,
/// where `--output-dir` writes it) and its text.
pub struct Entry<'a> {
    pub name: &'a str,
    pub text: &'a str,
    pub hook: bool,
}

/// What `helm template` prints, document by document in its order (the `crds/` files, the
/// resources, the hooks), and the warnings it prints on standard error.
pub fn entries<'a>(
    rendered: &'a BTreeMap<String, Rendered>,
    options: &'a Options,
) -> (Vec<Entry<'a>>, Vec<String>) {
    let (mut docs, warnings) = ordered_docs(rendered, options.hooks);
    if options.skip_tests {
        docs.retain(|d| !d.events.is_some_and(is_test_hook));
    }
    let crds = options.crds.iter().map(|(name, text)| Entry {
        name,
        text,
        hook: false,
    });
    let docs = docs.into_iter().map(|d| Entry {
        name: d.path,
        text: d.content(),
        hook: d.events.is_some(),
    });
    (crds.chain(docs).collect(), warnings)
}

/// The `helm template` stream alone, for `rollguard render`.
pub fn text(rendered: &BTreeMap<String, Rendered>, options: &Options) -> Stream {
    let (entries, warnings) = entries(rendered, options);
    Stream {
        text: join(&entries),
        warnings,
    }
}

/// The stream `helm template` prints for [`entries`]: the release manifest trimmed and a
/// newline, then the hooks.
pub fn join(entries: &[Entry<'_>]) -> String {
    let size: usize = entries
        .iter()
        .map(|e| e.name.len() + e.text.len() + 16)
        .sum();
    let mut text = String::with_capacity(size);
    let mut hooks_at = None;
    for entry in entries {
        if hooks_at.is_none() && entry.hook {
            hooks_at = Some(text.len());
        }
        push_doc(&mut text, entry.name, entry.text);
    }
    let hooks = hooks_at.map_or(String::new(), |at| text.split_off(at));
    // Trimmed in place: the release manifest is most of the output, and a copy of it costs
    // as much as writing it (a CRD chart prints megabytes).
    text.truncate(text.trim_end_matches(is_space).len());
    let lead = text.len() - text.trim_start_matches(is_space).len();
    text.drain(..lead);
    text.push('\n');
    text.push_str(&hooks);
    text
}

impl<'a> Doc<'a> {
    fn content(&self) -> &'a str {
        &self.rendered.text[self.start..self.end]
    }
}

/// A hook `helm template --skip-tests` leaves out (Helm's `HookTest`).
fn is_test_hook(events: &str) -> bool {
    events
        .split(',')
        .any(|e| matches!(e.trim().to_lowercase().as_str(), "test" | "test-success"))
}

/// `helm template --show-only`: the documents of `stream` (cut as Helm cuts manifests) whose
/// `# Source:` path without the chart name matches a glob (Go's `filepath.Match`), glob by
/// glob, each printed after `---`; Helm's error for a glob that matches nothing.
pub fn show_only(stream: &str, globs: &[String]) -> Result<String, String> {
    let docs: Vec<&str> = split_manifests(stream)
        .into_iter()
        .map(|(s, e)| &stream[s..e])
        .collect();
    let mut out = String::new();
    for glob in globs {
        let mut missing = true;
        for doc in &docs {
            if source_path(doc).is_some_and(|path| glob_match(glob, path)) {
                out.push_str("---\n");
                out.push_str(doc);
                out.push('\n');
                missing = false;
            }
        }
        if missing {
            return Err(format!("could not find template {glob} in chart"));
        }
    }
    Ok(out)
}

/// The path after the chart name on a document's first `# Source:` line (regex
/// `# Source: [^/]+/(.+)`).
fn source_path(doc: &str) -> Option<&str> {
    memchr::memmem::find_iter(doc.as_bytes(), "# Source: ").find_map(|at| {
        let rest = &doc[at + "# Source: ".len()..];
        let slash = rest.find('/').filter(|&i| i > 0)?;
        let path = rest[slash + 1..].split('\n').next()?;
        (!path.is_empty()).then_some(path)
    })
}

/// The `helm template` stream with its provenance back to the templates (`sources` from
/// [`template_sources`]); `shown` names the chart in the stream's name.
pub fn with_sources(
    rendered: &BTreeMap<String, Rendered>,
    sources: &HashMap<String, Arc<SourceFile>>,
    shown: &str,
    include_hooks: bool,
) -> Arc<SourceFile> {
    let mut text = String::new();
    let mut provenance = Vec::new();
    for doc in ordered_docs(rendered, include_hooks).0 {
        let base = push_doc(&mut text, doc.path, doc.content());
        let Some(source) = sources.get(doc.path) else {
            continue;
        };
        let segments = &doc.rendered.segments;
        // The segment in force where the document starts, then every one inside it.
        let first = segments
            .partition_point(|s| s.offset <= doc.start)
            .saturating_sub(1);
        for seg in segments[first..].iter().take_while(|s| s.offset < doc.end) {
            let file = sources.get(&*seg.file).unwrap_or(source);
            provenance.push(Provenance {
                offset: base + seg.offset.saturating_sub(doc.start),
                file: file.clone(),
                line: seg.line as u32,
                col: seg.column as u32,
            });
        }
    }
    SourceFile::rendered(format!("{shown} (rendered)"), text, provenance)
}

/// `kind:` at the start of a line (regex `(?m)^kind:\s*["']?([A-Za-z0-9]+)`, the value may
/// even follow on the next line); empty when there is none.
fn kind_of(doc: &str) -> &str {
    line_starts(doc)
        .filter_map(|at| doc[at..].strip_prefix("kind:"))
        .find_map(|rest| {
            let rest = rest.trim_start_matches(is_space);
            let rest = rest.strip_prefix(['"', '\'']).unwrap_or(rest);
            let len = rest.bytes().take_while(u8::is_ascii_alphanumeric).count();
            (len > 0).then(|| &rest[..len])
        })
        .unwrap_or_default()
}

/// The events of a hook document (the value of its `helm.sh/hook` annotation, unquoted);
/// `None` for a resource.
fn hook_events(doc: &str) -> Option<&str> {
    let rest = indented_key(doc, "helm.sh/hook").next()?;
    let value = rest
        .split('\n')
        .next()
        .unwrap_or_default()
        .trim_matches(is_space);
    let value = value
        .split(" #")
        .next()
        .unwrap_or_default()
        .trim_end_matches(is_space);
    Some(
        value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value),
    )
}

/// The hook events Helm knows (`release.HookEvent`; `test-success` from Helm 2).
fn known_hook_event(event: &str) -> bool {
    const EVENTS: &[&str] = &[
        "pre-install",
        "post-install",
        "pre-delete",
        "post-delete",
        "pre-upgrade",
        "post-upgrade",
        "pre-rollback",
        "post-rollback",
        "test",
        "test-success",
    ];
    EVENTS.contains(&event.trim().to_lowercase().as_str())
}

/// Go's and the regex crate's ASCII `\s`.
fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\x0B' | '\x0C' | '\r')
}

/// The text after each `key:` that is indented on its line, the key perhaps quoted (regex
/// `(?m)^\s+["']?KEY["']?\s*:`, whose `\s+` may also span blank lines).
fn indented_key<'a>(doc: &'a str, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    memchr::memmem::find_iter(doc.as_bytes(), key.as_bytes()).filter_map(move |at| {
        let before = &doc[..at];
        let before = before.strip_suffix(['"', '\'']).unwrap_or(before);
        let indent = before.len() - before.trim_end_matches(is_space).len();
        let run_start = before.len() - indent;
        // `^` then at least one `\s`: the run starts the text, or holds a line break that is
        // not its last character.
        let at_line_start =
            indent > 0 && (run_start == 0 || before[run_start..before.len() - 1].contains('\n'));
        let rest = &doc[at + key.len()..];
        let rest = rest.strip_prefix(['"', '\'']).unwrap_or(rest);
        let rest = rest.trim_start_matches(is_space).strip_prefix(':')?;
        at_line_start.then_some(rest)
    })
}

/// Helm's install order (`releaseutil.InstallOrder`); unknown kinds come last, by name.
fn install_rank(kind: &str) -> (usize, &str) {
    const ORDER: &[&str] = &[
        "PriorityClass",
        "Namespace",
        "NetworkPolicy",
        "ResourceQuota",
        "LimitRange",
        "PodSecurityPolicy",
        "PodDisruptionBudget",
        "ServiceAccount",
        "Secret",
        "SecretList",
        "ConfigMap",
        "StorageClass",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleList",
        "ClusterRoleBinding",
        "ClusterRoleBindingList",
        "Role",
        "RoleList",
        "RoleBinding",
        "RoleBindingList",
        "Service",
        "DaemonSet",
        "Pod",
        "ReplicationController",
        "ReplicaSet",
        "Deployment",
        "HorizontalPodAutoscaler",
        "StatefulSet",
        "Job",
        "CronJob",
        "IngressClass",
        "Ingress",
        "APIService",
        "MutatingWebhookConfiguration",
        "ValidatingWebhookConfiguration",
    ];
    match ORDER.iter().position(|k| *k == kind) {
        Some(i) => (i, ""),
        None => (ORDER.len(), kind),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex::Regex;

    /// Texts built from the pieces the scanners look for, in any order.
    fn pieces() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            "kind:",
            "kind",
            " ",
            "\n",
            "\t",
            "\"",
            "'",
            "Deployment",
            "9",
            "-",
            "x",
            ":",
            "helm.sh/hook",
            "helm.sh/hook-weight",
            "é",
            "\u{a0}",
            "#",
        ]);
        prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    proptest! {
        /// The hand-written scanners find what the regexes they replace find.
        #[test]
        fn scanners_match_their_regexes(doc in pieces()) {
            let kind = Regex::new(r#"(?m-u)^kind:\s*["']?([A-Za-z0-9]+)"#).unwrap();
            let hook = Regex::new(r#"(?m-u)^\s+["']?helm\.sh/hook["']?\s*:"#).unwrap();
            let want_kind = kind.captures(&doc).map_or("", |c| c.get(1).unwrap().as_str());
            prop_assert_eq!(kind_of(&doc), want_kind);
            prop_assert_eq!(hook_events(&doc).is_some(), hook.is_match(&doc));
        }
    }

    #[test]
    fn reads_kind_and_hooks() {
        let doc = "apiVersion: batch/v1\nkind: \"Job\"\nmetadata:\n  annotations:\n    \"helm.sh/hook\": pre-upgrade\n    helm.sh/hook-weight: \"-5\"\n";
        assert_eq!(kind_of(doc), "Job");
        assert_eq!(hook_events(doc), Some("pre-upgrade"));
        assert_eq!(hook_events("kind: Job\nmetadata: {}\n"), None);
        let unknown = "kind: CustomResourceDefinition\nmetadata:\n  annotations:\n    \"helm.sh/hook\": \"crd-install\" # Helm 2\n";
        assert_eq!(hook_events(unknown), Some("crd-install"));
        assert!(!known_hook_event("crd-install") && known_hook_event(" Pre-Install"));
    }
}
