//! CI systems whose files are YAML with shell scripts at known keys: GitHub Actions, Azure
//! Pipelines, Bitbucket Pipelines, CircleCI and Tekton (GitLab adds `extends`, see
//! [`super::gitlab`]). One walker serves them all; a [`Shape`] says where each system keeps its
//! scripts, variables and job names.

use std::sync::Arc;

use super::Invocation;
use super::embed::{Script, add_env, expand_value, parse_yaml, script_nodes};
use super::helm_args::{PWD, invocations, join_path};
use super::referenced::ReferencedFiles;
use super::throwaway::job_cluster;
use crate::shell::{Dialect, Env};
use source::SourceFile;
use source::yaml::{Kind, Node};

/// Reads a task step: the file, the step's mapping, its variables and its place.
pub type TaskReader = fn(&Arc<SourceFile>, &Node, &Env, &str) -> Option<Invocation>;

pub struct Shape {
    /// Keys whose value is a script, or a list of script lines, or a mapping with `command`,
    /// `script` or `inline` (CircleCI's `run: {command: …}`).
    pub scripts: &'static [&'static str],
    /// Keys holding variables for everything below them.
    pub env: &'static [&'static str],
    /// Keys whose entries are jobs (or tasks, commands, pipelines) named by their key.
    pub groups: &'static [&'static str],
    /// Keys whose value names the job they sit in (Azure's `job:`, `deployment:`).
    pub job_names: &'static [&'static str],
    /// What the system calls a job, for messages.
    pub unit: &'static str,
    /// Keys that only hold templates, used through YAML aliases (Bitbucket's `definitions`).
    pub skip: &'static [&'static str],
    /// A step that runs helm without a script (Azure's `HelmDeploy` task).
    pub task: Option<TaskReader>,
    /// The key that pulls in a template file from the repository (Azure's `template:`).
    pub template: Option<&'static str>,
    /// Key paths of the working directory scripts below them start in.
    pub workdir: &'static [&'static [&'static str]],
    pub dialect: Dialect,
}

pub const GITHUB: Shape = Shape {
    scripts: &["run"],
    env: &["env"],
    groups: &["jobs"],
    job_names: &[],
    unit: "job",
    skip: &[],
    task: None,
    template: None,
    workdir: &[
        &["working-directory"],
        &["defaults", "run", "working-directory"],
    ],
    dialect: Dialect::GitHub,
};

pub const AZURE: Shape = Shape {
    scripts: &["script", "bash", "pwsh", "powershell"],
    env: &["variables", "env"],
    groups: &[],
    job_names: &["stage", "job", "deployment"],
    unit: "job",
    skip: &[],
    task: Some(super::azure::helm_deploy),
    template: Some("template"),
    workdir: &[&["workingDirectory"], &["inputs", "workingDirectory"]],
    dialect: Dialect::Macro,
};

pub const BITBUCKET: Shape = Shape {
    scripts: &["script", "after-script"],
    env: &[],
    groups: &["branches", "tags", "bookmarks", "pull-requests", "custom"],
    job_names: &[],
    unit: "pipeline",
    skip: &["definitions"],
    task: None,
    template: None,
    workdir: &[],
    dialect: Dialect::Shell,
};

pub const CIRCLECI: Shape = Shape {
    scripts: &["run"],
    env: &["environment"],
    groups: &["jobs", "commands"],
    job_names: &[],
    unit: "job",
    skip: &[],
    task: None,
    template: None,
    workdir: &[],
    dialect: Dialect::CircleCi,
};

pub const TEKTON: Shape = Shape {
    scripts: &["script"],
    env: &["env"],
    groups: &[],
    job_names: &[],
    unit: "task",
    skip: &[],
    task: Some(super::argv::container_step),
    template: None,
    workdir: &[&["workingDir"]],
    dialect: Dialect::Macro,
};

/// Reads a whole file of `shape`.
pub fn load(file: &Arc<SourceFile>, shape: &Shape) -> Result<Vec<Invocation>, String> {
    let docs = parse_yaml(file)?;
    let mut out = Vec::new();
    let mut walker = Walker {
        shape,
        out: &mut out,
        templates: ReferencedFiles::around(file),
    };
    for doc in &docs {
        walker.visit(file, doc, &Env::new(), &Place::default());
    }
    Ok(out)
}

