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
    // Where the chart is, to check that links stay inside it; resolved (a system call per
    // component of the path) only for a chart that has links.
    let resolved = std::cell::OnceCell::new();
    let canonical = || -> Result<&std::path::PathBuf> {
        if let Some(path) = resolved.get() {
            return Ok(path);
        }
        let path = root.canonicalize().map_err(|e| {
            InputError::in_path(&shown, format!("cannot read chart directory: {e}"))
        })?;
        Ok(resolved.get_or_init(|| path))
    };
    let ignore_path = root.join(".helmignore");
    // Read once: the rules, and then the chart's file `.helmignore`.
    let mut ignore_text = None;
    let rules = match ignore_file(&ignore_path, canonical)? {
        Some(text) => {
            let rules = Rules::parse(&text).map_err(|(line, e)| {
                InputError::in_path(
                    format!("{}:{line}", ignore_path.display()),
                    format!("invalid .helmignore rule: {e}"),
                )
            })?;
            ignore_text = Some(text);
            rules
        }
        None => Rules::default(),
    }
    .with_defaults();

    let mut files = Vec::new();
    // Paths are compared and cut as text: taking a path apart into components (for its file
    // name, or to strip the root) cost more than the rest of the walk.
    let root_text = root.to_string_lossy();
    let mut walk = WalkDir::new(root)
        .follow_links(true)
        // Siblings' paths differ only in their names: this is the order of the names.
        .sort_by(|a, b| a.path().as_os_str().cmp(b.path().as_os_str()))
        .min_depth(1)
        .into_iter();
    while let Some(entry) = walk.next() {
        let entry = entry.map_err(|e| InputError::in_path(&shown, format!("cannot read: {e}")))?;
        let rel = relative(entry.path(), root, &root_text);
        // Named only in an error.
        let shown_entry = || entry.path().display().to_string();
        if entry.path_is_symlink() {
            let target = entry.path().canonicalize().map_err(|e| {
                InputError::in_path(shown_entry(), format!("cannot follow link: {e}"))
            })?;
            if !target.starts_with(canonical()?) {
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
        // Text already at hand: an editor's, or the `.helmignore` the rules came from.
        let held = match overlay.get(entry.path()) {
            Some(text) => Some(text.as_bytes().to_vec()),
            None if rel == ".helmignore" => ignore_text.take().map(String::into_bytes),
            None => None,
        };
        let data = match held {
            Some(data) => {
                budget
                    .take(data.len() as u64)
                    .map_err(|e| InputError::in_path(shown_entry(), e))?;
                data
            }
            None => read_within(entry.path(), budget)
                .map_err(|e| InputError::in_path(shown_entry(), e))?,
        };
        files.push(File::new(rel, data));
    }
    Ok(files)
}

/// The text of the chart's `.helmignore` (`path`), if it is a file; `canonical` resolves the
/// chart's directory. A link must stay inside the chart.
fn ignore_file<'c>(
    path: &Path,
    canonical: impl FnOnce() -> Result<&'c std::path::PathBuf>,
) -> Result<Option<String>> {
    let shown = || path.display().to_string();
    // One `lstat`: a file that is no link is inside the chart; a link is followed and checked.
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(None);
    };
    if meta.file_type().is_symlink() {
        if !path.is_file() {
            return Ok(None);
        }
        // The link check comes before the read: a rule that cannot be parsed is quoted in the
        // error, and must never be a line of a file outside the chart.
        let chart = canonical()?;
        let inside = path
            .canonicalize()
            .is_ok_and(|target| target.starts_with(chart));
        if !inside {
            return Err(InputError::in_path(
                shown(),
                "symbolic link points outside the chart",
            ));
        }
    } else if !meta.is_file() {
        return Ok(None);
    }
    source::bounded::read_text_file(path, MAX_FILE_BYTES)
        .map(Some)
        .map_err(|e| InputError::in_path(shown(), e.to_string()))
}

/// `path`, a path the walk joined to `root` (`root_text` as text), relative to it, with `/`
/// separators.
fn relative(path: &Path, root: &Path, root_text: &str) -> String {
    let text = path.to_string_lossy();
    let rel = match text.strip_prefix(root_text) {
        Some(rest) => rest.trim_start_matches(std::path::is_separator).to_string(),
        None => path
            .strip_prefix(root)
            .map(|p| p.to_string_lossy().into_owned())
            .unwrap_or_default(),
    };
    rel.replace('\\', "/")
}

/// Reads a file, at most the largest file size, then takes what was read from `budget`.
fn read_within(path: &Path, budget: &mut Budget) -> std::result::Result<Vec<u8>, String> {
    let data = source::bounded::read_file(path, MAX_FILE_BYTES).map_err(|e| e.to_string())?;
    budget.take(data.len() as u64)?;
    Ok(data)
}
