//! A rule's own unit tests, next to it: a small model in, that rule's findings out. The
//! end-to-end proof (fixture files through the `rollguard` binary) stays in `tests/`.

use std::sync::Arc;

use source::{SourceFile, Span};

use super::framework::{Context, Emitter, Rule};
use crate::baseline::{Baseline, Revision, Source};
use crate::config::Config;
use crate::diff::pair;
use crate::finding::{Finding, Severity};
use crate::kube::{ApiTable, KubeVersion};
use crate::manifest::load_stream;
use crate::model::{ChartInfo, ChartModel, ChartSource, Lookup};
use crate::pipeline::{FileKind, Loaded, load_file};

/// What a rule that reports nothing returns.
pub const NONE: [(&str, Severity, u32); 0] = [];

/// One chart to check: its rendered manifest, and what else a rule may read.
pub struct Case {
    manifest: String,
    base: Option<String>,
    base_crds: Option<Vec<(String, Arc<SourceFile>)>>,
    script: Option<String>,
    kube_version: Option<&'static str>,
    source: Option<ChartSource>,
}

/// A chart whose rendered manifest is `text` (documents as `helm template` prints them).
pub fn manifest(text: impl Into<String>) -> Case {
    Case {
        manifest: text.into(),
        base: None,
        base_crds: None,
        script: None,
        kube_version: None,
        source: None,
    }
}

impl Case {
    /// The revision a rollback returns to, as a rendered manifest.
    pub fn base(mut self, old: impl Into<String>) -> Case {
        self.base = Some(old.into());
        self
    }

    /// A deploy script (`deploy.sh`) whose helm invocations deploy the chart.
    pub fn deployed_by(mut self, script: impl Into<String>) -> Case {
        self.script = Some(script.into());
        self
    }

    /// The target Kubernetes version (`--kube-version`); the newest known by default.
    pub fn kube_version(mut self, version: &'static str) -> Case {
        self.kube_version = Some(version);
        self
    }

    /// What only a chart rollguard rendered can tell: its `kubeVersion` constraint as written in
    /// `Chart.yaml` (`kubeVersion: "<constraint>"` on line 3), and template lines whose `lookup`
    /// ran, each with the kind it reads.
    pub fn rendered_chart(
        mut self,
        constraint: Option<&str>,
        lookups: &[(&'static str, &'static str)],
    ) -> Case {
        let chart_yaml = SourceFile::new(
            "Chart.yaml",
            format!(
                "apiVersion: v2\nname: app\nkubeVersion: \"{}\"\n",
                constraint.unwrap_or_default()
            ),
        );
        let kube_constraint = constraint.map(|c| {
            let start = chart_yaml.text.find("kubeVersion").unwrap_or_default();
            let span = Span {
                start,
                end: start + "kubeVersion".len(),
                line: 3,
                col: 1,
            };
            (c.to_string(), chart_yaml.clone(), span)
        });
        let lookups = lookups
            .iter()
            .map(|(text, kind)| Lookup {
                file: SourceFile::new("templates/t.yaml", *text),
                span: Span {
                    start: 0,
                    end: text.len(),
                    line: 1,
                    col: 1,
                },
                kind: Some(kind.to_string()),
            })
            .collect();
        self.source = Some(ChartSource {
            kube_constraint,
            lookups,
            sql_files: Vec::new(),
            revision: 1,
            crds: Vec::new(),
            upgrade_failure: None,
            regenerated: Default::default(),
        });
        self
    }

    /// The `crds/` files (path, text) of the new chart and of the baseline chart.
    pub fn crds(mut self, new: &[(&str, &str)], old: &[(&str, &str)]) -> Case {
        let files = |list: &[(&str, &str)], chart: &str| -> Vec<(String, Arc<SourceFile>)> {
            list.iter()
                .map(|(path, text)| {
                    let file = SourceFile::new(format!("{chart}/{path}"), *text);
                    (path.to_string(), file)
                })
                .collect()
        };
        self.source.get_or_insert_with(ChartSource::default).crds = files(new, "app");
        self.base_crds = Some(files(old, "app@base"));
        self
    }

    /// Rendered as an upgrade, the chart stopped at `fail` with `message` on line `line` of
    /// `templates/secret.yaml`.
    pub fn upgrade_fails(mut self, message: &str, line: u32) -> Case {
        let file = SourceFile::new("templates/secret.yaml", "x\n".repeat(line as usize));
        let start = (line as usize - 1) * 2;
        self.source
            .get_or_insert_with(ChartSource::default)
            .upgrade_failure = Some(crate::model::TemplateFailure {
            message: message.to_string(),
            file,
            span: Span {
                start,
                end: start + 1,
                line,
                col: 1,
            },
        });
        self
    }

    /// A chart rollguard rendered whose upgrade generates `tokens` anew.
    pub fn regenerated(mut self, tokens: &[&str]) -> Case {
        self.source
            .get_or_insert_with(ChartSource::default)
            .regenerated = crate::generated::Generated::of(tokens);
        self
    }

    /// A chart rollguard rendered at `.Release.Revision` `revision`.
    pub fn revision(mut self, revision: i64) -> Case {
        self.source
            .get_or_insert_with(ChartSource::default)
            .revision = revision;
        self
    }

    /// What `rule` reports: rule id, severity and line of each finding, in order.
    pub fn findings(self, rule: &dyn Rule) -> Vec<(&'static str, Severity, u32)> {
        let objects = |name: &str, text: &str| {
            load_stream(&SourceFile::new(name, text), "default")
                .unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        let base = self.base.and_then(|old| {
            let revision = Revision {
                number: None,
                status: None,
                chart_version: None,
                objects: objects("old.yaml", &old),
                crds: self.base_crds,
            };
            Baseline::new("manifest:old.yaml".into(), Source::Stored, vec![revision])
        });
        let info = ChartInfo {
            path: "app".into(),
            name: "app".into(),
            version: None,
            baseline: None,
        };
        let mut chart = ChartModel::new(
            info,
            objects("new.yaml", &self.manifest),
            base,
            self.source,
            None,
        );
        if let Some(script) = self.script {
            let mut loaded = Loaded::default();
            load_file(
                &SourceFile::new("deploy.sh", script),
                FileKind::Shell,
                &mut loaded,
            );
            chart.invocations = loaded.invocations;
        }
        let kube_version: KubeVersion = match self.kube_version {
            Some(v) => v.parse().unwrap_or_else(|e| panic!("{v}: {e}")),
            None => ApiTable::builtin().newest(),
        };
        let settings = Config::default().settings(kube_version, "release-name");
        let cx = Context {
            chart: &chart,
            chart_index: 0,
            settings: &settings,
            diff: chart
                .base
                .as_ref()
                .map(|b| pair(&b.current().objects, &chart.objects)),
        };
        let mut out: Vec<Finding> = Vec::new();
        rule.check(
            &cx,
            &mut Emitter {
                meta: rule.meta(),
                chart: 0,
                out: &mut out,
            },
        );
        out.iter()
            .map(|f| {
                let line = f.location.as_ref().map_or(0, |l| l.span.line);
                (f.rule.id, f.severity, line)
            })
            .collect()
    }
}
