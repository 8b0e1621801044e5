//! Suppressions: `rollguard.dev/ignore` annotations (here), `-- rollguard-ignore` in SQL
//! (`sql_comment`) and `# rollguard-ignore` in pipeline files (`pipeline_comment`), and the
//! `unused-suppression` findings for those that matched nothing. This runs after every rule,
//! over all findings, since it must know what matched.

mod pipeline_comment;
mod sql_comment;

use crate::finding::{Finding, Location, Suppression};
use crate::model::{ChartModel, Settings};
use crate::rules::find;
use crate::rules::unused_suppression::UNUSED_SUPPRESSION;

pub const IGNORE_ANNOTATION: &str = "rollguard.dev/ignore";

/// Marks findings suppressed by their resource's annotation and appends `unused-suppression`
/// findings for annotation entries that matched nothing.
pub fn apply_suppressions(findings: &mut Vec<Finding>, charts: &[ChartModel], settings: &Settings) {
    let mut unused = sql_comment::apply(findings, charts, settings);
    for (chart_index, chart) in charts.iter().enumerate() {
        for object in &chart.objects {
            let Some((_, value)) = object
                .root
                .path(&["metadata", "annotations"])
                .and_then(|a| a.entry(IGNORE_ANNOTATION))
            else {
                continue;
            };
            let ids = value.as_str().unwrap_or("");
            for id in ids.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                let mut matched = false;
                for f in findings.iter_mut().filter(|f| {
                    f.chart == chart_index
                        && f.rule.id == id
                        && f.resource.as_ref() == Some(&object.id)
                }) {
                    f.suppressed.get_or_insert(Suppression::Annotation);
                    matched = true;
                }
                let message = match find(id) {
                    None => format!(
                        "`{IGNORE_ANNOTATION}` on {} names unknown rule `{id}`",
                        object.id
                    ),
                    Some(_) if matched || settings.is_disabled(id) => continue,
                    Some(_) => format!(
                        "`{IGNORE_ANNOTATION}` on {} suppresses `{id}`, which reported nothing here",
                        object.id
                    ),
                };
                let mut finding = Finding::new(&UNUSED_SUPPRESSION, chart_index, message);
                finding.resource = Some(object.id.clone());
                finding.location = Some(Location::in_object(object, value.span));
                finding.help = Some(format!("remove `{id}` from the annotation"));
                unused.push(finding);
            }
        }
    }
    pipeline_comment::apply(findings, charts, settings, &mut unused);
    if !settings.is_disabled(UNUSED_SUPPRESSION.id) {
        if let Some(severity) = settings.severity_override(UNUSED_SUPPRESSION.id) {
            unused.iter_mut().for_each(|f| f.severity = severity);
        }
        findings.extend(unused);
    }
}
