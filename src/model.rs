//! The model the rules read: per checked chart, the objects of the new revision (and later the
//! baseline, migrations and pipelines), plus settings that apply to the whole run.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use globset::GlobSet;
use serde::Serialize;

use source::SourceFile;
use source::Span;

use crate::baseline::Baseline;
use crate::finding::Severity;
use crate::generated::Generated;
use crate::kube::KubeVersion;
use crate::manifest::Object;
use crate::manifest::refs::RefKind;
use crate::pipeline::Invocation;
use crate::sql::{self, Migrations};

/// What the report says about a checked chart or manifest.
#[derive(Debug, Clone, Serialize)]
pub struct ChartInfo {
    pub path: String,
    pub name: String,
    pub version: Option<String>,
    pub baseline: Option<String>,
}

impl ChartInfo {
    /// `name version`, or the name alone.
    pub fn title(&self) -> String {
        match &self.version {
            Some(v) => format!("{} {v}", self.name),
            None => self.name.clone(),
        }
    }
}

/// What only a chart rollguard rendered itself can tell.
#[derive(Debug, Clone, Default)]
pub struct ChartSource {
    /// `Chart.yaml`'s `kubeVersion` constraint, its file and where it is written.
    pub kube_constraint: Option<(String, Arc<SourceFile>, Span)>,
    /// The `lookup` calls the render executed, each call site once (where it is written).
    pub lookups: Vec<Lookup>,
    /// The chart's own `.sql` files: SQL that reaches the manifest through `.Files.Get` or
    /// `.Files.Glob … AsConfig` is read, located and suppressed in them.
    pub sql_files: Vec<Arc<SourceFile>>,
    /// The `.Release.Revision` the new revision was rendered at.
    pub revision: i64,
    /// The `crds/` files (path in the chart, text), which Helm installs once and never upgrades.
    pub crds: Vec<(String, Arc<SourceFile>)>,
    /// The chart renders as an install but, rendered as the upgrade of its baseline, stops at
    /// `fail` or `required`: the objects are the install's.
    pub upgrade_failure: Option<TemplateFailure>,
    /// Values every upgrade generates anew (no `lookup` keeps them): see
    /// [`crate::inputs::native::RenderedChart::regenerated`].
    pub regenerated: Generated,
}

/// A `fail` or `required` that stopped a render: its message and the template line.
#[derive(Debug, Clone)]
pub struct TemplateFailure {
    pub message: String,
    pub file: Arc<SourceFile>,
    pub span: Span,
}

/// A `lookup` call the render executed.
#[derive(Debug, Clone)]
pub struct Lookup {
    pub file: Arc<SourceFile>,
    pub span: Span,
    /// The kind it reads when the call writes it as a literal (`lookup "v1" "Secret" …`).
    pub kind: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ChartModel {
    pub info: ChartInfo,
    /// Objects of the new revision, hooks included, in stream order.
    pub objects: Vec<Object>,
    /// The helm invocations (CI jobs, scripts, helmfile, Flux, Argo CD) that deploy this chart.
    pub invocations: Vec<Invocation>,
    /// The revision(s) a rollback would return to; `None` skips the diff rules.
    pub base: Option<Baseline>,
    /// SQL the release runs (hooks, Jobs, mounted ConfigMaps/Secrets) and `--migrations` files.
    pub migrations: Migrations,
    /// Set for charts rollguard rendered; `None` for manifests and migration folders.
    pub source: Option<ChartSource>,
    /// Values its renders generated at random (fixed seed, so predictable): masked in findings.
    pub generated: Generated,
}

impl ChartModel {
    /// A checked chart or manifest with the SQL its objects carry (what the baseline already
    /// shipped is not checked again); no invocations yet.
    pub fn new(
        info: ChartInfo,
        objects: Vec<Object>,
        base: Option<Baseline>,
        source: Option<ChartSource>,
        dialect: Option<sql::Dialect>,
    ) -> ChartModel {
        let mut migrations = sql::extract(&objects, dialect);
        if let Some(source) = &source {
            migrations.locate_in(&source.sql_files);
        }
        if let Some(base) = &base {
            migrations.drop_shipped(&sql::extract(&base.current().objects, dialect));
        }
        ChartModel {
            info,
            objects,
            invocations: Vec::new(),
            base,
            migrations,
            source,
            generated: Generated::default(),
        }
    }

    pub fn non_hook_objects(&self) -> impl Iterator<Item = &Object> {
        self.objects.iter().filter(|o| !o.is_hook())
    }
}

/// The chart name from the first `# Source: <chart>/templates/…` comment.
pub fn chart_name(objects: &[Object]) -> Option<String> {
    objects
        .iter()
        .find_map(|o| o.template.as_deref()?.split('/').next().map(str::to_string))
}

/// Settings of the run that every rule may read: the target Kubernetes version and what
/// `.rollguard.yaml` says about the rules (built by [`crate::config::Config::settings`]).
#[derive(Debug, Clone)]
pub struct Settings {
    pub kube_version: KubeVersion,
    /// `--release-name`: what names derived from the release start with.
    pub release: String,
    pub disabled: BTreeSet<String>,
    pub severity: BTreeMap<String, Severity>,
    pub allow_configmaps: Allow,
    pub allow_secrets: Allow,
    pub startup_default: Option<i64>,
    pub startup_workloads: BTreeMap<String, i64>,
}

impl Settings {
    pub fn is_disabled(&self, rule: &str) -> bool {
        self.disabled.contains(rule)
    }

    pub fn severity_override(&self, rule: &str) -> Option<Severity> {
        self.severity.get(rule).copied()
    }

    pub fn allows_external(&self, kind: RefKind, name: &str) -> bool {
        match kind {
            RefKind::ConfigMap => self.allow_configmaps.matches(name),
            RefKind::Secret => self.allow_secrets.matches(name),
        }
    }

    /// Declared startup seconds for a workload by name, else the default.
    pub fn startup_seconds(&self, workload: &str) -> Option<i64> {
        self.startup_workloads
            .get(workload)
            .copied()
            .or(self.startup_default)
    }
}

/// Names of objects that may exist outside the chart (`allow.configMaps`, `allow.secrets`).
#[derive(Debug, Clone, Default)]
pub struct Allow {
    pub globs: Option<GlobSet>,
}

impl Allow {
    fn matches(&self, name: &str) -> bool {
        self.globs.as_ref().is_some_and(|g| g.is_match(name))
    }
}
