//! The minimum of Helm's chart handling the engine needs to be exercised on real chart layouts:
//! `values.yaml` loaded as Helm loads it, the root objects (`.Values`, `.Release`, `.Chart`,
//! `.Template`, `.Capabilities`), template ordering and `<no value>` removal. Full chart
//! semantics (dependencies, coalescing, `.Files`) build on this.

use std::collections::BTreeMap;

use std::rc::Rc;

use super::funcs::glob::Glob;
use super::objects::{Files, NilMap, default_capabilities};
use super::value::Value;
use super::{Engine, Error, Shared};
use crate::yaml::{self, Kind, Node, scalar::Resolved};

/// A chart as files: paths relative to the chart root → contents.
pub type ChartFiles = BTreeMap<String, String>;

#[derive(Debug, Clone)]
pub struct Release {
    pub name: String,
    pub namespace: String,
    pub revision: i64,
    pub is_upgrade: bool,
}

impl Default for Release {
    fn default() -> Release {
        Release {
            name: "rel".into(),
            namespace: "ns".into(),
            revision: 1,
            is_upgrade: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum ChartError {
    /// A chart file that is not valid YAML or not the expected shape.
    Load(String),
    Template(Error),
}

impl ChartError {
    /// The message as Helm prints it.
    pub fn helm_message(&self) -> String {
        match self {
            ChartError::Load(m) => m.clone(),
            ChartError::Template(e) => e.helm_message(),
        }
    }
}

impl std::fmt::Display for ChartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.helm_message())
    }
}

impl std::error::Error for ChartError {}

/// Converts YAML to the value Helm's loader produces (YAML → JSON → Go): numbers become
/// float64, keys strings; with `drop_nulls`, null map entries disappear (Helm's coalescing
/// does that to a chart's own values; nulls inside lists stay).
pub fn yaml_to_value(node: &Node, drop_nulls: bool) -> Value {
    match &node.kind {
        Kind::Scalar(s) => match yaml::scalar::resolve(s) {
            Resolved::Null => Value::Nil,
            Resolved::Bool(b) => Value::Bool(b),
            Resolved::Int(i) => Value::Float(i as f64),
            Resolved::Float(f) => Value::Float(f),
            Resolved::Str(s) => Value::string(s),
        },
        Kind::Seq(items) => Value::list(items.iter().map(|n| yaml_to_value(n, false)).collect()),
        Kind::Map(entries) => {
            let mut m = BTreeMap::new();
            for (k, v) in entries {
                let v = yaml_to_value(v, drop_nulls);
                if drop_nulls && v.is_nil() {
                    continue;
                }
                m.insert(key_string(k), v);
            }
            Value::map(m)
        }
    }
}

/// sigs.k8s.io/yaml turns non-string keys into their JSON text.
fn key_string(k: &Node) -> String {
    match &k.kind {
        Kind::Scalar(s) => match yaml::scalar::resolve(s) {
            Resolved::Null => "null".into(),
            Resolved::Bool(b) => b.to_string(),
            Resolved::Int(i) => i.to_string(),
            Resolved::Float(f) => super::fmt::format_float_v(f),
            Resolved::Str(s) => s,
        },
        _ => super::fmt::sprint_v(&yaml_to_value(k, false)),
    }
}

/// Loads a values file: a map (empty when the file is), as Helm requires.
pub fn load_values(file: &str, text: &str) -> Result<Value, ChartError> {
    let prefix = format!("cannot load {file}: cannot unmarshal yaml document");
    let node = yaml::parse_single(text, yaml::Origin::default()).map_err(|e| {
        ChartError::Load(format!(
            "{prefix}: error converting YAML to JSON: yaml: {e}"
        ))
    })?;
    let Some(node) = node else {
        return Ok(Value::map(BTreeMap::new()));
    };
    match &node.kind {
        Kind::Map(_) => Ok(with_values_type(yaml_to_value(&node, true))),
        Kind::Scalar(s) if yaml::scalar::is_null(s) => Ok(Value::map(BTreeMap::new())),
        other => {
            let what = match other {
                Kind::Seq(_) => "array",
                _ => "string",
            };
            Err(ChartError::Load(format!(
                "{prefix}: error unmarshaling JSON: while decoding JSON: json: cannot unmarshal {what} into Go value of type map[string]interface {{}}"
            )))
        }
    }
}

fn with_values_type(v: Value) -> Value {
    match v {
        Value::Map(m) => Value::Map(super::value::Map {
            entries: m.entries,
            ty: super::value::MapTy::Values,
        }),
        other => other,
    }
}

/// Text of a Chart.yaml scalar for a string field: numbers read as JSON numbers (`1.10`
/// becomes `1.1`), as Helm's loader does.
fn meta_string(v: Option<Value>) -> Value {
    match v {
        None | Some(Value::Nil) => Value::str(""),
        Some(Value::Str(s)) => Value::Str(s),
        Some(other) => Value::string(super::fmt::sprint_v(&other)),
    }
}

fn meta_list(v: Option<Value>, item: impl Fn(&Value) -> Value) -> Value {
    match v {
        Some(Value::List(l)) => Value::list(l.items.iter().map(item).collect()),
        _ => Value::list(Vec::new()),
    }
}

