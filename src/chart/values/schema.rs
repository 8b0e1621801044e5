//! `values.schema.json`: every chart's coalesced values (a subchart's with its `global`) are
//! validated against its schema, as Helm does before rendering. All violations of all charts are
//! reported together, grouped by chart as Helm groups them, each with the JSON path of the
//! offending value.

use serde_json::Value;

use crate::chart::load::Chart;
use crate::error::InputError;

use super::Values;

/// The violations of one chart's schema.
struct Violations {
    chart: String,
    schema_file: String,
    problems: Vec<String>,
}

/// Checks `values` (the coalesced values of `chart`) and recursively its subcharts'.
pub fn validate(chart: &Chart, values: &Values) -> Result<(), InputError> {
    let mut found = Vec::new();
    collect(chart, values, &mut found);
    let Some(first) = found.first() else {
        return Ok(());
    };
    let mut text = String::from(
        "values don't meet the specifications of the schema(s) in the following chart(s):",
    );
    for v in &found {
        text.push_str(&format!("\n{}:", v.chart));
        for p in &v.problems {
            text.push_str(&format!("\n- {p}"));
        }
    }
    Err(
        InputError::in_path(first.schema_file.clone(), text).with_help(
            "fix the values (values.yaml, -f files, --set) or the chart's values.schema.json",
        ),
    )
}

fn collect(chart: &Chart, values: &Values, found: &mut Vec<Violations>) {
    if let Some(schema) = &chart.schema {
        let instance = Value::Object(values.clone());
        let problems = match jsonschema::validator_for(schema) {
            Err(e) => vec![format!("invalid schema: {e}")],
            Ok(validator) => validator
                .iter_errors(&instance)
                .map(|error| {
                    let at = error.instance_path().to_string();
                    let at = if at.is_empty() { "/".to_string() } else { at };
                    format!("at '{at}': {error}")
                })
                .collect(),
        };
        if !problems.is_empty() {
            found.push(Violations {
                chart: chart.name().to_string(),
                schema_file: format!("{}/values.schema.json", chart.origin),
                problems,
            });
        }
    }
    for sub in &chart.dependencies {
        if let Some(Value::Object(sub_values)) = values.get(sub.name()) {
            collect(sub, sub_values, found);
        }
    }
}
