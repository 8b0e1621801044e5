//! The previous revision(s) a rollback would return to: rendered manifests or Helm release
//! records, loaded into the same [`Object`] model as the new revision.

pub mod cache;
pub mod release;

use std::sync::Arc;

use crate::manifest::Object;
use source::SourceFile;

/// One stored revision of the release.
#[derive(Debug, Clone)]
pub struct Revision {
    /// Helm's revision number, when known (release records carry it).
    pub number: Option<u32>,
    /// `deployed`, `superseded`, `failed`, … when known.
    pub status: Option<String>,
    pub chart_version: Option<String>,
    /// Release resources and hooks, as Helm stored them.
    pub objects: Vec<Object>,
    /// The chart's `crds/` files (path in the chart, text), when the baseline is a chart;
    /// `None` when unknown (rendered manifests, release records).
    pub crds: Option<Vec<(String, Arc<SourceFile>)>>,
}

impl Revision {
    pub fn label(&self) -> String {
        match (self.number, &self.status) {
            (Some(n), Some(s)) => format!("revision {n} ({s})"),
            (Some(n), None) => format!("revision {n}"),
            _ => "the baseline".to_string(),
        }
    }
}

/// How the baseline was obtained; it decides what the rules can trust.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// `helm get manifest` output or a release record: exactly what the cluster holds.
    Stored,
    /// Re-rendered from a chart (`--base`, `--base-chart`): may differ from what was stored.
    Rerendered,
}

#[derive(Debug, Clone)]
pub struct Baseline {
    /// For the report: `manifest:FILE`, `release:FILE`, `git:REF`, `chart:PATH`.
    pub label: String,
    pub source: Source,
    /// Every stored revision a rollback could target, oldest first.
    pub revisions: Vec<Revision>,
    current: usize,
}

impl Baseline {
    /// `None` when there is no revision at all.
    pub fn new(label: String, source: Source, mut revisions: Vec<Revision>) -> Option<Baseline> {
        revisions.sort_by_key(|r| r.number);
        // The upgrade starts from the newest deployed revision, else the newest.
        let current = revisions
            .iter()
            .rposition(|r| r.status.as_deref() == Some("deployed"))
            .or_else(|| revisions.len().checked_sub(1))?;
        Some(Baseline {
            label,
            source,
            revisions,
            current,
        })
    }

    /// The revision the upgrade starts from, and a plain `helm rollback` returns to.
    pub fn current(&self) -> &Revision {
        &self.revisions[self.current]
    }
}
