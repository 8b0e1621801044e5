//! A chart directory read as Helm's `LoadDir` reads it: files in lexical order, `.helmignore` of
//! the chart root applied to every path (subcharts included), dot files under `templates/`
//! skipped, a UTF-8 byte order mark dropped. Symbolic links are followed only while they stay
//! inside the chart; anything but regular files is refused. A file an [`Overlay`] holds (an
//! editor's unsaved text) is read from the overlay.

use std::path::Path;

use walkdir::WalkDir;

use source::{InputError, Overlay, Result};

use super::MAX_FILE_BYTES;
use super::budget::Budget;
use super::file::File;
use super::helmignore::Rules;

pub fn read_directory(root: &Path, budget: &mut Budget, overlay: &Overlay) -> Result<Vec<File>> {
    let shown = root.display().to_string();
    let canonical = root
        .canonicalize()
        .map_err(|e| InputError::in_path(&shown, format!("cannot read chart directory: {e}")))?;
    let ignore_path = root.join(".helmignore");
    let rules = if ignore_path.is_file() {
        let shown_ignore = ignore_path.display().to_string();
        // The link check comes before the read: a rule that cannot be parsed is quoted in the
        // error, and must never be a line of a file outside the chart.
        let inside = ignore_path
            .canonicalize()
            .is_ok_and(|target| target.starts_with(&canonical));
        if !inside {
            return Err(InputError::in_path(
                &shown_ignore,
                "symbolic link points outside the chart",
            ));
        }
        let text = source::bounded::read_text_file(&ignore_path, MAX_FILE_BYTES)
            .map_err(|e| InputError::in_path(&shown_ignore, e.to_string()))?;
        Rules::parse(&text).map_err(|(line, e)| {
            InputError::in_path(
                format!("{}:{line}", ignore_path.display()),
                format!("invalid .helmignore rule: {e}"),
            )
        })?
    } else {
        Rules::default()
    }
    .with_defaults();

    let mut files = Vec::new();
    let mut walk = WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name()
        .min_depth(1)
        .into_iter();
    while let Some(entry) = walk.next() {
        let entry = entry.map_err(|e| InputError::in_path(&shown, format!("cannot read: {e}")))?;
        let rel = entry
            .path()
            .strip_prefix(root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        // Named only in an error.
        let shown_entry = || entry.path().display().to_string();
        if entry.path_is_symlink() {
            let target = entry.path().canonicalize().map_err(|e| {
                InputError::in_path(shown_entry(), format!("cannot follow link: {e}"))
            })?;
            if !target.starts_with(&canonical) {
                return Err(InputError::in_path(
                    shown_entry(),
                    "symbolic link points outside the chart",
                ));
            }
        }
        let is_dir = entry.file_type().is_dir();
        if rules.ignores(&rel, is_dir) {
            if is_dir {
                walk.skip_current_dir();
            }
            continue;
        }
        if is_dir {
            continue;
        }
        if !entry.file_type().is_file() {
            return Err(InputError::in_path(
                shown_entry(),
                "cannot load an irregular file (device, socket, pipe)",
            ));
        }
        let data = match overlay.get(entry.path()) {
            Some(text) => {
                budget
                    .take(text.len() as u64)
                    .map_err(|e| InputError::in_path(shown_entry(), e))?;
                text.as_bytes().to_vec()
            }
            None => read_within(entry.path(), budget)
                .map_err(|e| InputError::in_path(shown_entry(), e))?,
        };
        files.push(File::new(rel, data));
    }
    Ok(files)
}

/// Reads a file, at most the largest file size, then takes what was read from `budget`.
fn read_within(path: &Path, budget: &mut Budget) -> std::result::Result<Vec<u8>, String> {
    let data = source::bounded::read_file(path, MAX_FILE_BYTES).map_err(|e| e.to_string())?;
    budget.take(data.len() as u64)?;
    Ok(data)
}
