//! The model the pipeline rules read: an invocation of helm (or a declaration that makes a
//! controller run one) and its settings, each with where the file says it.

use std::sync::Arc;

use crate::finding::Location;
use source::SourceFile;
use source::Span;

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
    /// Argo CD, so there is no Helm release, no Helm history and no `--atomic`; a rollback is
    /// a git revert (automated sync) or `argocd app rollback` (manual sync).
    ArgoCd,
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
            Tool::ArgoCd => "Argo CD Application",
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
    /// The release name as far as variables resolve (unknown parts as written:
    /// `review-$CI_COMMIT_REF_SLUG`); `None` when the command names none.
    pub release: Option<String>,
    /// `release` holds a variable rollguard cannot resolve: it could be any release.
    pub release_unresolved: bool,
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
    /// What creates the throwaway cluster it deploys to, when its job or script creates one
    /// (`helm/kind-action`, `kind create cluster`): then it is not checked.
    pub throwaway_cluster: Option<String>,
    /// The helm command line itself comes from an expansion rollguard cannot see (`helm
    /// "${args[@]}"`, `helm $CMD`), as written: which command it runs is unknown, so it is not
    /// checked but named in a note, never passed over in silence. `tool` is then a placeholder.
    pub command_hidden: Option<String>,
    /// It runs only when something before it failed (a GitHub step `if: failure()`, an Azure
    /// `condition: failed()`, a GitLab job `when: on_failure`, a Jenkins `post { failure {…} }`
    /// or `catch` block).
    pub on_failure: bool,
    /// The CI job it runs in, for files made of jobs (a GitHub workflow, a CircleCI config).
    pub job: Option<String>,
    /// `on_failure` comes from a step's own condition (`if: failure()` on a step, CircleCI
    /// `when: on_fail`): it runs when an earlier step of its job fails, so it answers only for
    /// that job's upgrades, not for another job of the same file.
    pub on_failure_of_job: bool,
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
            release_unresolved: false,
            chart: ChartArg::Missing,
            history_max: Setting::Absent,
            atomic: Setting::Absent,
            wait: Setting::Absent,
            timeout: Setting::Absent,
            force: Setting::Absent,
            cleanup_on_fail: Setting::Absent,
            chart_assumed: None,
            throwaway_cluster: None,
            command_hidden: None,
            on_failure: false,
            job: None,
            on_failure_of_job: false,
            extent: (span.start, span.end),
            ignores: Vec::new(),
        }
    }

    /// The release name, as expanded (`Ok`) or, holding a variable rollguard cannot resolve,
    /// as written (`Err`).
    pub(crate) fn set_release(&mut self, name: Result<String, String>) {
        self.release_unresolved = name.is_err();
        self.release = Some(name.unwrap_or_else(|written| written));
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
    pub(super) fn same_run(&self, other: &Invocation) -> bool {
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
}