fn go_struct(v: &Value, keys: &[(&str, &str)]) -> Value {
    Value::map(
        keys.iter()
            .map(|(yaml_key, go_key)| (go_key.to_string(), meta_string(v.get(yaml_key))))
            .collect(),
    )
}

/// `.Chart`: Chart.yaml as Helm 4 exposes it, a map with Go's field names.
fn chart_object(meta: &Value, is_root: bool) -> Value {
    let mut m = BTreeMap::new();
    for (yaml_key, go_key) in [
        ("apiVersion", "APIVersion"),
        ("appVersion", "AppVersion"),
        ("condition", "Condition"),
        ("description", "Description"),
        ("home", "Home"),
        ("icon", "Icon"),
        ("kubeVersion", "KubeVersion"),
        ("name", "Name"),
        ("tags", "Tags"),
        ("type", "Type"),
        ("version", "Version"),
    ] {
        m.insert(go_key.to_string(), meta_string(meta.get(yaml_key)));
    }
    let strings = |k: &str| meta_list(meta.get(k), |v| meta_string(Some(v.clone())));
    m.insert("Keywords".into(), strings("keywords"));
    m.insert("Sources".into(), strings("sources"));
    m.insert(
        "Maintainers".into(),
        meta_list(meta.get("maintainers"), |v| {
            go_struct(v, &[("name", "Name"), ("email", "Email"), ("url", "URL")])
        }),
    );
    m.insert(
        "Dependencies".into(),
        meta_list(meta.get("dependencies"), |v| {
            let mut d = go_struct(
                v,
                &[
                    ("name", "Name"),
                    ("version", "Version"),
                    ("repository", "Repository"),
                    ("condition", "Condition"),
                    ("alias", "Alias"),
                ],
            );
            if let Value::Map(dm) = &mut d {
                let mut e = dm.entries.borrow_mut();
                e.insert("Tags".into(), strings_of(v.get("tags")));
                e.insert("Enabled".into(), Value::Bool(true));
                e.insert(
                    "ImportValues".into(),
                    v.get("import-values")
                        .unwrap_or_else(|| Value::list(Vec::new())),
                );
            }
            d
        }),
    );
    m.insert(
        "Deprecated".into(),
        Value::Bool(matches!(meta.get("deprecated"), Some(Value::Bool(true)))),
    );
    m.insert("IsRoot".into(), Value::Bool(is_root));
    m.insert(
        "Annotations".into(),
        match meta.get("annotations") {
            Some(Value::Map(a)) => Value::Map(a),
            _ => Value::Object(Rc::new(NilMap {
                type_name: "map[string]string",
            })),
        },
    );
    Value::map(m)
}

fn strings_of(v: Option<Value>) -> Value {
    meta_list(v, |x| meta_string(Some(x.clone())))
}

/// Files of a chart that `.Files` exposes: everything but Chart.yaml, values, templates and
/// subcharts, less what `.helmignore` excludes.
fn chart_files(files: &ChartFiles, dir: &str) -> Files {
    const SPECIAL: &[&str] = &[
        "Chart.yaml",
        "Chart.lock",
        "values.yaml",
        "values.schema.json",
        "requirements.yaml",
        "requirements.lock",
    ];
    let ignore = files
        .get(&format!("{dir}.helmignore"))
        .map(|t| HelmIgnore::new(t))
        .unwrap_or_default();
    let files = files
        .iter()
        .filter_map(|(path, text)| {
            let rel = path.strip_prefix(dir)?;
            let skip = SPECIAL.contains(&rel)
                || rel.starts_with("templates/")
                || rel.starts_with("charts/")
                || ignore.ignored(rel);
            (!skip).then(|| (rel.to_string(), Rc::from(text.as_bytes())))
        })
        .collect();
    Files { files }
}

/// `.helmignore`: glob lines matched against the path and the base name; `!` re-includes.
#[derive(Default)]
struct HelmIgnore {
    rules: Vec<(bool, Glob)>,
}

impl HelmIgnore {
    fn new(text: &str) -> HelmIgnore {
        let rules = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                let (neg, pat) = match l.strip_prefix('!') {
                    Some(p) => (true, p),
                    None => (false, l),
                };
                let pat = pat.trim_start_matches('/').trim_end_matches('/');
                Glob::new(pat).ok().map(|g| (neg, g))
            })
            .collect();
        HelmIgnore { rules }
    }

    fn ignored(&self, path: &str) -> bool {
        let mut ignored = false;
        for (neg, g) in &self.rules {
            let hit = g.matches(path)
                || path.rsplit('/').next().is_some_and(|b| g.matches(b))
                || path.match_indices('/').any(|(i, _)| g.matches(&path[..i]));
            if hit {
                ignored = !neg;
            }
        }
        ignored
    }
}

fn load_chart_meta(files: &ChartFiles, dir: &str) -> Result<Value, ChartError> {
    let path = format!("{dir}Chart.yaml");
    let text = files
        .get(&path)
        .ok_or_else(|| ChartError::Load(format!("{path} not found")))?;
    let node = yaml::parse_single(text, yaml::Origin::default())
        .map_err(|e| ChartError::Load(format!("cannot load {path}: {e}")))?;
    Ok(node.map_or_else(Value::default, |n| yaml_to_value(&n, true)))
}

