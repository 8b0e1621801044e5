//! Looking for things in a path's ancestors (config files, the repository root).

use std::path::{Path, PathBuf};

/// The first answer of `probe` over the directory of `start` (a file or directory) and its
/// ancestors, nearest first.
pub fn find_upwards(start: &Path, probe: impl Fn(&Path) -> Option<PathBuf>) -> Option<PathBuf> {
    let start = std::fs::canonicalize(start).ok()?;
    let dir = if start.is_dir() {
        start.as_path()
    } else {
        start.parent()?
    };
    dir.ancestors().find_map(probe)
}
