//! Suppressions (`rollguard.dev/ignore` annotations) and the `unused-suppression` finding.
//! This runs after every rule, over all findings, since it must know what matched.

use super::{Category, Effect, RuleMeta, Severity, find};
use crate::finding::{Finding, Location, Suppression};
use crate::model::{ChartModel, Settings};

pub const IGNORE_ANNOTATION: &str = "rollguard.dev/ignore";

pub static UNUSED_SUPPRESSION: RuleMeta = RuleMeta {
    id: "unused-suppression",
    category: Category::Tool,
    severity: Severity::Info,
    effect: Effect::None,
    summary: "a suppression that matched nothing, or names an unknown rule",
    doc: "A `rollguard.dev/ignore` annotation (or SQL comment, or config entry) names a rule that \
          reported nothing on that resource, or a rule id rollguard does not know. Stale \
          suppressions hide the next real finding; unknown ids are usually typos.",
    fix: "Remove the id from the suppression, or correct its spelling (`rollguard rules` lists them).",
};

/// Marks findings suppressed by their resource's annotation and appends `unused-suppression`
/// findings for annotation entries that matched nothing.
pub fn apply_suppressions(findings: &mut Vec<Finding>, charts: &[ChartModel], settings: &Settings) {
    let mut unused = super::migrations_suppression::apply(findings, charts, settings);
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
                    Some(_) if matched || settings.config.is_disabled(id) => continue,
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
    if !settings.config.is_disabled(UNUSED_SUPPRESSION.id) {
        if let Some(severity) = settings.config.severity_override(UNUSED_SUPPRESSION.id) {
            unused.iter_mut().for_each(|f| f.severity = severity);
        }
        findings.extend(unused);
    }
}
