//! CI/CD and GitOps files that run the upgrade: discovery, parsing, and the model the pipeline
//! rules read. Every file kind ends in the same [`Invocation`]: the helm command (or the
//! declaration that makes a controller run one) with the settings that decide what a failed
//! upgrade does, each with the place in the file it came from.
//!
//! Shell text is parsed once, by [`shell`] and [`helm_args`], whatever file it is embedded in;
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
//!   actions read around), Flux `HelmRelease` and Argo CD `Application` (Helm sources; Argo
//!   Rollouts with analysis in the chart).
//! - commands: `helm upgrade|install|rollback`, `-i`/`--install`, flags as `--flag value` and
//!   `--flag=value`, booleans as `--flag=false`, Helm 4 `--rollback-on-failure`,
//!   `--force-replace`, `--wait=watcher|hookOnly|legacy`, `--history-max`, `--timeout` as Go
//!   durations, `HELM_MAX_HISTORY` from any enclosing env or the command prefix, continued
//!   lines, quoting, comments, here-documents (skipped), `bash -c '…'` strings, `helm secrets …`
//!   and `sudo`/`env`/`timeout` wrappers; `helm diff upgrade` and `--dry-run` are not upgrades.
//!   Variables set in the file, job, step or script expand; a known unquoted value with blanks
//!   splits into words; an unknown unquoted one (`$HELM_OPTS`, `"$@"`) makes absent flags
//!   unknown, never missing.
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
mod jenkins;
mod local;
mod make;
pub mod read;
pub mod shell;

use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use discover::FileKind;
pub use duration::{format_seconds, parse_go_duration};
pub use embed::OffsetMap;

use crate::finding::Location;
use crate::model::{ChartInfo, ChartModel};
use crate::source::SourceFile;
use crate::yaml::Span;

/// Which tool runs the release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tool {
    /// The helm CLI: `helm upgrade` (with or without `--install`), `helm install`, `helm rollback`.
    Helm(HelmCommand),
    /// A helmfile release (`helmfile apply/sync` runs `helm upgrade --install` for it).
    Helmfile,
    /// A Flux `HelmRelease`: helm-controller upgrades through the Helm SDK.
    Flux,
    /// An Argo CD `Application` with a Helm source: rendered with `helm template` and applied by
    /// Argo CD, so there is no Helm release, no Helm history and no `--atomic`.
    ArgoCd { automated: bool, self_heal: bool },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HelmCommand {
    Upgrade,
    Install,
    Rollback,
}

impl Tool {
    pub fn describe(self) -> &'static str {
        match self {
            Tool::Helm(HelmCommand::Upgrade) => "`helm upgrade`",
            Tool::Helm(HelmCommand::Install) => "`helm install`",
            Tool::Helm(HelmCommand::Rollback) => "`helm rollback`",
            Tool::Helmfile => "helmfile release",
            Tool::Flux => "Flux HelmRelease",
            Tool::ArgoCd { .. } => "Argo CD Application",
        }
    }

    pub fn is_cli(self) -> bool {
        matches!(self, Tool::Helm(_))
    }
}

/// One setting of an invocation, as far as the file shows it.
#[derive(Debug, Clone, PartialEq)]
pub enum Setting<T> {
    /// Not given: the tool's default applies.
    Absent,
    Set {
        value: T,
        span: Span,
    },
    /// Possibly given by something rollguard cannot see (`$HELM_OPTS`, `--timeout "$T"`).
    Unknown {
        because: String,
        span: Span,
    },
}

impl<T> Setting<T> {
    pub fn value(&self) -> Option<T>
    where
        T: Copy,
    {
        match self {
            Setting::Set { value, .. } => Some(*value),
            _ => None,
        }
    }

    /// The same setting, its value read differently (`disableWait: true` → no wait).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Setting<U> {
        match self {
            Setting::Absent => Setting::Absent,
            Setting::Set { value, span } => Setting::Set {
                value: f(value),
                span,
            },
            Setting::Unknown { because, span } => Setting::Unknown { because, span },
        }
    }
}

/// What `--wait` asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wait {
    /// `--wait=false`, or a controller told not to wait.
    No,
    /// Helm 4 `--wait=hookOnly`: waits for hooks, not for workloads.
    HookOnly,
    /// `--wait`, `--wait=watcher|legacy|true`: waits until workloads are ready.
    Workloads,
}

/// The chart an invocation deploys, as written and as far as variables resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChartArg {
    Known(String),
    /// Holds a variable rollguard cannot resolve; the text as written.
    Unresolved(String),
    /// No chart in the invocation (`helm rollback`), or none found.
    Missing,
}

