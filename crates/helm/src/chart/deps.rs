//! Dependencies as Helm processes them before rendering (`ProcessDependenciesWithMerge`):
//! `alias` copies and renames a subchart, `tags` and `condition` disable subcharts (a condition,
//! when its path holds a boolean, overrides tags), and `import-values` copies subchart values
//! into the parent. Conditions are looked up in the coalesced values of the whole release, at
//! the path of the parent chart (`sub.` for a subchart's own dependencies), as Helm does.

use serde_json::Value;

use super::load::Chart;
use super::metadata::{Dependency, import_value_pair};
use super::values::Values;
use super::values::coalesce::{Coalesced, Taken, coalesce, coalesced, merge_tables, table};
use crate::semver::satisfies;

/// Applies aliases and drops disabled subcharts, recursively; Helm's coalescing messages go
/// to `log`.
pub fn process_enabled(
    chart: &mut Chart,
    given: &Values,
    path: &str,
    log: &mut Vec<String>,
) -> Result<(), String> {
    let Some(reqs) = chart.metadata.dependencies.as_mut() else {
        return Ok(());
    };
    let matches = |c: &Chart, r: &Dependency| {
        c.name() == r.name && satisfies(&r.version, &c.metadata.version)
    };
    // Each declared dependency takes the first subchart it matches.
    let picks: Vec<Option<usize>> = reqs
        .iter()
        .map(|r| chart.dependencies.iter().position(|c| matches(c, r)))
        .collect();
    let unmatched: Vec<bool> = chart
        .dependencies
        .iter()
        .map(|c| !reqs.iter().any(|r| matches(c, r)))
        .collect();
    let mut found: Vec<Option<Chart>> = std::mem::take(&mut chart.dependencies)
        .into_iter()
        .map(Some)
        .collect();
    // Subcharts that no declared dependency names stay as they are.
    let mut kept: Vec<Chart> = found
        .iter_mut()
        .zip(&unmatched)
        .filter(|(_, unmatched)| **unmatched)
        .filter_map(|(c, _)| c.take())
        .collect();
    for (i, (req, pick)) in reqs.iter_mut().zip(&picks).enumerate() {
        if let Some(at) = *pick
            && let Some(slot) = found.get_mut(at)
        {
            // A subchart is copied only when a later dependency (another alias) takes it too.
            let taken_again = picks.get(i + 1..).is_some_and(|p| p.contains(pick));
            let sub = if taken_again {
                slot.clone()
            } else {
                slot.take()
            };
            if let Some(mut sub) = sub {
                if !req.alias.is_empty() {
                    sub.metadata.name = req.alias.clone();
                }
                kept.push(sub);
            }
        }
        if !req.alias.is_empty() {
            req.name = req.alias.clone();
        }
        req.enabled = true;
    }
    chart.dependencies = kept;

    // Only a subchart with dependencies of its own reads the values further down; the
    // others are decided on without building them.
    let nested = chart
        .dependencies
        .iter()
        .any(|c| c.metadata.dependencies.is_some());
    let (enabled, cvals) = {
        let cvals = coalesced(chart, given, log)?;
        let enabled: Vec<bool> = chart
            .metadata
            .dependencies
            .iter()
            .flatten()
            .map(|r| enabled_by(r, &cvals, path))
            .collect();
        (enabled, nested.then(|| cvals.into_values()))
    };
    let reqs = chart.metadata.dependencies.get_or_insert_with(Vec::new);
    for (r, enabled) in reqs.iter_mut().zip(enabled) {
        r.enabled = enabled;
    }
    let disabled: Vec<String> = reqs
        .iter()
        .filter(|r| !r.enabled)
        .map(|r| r.name.clone())
        .collect();
    reqs.retain(|r| !disabled.contains(&r.name));
    chart
        .dependencies
        .retain(|c| !disabled.iter().any(|d| d == c.name()));
    let cvals = cvals.unwrap_or_default();
    for sub in &mut chart.dependencies {
        let sub_path = format!("{path}{}.", sub.name());
        process_enabled(sub, &cvals, &sub_path, log)?;
    }
    Ok(())
}

/// Whether a dependency stays: a dependency whose tags are all false (and none true) is
/// disabled; the first condition path that holds a boolean decides over the tags.
fn enabled_by(r: &Dependency, cvals: &Coalesced<'_>, path: &str) -> bool {
    let mut enabled = r.enabled;
    if cvals.has_table("tags") {
        let (mut any_true, mut any_false) = (false, false);
        for t in &r.tags {
            match cvals.bool_in("tags", t) {
                Some(true) => any_true = true,
                Some(false) => any_false = true,
                None => {}
            }
        }
        enabled = any_true || !any_false;
    }
    for cond in r.condition.trim().split(',').filter(|c| !c.is_empty()) {
        if let Some(b) = cvals.bool_at(&format!("{path}{cond}")) {
            return b;
        }
    }
    enabled
}

/// `import-values`, children first: the imported values sit under the parent's own.
pub fn process_import_values(chart: &mut Chart, log: &mut Vec<String>) -> Result<(), String> {
    for sub in &mut chart.dependencies {
        process_import_values(sub, log)?;
    }
    if chart.metadata.dependencies.is_none() {
        return Ok(());
    }
    let mut cvals = Values::new();
    // The chart's values are replaced by the merged ones below: moved into them.
    let own = Taken::own(chart);
    coalesce(chart, own, &mut cvals, true, log)?;
    let mut imported = Values::new();
    for r in chart.metadata.dependencies.iter_mut().flatten() {
        let mut rewritten = Vec::new();
        for item in &r.import_values {
            let (child, parent) = match item {
                Value::Object(m) => (go_string(m.get("child")), go_string(m.get("parent"))),
                Value::String(s) => (format!("exports.{s}"), ".".to_string()),
                _ => continue,
            };
            rewritten.push(import_value_pair(&child, &parent));
            let Some(found) = table(&cvals, &format!("{}.{child}", r.name)) else {
                continue;
            };
            merge_tables(&mut imported, nest(&parent, found.clone()), log);
        }
        r.import_values = rewritten;
    }
    merge_tables(&mut cvals, imported, log);
    chart.values = cvals;
    Ok(())
}

/// `{"a": {"b": data}}` for the path `a.b`; `.` is the top.
fn nest(path: &str, data: Values) -> Values {
    if path == "." {
        return data;
    }
    path.rsplit('.').fold(data, |inner, key| {
        let mut m = Values::new();
        m.insert(key.to_string(), Value::Object(inner));
        m
    })
}

/// Go's `fmt.Sprintf("%v", x)` for the scalars an import-values map holds.
fn go_string(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "<nil>".into(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}
