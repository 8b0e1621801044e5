//! `-- rollguard-ignore rule-id` comments in SQL: they suppress that rule's findings on the
//! statement they are on (or the line before). One that matched nothing, or names an unknown
//! rule, becomes an `unused-suppression` finding.

use crate::finding::{Finding, Location, Suppression};
use crate::model::{ChartModel, Settings};
use crate::rules::find;
use crate::rules::unused_suppression::UNUSED_SUPPRESSION;
use crate::sql::Script;
use source::Span;

/// Marks the findings of one chart (all of `findings`) that SQL comments suppress; returns the
/// `unused-suppression` findings.
pub fn apply(findings: &mut [Finding], chart: &ChartModel, settings: &Settings) -> Vec<Finding> {
    let mut unused = Vec::new();
    for script in &chart.migrations.scripts {
        for ignore in &script.ignores {
            let statement = ignore.statement.and_then(|i| script.statements.get(i));
            let mut matched = false;
            if let Some(statement) = statement {
                for f in findings
                    .iter_mut()
                    .filter(|f| f.rule.id == ignore.rule)
                    .filter(|f| within(f, script, statement.span))
                {
                    f.suppressed.get_or_insert(Suppression::Comment);
                    matched = true;
                }
            }
            let id = &ignore.rule;
            let message = match (find(id), statement) {
                (None, _) => format!(
                    "`-- rollguard-ignore` in {} names unknown rule `{id}`",
                    script.name()
                ),
                (Some(_), _) if matched || settings.is_disabled(id) => continue,
                (Some(_), None) => format!(
                    "`-- rollguard-ignore {id}` in {} is on no statement",
                    script.name()
                ),
                (Some(_), Some(_)) => format!(
                    "`-- rollguard-ignore {id}` in {} suppresses `{id}`, which reported nothing on this statement",
                    script.name()
                ),
            };
            let mut finding = Finding::new(&UNUSED_SUPPRESSION, 0, message);
            finding.resource = script.origin.resource.clone();
            finding.location = Some(Location::in_script(script, ignore.span));
            finding.help = Some(format!("remove `{id}` from the comment"));
            unused.push(finding);
        }
    }
    unused
}

/// The finding points into `script`'s file within the statement's text.
fn within(f: &Finding, script: &Script, statement: Span) -> bool {
    f.location.as_ref().is_some_and(|l| {
        std::sync::Arc::ptr_eq(&l.file, script.file())
            && statement.start <= l.span.start
            && l.span.start <= statement.end
    })
}
