//! CI/CD and GitOps files that run the upgrade: discovery, parsing, and the model the pipeline
//! rules read. Every file kind ends in the same [`Invocation`]: the helm command (or the
//! declaration that makes a controller run one) with the settings that decide what a failed
//! upgrade does, each with the place in the file it came from.
//!
//! Shell text is parsed once, by [`crate::shell`] and `helm_args`, whatever file it is embedded in;
//! the per-kind modules only find the scripts and the variables around them.
//!
//! Understood:
//! - files: GitHub Actions workflows and composite actions (`run:`, `env:` at workflow, job and
//!   step), GitLab CI (`script`/`before_script`/`after_script`, `default:`, `variables:`,
//!   `extends`, `!reference`, local `include:`, anchors and merge keys), Jenkinsfiles (`sh`
//!   steps in every quoting, named arguments, `environment {}`, `withEnv`, stage names), Azure
//!   Pipelines (`script`/`bash`/`pwsh`, inline task scripts, `HelmDeploy@0/1` inputs, `$(var)`
//!   macros, variables as map or list, `template:` files of the same repository), Bitbucket Pipelines (steps, anchored `definitions`),
//!   CircleCI (`run:` as text or map, `environment:`, `<< parameters.x >>`), Tekton
//!   (`script:` and `command:`/`args:` steps, `env:`, `$(params.x)`), Makefiles, justfiles and Taskfiles (their variables and
//!   placeholders), shell scripts, helmfile (`helmDefaults` under per-release keys; Go template
//!   actions read around), Flux `HelmRelease` and Argo CD `Application` (Helm sources; no Helm
//!   settings: Argo CD rolls back by git revert or `argocd app rollback`).
//! - commands: `helm upgrade|install|rollback`, `-i`/`--install`, flags as `--flag value` and
//!   `--flag=value`, booleans as `--flag=false`, Helm 4 `--rollback-on-failure`,
//!   `--force-replace`, `--wait=watcher|hookOnly|legacy`, `--history-max`, `--timeout` as Go
//!   durations, `HELM_MAX_HISTORY` from any enclosing env or the command prefix, continued
//!   lines, quoting, comments, here-documents (skipped), `bash -c '…'` strings, `helm secrets …`
//!   and `sudo`/`env`/`timeout` wrappers; `helm diff upgrade` and `--dry-run` are not upgrades.
//!   Relative chart paths follow the working directory (`cd`, `working-directory:`,
//!   `workingDirectory:`, `workingDir:`). Variables set in the file, job, step or script expand; a known unquoted value with blanks
//!   splits into words; an unknown unquoted one (`$HELM_OPTS`, `"$@"`) makes absent flags
//!   unknown, never missing. A bash array assigned plain words (`args=( … )`) expands to them
//!   (`"${args[@]}"`); one with anything else, or appended to (`args+=`), is unknown.
//!
//! Helm commands in a CI job or shell script that creates its own kind/k3d/minikube cluster
//! deploy to a throwaway test cluster: they are left out with a note (`throwaway`). A helm
//! command whose command line comes from what rollguard cannot see (`helm "${args[@]}"` with
//! an array that is not read) is not understood: left out with a note naming it, never in
//! silence.
//!
//! Knowingly not: commands run through other programs (`xargs`, `docker run`, `$HELM` as the
//! program), shell functions and aliases, control flow (every branch counts, loops run once),
//! values computed by `$(…)` or by helmfile templates, template parameters, GitLab
//! remote/project/template includes, Azure templates from other repositories (`@repo`),
//! helmfile `bases:` and `helmfiles:`, Jenkins shared libraries, marketplace actions and orbs
//! that wrap helm (`deliverybot/helm`, `circleci/helm`), and PowerShell syntax beyond plain
//! words.

mod argo;
mod argv;
mod azure;
mod ci_yaml;
mod declared;
pub mod discover;
mod duration;
mod embed;
mod flux;
mod gitlab;
mod helm_args;
mod helmfile;
mod ignore;
mod invocation;
mod jenkins;
mod make;
pub mod read;
mod referenced;
mod throwaway;

use std::path::PathBuf;
use std::sync::Arc;

pub use discover::FileKind;
pub use duration::{format_seconds, parse_go_duration};
pub use embed::OffsetMap;
pub use invocation::{ChartArg, HelmCommand, Ignore, Invocation, Setting, Tool, Wait};

use source::SourceFile;

/// What loading the pipeline files produced: invocations, and notes for the report about files
/// that could not be read as their kind.
#[derive(Debug, Default)]
pub struct Loaded {
    pub invocations: Vec<Invocation>,
    pub notes: Vec<String>,
    /// For each invocation, the file whose loading found it (a GitLab include or an Azure
    /// template is found through the file that pulls it in).
    found_by: Vec<String>,
}

