//! `values.schema.json`: every chart's coalesced values (a subchart's with its `global`) are
//! validated against its schema, as Helm does before rendering. All violations of all charts are
//! reported together, grouped by chart as Helm groups them, each with the JSON path of the
//! offending value; the error points at the line that set the first offending value: a `-f`
//! file (the last that has it), else the values.yaml of the nearest chart above that does.

use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use crate::chart::load::Chart;
use source::InputError;
use source::SourceFile;

use super::Values;
use super::file::locate;

/// The violations of one chart's schema.
struct Violations {
    chart: String,
    /// Names (aliases) of the subcharts from the root down to this chart.
    names: Vec<String>,
    schema_file: String,
    problems: Vec<Problem>,
}

struct Problem {
    /// Keys and indexes into the chart's values.
    path: Vec<String>,
    text: String,
}

/// What validating a release's values needs of its charts: each chart's schema, its
/// values.yaml (to point at an offending value) and its subcharts. Taken out of the charts
/// (nothing reads a schema after the validation), it can validate the values on another
/// thread than the one the chart renders on.
pub struct Schemas {
    name: String,
    origin: String,
    schema: Option<Value>,
    values_file: Option<Arc<SourceFile>>,
    subcharts: Vec<Schemas>,
}

impl Schemas {
    /// The schemas of `chart` and its subcharts, taken out of them.
    pub fn take(chart: &mut Chart) -> Schemas {
        Schemas {
            name: chart.name().to_string(),
            origin: chart.origin.clone(),
            schema: chart.schema.take(),
            values_file: chart.values_file.clone(),
            subcharts: chart.dependencies.iter_mut().map(Schemas::take).collect(),
        }
    }

    /// Whether any chart has a schema: else no value can fail.
    pub fn any(&self) -> bool {
        self.schema.is_some() || self.subcharts.iter().any(Schemas::any)
    }
}

/// The user's values, to tell where an offending value came from.
pub struct UserValues<'a> {
    pub files: &'a [PathBuf],
    /// Everything the user gave, flags included.
    pub merged: &'a Values,
}

/// Checks `values` (the coalesced values of `root`) and recursively its subcharts'.
pub fn validate(
    root: &Schemas,
    values: &mut Values,
    user: &UserValues<'_>,
) -> Result<(), InputError> {
    let mut found = Vec::new();
    // The validator reads a `Value`: the map is moved into one for the check, not copied.
    let instance = Value::Object(std::mem::take(values));
    collect(root, &instance, &mut Vec::new(), &mut found);
    if let Value::Object(map) = instance {
        *values = map;
    }
    let Some(first) = found.first() else {
        return Ok(());
    };
    let mut text = String::from(
        "values don't meet the specifications of the schema(s) in the following chart(s):",
    );
    for v in &found {
        text.push_str(&format!("\n{}:", v.chart));
        for p in &v.problems {
            text.push_str(&format!("\n- {}", p.text));
        }
    }
    let located = found.iter().find_map(|v| {
        v.problems
            .iter()
            .find_map(|p| origin_of(root, &v.names, &p.path, user))
    });
    let error = match located {
        Some((source, span)) => InputError::at(&source, span, text),
        None => InputError::in_path(first.schema_file.clone(), text),
    };
    Err(error.with_help(
        "fix the values (values.yaml, -f files, --set) or the chart's values.schema.json",
    ))
}

/// `instance`: the chart's values (a map).
fn collect(
    chart: &Schemas,
    instance: &Value,
    names: &mut Vec<String>,
    found: &mut Vec<Violations>,
) {
    if let Some(schema) = &chart.schema {
        let problems: Vec<Problem> = match jsonschema::validator_for(schema) {
            Err(e) => vec![Problem {
                path: Vec::new(),
                text: format!("invalid schema: {e}"),
            }],
            Ok(validator) => validator
                .iter_errors(instance)
                .map(|error| {
                    let at = error.instance_path().to_string();
                    let at = if at.is_empty() { "/".to_string() } else { at };
                    Problem {
                        path: error
                            .instance_path()
                            .iter()
                            .map(|s| s.to_string())
                            .collect(),
                        text: format!("at '{at}': {error}"),
                    }
                })
                .collect(),
        };
        if !problems.is_empty() {
            found.push(Violations {
                chart: chart.name.clone(),
                names: names.clone(),
                schema_file: format!("{}/values.schema.json", chart.origin),
                problems,
            });
        }
    }
    for sub in &chart.subcharts {
        if let Some(sub_values @ Value::Object(_)) = instance.get(&sub.name) {
            names.push(sub.name.clone());
            collect(sub, sub_values, names, found);
            names.pop();
        }
    }
}

/// Where the effective value at `path` of the chart below `names` was written: the last `-f`
/// file that sets it, else the values.yaml of the highest chart on the way down that does.
/// `None` when a `--set` flag gave it (or nothing can tell).
fn origin_of(
    root: &Schemas,
    names: &[String],
    path: &[String],
    user: &UserValues<'_>,
) -> Option<(std::sync::Arc<SourceFile>, source::Span)> {
    let keys = |from: usize| -> Vec<String> { names[from..].iter().chain(path).cloned().collect() };
    for file in user.files.iter().rev() {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let source = SourceFile::new(file.display().to_string(), text);
        if let Some(span) = locate(&source, &keys(0)) {
            return Some((source, span));
        }
    }
    if given_by_user(user.merged, &keys(0)) {
        return None;
    }
    let mut chart = Some(root);
    for depth in 0..=names.len() {
        let c = chart?;
        if let Some(source) = &c.values_file
            && let Some(span) = locate(source, &keys(depth))
        {
            return Some((source.clone(), span));
        }
        chart = names
            .get(depth)
            .and_then(|n| c.subcharts.iter().find(|d| d.name == *n));
    }
    None
}

/// Whether the user's values hold the path (so a flag, not a chart, set it).
fn given_by_user(values: &Values, keys: &[String]) -> bool {
    let Some((first, rest)) = keys.split_first() else {
        return false;
    };
    let mut node = values.get(first);
    for key in rest {
        node = match node {
            Some(Value::Object(m)) => m.get(key),
            Some(Value::Array(items)) => key.parse::<usize>().ok().and_then(|i| items.get(i)),
            _ => None,
        };
    }
    node.is_some()
}
