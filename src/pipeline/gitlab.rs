//! GitLab CI: jobs are the top-level mappings with a script; `extends` is merged here (GitLab
//! deep-merges mappings and replaces lists), anchors and merge keys already by the YAML reader;
//! `variables:` apply globally and per job, `default:` gives before/after scripts.

use std::sync::Arc;

use super::Invocation;
use super::ci_yaml::{Place, Shape, walk};
use super::embed::{add_env, parse_yaml};
use super::shell::{Dialect, Env};
use crate::source::SourceFile;
use crate::yaml::{Kind, Node};

const SHAPE: Shape = Shape {
    scripts: &["before_script", "script", "after_script"],
    env: &["variables"],
    groups: &[],
    job_names: &[],
    unit: "job",
    skip: &[],
    task: None,
    dialect: Dialect::Shell,
};

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

/// `extends` chains longer than this are cut (GitLab allows 11 levels).
const MAX_EXTENDS: usize = 11;

pub fn load(file: &Arc<SourceFile>) -> Result<Vec<Invocation>, String> {
    let docs = parse_yaml(file)?;
    let mut out = Vec::new();
    // A file with a `spec:` header holds it in its own document; the jobs are in the last one.
    let Some(root) = docs.last() else {
        return Ok(out);
    };
    let mut env = Env::new();
    add_env(&mut env, root.get("variables"));
    let default = root.get("default");
    for (key, job) in root.as_map().unwrap_or(&[]) {
        let Some(name) = key.as_str() else { continue };
        if GLOBAL_KEYS.contains(&name) || name.starts_with('.') || job.as_map().is_none() {
            continue;
        }
        let job = resolve_extends(root, job, 0);
        let job = with_defaults(&job, default);
        let place = Place {
            unit: "job",
            job: Some(name.to_string()),
            step: None,
        };
        walk(file, &job, &SHAPE, &env, &place, &mut out);
    }
    Ok(out)
}

/// The job with the templates it `extends` merged under it.
fn resolve_extends(root: &Node, job: &Node, depth: usize) -> Node {
    let parents: Vec<&str> = match job.get("extends") {
        Some(n) => match &n.kind {
            Kind::Scalar(_) => n.as_str().into_iter().collect(),
            Kind::Seq(items) => items.iter().filter_map(Node::as_str).collect(),
            Kind::Map(_) => Vec::new(),
        },
        None => Vec::new(),
    };
    if depth >= MAX_EXTENDS {
        return job.clone();
    }
    let mut merged: Option<Node> = None;
    for parent in parents {
        let Some(base) = root.get(parent) else {
            continue;
        };
        let base = resolve_extends(root, base, depth + 1);
        merged = Some(match merged {
            Some(m) => deep_merge(&m, &base),
            None => base,
        });
    }
    match merged {
        Some(base) => deep_merge(&base, job),
        None => job.clone(),
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

/// `default: before_script/after_script` for jobs that do not set their own.
fn with_defaults(job: &Node, default: Option<&Node>) -> Node {
    let Some(default) = default else {
        return job.clone();
    };
    let mut entries = job.as_map().unwrap_or(&[]).to_vec();
    for key in ["before_script", "after_script"] {
        if job.get(key).is_none()
            && let Some(entry) = default.entry(key)
        {
            entries.push((entry.0.clone(), entry.1.clone()));
        }
    }
    Node {
        kind: Kind::Map(entries),
        span: job.span,
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
}
