//! `.rollguard.yaml`: target version, rule selection, allowed external objects, startup times.
//!
//! ```yaml
//! kubeVersion: "1.31"
//! disable: [missing-readiness-probe]
//! severity: {pvc-no-keep-policy: warning}
//! allow:
//!   configMaps: [kube-root-ca.crt, "shared-*"]
//!   secrets: [registry-credentials]
//! startup:
//!   default: 30
//!   workloads: {api: 60}
//! sqlDialect: postgres
//! pipelines: [.github/workflows/deploy.yml, deploy/]
//! base: origin/main
//! ```

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSetBuilder};

use crate::finding::Severity;
use crate::kube::KubeVersion;
use crate::model::{Allow, Settings};
use crate::rules;
use source::SourceFile;
use source::bounded;
use source::yaml::{Node, Origin, parse_single};
use source::{InputError, Result};

pub const FILE_NAMES: [&str; 2] = [".rollguard.yaml", ".rollguard.yml"];

#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Where it was read from, if anywhere.
    pub path: Option<String>,
    pub kube_version: Option<String>,
    /// `sqlDialect`: the SQL dialect where nothing else tells.
    pub sql_dialect: Option<crate::sql::Dialect>,
    disabled: BTreeSet<String>,
    severity: BTreeMap<String, Severity>,
    allow_configmaps: Allow,
    allow_secrets: Allow,
    startup_default: Option<i64>,
    startup_workloads: BTreeMap<String, i64>,
    /// Pipeline files or directories (`pipelines:`), relative to the config file.
    pub pipelines: Vec<PathBuf>,
    /// `base`: the git revision `rollguard server` compares charts with (default `HEAD`).
    pub base: Option<String>,
}

impl Config {
    /// The settings the rules read: this config's rule selection, for `kube_version`.
    /// The run's settings: this config, the target version and the release name.
    pub fn settings(&self, kube_version: KubeVersion, release: &str) -> Settings {
        Settings {
            kube_version,
            release: release.to_string(),
            disabled: self.disabled.clone(),
            severity: self.severity.clone(),
            allow_configmaps: self.allow_configmaps.clone(),
            allow_secrets: self.allow_secrets.clone(),
            startup_default: self.startup_default,
            startup_workloads: self.startup_workloads.clone(),
        }
    }

    /// Finds the config file walking up from `start` (a file or directory).
    pub fn discover(start: &Path) -> Option<PathBuf> {
        crate::paths::find_upwards(start, |dir| {
            FILE_NAMES.iter().map(|n| dir.join(n)).find(|p| p.is_file())
        })
    }

    pub fn load(path: &Path) -> Result<Config> {
        let name = path.display().to_string();
        let text = bounded::read_text_file(path, bounded::MAX_FILE_BYTES)
            .map_err(|e| InputError::in_path(&name, format!("config: {e}")))?;
        Config::parse(&SourceFile::new(name, text))
    }

