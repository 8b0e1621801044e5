//! The `helm template` stream of a rendered release: documents sorted in Helm's install order
//! (`releaseutil.InstallOrder`), hooks after the resources by weight, each under its
//! `# Source:` line; with provenance, every stretch remembers the template line that wrote it.

mod split;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use crate::chart::LoadedRelease;
use crate::engine::Rendered;

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
    /// Byte range of the trimmed document in the template's output.
    start: usize,
    end: usize,
    kind: &'a str,
    hook_weight: Option<i64>,
}

/// The documents of the release in `helm template`'s order: resources by install order, then
/// hooks by weight (dropped unless `include_hooks`).
fn ordered_docs(rendered: &BTreeMap<String, Rendered>, include_hooks: bool) -> Vec<Doc<'_>> {
    let mut docs = Vec::new();
    for (path, r) in rendered {
        if path.ends_with("/NOTES.txt") {
            continue;
        }
        for chunk in split(&r.text) {
            let lead = chunk.text.len() - chunk.text.trim_start().len();
            let content = chunk.text.trim();
            if content.is_empty() || content.lines().all(|l| l.trim_start().starts_with('#')) {
                continue;
            }
            let start = chunk.offset + lead;
            docs.push(Doc {
                path,
                rendered: r,
                start,
                end: start + content.len(),
                kind: kind_of(content),
                hook_weight: hook_weight(content),
            });
        }
    }
    let (mut hooks, mut resources): (Vec<Doc>, Vec<Doc>) =
        docs.into_iter().partition(|d| d.hook_weight.is_some());
    // Stable sorts: documents of one template keep their order.
    resources.sort_by(|a, b| {
        install_rank(a.kind)
            .cmp(&install_rank(b.kind))
            .then(a.path.cmp(b.path))
    });
    hooks.sort_by_key(|d| (d.hook_weight, d.path));
    if include_hooks {
        resources.append(&mut hooks);
    }
    resources
}

/// Appends one document as `helm template` prints it; returns where its text starts.
fn push_doc(text: &mut String, doc: &Doc<'_>) -> usize {
    text.push_str("---\n# Source: ");
    text.push_str(doc.path);
    text.push('\n');
    let base = text.len();
    text.push_str(&doc.rendered.text[doc.start..doc.end]);
    text.push('\n');
    base
}

/// The `helm template` stream alone, for `rollguard render`.
pub fn text(rendered: &BTreeMap<String, Rendered>, include_hooks: bool) -> String {
    let docs = ordered_docs(rendered, include_hooks);
    let size = docs
        .iter()
        .map(|d| d.end - d.start + d.path.len() + 16)
        .sum();
    let mut text = String::with_capacity(size);
    for doc in &docs {
        push_doc(&mut text, doc);
    }
    text
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
    for doc in ordered_docs(rendered, include_hooks) {
        let base = push_doc(&mut text, &doc);
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

/// `Some(weight)` for a hook document (Helm's `helm.sh/hook` annotation); the weight is
/// `helm.sh/hook-weight`'s, 0 when absent or not a number.
fn hook_weight(doc: &str) -> Option<i64> {
    indented_key(doc, "helm.sh/hook").next()?;
    let weight = indented_key(doc, "helm.sh/hook-weight").find_map(|rest| {
        let rest = rest.trim_start_matches(is_space);
        let rest = rest.strip_prefix(['"', '\'']).unwrap_or(rest);
        let sign = usize::from(rest.starts_with('-'));
        let digits = rest[sign..].bytes().take_while(u8::is_ascii_digit).count();
        (digits > 0).then(|| rest[..sign + digits].parse().ok())
    });
    Some(weight.flatten().unwrap_or(0))
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
            let weight =
                Regex::new(r#"(?m-u)^\s+["']?helm\.sh/hook-weight["']?\s*:\s*["']?(-?\d+)"#).unwrap();
            let want_kind = kind.captures(&doc).map_or("", |c| c.get(1).unwrap().as_str());
            prop_assert_eq!(kind_of(&doc), want_kind);
            let want_hook = hook.is_match(&doc).then(|| {
                weight.captures(&doc).and_then(|c| c[1].parse().ok()).unwrap_or(0)
            });
            prop_assert_eq!(hook_weight(&doc), want_hook);
        }
    }

    #[test]
    fn reads_kind_and_hooks() {
        let doc = "apiVersion: batch/v1\nkind: \"Job\"\nmetadata:\n  annotations:\n    \"helm.sh/hook\": pre-upgrade\n    helm.sh/hook-weight: \"-5\"\n";
        assert_eq!(kind_of(doc), "Job");
        assert_eq!(hook_weight(doc), Some(-5));
        assert_eq!(hook_weight("kind: Job\nmetadata: {}\n"), None);
    }
}