/// A chart (or subchart) found in the files: where it lives and the dot its templates see.
struct Unit {
    dir: String,
    /// Template path prefix: `c/` for the root, `c/charts/sub/` for a subchart.
    prefix: String,
    dot: BTreeMap<String, Value>,
}

fn collect_units(
    files: &ChartFiles,
    dir: &str,
    prefix: &str,
    release: &Value,
    caps: &Value,
    out: &mut Vec<Unit>,
) -> Result<(), ChartError> {
    let meta = load_chart_meta(files, dir)?;
    let name = meta
        .get("name")
        .and_then(|n| n.as_str().map(str::to_string))
        .unwrap_or_default();
    let prefix = format!("{prefix}{name}/");
    let values_path = format!("{dir}values.yaml");
    let values = match files.get(&values_path) {
        Some(text) => load_values("values.yaml", text)?,
        None => with_values_type(Value::map(BTreeMap::new())),
    };
    let dot = BTreeMap::from([
        ("Values".to_string(), values),
        ("Release".to_string(), release.clone()),
        ("Chart".to_string(), chart_object(&meta, dir.is_empty())),
        ("Capabilities".to_string(), caps.clone()),
        (
            "Files".to_string(),
            Value::Object(Rc::new(chart_files(files, dir))),
        ),
        ("Subcharts".to_string(), Value::map(BTreeMap::new())),
    ]);
    out.push(Unit {
        dir: dir.to_string(),
        prefix: prefix.clone(),
        dot,
    });
    let sub_root = format!("{dir}charts/");
    let subdirs: Vec<String> = files
        .keys()
        .filter_map(|p| p.strip_prefix(&sub_root))
        .filter_map(|rest| rest.strip_suffix("/Chart.yaml"))
        .filter(|d| !d.contains('/'))
        .map(str::to_string)
        .collect();
    for sub in subdirs {
        collect_units(
            files,
            &format!("{sub_root}{sub}/"),
            &format!("{prefix}charts/"),
            release,
            caps,
            out,
        )?;
    }
    Ok(())
}

/// Helm's template order: deeper paths first, then reverse lexical order. Parsing in this
/// order decides which duplicate `define` wins (the last parsed).
fn helm_order(a: &str, b: &str) -> std::cmp::Ordering {
    let depth = |s: &str| s.matches('/').count();
    depth(b).cmp(&depth(a)).then_with(|| b.cmp(a))
}

/// Renders every template of a chart, as `helm template` does, keyed `CHART/templates/…`.
/// `setup` registers the function library on the engine before templates are parsed.
pub fn render_chart(
    files: &ChartFiles,
    release: &Release,
    setup: impl FnOnce(&mut Engine),
) -> Result<BTreeMap<String, String>, ChartError> {
    let release_obj = Value::map(BTreeMap::from([
        ("Name".to_string(), Value::str(&release.name)),
        ("Namespace".to_string(), Value::str(&release.namespace)),
        ("Revision".to_string(), Value::int(release.revision)),
        ("IsUpgrade".to_string(), Value::Bool(release.is_upgrade)),
        ("IsInstall".to_string(), Value::Bool(!release.is_upgrade)),
        ("Service".to_string(), Value::str("Helm")),
    ]));
    let mut units = Vec::new();
    collect_units(
        files,
        "",
        "",
        &release_obj,
        &default_capabilities(),
        &mut units,
    )?;

    let mut templates: Vec<(String, usize, &str)> = Vec::new();
    for (i, unit) in units.iter().enumerate() {
        let tdir = format!("{}templates/", unit.dir);
        for (path, text) in files.range(tdir.clone()..) {
            let Some(rest) = path.strip_prefix(&tdir) else {
                break;
            };
            templates.push((format!("{}templates/{rest}", unit.prefix), i, text));
        }
    }
    templates.sort_by(|a, b| helm_order(&a.0, &b.0));

    let mut engine = Engine::new();
    setup(&mut engine);
    for (name, _, text) in &templates {
        engine
            .add_template(name, text)
            .map_err(ChartError::Template)?;
    }
    let shared = Shared::new(&engine.limits);
    let mut rendered = BTreeMap::new();
    for (name, unit, _) in &templates {
        let base = name.rsplit('/').next().unwrap_or(name);
        if base.starts_with('_') {
            continue;
        }
        let unit = &units[*unit];
        let mut dot = unit.dot.clone();
        let base_path = format!("{}templates", unit.prefix);
        dot.insert(
            "Template".to_string(),
            with_values_type(Value::map(BTreeMap::from([
                ("Name".to_string(), Value::str(name)),
                ("BasePath".to_string(), Value::string(base_path)),
            ]))),
        );
        let out = engine
            .execute_shared(&shared, name, Value::map(dot))
            .map_err(ChartError::Template)?;
        rendered.insert(name.clone(), out.replace("<no value>", ""));
    }
    Ok(rendered)
}
