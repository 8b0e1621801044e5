//! From a list of files to a [`Chart`] tree, as Helm's `LoadFiles` sorts them: `Chart.yaml`,
//! `values.yaml`, `values.schema.json`, `requirements.yaml` (v1), `templates/…`, `charts/<sub>/…`
//! (directories) and `charts/<sub>.tgz` (archives); everything else is a file for `.Files`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use serde_json::Value;

use source::SourceFile;
use source::yaml::{Origin, parse_single};
use source::{InputError, Overlay, Result};

use super::MAX_SUBCHART_DEPTH;
use super::archive::read_archive;
use super::budget::Budget;
use super::directory::read_directory;
use super::file::File;
use super::metadata::{API_V1, ChartMetadata};
use super::values::Values;
use super::values::file::parse_values_file;

/// A chart as loaded, before values decide which subcharts are enabled.
#[derive(Debug, Clone)]
pub struct Chart {
    pub metadata: ChartMetadata,
    /// `values.yaml` (every document merged); numbers are f64.
    pub values: Values,
    /// The text of `values.yaml`, to point at a value that breaks the schema.
    pub values_file: Option<Arc<SourceFile>>,
    pub schema: Option<Value>,
    /// Files under `templates/`, in load order.
    pub templates: Arc<Vec<File>>,
    /// Everything `.Files` can read: not Chart.yaml, values.yaml, values.schema.json,
    /// Chart.lock, templates/ or charts/ (except `.prov` files).
    pub files: Arc<Vec<File>>,
    /// Subcharts found under `charts/`, sorted by directory or archive name.
    pub dependencies: Vec<Chart>,
    /// Where the chart came from, for messages: a directory, or `archive.tgz` and the path inside.
    pub origin: String,
}

impl Chart {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }
}

/// Loads a chart directory or a `.tgz` archive.
pub fn load_chart(path: &Path) -> Result<Chart> {
    load_chart_with(path, &Overlay::default())
}

/// [`load_chart`], reading the files of a chart directory that `overlay` holds from it.
pub fn load_chart_with(path: &Path, overlay: &Overlay) -> Result<Chart> {
    load_chart_files(read_chart_with(path, overlay)?)
}

/// A chart's files as read from its directory or archive, before they make a [`Chart`]
/// ([`load_chart_files`]).
pub struct ChartFiles {
    files: Vec<File>,
    shown: String,
    budget: Budget,
}

impl ChartFiles {
    /// Path and text of every file under a `templates/` directory, the subcharts' included:
    /// what a render will parse, known before the chart is loaded (the parse holds the text).
    pub fn template_texts(&self) -> Vec<(String, Arc<str>)> {
        self.files
            .iter()
            .filter(|f| f.name.starts_with("templates/") || f.name.contains("/templates/"))
            .map(|f| (f.name.clone(), f.shared_text()))
            .collect()
    }
}

/// Reads the files of a chart directory (those `overlay` holds from it) or archive.
pub fn read_chart_with(path: &Path, overlay: &Overlay) -> Result<ChartFiles> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path)
        .map_err(|e| InputError::in_path(&shown, format!("cannot read chart: {e}")))?;
    let mut budget = Budget::default();
    let files = if meta.is_dir() {
        read_directory(path, &mut budget, overlay)?
    } else {
        let bytes = source::bounded::read_file(path, super::MAX_CHART_BYTES)
            .map_err(|e| InputError::in_path(&shown, format!("chart archive: {e}")))?;
        read_archive(&bytes, &mut budget).map_err(|e| InputError::in_path(&shown, e))?
    };
    Ok(ChartFiles {
        files,
        shown,
        budget,
    })
}

/// The chart of files [`read_chart_with`] read.
pub fn load_chart_files(read: ChartFiles) -> Result<Chart> {
    let ChartFiles {
        files,
        shown,
        mut budget,
    } = read;
    load_files(files, &shown, 0, &mut budget)
}

/// Loads a packaged chart (`.tgz`) from its bytes; `shown` names it in messages.
pub fn load_archive(bytes: &[u8], shown: &str) -> Result<Chart> {
    let mut budget = Budget::default();
    let files = read_archive(bytes, &mut budget).map_err(|e| InputError::in_path(shown, e))?;
    load_files(files, shown, 0, &mut budget)
}

