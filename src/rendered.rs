//! A chart rendered by rollguard itself, as `helm template` would print it: the manifest stream
//! (documents sorted in Helm's install order, `# Source:` lines, hooks after the resources)
//! whose every stretch remembers the template line that wrote it.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, OnceLock};

use regex::Regex;

use crate::chart::{LoadedRelease, ValueOptions};
use crate::error::{InputError, Result};
use crate::render::chart::Rendered;
use crate::render::release::{ReleaseOptions, render_release};
use crate::source::{Provenance, SourceFile};
use crate::yaml::{Origin, Span, parse_single};

/// Everything `check` and `render` need from one chart.
pub struct RenderedChart {
    pub name: String,
    pub version: String,
    /// Raw engine output per template path (NOTES.txt and blank outputs included), as
    /// `helm-render --json` prints it.
    pub outputs: BTreeMap<String, String>,
    /// The `helm template` stream, with provenance back to the templates.
    pub stream: Arc<SourceFile>,
    /// `Chart.yaml`'s `kubeVersion` constraint and where it is written.
    pub kube_constraint: Option<(String, Arc<SourceFile>, Span)>,
    /// Template lines that call `lookup` (live cluster state).
    pub lookups: Vec<(Arc<SourceFile>, Span)>,
}

/// Loads and renders `path` (a chart directory or `.tgz`).
pub fn render_path(
    path: &Path,
    values: &ValueOptions,
    options: &ReleaseOptions,
    include_hooks: bool,
) -> Result<RenderedChart> {
    let loaded = crate::chart::load(path, values)?;
    render_loaded(&loaded, &path.display().to_string(), options, include_hooks)
}

/// Renders a loaded chart; `shown` is how the chart's location is written in reports.
pub fn render_loaded(
    loaded: &LoadedRelease,
    shown: &str,
    options: &ReleaseOptions,
    include_hooks: bool,
) -> Result<RenderedChart> {
    let rendered = render_release(loaded, options).map_err(|e| {
        InputError::in_path(shown, format!("rendering failed: {}", e.helm_message()))
    })?;
    let sources = template_sources(loaded, shown);
    let stream = assemble(&rendered, &sources, shown, include_hooks);
    let root = &loaded.root;
    Ok(RenderedChart {
        name: root.name.clone(),
        version: root.metadata.version.clone(),
        outputs: rendered.into_iter().map(|(k, r)| (k, r.text)).collect(),
        stream,
        kube_constraint: kube_constraint(loaded, shown),
        lookups: lookups(&sources),
    })
}

/// Every template's text as a source file named by where it is on disk
/// (`charts/app/templates/x.yaml` for the template `app/templates/x.yaml` of `charts/app`).
fn template_sources(loaded: &LoadedRelease, shown: &str) -> HashMap<String, Arc<SourceFile>> {
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
    kind: String,
    hook_weight: Option<i64>,
}

fn assemble(
    rendered: &BTreeMap<String, Rendered>,
    sources: &HashMap<String, Arc<SourceFile>>,
    shown: &str,
    include_hooks: bool,
) -> Arc<SourceFile> {
    let mut docs = Vec::new();
    for (path, r) in rendered {
        if path.ends_with("/NOTES.txt") {
            continue;
        }
        for chunk in crate::manifest::split_documents(&r.text) {
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
        install_rank(&a.kind)
            .cmp(&install_rank(&b.kind))
            .then(a.path.cmp(b.path))
    });
    hooks.sort_by_key(|d| (d.hook_weight, d.path));
    if !include_hooks {
        hooks.clear();
    }
    let mut text = String::new();
    let mut provenance = Vec::new();
    for doc in resources.iter().chain(&hooks) {
        text.push_str(&format!("---\n# Source: {}\n", doc.path));
        let base = text.len();
        text.push_str(&doc.rendered.text[doc.start..doc.end]);
        text.push('\n');
        let Some(source) = sources.get(doc.path) else {
            continue;
        };
        let segments = &doc.rendered.segments;
        // The segment in force where the document starts, then every one inside it.
        let first = segments
            .partition_point(|s| s.offset <= doc.start)
            .saturating_sub(1);
        for seg in segments[first..].iter().take_while(|s| s.offset < doc.end) {
            let file = sources.get(&seg.file).unwrap_or(source);
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

fn kind_of(doc: &str) -> String {
    static KIND: OnceLock<Regex> = OnceLock::new();
    let re = KIND.get_or_init(|| {
        Regex::new(r#"(?m-u)^kind:\s*["']?([A-Za-z0-9]+)"#).expect("a valid constant regex")
    });
    re.captures(doc)
        .map(|c| c[1].to_string())
        .unwrap_or_default()
}

/// `Some(weight)` for a hook document (Helm's `helm.sh/hook` annotation).
fn hook_weight(doc: &str) -> Option<i64> {
    static HOOK: OnceLock<Regex> = OnceLock::new();
    static WEIGHT: OnceLock<Regex> = OnceLock::new();
    let hook = HOOK.get_or_init(|| {
        Regex::new(r#"(?m-u)^\s+["']?helm\.sh/hook["']?\s*:"#).expect("a valid constant regex")
    });
    let weight = WEIGHT.get_or_init(|| {
        Regex::new(r#"(?m-u)^\s+["']?helm\.sh/hook-weight["']?\s*:\s*["']?(-?\d+)"#)
            .expect("a valid constant regex")
    });
    hook.is_match(doc).then(|| {
        weight
            .captures(doc)
            .and_then(|c| c[1].parse().ok())
            .unwrap_or(0)
    })
}

/// Helm's install order (`releaseutil.InstallOrder`); unknown kinds come last, by name.
fn install_rank(kind: &str) -> (usize, String) {
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
        Some(i) => (i, String::new()),
        None => (ORDER.len(), kind.to_string()),
    }
}

fn kube_constraint(loaded: &LoadedRelease, shown: &str) -> Option<(String, Arc<SourceFile>, Span)> {
    let constraint = loaded.root.metadata.kube_version.trim();
    if constraint.is_empty() {
        return None;
    }
    let path = Path::new(shown).join("Chart.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let file = SourceFile::new(path.display().to_string(), text);
    let span = parse_single(&file.text, Origin::default())
        .ok()
        .flatten()
        .and_then(|root| root.entry("kubeVersion").map(|(k, _)| k.span))
        .unwrap_or_default();
    Some((constraint.to_string(), file, span))
}

/// Actions that call `lookup`, in every template the release parses (helpers included).
fn lookups(sources: &HashMap<String, Arc<SourceFile>>) -> Vec<(Arc<SourceFile>, Span)> {
    static LOOKUP: OnceLock<Regex> = OnceLock::new();
    let re =
        LOOKUP.get_or_init(|| Regex::new(r"\{\{[^}]*?\blookup\s").expect("a valid constant regex"));
    let mut found = Vec::new();
    let mut files: Vec<&Arc<SourceFile>> = sources.values().collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    for file in files {
        for m in re.find_iter(&file.text) {
            let before = &file.text[..m.start()];
            let line = before.matches('\n').count() as u32 + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
            found.push((
                file.clone(),
                Span {
                    start: m.start(),
                    end: m.end(),
                    line,
                    col,
                },
            ));
        }
    }
    found
}