/// Where a script sits, for messages.
#[derive(Debug, Clone, Default)]
pub struct Place {
    /// "job", "task", "pipeline".
    pub unit: &'static str,
    pub job: Option<String>,
    pub step: Option<String>,
}

impl Place {
    pub fn text(&self) -> String {
        let unit = self.unit;
        match (&self.job, &self.step) {
            (Some(j), Some(s)) => format!("{unit} `{j}`, step `{s}`"),
            (Some(j), None) => format!("{unit} `{j}`"),
            (None, Some(s)) => format!("step `{s}`"),
            (None, None) => String::new(),
        }
    }
}

/// Visits `node` and everything below it, collecting the helm invocations of every script.
pub fn walk(
    file: &Arc<SourceFile>,
    node: &Node,
    shape: &Shape,
    env: &Env,
    place: &Place,
    out: &mut Vec<Invocation>,
) {
    Walker {
        shape,
        out,
        templates: None,
    }
    .visit(file, node, env, place);
}

struct Walker<'a> {
    shape: &'a Shape,
    out: &'a mut Vec<Invocation>,
    /// Template files a `template:` key may read (Azure Pipelines), when the shape has them.
    templates: Option<ReferencedFiles>,
}

impl Walker<'_> {
    fn visit(&mut self, file: &Arc<SourceFile>, node: &Node, env: &Env, place: &Place) {
        let shape = self.shape;
        let entries = match &node.kind {
            Kind::Scalar(_) => return,
            Kind::Seq(items) => {
                for item in items {
                    self.visit(file, item, env, place);
                }
                return;
            }
            Kind::Map(entries) => entries,
        };
        let mut env = env.clone();
        for key in shape.env {
            add_env(&mut env, node.get(key), shape.dialect);
        }
        if let Some(dir) = shape
            .workdir
            .iter()
            .find_map(|path| node.path(path)?.as_str())
        {
            let dir = expand_value(dir, shape.dialect, &env).ok();
            env.insert(PWD.to_string(), dir.map(|d| join_path("", &d)));
        }
        let mut place = place.clone();
        if let Some(job) = shape.job_names.iter().find_map(|k| node.get(k)?.as_str()) {
            place.unit = shape.unit;
            place.job = Some(job.to_string());
        }
        if let Some(name) = ["name", "displayName", "label"]
            .iter()
            .find_map(|k| node.get(k)?.as_str())
            .filter(|_| place.job.is_some() || node.get("script").is_some())
        {
            place.step = Some(name.to_string());
        }
        let before = self.out.len();
        if let Some(read) = shape.task {
            // A task step is named by its own `name`, script or not.
            let own = node.get("name").and_then(Node::as_str).map(|name| Place {
                step: Some(name.to_string()),
                ..place.clone()
            });
            let own = own.unwrap_or_else(|| place.clone());
            self.out.extend(read(file, node, &env, &own.text()));
        }
        if let Some(key) = shape.template {
            self.template(file, node.get(key), &env, &place);
        }
        for (key, value) in entries {
            let key = key.as_str().unwrap_or("");
            if shape.scripts.contains(&key) {
                let body = match &value.kind {
                    Kind::Map(_) => ["command", "script", "inline"]
                        .iter()
                        .find_map(|k| value.get(k)),
                    _ => Some(value),
                };
                for line in body.map(script_nodes).unwrap_or_default() {
                    if let Some(script) =
                        Script::in_yaml(file, line, shape.dialect, &env, place.text())
                    {
                        // CircleCI's `run: {command: …, when: on_fail}`.
                        let on_fail = value.get("when").and_then(Node::as_str) == Some("on_fail");
                        self.out
                            .extend(invocations(&script).into_iter().map(|inv| Invocation {
                                on_failure: on_fail,
                                ..inv
                            }));
                    }
                }
                // Lists may mix lines and mappings (Taskfile's `- cmd: …`).
                if value.as_seq().is_some() {
                    self.visit(file, value, &env, &place);
                }
            } else if shape.groups.contains(&key) && value.as_map().is_some() {
                for (job, body) in value.as_map().unwrap_or(&[]) {
                    let inner = Place {
                        unit: shape.unit,
                        job: job.as_str().map(str::to_string),
                        step: None,
                    };
                    let before = self.out.len();
                    self.visit(file, body, &env, &inner);
                    let job_fails = runs_on_failure(body);
                    // The innermost group is the job (nested groups are visited first).
                    for inv in self.out[before..].iter_mut().filter(|i| i.job.is_none()) {
                        inv.job = inner.job.clone();
                        inv.on_failure_of_job = inv.on_failure && !job_fails;
                    }
                    if self.out.len() > before
                        && let Some(cluster) = job_cluster(body, shape.scripts, shape.dialect)
                    {
                        let why = format!("{} creates its cluster with {cluster}", inner.text());
                        for inv in &mut self.out[before..] {
                            inv.throwaway_cluster = Some(why.clone());
                        }
                    }
                }
            } else if !shape.env.contains(&key) && !shape.skip.contains(&key) {
                self.visit(file, value, &env, &place);
            }
        }
        if runs_on_failure(node) {
            for inv in &mut self.out[before..] {
                inv.on_failure = true;
            }
        }
    }

    /// `- template: deploy.yml` (not `deploy.yml@other-repo`): the template's steps run here,
    /// with the variables around the reference; its findings point into the template file.
    fn template(
        &mut self,
        from: &Arc<SourceFile>,
        reference: Option<&Node>,
        env: &Env,
        place: &Place,
    ) {
        let Some(path) = reference
            .and_then(Node::as_str)
            .filter(|p| !p.contains('@'))
        else {
            return;
        };
        let Some(file) = self.templates.as_mut().and_then(|t| t.read(from, path)) else {
            return;
        };
        for doc in parse_yaml(&file).unwrap_or_default() {
            self.visit(&file, &doc, env, place);
        }
    }
}