#[derive(Debug, Clone)]
pub struct Invocation {
    pub file: Arc<SourceFile>,
    /// The command (`helm upgrade`) or the declaration that runs the upgrade.
    pub span: Span,
    pub tool: Tool,
    /// Where in the file, for messages: "job `deploy`, step `Deploy`" for a command; the
    /// object's name for a declaration (helmfile release, HelmRelease, Application).
    pub place: String,
    pub release: Option<String>,
    pub chart: ChartArg,
    pub history_max: Setting<i64>,
    pub atomic: Setting<bool>,
    pub wait: Setting<Wait>,
    /// Seconds.
    pub timeout: Setting<i64>,
    pub force: Setting<bool>,
    pub cleanup_on_fail: Setting<bool>,
    /// Why the invocation was related to the chart without knowing that it deploys it.
    pub chart_assumed: Option<String>,
    /// Bytes of the whole command or declaration: findings inside it belong to it.
    pub extent: (usize, usize),
    /// `# rollguard-ignore rule-a, rule-b` comments on its first line or just above it.
    pub ignores: Vec<Ignore>,
}

/// A rule an inline comment suppresses for one invocation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignore {
    pub rule: String,
    /// The comment, for `unused-suppression`.
    pub span: Span,
}

impl Invocation {
    pub(crate) fn new(file: &Arc<SourceFile>, span: Span, tool: Tool, place: String) -> Self {
        Invocation {
            file: file.clone(),
            span,
            tool,
            place,
            release: None,
            chart: ChartArg::Missing,
            history_max: Setting::Absent,
            atomic: Setting::Absent,
            wait: Setting::Absent,
            timeout: Setting::Absent,
            force: Setting::Absent,
            cleanup_on_fail: Setting::Absent,
            chart_assumed: None,
            extent: (span.start, span.end),
            ignores: Vec::new(),
        }
    }

    /// Where a finding about this invocation points: `span` in its file.
    pub fn location(&self, span: Span) -> Location {
        Location {
            file: self.file.clone(),
            span,
            template: None,
        }
    }

    /// "`helm upgrade` of release `app` (job `deploy`, step `Ship`)", "Flux HelmRelease `app`":
    /// the subject of a finding's message.
    pub fn describe(&self) -> String {
        let mut text = self.tool.describe().to_string();
        let mut notes = Vec::new();
        if !self.tool.is_cli() {
            text.push_str(&format!(" `{}`", self.place));
        } else {
            if let Some(release) = &self.release {
                text.push_str(&format!(" of release `{release}`"));
            }
            if !self.place.is_empty() {
                notes.push(self.place.clone());
            }
        }
        notes.extend(self.chart_assumed.clone());
        if !notes.is_empty() {
            text.push_str(&format!(" ({})", notes.join("; ")));
        }
        text
    }

    /// The same command with the same settings: a script reached twice through YAML aliases
    /// or GitLab `extends` (only the first place is reported).
    fn same_run(&self, other: &Invocation) -> bool {
        self.file.name == other.file.name
            && self.span == other.span
            && self.tool == other.tool
            && self.release == other.release
            && self.chart == other.chart
            && self.history_max == other.history_max
            && self.atomic == other.atomic
            && self.wait == other.wait
            && self.timeout == other.timeout
            && self.force == other.force
            && self.cleanup_on_fail == other.cleanup_on_fail
    }

    /// Does this invocation deploy `chart`? `None` when it cannot tell.
    fn deploys(&self, chart: &ChartInfo, bases: &[PathBuf]) -> Option<bool> {
        let arg = match &self.chart {
            ChartArg::Known(arg) => arg,
            ChartArg::Unresolved(_) | ChartArg::Missing => return None,
        };
        if chart_name_of(arg) == chart.name {
            return Some(true);
        }
        let path = arg.trim_start_matches("file://");
        // `.` and `..` name the working directory, which a job can change (`cd`,
        // `working-directory:`): not something to compare.
        if matches!(path.trim_end_matches('/'), "." | "..") {
            return None;
        }
        // A local path, relative to the file (helmfile, scripts) or to the repository root (CI
        // jobs start there): compare with the checked chart's path, both made absolute.
        // A differently named chart that is not found there is another chart.
        let target = std::fs::canonicalize(&chart.path).ok();
        Some(target.is_some_and(|t| {
            bases
                .iter()
                .any(|b| std::fs::canonicalize(b.join(path)).ok().as_ref() == Some(&t))
        }))
    }
}

