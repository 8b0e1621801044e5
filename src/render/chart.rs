//! The minimum of Helm's chart handling the engine needs to be exercised on real chart layouts:
//! `values.yaml` loaded as Helm loads it, the root objects (`.Values`, `.Release`, `.Chart`,
//! `.Template`, `.Capabilities`), template ordering and `<no value>` removal. Full chart
//! semantics (dependencies, coalescing, `.Files`) build on this.

use std::collections::BTreeMap;

use std::rc::Rc;

use super::funcs::glob::Glob;
use super::objects::{Capabilities, Files, NilMap, capabilities};
use super::value::Value;
use super::{Engine, Error, Shared};
use crate::yaml::{self, Kind, Node, scalar::Resolved};

/// A chart as files: paths relative to the chart root → contents.
pub type ChartFiles = BTreeMap<String, String>;

/// Reads a chart directory (with its vendored subcharts). Files that are not UTF-8 text
/// (images, packed `.tgz` dependencies) are left out: templates never read them as text.
pub fn load_chart_dir(dir: &std::path::Path) -> std::io::Result<ChartFiles> {
    let mut files = ChartFiles::new();
    for entry in walkdir::WalkDir::new(dir) {
        let entry = entry.map_err(std::io::Error::other)?;
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(entry.path()) else {
            continue;
        };
        let rel = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let rel: Vec<String> = rel
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        files.insert(rel.join("/"), text);
    }
    Ok(files)
}

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

/// A YAML syntax error worded as go-yaml words it (`yaml: line 1: did not find expected ','
/// or ']'`): the common problems are mapped, and go-yaml's line numbering is followed
/// (0-based for parser errors, 1-based for scanner errors, none on the first line).
pub fn go_yaml_error(e: &yaml::YamlError, text: &str) -> String {
    const KNOWN: &[(&str, &str, bool)] = &[
        (
            "expected ',' or ']'",
            "did not find expected ',' or ']'",
            false,
        ),
        (
            "expected ',' or '}'",
            "did not find expected ',' or '}'",
            false,
        ),
        (
            "did not find expected key",
            "did not find expected key",
            false,
        ),
        (
            "did not find expected '-' indicator",
            "did not find expected '-' indicator",
            false,
        ),
        (
            "did not find expected node content",
            "did not find expected node content",
            false,
        ),
        (
            "mapping values are not allowed",
            "mapping values are not allowed in this context",
            true,
        ),
        (
            "could not find expected ':'",
            "could not find expected ':'",
            true,
        ),
        (
            "found unexpected end of stream",
            "found unexpected end of stream",
            true,
        ),
        (
            "unexpected character",
            "found character that cannot start any token",
            true,
        ),
        (
            "tabs disallowed",
            "found character that cannot start any token",
            true,
        ),
    ];
    let (problem, scanner) = KNOWN
        .iter()
        .find(|(saphyr, _, _)| e.message.contains(saphyr))
        .map_or((e.message.as_str(), true), |(_, go, scanner)| {
            (*go, *scanner)
        });
    // go-yaml marks an unexpected end at the end of the text; saphyr at where the token began.
    let zero_based = if problem == "found unexpected end of stream" {
        text.matches('\n').count()
    } else {
        (e.span.line as usize).saturating_sub(1)
    };
    if zero_based == 0 {
        return format!("yaml: {problem}");
    }
    let line = if scanner { zero_based + 1 } else { zero_based };
    format!("yaml: line {line}: {problem}")
}

