//! `# rollguard-ignore RULE` comments in pipeline files suppress that rule's findings about the
//! invocation they sit on; one that matched nothing is an `unused-suppression`.

use std::collections::BTreeSet;

use crate::finding::{Finding, Location, Suppression};
use crate::model::{ChartModel, Settings};
use crate::rules::find;
use crate::rules::unused_suppression::UNUSED_SUPPRESSION;

/// A comment: its pipeline file and where it starts.
type Key = (String, usize);

/// What one chart's checks made of the pipeline comments of its invocations. An invocation
/// related to several charts is one comment: it is unused only when it matched in none of
/// them, so the run decides ([`unused`]) once every chart is checked.
#[derive(Debug, Default)]
pub struct Ignores {
    matched: BTreeSet<Key>,
    /// Comments that matched nothing in this chart, each with the finding that reports it
    /// (`None`: its rule is disabled, nothing to report).
    unmatched: Vec<(Key, Option<Finding>)>,
}

impl Ignores {
    /// Says the findings belong to the run's chart `index`.
    pub fn renumber(&mut self, index: usize) {
        for finding in self.unmatched.iter_mut().filter_map(|(_, f)| f.as_mut()) {
            finding.chart = index;
        }
    }
}

/// Marks the findings of one chart (all of `findings`) that a comment on one of its
/// invocations covers.
pub fn apply(findings: &mut [Finding], chart: &ChartModel, settings: &Settings) -> Ignores {
    let mut ignores = Ignores::default();
    for inv in &chart.invocations {
        for ignore in &inv.ignores {
            let mut matched = false;
            for f in findings.iter_mut().filter(|f| {
                f.rule.id == ignore.rule
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
                ignores.matched.insert(key);
                continue;
            }
            let id = &ignore.rule;
            let message = match find(id) {
                None => Some(format!("`rollguard-ignore` names unknown rule `{id}`")),
                Some(_) if settings.is_disabled(id) => None,
                Some(_) => Some(format!(
                    "`rollguard-ignore {id}` on {}: the rule reported nothing there",
                    inv.describe()
                )),
            };
            let finding = message.map(|message| {
                let mut finding = Finding::new(&UNUSED_SUPPRESSION, 0, message);
                finding.location = Some(Location {
                    file: inv.file.clone(),
                    span: ignore.span,
                    template: None,
                });
                finding.help = Some(format!("remove `{id}` from the comment"));
                finding
            });
            ignores.unmatched.push((key, finding));
        }
    }
    ignores
}

/// The comments of the run that matched in none of its charts, each reported once, for the
/// first chart (in report order) it was unused in.
pub fn unused(per_chart: Vec<Ignores>) -> Vec<Finding> {
    let mut matched_anywhere = BTreeSet::new();
    let mut unmatched = Vec::new();
    for ignores in per_chart {
        matched_anywhere.extend(ignores.matched);
        unmatched.extend(ignores.unmatched);
    }
    let mut reported = BTreeSet::new();
    let mut out = Vec::new();
    for (key, finding) in unmatched {
        if matched_anywhere.contains(&key) || !reported.insert(key) {
            continue;
        }
        out.extend(finding);
    }
    out
}