/// The chart name in a chart argument: `./charts/app` → `app`, `repo/app` → `app`,
/// `oci://reg/charts/app` → `app`, `app-1.2.3.tgz` → `app`.
fn chart_name_of(arg: &str) -> String {
    let last = arg
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(arg)
        .to_string();
    let Some(stem) = last.strip_suffix(".tgz") else {
        return last;
    };
    // `name-1.2.3`: the version starts at the last `-` followed by a digit.
    match stem.rfind('-') {
        Some(i) if stem[i + 1..].starts_with(|c: char| c.is_ascii_digit()) => stem[..i].to_string(),
        _ => stem.to_string(),
    }
}

/// The invocations that belong to `chart` (DESIGN "Pipeline ↔ chart"): the ones whose chart
/// argument names it, and the ones whose chart cannot be resolved, marked as assumed. A
/// rendered manifest without `# Source:` lines does not name its chart: then every invocation
/// is assumed to deploy it.
pub fn related(all: &[Invocation], chart: &ChartModel) -> Vec<Invocation> {
    // An entry with no objects (only `--migrations` files) is not a release pipelines deploy.
    if chart.objects.is_empty() {
        return Vec::new();
    }
    let named = chart.objects.iter().any(|o| o.template.is_some());
    let assumed = |inv: &Invocation, why: String| Invocation {
        chart_assumed: Some(why),
        ..inv.clone()
    };
    all.iter()
        .filter_map(|inv| {
            if !named {
                return Some(match &inv.chart {
                    ChartArg::Known(c) | ChartArg::Unresolved(c) => assumed(
                        inv,
                        format!("chart `{c}` assumed to be this one: the manifest names no chart"),
                    ),
                    ChartArg::Missing => inv.clone(),
                });
            }
            let dir = Path::new(&inv.file.name)
                .parent()
                .unwrap_or_else(|| Path::new("."))
                .to_path_buf();
            let mut bases = vec![dir.clone()];
            bases.extend(discover::repo_root(&dir));
            match (inv.deploys(&chart.info, &bases), &inv.chart) {
                (Some(true), _) | (None, ChartArg::Missing) => Some(inv.clone()),
                (Some(false), _) => None,
                (None, ChartArg::Unresolved(c)) => Some(assumed(
                    inv,
                    format!("chart `{c}` not resolvable, assumed to be this one"),
                )),
                (None, ChartArg::Known(c)) => Some(assumed(
                    inv,
                    format!(
                        "chart `{c}` is relative to a working directory rollguard cannot see, assumed to be this one"
                    ),
                )),
            }
        })
        .collect()
}

/// A report note saying which pipeline files a chart was checked with, so a user sees that
/// discovery found them; `None` when there are none.
pub fn checked_note(chart: &ChartModel) -> Option<String> {
    const SHOWN: usize = 4;
    let mut files: Vec<&str> = Vec::new();
    for inv in &chart.invocations {
        if !files.contains(&inv.file.name.as_str()) {
            files.push(&inv.file.name);
        }
    }
    let n = chart.invocations.len();
    if n == 0 {
        return None;
    }
    let more = files.len().saturating_sub(SHOWN);
    let mut list = files[..files.len().min(SHOWN)].join(", ");
    if more > 0 {
        list.push_str(&format!(" and {more} more"));
    }
    Some(format!(
        "{}: checked with {n} helm invocation{} from {list}",
        chart.info.name,
        if n == 1 { "" } else { "s" }
    ))
}

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
            shell::Dialect::Shell,
        ))),
        FileKind::Helmfile => helmfile::load(file),
        FileKind::Kubernetes => kubernetes(file),
    };
    match result {
        Ok(found) => {
            for mut inv in found {
                inv.ignores = ignore::comments_for(&inv.file.text, inv.span, inv.extent.0);
                out.invocations.push(inv);
                out.found_by.push(file.name.clone());
            }
        }
        Err(note) => out.notes.push(note),
    }
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

#[cfg(test)]
mod tests {
    use super::chart_name_of;

    #[test]
    fn chart_names() {
        assert_eq!(chart_name_of("./charts/app/"), "app");
        assert_eq!(chart_name_of("oci://ghcr.io/acme/charts/app"), "app");
        assert_eq!(chart_name_of("dist/app-1.4.0.tgz"), "app");
        assert_eq!(chart_name_of("my-app.tgz"), "my-app");
        assert_eq!(chart_name_of("bitnami/postgresql"), "postgresql");
    }
}
