//! `Chart.yaml` (and a v1 chart's `requirements.yaml`) read into Helm's `Metadata`, with Helm's
//! decoding quirks (a number where a string belongs is formatted back: `appVersion: 1.10` is
//! `"1.1"`) and its validation rules.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Map, Value, json};

use source::SourceFile;
use source::yaml::{Kind, Node};
use source::{InputError, Result};

use super::values::file::{key_text, scalar_as_string, to_value};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChartMetadata {
    pub api_version: String,
    pub name: String,
    pub version: String,
    pub kube_version: String,
    pub description: String,
    /// `type`: `""`, `application` or `library`.
    pub chart_type: String,
    pub keywords: Vec<String>,
    pub home: String,
    pub sources: Vec<String>,
    pub maintainers: Vec<Maintainer>,
    pub icon: String,
    pub app_version: String,
    pub deprecated: bool,
    /// `None` when absent: `.Chart.Annotations` is then `null` in `toJson`.
    pub annotations: Option<BTreeMap<String, String>>,
    /// `None` when the chart declares no `dependencies` key at all (Helm then skips dependency
    /// processing for it); `Some(vec![])` for `dependencies: []`.
    pub dependencies: Option<Vec<Dependency>>,
    pub condition: String,
    pub tags: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Maintainer {
    pub name: String,
    pub email: String,
    pub url: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dependency {
    pub name: String,
    pub version: String,
    pub repository: String,
    pub condition: String,
    pub tags: Vec<String>,
    pub enabled: bool,
    /// Items as written: a string (`exports.<name>` convention) or a `{child, parent}` map.
    pub import_values: Vec<Value>,
    pub alias: String,
}

pub const API_V1: &str = "v1";

impl ChartMetadata {
    pub fn is_library(&self) -> bool {
        self.chart_type == "library"
    }

    /// Sets every field the YAML document names, as Go's decoder fills a struct: `Chart.yaml`
    /// first, then (for v1 charts) `requirements.yaml` over it.
    pub fn apply_yaml(&mut self, doc: &Node, file: &Arc<SourceFile>) -> Result<()> {
        let entries = match &doc.kind {
            Kind::Map(entries) => entries,
            _ if doc.is_null() => return Ok(()),
            _ => {
                return Err(InputError::at(
                    file,
                    doc.span,
                    "expected a map of chart fields",
                ));
            }
        };
        let r = Reader { file };
        for (k, v) in entries {
            match key_text(k).as_str() {
                "apiVersion" => self.api_version = r.string(v)?,
                "name" => self.name = r.string(v)?,
                "version" => self.version = r.string(v)?,
                "kubeVersion" => self.kube_version = r.string(v)?,
                "description" => self.description = r.string(v)?,
                "type" => self.chart_type = r.string(v)?,
                "keywords" => self.keywords = r.strings(v)?,
                "home" => self.home = r.string(v)?,
                "sources" => self.sources = r.strings(v)?,
                "icon" => self.icon = r.string(v)?,
                "appVersion" => self.app_version = r.string(v)?,
                "deprecated" => self.deprecated = r.boolean(v)?,
                "condition" => self.condition = r.string(v)?,
                "tags" => self.tags = r.string(v)?,
                "annotations" => {
                    self.annotations = match r.map(v)? {
                        None => None,
                        Some(entries) => Some(
                            entries
                                .iter()
                                .map(|(k, v)| Ok((key_text(k), r.string(v)?)))
                                .collect::<Result<_>>()?,
                        ),
                    }
                }
                "maintainers" => {
                    self.maintainers = r.items(v, "maintainers", |m| {
                        let mut out = Maintainer::default();
                        for (k, v) in m {
                            match key_text(k).as_str() {
                                "name" => out.name = r.string(v)?,
                                "email" => out.email = r.string(v)?,
                                "url" => out.url = r.string(v)?,
                                _ => {}
                            }
                        }
                        Ok(out)
                    })?
                }
                "dependencies" => {
                    self.dependencies = if v.is_null() {
                        None
                    } else {
                        Some(r.items(v, "dependencies", |m| r.dependency(m))?)
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Helm's `Metadata.Validate`: cleans free text, then checks the required fields. The error
    /// names the Chart.yaml key at fault, so that the caller can point at its line.
    pub fn validate(&mut self) -> std::result::Result<(), (&'static str, String)> {
        for s in [
            &mut self.name,
            &mut self.description,
            &mut self.home,
            &mut self.icon,
            &mut self.condition,
            &mut self.tags,
            &mut self.app_version,
            &mut self.kube_version,
        ] {
            *s = sanitize(s);
        }
        for s in self.sources.iter_mut().chain(self.keywords.iter_mut()) {
            *s = sanitize(s);
        }
        if self.api_version.is_empty() {
            return Err(("apiVersion", "chart.metadata.apiVersion is required".into()));
        }
        if self.name.is_empty() {
            return Err(("name", "chart.metadata.name is required".into()));
        }
        if self.name.contains(['/', '\\']) || self.name == "." || self.name == ".." {
            return Err((
                "name",
                format!("chart.metadata.name {:?} is invalid", self.name),
            ));
        }
        if self.version.is_empty() {
            return Err(("version", "chart.metadata.version is required".into()));
        }
        if crate::semver::Version::parse(&self.version).is_err() {
            return Err((
                "version",
                format!("chart.metadata.version {:?} is invalid", self.version),
            ));
        }
        if !matches!(self.chart_type.as_str(), "" | "application" | "library") {
            return Err((
                "type",
                "chart.metadata.type must be application or library".into(),
            ));
        }
        for m in &mut self.maintainers {
            for s in [&mut m.name, &mut m.email, &mut m.url] {
                *s = sanitize(s);
            }
        }
        let mut seen = BTreeSet::new();
        for d in self.dependencies.iter_mut().flatten() {
            for s in [
                &mut d.name,
                &mut d.version,
                &mut d.repository,
                &mut d.condition,
                &mut d.alias,
            ] {
                *s = sanitize(s);
            }
            for t in &mut d.tags {
                *t = sanitize(t);
            }
            if !d.alias.is_empty()
                && !d
                    .alias
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err((
                    "dependencies",
                    format!(
                        "dependency {:?} has disallowed characters in the alias",
                        d.name
                    ),
                ));
            }
            let key = if d.alias.is_empty() {
                &d.name
            } else {
                &d.alias
            };
            if !seen.insert(key.clone()) {
                return Err((
                    "dependencies",
                    format!("more than one dependency with name or alias {key:?}"),
                ));
            }
        }
        Ok(())
    }

    /// `.Chart` as templates see it in Helm 4: a map with Go's field names, `IsRoot` added.
    pub fn template_json(&self, is_root: bool) -> Value {
        let strings = |v: &[String]| Value::from(v.to_vec());
        json!({
            "APIVersion": self.api_version,
            "Annotations": self.annotations.as_ref().map_or(Value::Null, |a| {
                Value::Object(a.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect())
            }),
            "AppVersion": self.app_version,
            "Condition": self.condition,
            "Dependencies": self.dependencies.iter().flatten().map(Dependency::template_json).collect::<Vec<_>>(),
            "Deprecated": self.deprecated,
            "Description": self.description,
            "Home": self.home,
            "Icon": self.icon,
            "IsRoot": is_root,
            "Keywords": strings(&self.keywords),
            "KubeVersion": self.kube_version,
            "Maintainers": self.maintainers.iter().map(|m| json!({"Email": m.email, "Name": m.name, "URL": m.url})).collect::<Vec<_>>(),
            "Name": self.name,
            "Sources": strings(&self.sources),
            "Tags": self.tags,
            "Type": self.chart_type,
            "Version": self.version,
        })
    }
}

impl Dependency {
    fn template_json(&self) -> Value {
        json!({
            "Alias": self.alias,
            "Condition": self.condition,
            "Enabled": self.enabled,
            "ImportValues": self.import_values,
            "Name": self.name,
            "Repository": self.repository,
            "Tags": self.tags,
            "Version": self.version,
        })
    }
}

/// Helm's `sanitizeString`: white space becomes a plain space, unprintable characters go.
fn sanitize(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            if c.is_whitespace() {
                Some(' ')
            } else if is_unprintable(c) {
                None
            } else {
                Some(c)
            }
        })
        .collect()
}

/// Control, format and private-use characters: what Go's `unicode.IsPrint` rejects in practice.
fn is_unprintable(c: char) -> bool {
    c.is_control()
        || matches!(c as u32,
            0xAD | 0x600..=0x605 | 0x61C | 0x6DD | 0x70F | 0x180E | 0x200B..=0x200F
            | 0x202A..=0x202E | 0x2060..=0x2064 | 0x2066..=0x206F | 0xFEFF | 0xFFF9..=0xFFFB
            | 0xE000..=0xF8FF | 0xF0000..=0x10FFFF)
}

/// Typed reads of YAML nodes, with errors at the node.
struct Reader<'a> {
    file: &'a Arc<SourceFile>,
}

impl Reader<'_> {
    fn err(&self, node: &Node, message: String) -> InputError {
        InputError::at(self.file, node.span, message)
    }

    fn string(&self, node: &Node) -> Result<String> {
        match &node.kind {
            Kind::Scalar(s) => Ok(scalar_as_string(s).unwrap_or_default()),
            _ => Err(self.err(node, "expected a string".into())),
        }
    }

    fn boolean(&self, node: &Node) -> Result<bool> {
        if node.is_null() {
            return Ok(false);
        }
        node.as_bool()
            .ok_or_else(|| self.err(node, "expected true or false".into()))
    }

    fn strings(&self, node: &Node) -> Result<Vec<String>> {
        if node.is_null() {
            return Ok(Vec::new());
        }
        match &node.kind {
            Kind::Seq(items) => items.iter().map(|i| self.string(i)).collect(),
            _ => Err(self.err(node, "expected a list of strings".into())),
        }
    }

    fn map<'n>(&self, node: &'n Node) -> Result<Option<&'n [(Node, Node)]>> {
        if node.is_null() {
            return Ok(None);
        }
        node.as_map()
            .map(Some)
            .ok_or_else(|| self.err(node, "expected a map".into()))
    }

    /// A list of maps; null items are refused as Helm refuses them.
    fn items<T>(
        &self,
        node: &Node,
        what: &str,
        read: impl Fn(&[(Node, Node)]) -> Result<T>,
    ) -> Result<Vec<T>> {
        if node.is_null() {
            return Ok(Vec::new());
        }
        let Some(items) = node.as_seq() else {
            return Err(self.err(node, format!("`{what}` must be a list")));
        };
        items
            .iter()
            .map(|item| match item.as_map() {
                Some(m) => read(m),
                None if item.is_null() => {
                    Err(self.err(item, format!("{what} must not contain empty or null nodes")))
                }
                None => Err(self.err(item, format!("each of `{what}` must be a map"))),
            })
            .collect()
    }

    fn dependency(&self, entries: &[(Node, Node)]) -> Result<Dependency> {
        let mut d = Dependency::default();
        for (k, v) in entries {
            match key_text(k).as_str() {
                "name" => d.name = self.string(v)?,
                "version" => d.version = self.string(v)?,
                "repository" => d.repository = self.string(v)?,
                "condition" => d.condition = self.string(v)?,
                "tags" => d.tags = self.strings(v)?,
                "enabled" => d.enabled = self.boolean(v)?,
                "alias" => d.alias = self.string(v)?,
                "import-values" => {
                    d.import_values = match to_value(v, self.file)? {
                        Value::Array(items) => items,
                        Value::Null => Vec::new(),
                        _ => return Err(self.err(v, "`import-values` must be a list".into())),
                    }
                }
                _ => {}
            }
        }
        Ok(d)
    }
}

/// Helm's rewrite of import-values after processing: every item as `{child, parent}` strings.
pub fn import_value_pair(child: &str, parent: &str) -> Value {
    let mut m = Map::new();
    m.insert("child".into(), Value::from(child));
    m.insert("parent".into(), Value::from(parent));
    Value::Object(m)
}