/// Loads a values file: a map (empty when the file is), as Helm requires.
pub fn load_values(file: &str, text: &str) -> Result<Value, ChartError> {
    let prefix = format!("cannot load {file}: cannot unmarshal yaml document");
    let node = yaml::parse_single(text, yaml::Origin::default()).map_err(|e| {
        ChartError::Load(format!(
            "{prefix}: error converting YAML to JSON: {}",
            go_yaml_error(&e, text)
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

/// User-supplied values: like a chart's, but their nulls are kept (they delete defaults).
fn load_user_values(text: &str) -> Result<Value, ChartError> {
    let node = yaml::parse_single(text, yaml::Origin::default())
        .map_err(|e| ChartError::Load(format!("cannot load user values: {e}")))?;
    match node {
        None => Ok(Value::map(BTreeMap::new())),
        Some(n) if matches!(n.kind, Kind::Map(_)) => Ok(yaml_to_value(&n, false)),
        Some(_) => Err(ChartError::Load(
            "cannot load user values: not a map".into(),
        )),
    }
}

pub(super) fn with_values_type(v: Value) -> Value {
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

/// A chart and its enabled subcharts, as Helm resolves them.
#[derive(Clone)]
struct ChartNode {
    /// Where its files are (`""` for the root, `charts/sub/` for a subchart).
    dir: String,
    meta: Value,
    /// Its name, or its alias in the parent's dependency list.
    name: String,
    /// Its own values.yaml.
    values: Value,
    subs: Vec<ChartNode>,
}

impl ChartNode {
    fn is_library(&self) -> bool {
        self.meta
            .get("type")
            .and_then(|t| t.as_str().map(|t| t == "library"))
            == Some(true)
    }

    /// The `dependencies:` entries of Chart.yaml.
    fn deps(&self) -> Vec<Value> {
        match self.meta.get("dependencies") {
            Some(Value::List(l)) => l.items.to_vec(),
            _ => Vec::new(),
        }
    }
}

fn str_field(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(|s| s.as_str().map(str::to_string))
}

fn load_tree(files: &ChartFiles, dir: &str) -> Result<ChartNode, ChartError> {
    let meta = load_chart_meta(files, dir)?;
    let name = str_field(&meta, "name").unwrap_or_default();
    let values = match files.get(&format!("{dir}values.yaml")) {
        Some(text) => load_values("values.yaml", text)?,
        None => with_values_type(Value::map(BTreeMap::new())),
    };
    let sub_root = format!("{dir}charts/");
    let subdirs: Vec<String> = files
        .keys()
        .filter_map(|p| p.strip_prefix(&sub_root))
        .filter_map(|rest| rest.strip_suffix("/Chart.yaml"))
        .filter(|d| !d.contains('/'))
        .map(str::to_string)
        .collect();
    let mut found = Vec::new();
    for sub in subdirs {
        found.push(load_tree(files, &format!("{sub_root}{sub}/"))?);
    }
    let mut node = ChartNode {
        dir: dir.to_string(),
        meta,
        name,
        values,
        subs: Vec::new(),
    };
    // An aliased dependency is a renamed copy; charts no dependency mentions stay as they are.
    let deps = node.deps();
    let mut used = vec![false; found.len()];
    for dep in &deps {
        let Some(dep_name) = str_field(dep, "name") else {
            continue;
        };
        if let Some(i) = found.iter().position(|c| c.name == dep_name) {
            let mut sub = found[i].clone();
            if let Some(alias) = str_field(dep, "alias") {
                sub.name = alias;
            }
            used[i] = true;
            node.subs.push(sub);
        }
    }
    for (sub, used) in found.into_iter().zip(used) {
        if !used {
            node.subs.push(sub);
        }
    }
    Ok(node)
}

/// Helm's `coalesceTables`: `dst` wins; `src` fills what `dst` lacks, recursively.
fn coalesce_tables(dst: &super::value::Map, src: &super::value::Map) {
    let src_entries: Vec<(String, Value)> = src
        .entries
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, sv) in src_entries {
        let dv = dst.entries.borrow().get(&k).cloned();
        match (dv, Value::as_map(&sv)) {
            (None, _) => {
                dst.entries
                    .borrow_mut()
                    .insert(k, super::funcs::deep_copy(&sv));
            }
            (Some(Value::Map(dm)), Some(sm)) => coalesce_tables(&dm, sm),
            _ => {}
        }
    }
}

/// Helm's `coalesceGlobals`: the parent's `global` entries override the child's.
fn coalesce_globals(dest: &super::value::Map, src: &super::value::Map) {
    let dg = match dest.entries.borrow().get("global") {
        Some(Value::Map(m)) => m.clone(),
        Some(_) => return,
        None => match Value::map(BTreeMap::new()) {
            Value::Map(m) => m,
            _ => return,
        },
    };
    let sg: Vec<(String, Value)> = match src.entries.borrow().get("global") {
        Some(Value::Map(m)) => m
            .entries
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        _ => Vec::new(),
    };
    for (k, v) in sg {
        let existing = dg.entries.borrow().get(&k).cloned();
        match (Value::as_map(&v), existing) {
            (Some(_), Some(Value::Map(dm))) => {
                let copy = super::funcs::deep_copy(&v);
                if let Value::Map(cm) = &copy {
                    coalesce_tables(cm, &dm);
                }
                dg.entries.borrow_mut().insert(k, copy);
            }
            (Some(_), Some(_)) => {}
            (Some(_), None) => {
                dg.entries
                    .borrow_mut()
                    .insert(k, super::funcs::deep_copy(&v));
            }
            (None, Some(Value::Map(_))) => {}
            (None, _) => {
                dg.entries.borrow_mut().insert(k, v);
            }
        }
    }
    dest.entries
        .borrow_mut()
        .insert("global".into(), Value::Map(dg));
}

/// Helm's `coalesceDeps`: each subchart's section of `dest` gets the globals and the
/// subchart's defaults, recursively.
fn coalesce_deps(node: &ChartNode, dest: &super::value::Map) {
    for sub in &node.subs {
        let existing = dest.entries.borrow().get(&sub.name).cloned();
        let section = match existing {
            Some(Value::Map(m)) => m,
            Some(v) if !v.is_nil() => continue,
            _ => {
                let fresh = Value::map(BTreeMap::new());
                dest.entries
                    .borrow_mut()
                    .insert(sub.name.clone(), fresh.clone());
                match fresh {
                    Value::Map(m) => m,
                    _ => continue,
                }
            }
        };
        coalesce_globals(&section, dest);
        if let Some(defaults) = Value::as_map(&sub.values) {
            coalesce_tables(&section, defaults);
        }
        coalesce_deps(sub, &section);
    }
}

/// The values of the whole tree: the root's values with every subchart's defaults coalesced in.
/// The values of the whole tree: user-supplied values over the root's own, with every
/// subchart's defaults coalesced in.
fn coalesced_values(root: &ChartNode, user: Option<&Value>) -> Value {
    let vals = with_values_type(super::funcs::deep_copy(user.unwrap_or(&root.values)));
    if let Some(m) = Value::as_map(&vals) {
        if user.is_some()
            && let Some(defaults) = Value::as_map(&root.values)
        {
            coalesce_user(m, defaults);
        }
        coalesce_deps(root, m);
    }
    vals
}

/// Helm's coalescing of user values over a chart's defaults: the user wins, and a user `null`
/// deletes the default.
fn coalesce_user(dst: &super::value::Map, src: &super::value::Map) {
    let src_entries: Vec<(String, Value)> = src
        .entries
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, sv) in src_entries {
        let dv = dst.entries.borrow().get(&k).cloned();
        match (dv, Value::as_map(&sv)) {
            (None, _) => {
                dst.entries
                    .borrow_mut()
                    .insert(k, super::funcs::deep_copy(&sv));
            }
            (Some(Value::Nil), _) => {
                dst.entries.borrow_mut().remove(&k);
            }
            (Some(Value::Map(dm)), Some(sm)) => coalesce_user(&dm, sm),
            _ => {}
        }
    }
}

fn path_value(v: &Value, path: &str) -> Option<Value> {
    let mut cur = v.clone();
    for part in path.split('.') {
        cur = cur.get(part)?;
    }
    Some(cur)
}

/// Drops subcharts disabled by their `condition` (first path that holds a bool) or by `tags`.
fn apply_conditions(node: &mut ChartNode, vals: &Value, top: &Value) {
    let deps = node.deps();
    node.subs.retain(|sub| {
        let Some(dep) = deps.iter().find(|d| {
            str_field(d, "alias")
                .or_else(|| str_field(d, "name"))
                .as_deref()
                == Some(&sub.name)
        }) else {
            return true;
        };
        let mut enabled = true;
        if let Some(Value::List(tags)) = dep.get("tags") {
            let states: Vec<bool> = tags
                .items
                .iter()
                .filter_map(|t| {
                    t.as_str()
                        .and_then(|t| path_value(top, &format!("tags.{t}")))
                })
                .filter_map(|v| match v {
                    Value::Bool(b) => Some(b),
                    _ => None,
                })
                .collect();
            if states.contains(&true) {
                enabled = true;
            } else if states.contains(&false) {
                enabled = false;
            }
        }
        if let Some(cond) = str_field(dep, "condition") {
            for path in cond.split(',').map(str::trim) {
                if let Some(Value::Bool(b)) = path_value(vals, path) {
                    enabled = b;
                    break;
                }
            }
        }
        enabled
    });
    for sub in &mut node.subs {
        let sub_vals = vals.get(&sub.name).unwrap_or_default();
        apply_conditions(sub, &sub_vals, top);
    }
}

/// Helm's `import-values`: child tables copied into the parent's values, below the parent's own.
fn import_values(node: &mut ChartNode) {
    for sub in &mut node.subs {
        import_values(sub);
    }
    let deps = node.deps();
    if !deps.iter().any(|d| d.get("import-values").is_some()) {
        return;
    }
    let cvals = coalesced_values(node, None);
    let imported = Value::map(BTreeMap::new());
    let Some(target) = Value::as_map(&imported) else {
        return;
    };
    for dep in &deps {
        let name = str_field(dep, "alias")
            .or_else(|| str_field(dep, "name"))
            .unwrap_or_default();
        let Some(Value::List(ivs)) = dep.get("import-values") else {
            continue;
        };
        for iv in ivs.items.iter() {
            let (child, parent) = match iv {
                Value::Str(s) => (format!("exports.{s}"), String::new()),
                Value::Map(_) => (
                    str_field(iv, "child").unwrap_or_default(),
                    str_field(iv, "parent").unwrap_or_default(),
                ),
                _ => continue,
            };
            let Some(Value::Map(table)) = path_value(&cvals, &format!("{name}.{child}")) else {
                continue;
            };
            let mut value = Value::Map(table);
            for part in parent.split('.').filter(|p| !p.is_empty()).rev() {
                value = Value::map(BTreeMap::from([(part.to_string(), value)]));
            }
            if let Some(vm) = Value::as_map(&value) {
                coalesce_tables(target, vm);
            }
        }
    }
    if let Some(cm) = Value::as_map(&cvals) {
        coalesce_tables(cm, target);
    }
    node.values = cvals;
}

/// Where a chart's templates are rendered, and the dot they see.
pub(super) struct Unit {
    pub(super) dir: String,
    /// Template path prefix: `c/` for the root, `c/charts/sub/` for a subchart.
    pub(super) prefix: String,
    pub(super) library: bool,
    pub(super) dot: BTreeMap<String, Value>,
}

fn collect_units(
    files: &ChartFiles,
    node: &ChartNode,
    values: Value,
    prefix: &str,
    common: &[(&str, Value)],
    out: &mut Vec<Unit>,
) -> BTreeMap<String, Value> {
    let prefix = format!("{prefix}{}/", node.name);
    let mut meta = node.meta.clone();
    if let Value::Map(m) = &node.meta {
        let mut entries = m.entries.borrow().clone();
        entries.insert("name".into(), Value::str(&node.name));
        meta = Value::map(entries);
    }
    let index = out.len();
    out.push(Unit {
        dir: node.dir.clone(),
        prefix: prefix.clone(),
        library: node.is_library(),
        dot: BTreeMap::new(),
    });
    let mut subcharts = BTreeMap::new();
    for sub in &node.subs {
        let sub_values = match values.get(&sub.name) {
            Some(Value::Map(m)) => with_values_type(Value::Map(m)),
            _ => with_values_type(Value::map(BTreeMap::new())),
        };
        let sub_dot = collect_units(
            files,
            sub,
            sub_values,
            &format!("{prefix}charts/"),
            common,
            out,
        );
        subcharts.insert(sub.name.clone(), Value::map(sub_dot));
    }
    let mut dot: BTreeMap<String, Value> = common
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    dot.insert("Values".into(), values);
    dot.insert("Chart".into(), chart_object(&meta, node.dir.is_empty()));
    dot.insert(
        "Files".into(),
        Value::Object(Rc::new(chart_files(files, &node.dir))),
    );
    dot.insert("Subcharts".into(), Value::map(subcharts));
    out[index].dot = dot.clone();
    dot
}

/// Helm's template order: deeper paths first, then reverse lexical order. Parsing in this
/// order decides which duplicate `define` wins (the last parsed).
fn helm_order(a: &str, b: &str) -> std::cmp::Ordering {
    let depth = |s: &str| s.matches('/').count();
    depth(b).cmp(&depth(a)).then_with(|| b.cmp(a))
}

/// Stack of the thread a chart renders on: Helm allows 1000 nested `include`s of one name and
/// Go 100000 nested `template`s, far more than a default thread stack holds. Only the pages
/// actually used are ever committed.
pub(super) const RENDER_STACK: usize = 512 << 20;

/// What a render depends on besides the chart.
#[derive(Debug, Clone, Default)]
pub struct RenderOptions {
    pub release: Release,
    /// User-supplied values (`-f`/`--set`), as YAML text; they win over the chart's.
    pub values_yaml: Option<String>,
    pub capabilities: Capabilities,
}

/// Renders every template of a chart, as `helm template` does, keyed `CHART/templates/…`.
/// `setup` registers the function library on the engine before templates are parsed (it may
/// also change [`Engine::limits`]). Runs on a thread of its own with a deep stack.
pub fn render_chart(
    files: &ChartFiles,
    release: &Release,
    setup: impl FnOnce(&mut Engine) + Send + 'static,
) -> Result<BTreeMap<String, String>, ChartError> {
    let options = RenderOptions {
        release: release.clone(),
        ..RenderOptions::default()
    };
    render_chart_with(files, &options, setup)
}

/// [`render_chart`] with user values and capabilities.
pub fn render_chart_with(
    files: &ChartFiles,
    options: &RenderOptions,
    setup: impl FnOnce(&mut Engine) + Send + 'static,
) -> Result<BTreeMap<String, String>, ChartError> {
    let rendered = render_on_thread(files, options, setup, false)?;
    Ok(rendered.into_iter().map(|(k, r)| (k, r.text)).collect())
}

/// A rendered template and where each stretch of it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub text: String,
    pub segments: Vec<super::Segment>,
}

/// [`render_chart_with`], also mapping the output back to template lines (so findings on a
/// manifest can point at the template that wrote it).
pub fn render_chart_traced(
    files: &ChartFiles,
    options: &RenderOptions,
    setup: impl FnOnce(&mut Engine) + Send + 'static,
) -> Result<BTreeMap<String, Rendered>, ChartError> {
    render_on_thread(files, options, setup, true)
}

fn render_on_thread(
    files: &ChartFiles,
    options: &RenderOptions,
    setup: impl FnOnce(&mut Engine) + Send + 'static,
    trace: bool,
) -> Result<BTreeMap<String, Rendered>, ChartError> {
    let (files, options) = (files.clone(), options.clone());
    super::run_with_stack(RENDER_STACK, move || {
        let setup = |e: &mut Engine| {
            e.limits.stack_budget = RENDER_STACK - (32 << 20);
            setup(e);
        };
        render_here(&files, &options, setup, trace)
    })
    .unwrap_or_else(|e| Err(ChartError::Load(format!("rendering failed: {e}"))))
}

/// Helm's removal of every `<no value>` from a rendered template, moving the segments along.
fn strip_no_value(text: &str, segments: Vec<super::Segment>) -> Rendered {
    const NO_VALUE: &str = "<no value>";
    let cuts: Vec<usize> = text.match_indices(NO_VALUE).map(|(i, _)| i).collect();
    let segments = segments
        .into_iter()
        .map(|mut seg| {
            let before = cuts.partition_point(|&c| c < seg.offset);
            let inside = before > 0 && seg.offset < cuts[before - 1] + NO_VALUE.len();
            seg.offset = if inside {
                cuts[before - 1] - (before - 1) * NO_VALUE.len()
            } else {
                seg.offset - before * NO_VALUE.len()
            };
            seg
        })
        .collect();
    Rendered {
        text: text.replace(NO_VALUE, ""),
        segments,
    }
}

fn render_here(
    files: &ChartFiles,
    options: &RenderOptions,
    setup: impl FnOnce(&mut Engine),
    trace: bool,
) -> Result<BTreeMap<String, Rendered>, ChartError> {
    let release = &options.release;
    let user = match &options.values_yaml {
        Some(text) => Some(load_user_values(text)?),
        None => None,
    };
    let release_obj = Value::map(BTreeMap::from([
        ("Name".to_string(), Value::str(&release.name)),
        ("Namespace".to_string(), Value::str(&release.namespace)),
        ("Revision".to_string(), Value::int(release.revision)),
        ("IsUpgrade".to_string(), Value::Bool(release.is_upgrade)),
        ("IsInstall".to_string(), Value::Bool(!release.is_upgrade)),
        ("Service".to_string(), Value::str("Helm")),
    ]));
    let mut root = load_tree(files, "")?;
    let top = coalesced_values(&root, user.as_ref());
    apply_conditions(&mut root, &top, &top);
    import_values(&mut root);
    let values = coalesced_values(&root, user.as_ref());
    let common = [
        ("Release", release_obj),
        ("Capabilities", capabilities(&options.capabilities)),
    ];
    let mut units = Vec::new();
    collect_units(files, &root, values, "", &common, &mut units);

    let mut templates: Vec<(String, usize, &str)> = Vec::new();
    for (i, unit) in units.iter().enumerate() {
        let tdir = format!("{}templates/", unit.dir);
        for (path, text) in files.range(tdir.clone()..) {
            let Some(rest) = path.strip_prefix(&tdir) else {
                break;
            };
            // A library chart's templates are only its helpers.
            let base = rest.rsplit('/').next().unwrap_or(rest);
            if unit.library && !base.starts_with('_') {
                continue;
            }
            templates.push((format!("{}templates/{rest}", unit.prefix), i, text));
        }
    }
    templates.sort_by(|a, b| helm_order(&a.0, &b.0));
    execute_units(&templates, &units, setup, trace)
}

/// Parses `templates` (in Helm's parse order; each with the index of its chart's [`Unit`])
/// and renders those that are not partials.
pub(super) fn execute_units(
    templates: &[(String, usize, &str)],
    units: &[Unit],
    setup: impl FnOnce(&mut Engine),
    trace: bool,
) -> Result<BTreeMap<String, Rendered>, ChartError> {
    let mut engine = Engine::new();
    setup(&mut engine);
    for (name, _, text) in templates {
        engine
            .add_template(name, text)
            .map_err(ChartError::Template)?;
    }
    let shared = Shared::new(&engine.limits);
    let mut rendered = BTreeMap::new();
    for (name, unit, _) in templates {
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
        let (out, segments) = if trace {
            engine.execute_traced(&shared, name, Value::map(dot))
        } else {
            engine
                .execute_shared(&shared, name, Value::map(dot))
                .map(|out| (out, Vec::new()))
        }
        .map_err(ChartError::Template)?;
        rendered.insert(name.clone(), strip_no_value(&out, segments));
    }
    Ok(rendered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> ChartFiles {
        ChartFiles::from([
            ("Chart.yaml".into(), "apiVersion: v2\nname: c\nversion: 0.1.0\n".into()),
            ("values.yaml".into(), "a: 1\nkeep: k\ndrop: d\nm: {p: 1, q: 2}\n".into()),
            (
                "templates/t.yaml".into(),
                "{{ .Values.a }} {{ .Values.keep }} [{{ .Values.drop }}] {{ toJson .Values.m }} {{ .Capabilities.KubeVersion.Minor }} {{ .Capabilities.APIVersions.Has \"x/v1\" }}".into(),
            ),
        ])
    }

    #[test]
    fn user_values_and_capabilities() {
        let options = RenderOptions {
            values_yaml: Some("a: 2\ndrop: null\nm: {q: 3}\n".into()),
            capabilities: Capabilities {
                kube_version: "v1.29.4".into(),
                api_versions: vec!["x/v1".into()],
            },
            ..RenderOptions::default()
        };
        let out = render_chart_with(&chart(), &options, crate::render::funcs::register).unwrap();
        assert_eq!(
            out["c/templates/t.yaml"],
            "2 k [] {\"p\":1,\"q\":3} 29 true"
        );
    }

    #[test]
    fn yaml_errors_worded_like_go_yaml() {
        // Messages recorded from Helm for these values files.
        let cases = [
            (
                "a: {b: 1\n",
                "yaml: line 1: did not find expected ',' or '}'",
            ),
            (
                "a: b: c\n",
                "yaml: mapping values are not allowed in this context",
            ),
            (
                "a:\n  b: 1\n c: 2\n",
                "yaml: line 2: did not find expected key",
            ),
            (
                "a: \"unclosed\n",
                "yaml: line 2: found unexpected end of stream",
            ),
            (
                "- a\nb: c\n",
                "yaml: line 1: did not find expected '-' indicator",
            ),
            (
                "a: @x\n",
                "yaml: found character that cannot start any token",
            ),
            (
                "a:\n\t- x\n",
                "yaml: line 2: found character that cannot start any token",
            ),
            (
                "key\nother: 1\n",
                "yaml: line 2: mapping values are not allowed in this context",
            ),
        ];
        for (text, want) in cases {
            let e = yaml::parse_single(text, yaml::Origin::default()).unwrap_err();
            assert_eq!(go_yaml_error(&e, text), want, "{text:?}");
        }
    }

    #[test]
    fn traced_output_points_at_template_lines() {
        let files = ChartFiles::from([
            ("Chart.yaml".into(), "apiVersion: v2\nname: c\nversion: 0.1.0\n".into()),
            ("values.yaml".into(), "port: 80\n".into()),
            (
                "templates/_h.tpl".into(),
                "{{ define \"name\" }}web{{ end }}".into(),
            ),
            (
                "templates/svc.yaml".into(),
                "kind: Service\nmissing: {{ .Values.nope }}\nname: {{ template \"name\" }}\nport: {{ .Values.port }}\n".into(),
            ),
        ]);
        let out = render_chart_traced(&files, &RenderOptions::default(), |_| {}).unwrap();
        let r = &out["c/templates/svc.yaml"];
        assert_eq!(r.text, "kind: Service\nmissing: \nname: web\nport: 80\n");
        let at = |needle: &str| {
            let offset = r.text.find(needle).unwrap();
            let seg = r
                .segments
                .iter()
                .rev()
                .find(|s| s.offset <= offset)
                .unwrap();
            (seg.file.as_str(), seg.line, seg.column)
        };
        assert_eq!(at("web"), ("c/templates/_h.tpl", 1, 20));
        assert_eq!(at("80"), ("c/templates/svc.yaml", 4, 10));
        assert_eq!(at("name:"), ("c/templates/svc.yaml", 3, 1));
        assert_eq!(at("kind:"), ("c/templates/svc.yaml", 1, 1));
    }

    #[test]
    fn seeded_renders_are_reproducible() {
        let files = ChartFiles::from([
            ("Chart.yaml".into(), "apiVersion: v2\nname: c\nversion: 0.1.0\n".into()),
            (
                "templates/t.yaml".into(),
                "{{ randAlphaNum 16 }} {{ uuidv4 }} {{ now | unixEpoch }} {{ (genCA \"ca\" 1).Cert | sha256sum }}".into(),
            ),
        ]);
        let render = || {
            render_chart_with(&files, &RenderOptions::default(), |e| {
                e.limits.seed = Some(7);
                e.limits.clock = Some(1_700_000_000);
                crate::render::funcs::register(e);
            })
            .unwrap()
        };
        let (a, b) = (render(), render());
        assert_eq!(a, b);
        assert!(a["c/templates/t.yaml"].contains(" 1700000000 "));
    }
}