    pub fn parse(file: &Arc<SourceFile>) -> Result<Config> {
        let root = parse_single(&file.text, Origin::default())
            .map_err(|e| InputError::at(file, e.span, format!("invalid YAML: {}", e.message)))?;
        let mut config = Config {
            path: Some(file.name.clone()),
            ..Config::default()
        };
        let Some(root) = root else { return Ok(config) };
        let err = |node: &Node, msg: String| InputError::at(file, node.span, msg);
        let entries = root
            .as_map()
            .ok_or_else(|| err(&root, "the config must be a mapping".into()))?;
        for (key, value) in entries {
            match key.as_str().unwrap_or("") {
                "kubeVersion" => {
                    config.kube_version = Some(
                        value
                            .as_str()
                            .ok_or_else(|| {
                                err(value, "kubeVersion must be a string like \"1.31\"".into())
                            })?
                            .to_string(),
                    )
                }
                "disable" => {
                    for item in value
                        .as_seq()
                        .ok_or_else(|| err(value, "disable must be a list of rule ids".into()))?
                    {
                        config.disabled.insert(rule_id(file, item)?);
                    }
                }
                "severity" => {
                    for (rule, sev) in value.as_map().ok_or_else(|| {
                        err(
                            value,
                            "severity must map rule ids to error|warning|info".into(),
                        )
                    })? {
                        let id = rule_id(file, rule)?;
                        let severity = sev.as_str().and_then(Severity::parse).ok_or_else(|| {
                            err(sev, "severity must be one of error, warning, info".into())
                        })?;
                        config.severity.insert(id, severity);
                    }
                }
                "allow" => {
                    for (kind, list) in value.as_map().ok_or_else(|| {
                        err(
                            value,
                            "allow must be a mapping with configMaps and secrets".into(),
                        )
                    })? {
                        let globs = globs(file, list)?;
                        match kind.as_str().unwrap_or("") {
                            "configMaps" => config.allow_configmaps = globs,
                            "secrets" => config.allow_secrets = globs,
                            other => {
                                return Err(err(
                                    kind,
                                    format!(
                                        "unknown key `allow.{other}` (expected configMaps, secrets)"
                                    ),
                                ));
                            }
                        }
                    }
                }
                "startup" => parse_startup(file, value, &mut config)?,
                "sqlDialect" => {
                    config.sql_dialect = Some(
                        value
                            .as_str()
                            .and_then(crate::sql::Dialect::parse)
                            .ok_or_else(|| {
                                err(
                                    value,
                                    "sqlDialect must be one of postgres, mysql, generic".into(),
                                )
                            })?,
                    )
                }
                "pipelines" => {
                    let base = Path::new(&file.name).parent().unwrap_or(Path::new(""));
                    for item in value.as_seq().ok_or_else(|| {
                        err(
                            value,
                            "pipelines must be a list of files or directories".into(),
                        )
                    })? {
                        let path = item
                            .as_str()
                            .ok_or_else(|| err(item, "pipelines entries are paths".into()))?;
                        config.pipelines.push(base.join(path));
                    }
                }
                "base" => {
                    let reference = value
                        .as_str()
                        .filter(|r| !r.is_empty() && !r.starts_with('-'));
                    let reference = reference.ok_or_else(|| {
                        err(
                            value,
                            "base must be a git revision such as origin/main".into(),
                        )
                    })?;
                    config.base = Some(reference.to_string());
                }
                other => {
                    return Err(err(
                        key,
                        format!(
                            "unknown config key `{other}` (expected kubeVersion, disable, severity, allow, startup, sqlDialect, pipelines, base)"
                        ),
                    ));
                }
            }
        }
        Ok(config)
    }
}

fn rule_id(file: &Arc<SourceFile>, node: &Node) -> Result<String> {
    let id = node.as_str().unwrap_or("");
    if rules::find(id).is_none() {
        return Err(
            InputError::at(file, node.span, format!("unknown rule id `{id}`"))
                .with_help("`rollguard rules` lists the rule ids"),
        );
    }
    Ok(id.to_string())
}

fn globs(file: &Arc<SourceFile>, list: &Node) -> Result<Allow> {
    let items = list
        .as_seq()
        .ok_or_else(|| InputError::at(file, list.span, "expected a list of names or globs"))?;
    let mut builder = GlobSetBuilder::new();
    for item in items {
        let pattern = item
            .as_str()
            .ok_or_else(|| InputError::at(file, item.span, "expected a name or glob"))?;
        let glob = Glob::new(pattern)
            .map_err(|e| InputError::at(file, item.span, format!("invalid glob: {e}")))?;
        builder.add(glob);
    }
    let set = builder
        .build()
        .map_err(|e| InputError::at(file, list.span, format!("invalid globs: {e}")))?;
    Ok(Allow { globs: Some(set) })
}

fn parse_startup(file: &Arc<SourceFile>, value: &Node, config: &mut Config) -> Result<()> {
    let seconds = |node: &Node| {
        node.as_i64()
            .filter(|s| *s >= 0)
            .ok_or_else(|| InputError::at(file, node.span, "startup times are whole seconds"))
    };
    let entries = value.as_map().ok_or_else(|| {
        InputError::at(
            file,
            value.span,
            "startup must be a mapping (default, workloads)",
        )
    })?;
    for (key, v) in entries {
        match key.as_str().unwrap_or("") {
            "default" => config.startup_default = Some(seconds(v)?),
            "workloads" => {
                for (name, secs) in v.as_map().ok_or_else(|| {
                    InputError::at(
                        file,
                        v.span,
                        "startup.workloads maps workload names to seconds",
                    )
                })? {
                    let name = name.as_str().unwrap_or("").to_string();
                    config.startup_workloads.insert(name, seconds(secs)?);
                }
            }
            other => {
                return Err(InputError::at(
                    file,
                    key.span,
                    format!("unknown key `startup.{other}` (expected default, workloads)"),
                ));
            }
        }
    }
    Ok(())
}
