//! Which charts to check when the user names files or a tree rather than charts: the charts a
//! set of changed files belongs to (`--changed`, for pre-commit) and every chart under a
//! directory (`--all`, for repositories of many charts).

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};

use walkdir::WalkDir;

use crate::pipeline::discover::SKIP_DIRS;
use source::{InputError, Result};

/// Bounds of the `--all` walk, as for pipeline discovery: a repository, not a file system.
const MAX_DEPTH: usize = 12;
const MAX_ENTRIES: usize = 100_000;

/// The charts the files belong to, each once, in path order. A file belongs to the nearest
/// directory above it with a `Chart.yaml`; a chart vendored in another chart's `charts/` is
/// part of that chart's release, so its files belong to the outermost chart that vendors it.
/// Files outside any chart (and deleted charts, which have no `Chart.yaml` left) are ignored.
pub fn containing(files: &[PathBuf]) -> Vec<PathBuf> {
    let set: BTreeSet<PathBuf> = files.iter().filter_map(|f| owning_chart(f)).collect();
    set.into_iter().collect()
}

fn owning_chart(file: &Path) -> Option<PathBuf> {
    let file = normalize(file);
    let mut chart = file.ancestors().skip(1).find(|dir| is_chart(dir))?;
    // `parent/charts/<sub>`: the release is the parent's.
    while let Some(vendor) = vendoring_chart(chart) {
        chart = vendor;
    }
    Some(shown(chart))
}

/// The chart whose `charts/` directory holds `chart`, if any.
fn vendoring_chart(chart: &Path) -> Option<&Path> {
    let charts_dir = chart.parent()?;
    if charts_dir.file_name()? != "charts" {
        return None;
    }
    let parent = charts_dir.parent()?;
    is_chart(parent).then_some(parent)
}

fn is_chart(dir: &Path) -> bool {
    dir.join("Chart.yaml").is_file()
}

/// `./a/../b/x` → `b/x`, so two spellings of one chart are checked once. Lexical: symbolic
/// links are not resolved (a changed path is a path in the repository).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir if out.file_name().is_some() => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The empty path (the working directory is the chart) is shown as `.`.
fn shown(dir: &Path) -> PathBuf {
    if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir.to_path_buf()
    }
}

/// The files that differ between git revision `reference` and the working tree, relative to the
/// working directory, deleted files included (deleting a template changes its chart; pre-commit
/// never passes deleted files, so its hook asks here). When `reference` does not name a commit
/// (a repository's first commit, against `HEAD`), every file git tracks is new. Read without
/// running anything the repository configures ([`helm::chart::changed_since`]).
pub fn changed_since(reference: &str) -> Result<Vec<PathBuf>> {
    let listed = helm::chart::changed_since(Path::new("."), reference)
        .map_err(|e| InputError::new(format!("--changed without files asks git: {e}")))?;
    Ok(listed.into_iter().map(PathBuf::from).collect())
}

/// Every chart under `root`, in path order. Skipped: what is inside a chart (vendored subcharts
/// are checked as part of their parent), hidden directories, build output and dependencies, and
/// test data (`fixtures`, `testdata`, …: charts there are usually broken on purpose; name them
/// to check them). The same directories pipeline discovery skips.
pub fn under(root: &Path) -> Vec<PathBuf> {
    let mut charts = Vec::new();
    let mut walker = WalkDir::new(root)
        .max_depth(MAX_DEPTH)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter();
    let mut entries = 0;
    while let Some(entry) = walker.next() {
        entries += 1;
        if entries > MAX_ENTRIES {
            break;
        }
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_dir() {
            continue;
        }
        if entry.depth() > 0 && skipped(entry.file_name()) {
            walker.skip_current_dir();
            continue;
        }
        if is_chart(entry.path()) {
            let path = entry.path().strip_prefix("./").unwrap_or(entry.path());
            charts.push(shown(path));
            walker.skip_current_dir();
        }
    }
    charts
}

fn skipped(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy();
    name.starts_with('.') || SKIP_DIRS.contains(&name.as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[&str]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for f in files {
            let path = dir.path().join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        }
        dir
    }

    #[test]
    fn changed_files_map_to_their_outermost_chart() {
        let dir = tree(&[
            "charts/app/Chart.yaml",
            "charts/app/charts/db/Chart.yaml",
            "charts/app/charts/db/charts/cache/Chart.yaml",
            "charts/api/Chart.yaml",
            "README.md",
        ]);
        let root = dir.path();
        let files: Vec<PathBuf> = [
            "charts/app/templates/deploy.yaml",
            "charts/app/charts/db/values.yaml",
            "charts/app/charts/db/charts/cache/templates/x.yaml",
            "charts/app/charts/db-1.0.0.tgz",
            "charts/api/./values.yaml",
            "charts/api/templates/../Chart.yaml",
            "README.md",
            "gone/Chart.yaml",
        ]
        .iter()
        .map(|f| root.join(f))
        .collect();
        let found = containing(&files);
        assert_eq!(
            found,
            vec![root.join("charts/api"), root.join("charts/app")],
            "{found:?}"
        );
    }

    #[test]
    fn all_skips_subcharts_hidden_dirs_and_test_data() {
        let dir = tree(&[
            "Chart.yaml",
            "charts/sub/Chart.yaml",
            "deploy/b/Chart.yaml",
            "deploy/a/Chart.yaml",
            "deploy/a/charts/inner/Chart.yaml",
            ".git/x/Chart.yaml",
            "fixtures/broken/Chart.yaml",
            "node_modules/y/Chart.yaml",
        ]);
        assert_eq!(under(dir.path()), vec![dir.path().to_path_buf()]);
        let found = under(&dir.path().join("deploy"));
        let deploy = dir.path().join("deploy");
        assert_eq!(found, vec![deploy.join("a"), deploy.join("b")]);
    }
}
