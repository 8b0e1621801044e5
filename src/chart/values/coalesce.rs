//! Coalescing: the chart's defaults under the user's values, subchart by subchart, with globals
//! copied down. The rules were pinned against the real Helm engine (probe charts, see
//! `tests/chart_fixtures.rs` and the corpus test):
//!
//! - a key the user (or a parent) gives wins; maps merge key by key;
//! - a `null` default is never copied in (nested ones neither; nulls inside lists stay);
//! - a `null` from the user deletes the default (`--set a=null`); below the top level of a
//!   chart's values only a non-null default: a nested `null` given for a `null` default stays
//!   `null`, as does a `null` for a key with no default;
//! - a parent chart's defaults for a subchart (`sub:` in its values.yaml) go under the user's
//!   `sub:` values in "merge" mode, where `null` is kept as a value, and the subchart's own
//!   coalescing then deletes its default for that key; so a parent's `sub: {key: null}` removes
//!   the subchart's default only when the user also gave values under `sub` (otherwise the
//!   parent's nulls are dropped on copy and the subchart's default stays);
//! - `global` flows down: the parent's globals override the subchart's, maps merging.

use serde_json::{Map, Value};

use crate::chart::load::Chart;

use super::Values;

/// Helm's `CoalesceValues` (`merge == false`) and `MergeValues` (`merge == true`) for `chart`
/// over `dest`, the values given for it; fills `dest` in place.
pub fn coalesce(chart: &Chart, dest: &mut Values, merge: bool) -> Result<(), String> {
    coalesce_values(chart, dest, merge);
    coalesce_deps(chart, dest, merge)
}

fn coalesce_values(chart: &Chart, v: &mut Values, merge: bool) {
    for (key, default) in &chart.values {
        match v.get_mut(key) {
            Some(Value::Null) if !merge => {
                v.remove(key);
            }
            Some(Value::Object(given)) => {
                if let Value::Object(src) = default {
                    let merge = merge || chart.dependencies.iter().any(|d| d.name() == key);
                    coalesce_tables(given, src, merge);
                }
            }
            Some(_) => {}
            None if merge => {
                v.insert(key.clone(), default.clone());
            }
            None if default.is_null() => {}
            None => {
                v.insert(key.clone(), without_nulls(default));
            }
        }
    }
}

fn coalesce_deps(chart: &Chart, dest: &mut Values, merge: bool) -> Result<(), String> {
    let parent_global = dest.get(GLOBAL).cloned();
    for sub in &chart.dependencies {
        let name = sub.name();
        let table = dest
            .entry(name.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(table) = table else {
            return Err(format!(
                "type mismatch on {name}: the values for subchart {name} must be a map"
            ));
        };
        coalesce_globals(table, parent_global.as_ref());
        coalesce(sub, table, merge)?;
    }
    Ok(())
}

pub const GLOBAL: &str = "global";

/// Copies the parent's `global` into a subchart's values; the parent's entries win.
fn coalesce_globals(dest: &mut Values, parent_global: Option<&Value>) {
    let mut dg = match dest.get(GLOBAL) {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return,
    };
    let sg = match parent_global {
        None => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => return,
    };
    for (key, val) in sg {
        match (&val, dg.get_mut(&key)) {
            (Value::Object(src), Some(existing)) => {
                if let Value::Object(below) = existing {
                    let mut merged = src.clone();
                    coalesce_tables(&mut merged, below, true);
                    *existing = Value::Object(merged);
                }
            }
            (Value::Object(_), None) => {
                dg.insert(key, val);
            }
            (_, Some(Value::Object(_))) => {}
            _ => {
                dg.insert(key, val);
            }
        }
    }
    dest.insert(GLOBAL.into(), Value::Object(dg));
}

/// Helm's `coalesceTablesFullKey`: `src` under `dst`, which wins.
pub fn coalesce_tables(dst: &mut Values, src: &Values, merge: bool) {
    for (key, val) in src {
        if val.is_null() && !merge {
            continue;
        }
        match dst.get_mut(key) {
            Some(Value::Null) if !merge => {
                dst.remove(key);
            }
            None if merge => {
                dst.insert(key.clone(), val.clone());
            }
            None => {
                dst.insert(key.clone(), without_nulls(val));
            }
            Some(Value::Object(d)) => {
                if let Value::Object(s) = val {
                    coalesce_tables(d, s, merge);
                }
            }
            Some(_) => {}
        }
    }
}

/// Helm's `MergeTables`.
pub fn merge_tables(dst: &mut Values, src: &Values) {
    coalesce_tables(dst, src, true);
}

/// A copy with `null` map entries removed at every depth (list items untouched).
fn without_nulls(v: &Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k.clone(), without_nulls(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Helm's `Values.Table`: the map at a dotted path.
pub fn table<'a>(values: &'a Values, path: &str) -> Option<&'a Values> {
    path.split('.').try_fold(values, |t, key| match t.get(key) {
        Some(Value::Object(m)) => Some(m),
        _ => None,
    })
}

/// Helm's `Values.PathValue`: the non-map value at a dotted path.
pub fn path_value<'a>(values: &'a Values, path: &str) -> Option<&'a Value> {
    let (parent, key) = match path.rsplit_once('.') {
        Some((parent, key)) => (table(values, parent)?, key),
        None => (values, path),
    };
    parent.get(key).filter(|v| !v.is_object())
}
