//! `values.schema.json`: every chart's coalesced values (a subchart's with its `global`) are
//! validated against its schema, as Helm does before rendering. All violations of all charts are
//! reported together, each with the JSON path of the offending value.

use serde_json::Value;

use crate::chart::load::Chart;
use crate::error::InputError;

use super::Values;

/// Checks `values` (the coalesced values of `chart`) and recursively its subcharts'.
pub fn validate(chart: &Chart, values: &Values) -> Result<(), InputError> {
    let mut problems = Vec::new();
    collect(chart, values, &mut problems);
    if problems.is_empty() {
        return Ok(());
    }
    let first_file = problems
        .first()
        .map(|(file, _)| file.clone())
        .unwrap_or_default();
    let text = problems
        .iter()
        .map(|(file, line)| format!("{file}: {line}"))
        .collect::<Vec<_>>()
        .join("\n");
    Err(InputError::in_path(
        first_file,
        format!("values don't meet the specifications of the schema(s):\n{text}"),
    )
    .with_help("fix the values (values.yaml, -f files, --set) or the chart's values.schema.json"))
}

fn collect(chart: &Chart, values: &Values, problems: &mut Vec<(String, String)>) {
    if let Some(schema) = &chart.schema {
        let file = format!("{}/values.schema.json", chart.origin);
        let instance = Value::Object(values.clone());
        match jsonschema::validator_for(schema) {
            Err(e) => problems.push((file, format!("invalid schema: {e}"))),
            Ok(validator) => {
                for error in validator.iter_errors(&instance) {
                    let at = error.instance_path().to_string();
                    let at = if at.is_empty() {
                        "(root)".to_string()
                    } else {
                        at
                    };
                    problems.push((file.clone(), format!("at {at}: {error}")));
                }
            }
        }
    }
    for sub in &chart.dependencies {
        if let Some(Value::Object(sub_values)) = values.get(sub.name()) {
            collect(sub, sub_values, problems);
        }
    }
}