/// A GitHub step or job with `if: failure()` (or `${{ failure() }}`), an Azure one with
/// `condition: failed()`.
fn runs_on_failure(node: &Node) -> bool {
    let holds = |key: &str, call: &str| {
        node.get(key)
            .and_then(Node::as_str)
            .is_some_and(|c| c.contains(call))
    };
    holds("if", "failure()") || holds("condition", "failed()")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(shape: &Shape, yaml: &str) -> Vec<Invocation> {
        load(&SourceFile::new("ci.yml", yaml), shape).unwrap_or_default()
    }

    #[test]
    fn github_steps_with_env_layers() {
        let invs = found(
            &GITHUB,
            "env:\n  HELM_MAX_HISTORY: '4'\njobs:\n  deploy:\n    steps:\n      - name: Ship\n        env: {CHART: ./charts/app}\n        run: |\n          helm upgrade app $CHART \\\n            --atomic\n",
        );
        assert_eq!(invs.len(), 1);
        let inv = &invs[0];
        assert_eq!(inv.place, "job `deploy`, step `Ship`");
        assert_eq!(inv.history_max.value(), Some(4));
        assert_eq!(inv.atomic.value(), Some(true));
        assert_eq!(
            inv.chart,
            super::super::ChartArg::Known("./charts/app".into())
        );
        assert_eq!((inv.span.line, inv.span.col), (9, 11));
    }

    #[test]
    fn circleci_run_maps() {
        let invs = found(
            &CIRCLECI,
            "jobs:\n  ship:\n    steps:\n      - run:\n          name: deploy\n          command: helm upgrade --install app chart --timeout << parameters.t >>\n",
        );
        assert_eq!(invs.len(), 1);
        assert!(matches!(
            invs[0].timeout,
            super::super::Setting::Unknown { .. }
        ));
    }

    #[test]
    fn working_directories() {
        let invs = found(
            &GITHUB,
            "defaults:\n  run:\n    working-directory: deploy\njobs:\n  a:\n    steps:\n      - run: helm upgrade app ../charts/app\n      - working-directory: charts/app\n        run: helm upgrade app .\n",
        );
        let charts: Vec<_> = invs.iter().map(|i| i.chart.clone()).collect();
        assert_eq!(
            charts,
            [
                super::super::ChartArg::Known("charts/app".into()),
                super::super::ChartArg::Known("charts/app".into())
            ]
        );
    }
}
