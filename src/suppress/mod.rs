//! Suppressions: `rollguard.dev/ignore` annotations (here), `-- rollguard-ignore` in SQL
//! (`sql_comment`) and `# rollguard-ignore` in pipeline files (`pipeline_comment`), and the
//! `unused-suppression` findings for those that matched nothing. This runs after every rule of
//! a chart, over its findings, since it must know what matched; which suppressions went unused
//! is the run's to say ([`unused_findings`]), since a pipeline comment can serve several charts.

mod pipeline_comment;
mod sql_comment;

use crate::finding::{Finding, Location, Suppression};
use crate::model::{ChartModel, Settings};
use crate::rules::find;
use crate::rules::unused_suppression::UNUSED_SUPPRESSION;

pub const IGNORE_ANNOTATION: &str = "rollguard.dev/ignore";

/// What one chart's suppressions left unused, kept until every chart is checked.
#[derive(Debug, Default)]
pub struct Unused {
    sql: Vec<Finding>,
    annotations: Vec<Finding>,
    pipeline: pipeline_comment::Ignores,
}

impl Unused {
    /// Says the findings belong to the run's chart `index`.
    pub fn renumber(&mut self, index: usize) {
        for finding in self.sql.iter_mut().chain(&mut self.annotations) {
            finding.chart = index;
        }
        self.pipeline.renumber(index);
    }
}

/// Marks the findings of one chart (all of `findings`) that its suppressions cover, and says
/// which suppressions matched nothing.
pub fn apply(findings: &mut [Finding], chart: &ChartModel, settings: &Settings) -> Unused {
    let sql = sql_comment::apply(findings, chart, settings);
    let mut annotations = Vec::new();
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
            for f in findings
                .iter_mut()
                .filter(|f| f.rule.id == id && f.resource.as_ref() == Some(&object.id))
            {
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
            let mut finding = Finding::new(&UNUSED_SUPPRESSION, 0, message);
            finding.resource = Some(object.id.clone());
            finding.location = Some(Location::in_object(object, value.span));
            finding.help = Some(format!("remove `{id}` from the annotation"));
            annotations.push(finding);
        }
    }
    let pipeline = pipeline_comment::apply(findings, chart, settings);
    Unused {
        sql,
        annotations,
        pipeline,
    }
}

/// The run's `unused-suppression` findings, from what each chart (in report order) left
/// unused: SQL comments, then annotations, then pipeline comments.
pub fn unused_findings(per_chart: Vec<Unused>, settings: &Settings) -> Vec<Finding> {
    if settings.is_disabled(UNUSED_SUPPRESSION.id) {
        return Vec::new();
    }
    let mut sql = Vec::new();
    let mut annotations = Vec::new();
    let mut pipeline = Vec::new();
    for unused in per_chart {
        sql.extend(unused.sql);
        annotations.extend(unused.annotations);
        pipeline.push(unused.pipeline);
    }
    let mut unused = sql;
    unused.extend(annotations);
    unused.extend(pipeline_comment::unused(pipeline));
    if let Some(severity) = settings.severity_override(UNUSED_SUPPRESSION.id) {
        unused.iter_mut().for_each(|f| f.severity = severity);
    }
    unused
}
