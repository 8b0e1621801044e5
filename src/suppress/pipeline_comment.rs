//! `# rollguard-ignore RULE` comments in pipeline files suppress that rule's findings about the
//! invocation they sit on; one that matched nothing is an `unused-suppression`.

use std::collections::BTreeSet;

use crate::finding::{Finding, Location, Suppression};
use crate::model::{ChartModel, Settings};
use crate::rules::find;
use crate::rules::unused_suppression::UNUSED_SUPPRESSION;

pub fn apply(
    findings: &mut [Finding],
    charts: &[ChartModel],
    settings: &Settings,
    unused: &mut Vec<Finding>,
) {
    // An invocation related to several charts is one comment: it is unused only when it
    // matched in none of them, and then reported once.
    let mut matched_anywhere: BTreeSet<(String, usize)> = BTreeSet::new();
    let mut candidates = Vec::new();
    for (chart_index, chart) in charts.iter().enumerate() {
        for inv in &chart.invocations {
            for ignore in &inv.ignores {
                let mut matched = false;
                for f in findings.iter_mut().filter(|f| {
                    f.chart == chart_index
                        && f.rule.id == ignore.rule
                        && f.location.as_ref().is_some_and(|l| {
                            l.file.name == inv.file.name
                                && (inv.extent.0..=inv.extent.1).contains(&l.span.start)
                        })
                }) {
                    f.suppressed.get_or_insert(Suppression::Comment);
                    matched = true;
                }
                let key = (inv.file.name.clone(), ignore.span.start);
                if matched {
                    matched_anywhere.insert(key);
                } else {
                    candidates.push((key, chart_index, inv, ignore));
                }
            }
        }
    }
    let mut reported = BTreeSet::new();
    for (key, chart_index, inv, ignore) in candidates {
        if matched_anywhere.contains(&key) || !reported.insert(key) {
            continue;
        }
        let id = &ignore.rule;
        let message = match find(id) {
            None => format!("`rollguard-ignore` names unknown rule `{id}`"),
            Some(_) if settings.is_disabled(id) => continue,
            Some(_) => format!(
                "`rollguard-ignore {id}` on {}: the rule reported nothing there",
                inv.describe()
            ),
        };
        let mut finding = Finding::new(&UNUSED_SUPPRESSION, chart_index, message);
        finding.location = Some(Location {
            file: inv.file.clone(),
            span: ignore.span,
            template: None,
        });
        finding.help = Some(format!("remove `{id}` from the comment"));
        unused.push(finding);
    }
}
