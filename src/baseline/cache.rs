//! Baselines rendered earlier in this process, kept for a long-running `rollguard server`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;

use super::Baseline;
use crate::generated::Generated;
use crate::kube::KubeVersion;

/// A baseline and what it generated at random.
pub type Rendered = (Option<Baseline>, Generated);

/// What a chart's baseline is keyed by: the chart, the commit `--base` named, the target version.
pub type BaselineKey = (PathBuf, String, KubeVersion);

/// Baselines rendered earlier in this process: a long-running `rollguard server` checks the same
/// chart against the same commit on every edit, and rendering the baseline again each time
/// would double the work.
#[derive(Debug, Default)]
pub struct BaselineCache {
    entries: Mutex<HashMap<BaselineKey, Rendered>>,
}

impl BaselineCache {
    /// At most this many baselines are kept (charts × commits); older ones are dropped whole.
    const MAX_ENTRIES: usize = 64;

    pub fn get(&self, key: &BaselineKey) -> Option<Rendered> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(key).cloned()
    }

    pub fn put(&self, key: BaselineKey, baseline: Rendered) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= Self::MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, baseline);
    }
}