impl Loaded {
    /// Once every file is loaded: a file that another one pulls in counts only there, with the
    /// including file's variables, not again on its own; and a command reached twice the same
    /// way (YAML aliases, `extends`) counts once.
    pub fn finish(&mut self) {
        // Names as the loaders wrote them may differ (`./a.yml`, `a.yml`): compare the files.
        let same_file = |name: &str| std::fs::canonicalize(name).unwrap_or_else(|_| name.into());
        let referenced: std::collections::BTreeSet<PathBuf> = self
            .invocations
            .iter()
            .zip(&self.found_by)
            .map(|(inv, by)| (same_file(&inv.file.name), same_file(by)))
            .filter(|(file, by)| file != by)
            .map(|(file, _)| file)
            .collect();
        let mut kept: Vec<Invocation> = Vec::new();
        for (inv, by) in std::mem::take(&mut self.invocations)
            .into_iter()
            .zip(std::mem::take(&mut self.found_by))
        {
            let file = same_file(&inv.file.name);
            let standalone_reference = file == same_file(&by) && referenced.contains(&file);
            if !standalone_reference && !kept.iter().any(|k| k.same_run(&inv)) {
                kept.push(inv);
            }
        }
        self.invocations = kept;
    }
}

/// Reads one pipeline file of a known kind. A file that is not valid YAML (or not what its
/// name says) does not stop the check: it becomes a note naming the file and line.
pub fn load_file(file: &Arc<SourceFile>, kind: FileKind, out: &mut Loaded) {
    let result = match kind {
        FileKind::GitHub => ci_yaml::load(file, &ci_yaml::GITHUB),
        FileKind::GitLab => gitlab::load(file),
        FileKind::Azure => ci_yaml::load(file, &ci_yaml::AZURE),
        FileKind::Bitbucket => ci_yaml::load(file, &ci_yaml::BITBUCKET),
        FileKind::CircleCi => ci_yaml::load(file, &ci_yaml::CIRCLECI),
        FileKind::Tekton => ci_yaml::load(file, &ci_yaml::TEKTON),
        FileKind::Jenkins => Ok(jenkins::load(file)),
        FileKind::Makefile => Ok(make::makefile(file)),
        FileKind::Justfile => Ok(make::justfile(file)),
        FileKind::Taskfile => make::taskfile(file),
        FileKind::Shell => Ok(helm_args::invocations(&embed::Script::whole(
            file,
            crate::shell::Dialect::Shell,
        ))),
        FileKind::Helmfile => helmfile::load(file),
        FileKind::Kubernetes => kubernetes(file),
    };
    match result {
        Ok(mut found) => {
            if kind == FileKind::Shell
                && let Some(command) =
                    throwaway::cluster_command(&file.text, crate::shell::Dialect::Shell)
            {
                for inv in &mut found {
                    inv.throwaway_cluster = Some(format!("the script runs {command}"));
                }
            }
            let (found, throwaway): (Vec<_>, Vec<_>) = found
                .into_iter()
                .partition(|inv| inv.throwaway_cluster.is_none());
            out.notes.extend(throwaway_note(&file.name, &throwaway));
            let (found, hidden): (Vec<_>, Vec<_>) = found
                .into_iter()
                .partition(|inv| inv.command_hidden.is_none());
            out.notes.extend(hidden.iter().map(hidden_note));
            for mut inv in found {
                inv.ignores = ignore::comments_for(&inv.file.text, inv.span, inv.extent.0);
                out.invocations.push(inv);
                out.found_by.push(file.name.clone());
            }
        }
        Err(note) => out.notes.push(note),
    }
}

/// A report note naming the invocations left out because they deploy to a cluster their own
/// job or script creates; `None` when there are none.
fn throwaway_note(file: &str, left_out: &[Invocation]) -> Option<String> {
    let first = left_out
        .first()?
        .throwaway_cluster
        .as_deref()
        .unwrap_or_default();
    let n = left_out.len();
    Some(format!(
        "{file}: {n} helm invocation{} not checked: {first}{}, a throwaway cluster for tests",
        if n == 1 { "" } else { "s" },
        if n > 1
            && left_out
                .iter()
                .any(|i| i.throwaway_cluster.as_deref() != Some(first))
        {
            " (and others)"
        } else {
            ""
        }
    ))
}

/// A report note naming a helm command whose command line rollguard cannot see.
fn hidden_note(inv: &Invocation) -> String {
    format!(
        "{}:{}: a helm command not understood, not checked: its command line comes from `{}`, \
         which rollguard cannot see (write the helm command and its flags out)",
        inv.file.name,
        inv.span.line,
        inv.command_hidden.as_deref().unwrap_or_default()
    )
}

/// Flux and Argo CD objects, found in any Kubernetes YAML of the repository.
fn kubernetes(file: &Arc<SourceFile>) -> Result<Vec<Invocation>, String> {
    let docs = embed::parse_yaml(file)?;
    let mut found = Vec::new();
    for doc in &docs {
        let api = doc.str_at(&["apiVersion"]).unwrap_or("");
        match doc.str_at(&["kind"]) {
            Some("HelmRelease") if api.starts_with("helm.toolkit.fluxcd.io/") => {
                found.push(flux::load(file, doc))
            }
            Some("Application") if api.starts_with("argoproj.io/") => {
                found.extend(argo::load(file, doc))
            }
            _ => {}
        }
    }
    Ok(found)
}

#[cfg(test)]
mod robustness_tests;