/// Builds a chart from its files; `origin` names it in messages; packaged subcharts are read
/// within `budget`.
pub fn load_files(
    files: Vec<File>,
    origin: &str,
    depth: usize,
    budget: &mut Budget,
) -> Result<Chart> {
    let shown = |name: &str| format!("{origin}/{name}");
    let mut metadata: Option<ChartMetadata> = None;
    // Chart.yaml first: requirements.yaml is read over it, and Helm decides by its apiVersion
    // whether requirements.yaml is also a file of the chart.
    let (chart_yaml, rest): (Vec<File>, Vec<File>) =
        files.into_iter().partition(|f| f.name == "Chart.yaml");
    for f in &chart_yaml {
        let md = metadata.get_or_insert_with(ChartMetadata::default);
        apply_yaml_file(md, &shown(&f.name), f)?;
        if md.api_version.is_empty() {
            md.api_version = API_V1.into();
        }
    }
    let mut values = Values::new();
    let mut values_file = None;
    let mut schema = None;
    let mut templates = Vec::new();
    let mut other = Vec::new();
    let mut subcharts: BTreeMap<String, Vec<File>> = BTreeMap::new();
    for f in rest {
        match f.name.as_str() {
            "values.yaml" => {
                let name = shown(&f.name);
                let text = source::bounded::text(f.data)
                    .map_err(|e| InputError::in_path(&name, e.to_string()))?;
                let source = SourceFile::new(name, text);
                values = parse_values_file(&source)?;
                values_file = Some(source);
            }
            "values.schema.json" => {
                let parsed: Value = serde_json::from_slice(&f.data).map_err(|e| {
                    InputError::in_path(
                        format!("{}:{}:{}", shown(&f.name), e.line(), e.column()),
                        format!("invalid JSON schema: {e}"),
                    )
                })?;
                schema = Some(parsed);
            }
            "Chart.lock" => {}
            "requirements.yaml" | "requirements.lock" => {
                let md = metadata.get_or_insert_with(ChartMetadata::default);
                if f.name == "requirements.yaml" {
                    apply_yaml_file(md, &shown(&f.name), &f)?;
                }
                if md.api_version == API_V1 {
                    other.push(f);
                }
            }
            name if name.starts_with("templates/") => templates.push(f),
            name if name.starts_with("charts/") && !name.ends_with(".prov") => {
                let inner = &name["charts/".len()..];
                let (sub, _) = inner.split_once('/').unwrap_or((inner, ""));
                let sub = sub.to_string();
                subcharts.entry(sub).or_default().push(File {
                    name: inner.to_string(),
                    data: f.data,
                });
            }
            _ => other.push(f),
        }
    }
    let mut metadata = metadata.ok_or_else(|| {
        InputError::in_path(origin, "Chart.yaml file is missing")
            .with_help("a chart directory needs a Chart.yaml with apiVersion, name and version")
    })?;
    if let Err((field, message)) = metadata.validate() {
        return Err(field_error(&chart_yaml, &other, origin, field, message));
    }

    let mut dependencies = Vec::new();
    for (name, files) in subcharts {
        if name.starts_with(['_', '.']) {
            continue;
        }
        if depth >= MAX_SUBCHART_DEPTH {
            return Err(InputError::in_path(
                shown("charts"),
                format!("subcharts nested deeper than {MAX_SUBCHART_DEPTH} levels"),
            ));
        }
        let sub_origin = shown(&format!("charts/{name}"));
        let sub = if name.ends_with(".tgz") {
            let Some(file) = files.iter().find(|f| f.name == name) else {
                return Err(InputError::in_path(&sub_origin, "expected a chart archive"));
            };
            let inner = read_archive(&file.data, budget)
                .map_err(|e| InputError::in_path(&sub_origin, e))?;
            load_files(inner, &sub_origin, depth + 1, budget)?
        } else {
            let inner = files
                .into_iter()
                .filter_map(|f| {
                    let (_, rel) = f.name.split_once('/')?;
                    Some(File {
                        name: rel.to_string(),
                        data: f.data,
                    })
                })
                .collect();
            load_files(inner, &sub_origin, depth + 1, budget)?
        };
        dependencies.push(sub);
    }

    Ok(Chart {
        metadata,
        values,
        values_file,
        schema,
        templates: Arc::new(templates),
        files: Arc::new(other),
        dependencies,
        origin: origin.to_string(),
    })
}

/// A Chart.yaml validation error, pointing at the key at fault in Chart.yaml or (for a v1
/// chart's dependencies) requirements.yaml when it is there.
fn field_error(
    chart_yaml: &[File],
    other: &[File],
    origin: &str,
    field: &str,
    message: String,
) -> InputError {
    let requirements = other.iter().filter(|f| f.name == "requirements.yaml");
    for f in chart_yaml.iter().chain(requirements) {
        let source = SourceFile::new(format!("{origin}/{}", f.name), f.text());
        if let Ok(Some(doc)) = parse_single(&source.text, Origin::default())
            && let Some((key, _)) = doc.entry(field)
        {
            return InputError::at(&source, key.span, message);
        }
    }
    InputError::in_path(format!("{origin}/Chart.yaml"), message)
}

fn apply_yaml_file(md: &mut ChartMetadata, shown: &str, f: &File) -> Result<()> {
    let source = SourceFile::new(shown, f.text());
    let doc = parse_single(&source.text, Origin::default())
        .map_err(|e| InputError::at(&source, e.span, format!("invalid YAML: {}", e.message)))?;
    match doc {
        Some(doc) => md.apply_yaml(&doc, &source),
        None => Ok(()),
    }
}
