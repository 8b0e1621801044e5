//! A chart as it was at a git revision (`--base REF`), read with the git CLI without touching
//! the work tree: `git archive` streams the chart directory as it was committed, and the files
//! are then treated as Helm treats a chart directory (`.helmignore`, dot files under
//! `templates/`). A symbolic link is followed only to a file of the chart.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};

use source::{InputError, Result};

use super::MAX_CHART_BYTES;
use super::archive::{TarEntry, clean_path, tar_entries};
use super::budget::Budget;
use super::file::File;
use super::helmignore::Rules;
use super::load::{Chart, load_files};

/// Loads the chart directory `chart_dir` (inside a git work tree) as committed at `revision`.
pub fn load_chart_at_revision(chart_dir: &Path, revision: &str) -> Result<Chart> {
    let origin = format!("{}@{revision}", chart_dir.display());
    let fail = |message: String| InputError::in_path(&origin, message);
    if revision.is_empty() || revision.starts_with('-') {
        return Err(fail(format!("{revision:?} is not a git revision")));
    }
    let prefix = git(chart_dir, &["rev-parse", "--show-prefix"]).map_err(fail)?;
    let prefix = String::from_utf8_lossy(&prefix).trim().to_string();
    let top = git(chart_dir, &["rev-parse", "--show-toplevel"]).map_err(fail)?;
    let top = String::from_utf8_lossy(&top).trim().to_string();
    let tree = format!("{revision}:{prefix}");
    let tar = git(Path::new(&top), &["archive", "--format=tar", &tree])
        .map_err(|e| fail(format!("{e} (is the chart committed at {revision}?)")))?;
    let mut budget = Budget::default();
    let entries = tar_entries(tar.as_slice(), &mut budget).map_err(fail)?;
    let files = chart_files(entries).map_err(fail)?;
    load_files(files, &origin, 0, &mut budget)
}

/// Runs git in `dir`; stdout, bounded, or the error git printed.
fn git(dir: &Path, args: &[&str]) -> std::result::Result<Vec<u8>, String> {
    let mut child = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let mut out = Vec::new();
    if let Some(stdout) = child.stdout.take() {
        stdout
            .take(MAX_CHART_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| format!("cannot read from git: {e}"))?;
    }
    if out.len() as u64 > MAX_CHART_BYTES {
        let _ = child.kill();
        let _ = child.wait();
        return Err(format!("the chart is larger than {MAX_CHART_BYTES} bytes"));
    }
    let status = child
        .wait_with_output()
        .map_err(|e| format!("git failed: {e}"))?;
    if !status.status.success() {
        let message = String::from_utf8_lossy(&status.stderr).trim().to_string();
        return Err(format!("git {}: {message}", args.join(" ")));
    }
    Ok(out)
}

/// The chart's files from `git archive` of its tree: links resolved to the chart's own files,
/// then `.helmignore` applied as to a chart directory.
fn chart_files(entries: Vec<TarEntry>) -> std::result::Result<Vec<File>, String> {
    let mut by_path: BTreeMap<String, TarEntry> = BTreeMap::new();
    for entry in entries {
        let path = clean_path(&entry.path);
        if path == "." || path == ".." || path.starts_with("../") || entry.path.starts_with('/') {
            return Err(format!("unexpected path {:?} in git archive", entry.path));
        }
        by_path.insert(path, entry);
    }
    let rules = match by_path.get(".helmignore") {
        Some(e) => Rules::parse(&String::from_utf8_lossy(&e.data))
            .map_err(|(line, e)| format!(".helmignore:{line}: invalid rule: {e}"))?,
        None => Rules::default(),
    }
    .with_defaults();
    let mut files = Vec::new();
    for (path, entry) in &by_path {
        // A directory walk skips an ignored directory with all it holds.
        let mut dirs = path.match_indices('/').map(|(i, _)| &path[..i]);
        if dirs.any(|d| rules.ignores(d, true)) || rules.ignores(path, false) {
            continue;
        }
        let data = match &entry.link {
            None => entry.data.clone(),
            Some(target) => {
                let dir = path.rsplit_once('/').map_or("", |(d, _)| d);
                let resolved = clean_path(&format!("{dir}/{target}"));
                match by_path.get(&resolved) {
                    Some(t) if t.link.is_none() && !target.starts_with('/') => t.data.clone(),
                    _ => {
                        return Err(format!(
                            "{path}: symbolic link to {target:?} does not point to a file of the chart"
                        ));
                    }
                }
            }
        };
        files.push(File::new(path.clone(), data));
    }
    Ok(files)
}

/// Whether the chart in `chart_dir` existed (had a `Chart.yaml`) at `revision`.
pub fn exists_at_revision(chart_dir: &Path, revision: &str) -> bool {
    if revision.is_empty() || revision.starts_with('-') {
        return false;
    }
    let Ok(prefix) = git(chart_dir, &["rev-parse", "--show-prefix"]) else {
        return false;
    };
    let prefix = String::from_utf8_lossy(&prefix).trim().to_string();
    git(
        chart_dir,
        &["cat-file", "-e", &format!("{revision}:{prefix}Chart.yaml")],
    )
    .is_ok()
}

/// The commit `revision` names in the repository holding `chart_dir`, to tell whether a chart
/// read at `revision` earlier is still what it names (`HEAD` moves with every commit).
pub fn revision_id(chart_dir: &Path, revision: &str) -> Option<String> {
    if revision.is_empty() || revision.starts_with('-') {
        return None;
    }
    let commit = format!("{revision}^{{commit}}");
    let out = git(chart_dir, &["rev-parse", "--verify", "--quiet", &commit]).ok()?;
    Some(String::from_utf8_lossy(&out).trim().to_string())
}
