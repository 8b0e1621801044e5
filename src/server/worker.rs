//! The thread that checks charts, so the editor's requests are answered while a chart renders.
//! Jobs that pile up while a check runs are merged: each chart is checked once, with the newest
//! texts.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crossbeam_channel::{Receiver, Sender};
use source::Overlay;

use super::check::{ByFile, Checker};

/// Check `chart` with these unsaved texts.
pub struct Job {
    pub chart: PathBuf,
    pub overlay: Overlay,
    /// Versions of the open documents the overlay holds, published with the diagnostics.
    pub versions: BTreeMap<PathBuf, i32>,
}

/// What a check found, by file.
pub struct Checked {
    pub chart: PathBuf,
    pub diagnostics: ByFile,
    pub versions: BTreeMap<PathBuf, i32>,
}

/// Starts the worker: jobs in, results out. It ends when the job sender is dropped.
pub fn spawn(checker: Checker) -> (Sender<Job>, Receiver<Checked>) {
    let (jobs, incoming) = crossbeam_channel::unbounded::<Job>();
    let (results, outgoing) = crossbeam_channel::unbounded();
    std::thread::spawn(move || {
        while let Ok(first) = incoming.recv() {
            let mut batch = BTreeMap::from([(first.chart.clone(), first)]);
            for job in incoming.try_iter() {
                batch.insert(job.chart.clone(), job);
            }
            for job in batch.into_values() {
                let checked = Checked {
                    diagnostics: checker.check(&job.chart, &job.overlay),
                    chart: job.chart,
                    versions: job.versions,
                };
                if results.send(checked).is_err() {
                    return;
                }
            }
        }
    });
    (jobs, outgoing)
}
