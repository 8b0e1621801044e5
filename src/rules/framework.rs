//! What a rule is and what it sees: the [`Rule`] trait, the [`Context`] of one chart and the
//! [`Emitter`] that fills in a finding's rule, chart and location.

use crate::diff::{RevisionDiff, changes, normalized};
use crate::finding::{Finding, Location, RuleMeta};
use crate::manifest::{Object, ResourceId};
use crate::model::{ChartModel, Settings};
use source::Span;

/// What a rule sees: one chart's model and the run's settings.
pub struct Context<'a> {
    pub chart: &'a ChartModel,
    pub chart_index: usize,
    pub settings: &'a Settings,
    /// The new revision paired with the baseline's current revision, when there is a baseline.
    pub diff: Option<RevisionDiff<'a>>,
}

pub trait Rule: Sync {
    fn meta(&self) -> &'static RuleMeta;
    fn check(&self, cx: &Context, out: &mut Emitter);
}

/// Collects one rule's findings, filling in the rule, chart and location plumbing.
pub struct Emitter<'a> {
    pub(super) meta: &'static RuleMeta,
    pub(super) chart: usize,
    pub(super) out: &'a mut Vec<Finding>,
}

impl Emitter<'_> {
    /// A finding about `object`, located at `span` in its source.
    pub fn object(
        &mut self,
        object: &Object,
        span: Span,
        message: impl Into<String>,
    ) -> &mut Finding {
        let mut finding = Finding::new(self.meta, self.chart, message);
        finding.resource = Some(object.id.clone());
        finding.location = Some(Location::in_object(object, span));
        self.push(finding)
    }

    /// A finding at a location that is not (only) an object's, such as a SQL statement.
    pub fn at(
        &mut self,
        location: Location,
        resource: Option<ResourceId>,
        message: impl Into<String>,
    ) -> &mut Finding {
        let mut finding = Finding::new(self.meta, self.chart, message);
        finding.resource = resource;
        finding.location = Some(location);
        self.push(finding)
    }

    /// Records a finding. A location in text rollguard rendered moves to the template line
    /// that wrote it.
    pub fn push(&mut self, mut finding: Finding) -> &mut Finding {
        if let Some(l) = &finding.location
            && let Some((file, span)) = l.file.origin(l.span)
        {
            finding.location = Some(Location {
                file,
                span,
                template: None,
            });
        }
        self.out.push(finding);
        let last = self.out.len() - 1;
        &mut self.out[last]
    }
}

/// Where the baseline writes what a diff finding is about: the first field that changed in the
/// baseline's copy of the finding's resource (as deep as mapping keys lead), at the template
/// line that wrote it.
pub fn baseline_location(diff: &RevisionDiff, finding: &Finding) -> Option<Location> {
    let resource = finding.resource.as_ref()?;
    let pair = diff.pairs.iter().find(|p| &p.new.id == resource)?;
    let (old, new) = (normalized(pair.old), normalized(pair.new));
    let first = changes(Some(&old), Some(&new)).into_iter().next()?;
    let mut keys = Vec::new();
    for key in first.path.split('.') {
        match key.split_once('[') {
            Some((name, _)) => {
                keys.push(name);
                break;
            }
            None => keys.push(key),
        }
    }
    Some(Location::in_object(pair.old, pair.old.span_at(&keys)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::pair;
    use crate::manifest::load_stream;
    use source::SourceFile;

    #[test]
    fn a_diff_finding_knows_where_the_baseline_writes_the_changed_field() {
        let claim = |class: &str| {
            format!(
                "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  accessModes: [ReadWriteOnce]\n  storageClassName: {class}\n"
            )
        };
        let old = load_stream(&SourceFile::new("old.yaml", claim("standard")), "default");
        let new = load_stream(&SourceFile::new("new.yaml", claim("fast")), "default");
        let (old, new) = (old.unwrap(), new.unwrap());
        let diff = pair(&old, &new);
        let mut finding = Finding::new(crate::rules::all()[0].meta(), 0, "changed");
        finding.resource = Some(new[0].id.clone());
        let location = baseline_location(&diff, &finding).unwrap();
        assert_eq!(location.file.name, "old.yaml");
        assert_eq!((location.span.line, location.span.col), (7, 3));
    }
}
