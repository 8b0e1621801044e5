//! GitLab CI: jobs are the top-level mappings that are not global keywords. Understood here:
//! `include:` of local files (templates and jobs from the same repository), `extends` (GitLab
//! deep-merges mappings and replaces lists; the file that gives a job its script is the file
//! findings point into), `!reference [.job, key]` in script lists, `default:` before/after
//! scripts, and `variables:` globally and per job. Anchors and merge keys are expanded by the
//! YAML reader.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Invocation;
use super::embed::{Script, add_env, parse_yaml, script_nodes};
use super::helm_args::invocations;
use super::referenced::ReferencedFiles;
use super::throwaway::job_cluster;
use crate::shell::{Dialect, Env};
use source::SourceFile;
use source::yaml::{Kind, Node};

/// Keys of the top level that are not jobs.
const GLOBAL_KEYS: &[&str] = &[
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
    "spec",
];

const SCRIPT_KEYS: [&str; 3] = ["before_script", "script", "after_script"];

/// `extends` chains longer than this are cut (GitLab allows 11 levels).
const MAX_EXTENDS: usize = 11;

/// One file of the configuration: the main file or a local include.
struct Source {
    file: Arc<SourceFile>,
    root: Node,
}

/// A job (or template) with, for each top-level key, the source that gave it.
struct Job {
    node: Node,
    origin: BTreeMap<String, usize>,
}

pub fn load(file: &Arc<SourceFile>) -> Result<Vec<Invocation>, String> {
    let docs = parse_yaml(file)?;
    // A file with a `spec:` header holds it in its own document; the jobs are in the last one.
    let Some(root) = docs.last() else {
        return Ok(Vec::new());
    };
    let mut sources = Vec::new();
    local_includes(file, root, &mut sources);
    // The including file comes last: its keys win over the included ones.
    sources.push(Source {
        file: file.clone(),
        root: root.clone(),
    });
    let mut env = Env::new();
    for source in &sources {
        add_env(&mut env, source.root.get("variables"), Dialect::Shell);
    }
    let registry = registry(&sources);
    let default = registry.get("default").copied();
    let mut out = Vec::new();
    // Jobs in file order: the including file's first, then the included ones'.
    let in_order = sources
        .iter()
        .enumerate()
        .rev()
        .flat_map(|(index, source)| {
            source
                .root
                .as_map()
                .unwrap_or(&[])
                .iter()
                .filter_map(move |(k, node)| Some((index, k.as_str()?, node)))
        });
    for (index, name, node) in in_order {
        let defined_here = registry
            .get(name)
            .is_some_and(|(i, n)| *i == index && std::ptr::eq(*n, node));
        if !defined_here
            || GLOBAL_KEYS.contains(&name)
            || name.starts_with('.')
            || node.as_map().is_none()
        {
            continue;
        }
        let job = resolve_extends(&registry, index, node, 0);
        let before = out.len();
        let mut job_env = env.clone();
        add_env(&mut job_env, job.node.get("variables"), Dialect::Shell);
        for key in SCRIPT_KEYS {
            let (source, value) = match (job.node.get(key), default) {
                (Some(value), _) => (job.origin.get(key).copied().unwrap_or(index), value),
                (None, Some((d, default))) if key != "script" => match default.get(key) {
                    Some(value) => (d, value),
                    None => continue,
                },
                _ => continue,
            };
            for (s, line) in script_lines(&registry, source, value) {
                let place = format!("job `{name}`");
                if let Some(script) =
                    Script::in_yaml(&sources[s].file, line, Dialect::Shell, &job_env, place)
                {
                    out.extend(invocations(&script));
                }
            }
        }
        if job.node.get("when").and_then(Node::as_str) == Some("on_failure") {
            for inv in &mut out[before..] {
                inv.on_failure = true;
            }
        }
        if out.len() > before
            && let Some(cluster) = job_cluster(&job.node, &SCRIPT_KEYS, Dialect::Shell)
        {
            let why = format!("job `{name}` creates its cluster with {cluster}");
            for inv in &mut out[before..] {
                inv.throwaway_cluster = Some(why.clone());
            }
        }
    }
    Ok(out)
}

/// Every top-level entry by name, later sources overriding earlier ones.
fn registry(sources: &[Source]) -> BTreeMap<String, (usize, &Node)> {
    let mut jobs = BTreeMap::new();
    for (index, source) in sources.iter().enumerate() {
        for (key, value) in source.root.as_map().unwrap_or(&[]) {
            if let Some(name) = key.as_str() {
                jobs.insert(name.to_string(), (index, value));
            }
        }
    }
    jobs
}

/// The lines of a script value, following `!reference [.job, key]` (a nested list of names).
fn script_lines<'a>(
    registry: &BTreeMap<String, (usize, &'a Node)>,
    source: usize,
    value: &'a Node,
) -> Vec<(usize, &'a Node)> {
    let mut lines = Vec::new();
    let items: &[Node] = match &value.kind {
        Kind::Seq(items) => items,
        _ => std::slice::from_ref(value),
    };
    for item in items {
        let reference: Option<Vec<&str>> = item
            .as_seq()
            .map(|parts| parts.iter().filter_map(Node::as_str).collect());
        match reference {
            Some(path) if path.len() >= 2 && registry.contains_key(path[0]) => {
                let (s, job) = registry[path[0]];
                if let Some(target) = job.path(&path[1..]) {
                    lines.extend(script_nodes(target).into_iter().map(|n| (s, n)));
                }
            }
            _ => lines.extend(script_nodes(item).into_iter().map(|n| (source, n))),
        }
    }
    lines
}

/// The job with the templates it `extends` merged under it.
fn resolve_extends(
    registry: &BTreeMap<String, (usize, &Node)>,
    index: usize,
    job: &Node,
    depth: usize,
) -> Job {
    let own = Job {
        node: job.clone(),
        origin: job
            .as_map()
            .unwrap_or(&[])
            .iter()
            .filter_map(|(k, _)| Some((k.as_str()?.to_string(), index)))
            .collect(),
    };
    let parents: Vec<&str> = match job.get("extends") {
        Some(n) => match &n.kind {
            Kind::Scalar(_) => n.as_str().into_iter().collect(),
            Kind::Seq(items) => items.iter().filter_map(Node::as_str).collect(),
            Kind::Map(_) => Vec::new(),
        },
        None => Vec::new(),
    };
    if depth >= MAX_EXTENDS {
        return own;
    }
    let mut merged: Option<Job> = None;
    for parent in parents {
        let Some(&(i, base)) = registry.get(parent) else {
            continue;
        };
        let base = resolve_extends(registry, i, base, depth + 1);
        merged = Some(match merged {
            Some(m) => merge(m, base),
            None => base,
        });
    }
    match merged {
        Some(base) => merge(base, own),
        None => own,
    }
}

fn merge(base: Job, over: Job) -> Job {
    let mut origin = base.origin;
    origin.extend(over.origin);
    Job {
        node: deep_merge(&base.node, &over.node),
        origin,
    }
}

/// `over` on top of `base`: mappings merge key by key, anything else is replaced.
fn deep_merge(base: &Node, over: &Node) -> Node {
    let (Some(b), Some(o)) = (base.as_map(), over.as_map()) else {
        return over.clone();
    };
    let mut entries: Vec<(Node, Node)> = Vec::new();
    for (k, v) in b {
        let key = k.as_str();
        match o.iter().find(|(ok, _)| ok.as_str() == key) {
            Some((ok, ov)) => entries.push((ok.clone(), deep_merge(v, ov))),
            None => entries.push((k.clone(), v.clone())),
        }
    }
    for (k, v) in o {
        if !b.iter().any(|(bk, _)| bk.as_str() == k.as_str()) {
            entries.push((k.clone(), v.clone()));
        }
    }
    Node {
        kind: Kind::Map(entries),
        span: over.span,
    }
}

/// `include: local` files (also the short form `include: path.yml` and nested includes), read
/// from the repository, included files first. Remote, project and template includes are not
/// available offline and are left out; so are files outside the repository or unreadable.
fn local_includes(file: &Arc<SourceFile>, root: &Node, out: &mut Vec<Source>) {
    if let Some(mut files) = ReferencedFiles::around(file) {
        include_from(&mut files, file, root, out);
    }
}

fn include_from(
    files: &mut ReferencedFiles,
    from: &SourceFile,
    root: &Node,
    out: &mut Vec<Source>,
) {
    let entries: &[Node] = match root.get("include") {
        Some(n) => n.as_seq().unwrap_or(std::slice::from_ref(n)),
        None => return,
    };
    for entry in entries {
        let local = match &entry.kind {
            Kind::Scalar(_) => entry.as_str(),
            _ => entry.str_at(&["local"]),
        };
        let Some(file) = local.and_then(|path| files.read(from, path)) else {
            continue;
        };
        let Some(included) = parse_yaml(&file).ok().and_then(|mut d| d.pop()) else {
            continue;
        };
        include_from(files, &file, &included, out);
        out.push(Source {
            file,
            root: included,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extends_merges_scripts_and_variables() {
        let text = "variables:\n  CHART: charts/app\n.deploy:\n  variables:\n    HELM_MAX_HISTORY: \"3\"\n  script:\n    - helm upgrade app $CHART --atomic\nproduction:\n  extends: .deploy\n  variables:\n    EXTRA: x\n";
        let invs = load(&SourceFile::new(".gitlab-ci.yml", text)).unwrap_or_default();
        assert_eq!(invs.len(), 1);
        assert_eq!(invs[0].place, "job `production`");
        assert_eq!(invs[0].history_max.value(), Some(3));
        assert_eq!(invs[0].span.line, 7);
    }

    #[test]
    fn references_and_default_scripts() {
        let text = "default:\n  before_script:\n    - helm upgrade pre ./p --atomic\n.common:\n  deploy:\n    - helm upgrade app ./charts/app --wait\nship:\n  script:\n    - echo go\n    - !reference [.common, deploy]\n";
        let invs = load(&SourceFile::new(".gitlab-ci.yml", text)).unwrap_or_default();
        let releases: Vec<_> = invs.iter().filter_map(|i| i.release.as_deref()).collect();
        assert_eq!(releases, ["pre", "app"]);
        assert_eq!(invs[1].span.line, 6);
    }
}
