//! Files a pipeline file refers to (GitLab `include: local`, Azure Pipelines `template:`), read
//! from the same repository: bounded in size and number, never outside the repository, each at
//! most once.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::discover::{MAX_FILE_BYTES, repo_root};
use source::SourceFile;

/// Referenced files read over one pipeline file, its references' references included.
const MAX_FILES: usize = 50;

pub struct ReferencedFiles {
    root: PathBuf,
    seen: Vec<PathBuf>,
}

impl ReferencedFiles {
    /// For references made from `file`: the repository around it (or its directory).
    pub fn around(file: &SourceFile) -> Option<ReferencedFiles> {
        let dir = std::fs::canonicalize(parent(file)).ok()?;
        let root = repo_root(&dir).unwrap_or(dir);
        Some(ReferencedFiles {
            root,
            seen: vec![std::fs::canonicalize(&file.name).unwrap_or_default()],
        })
    }

    /// The file `path` names, as written in `from`: a leading `/` starts at the repository
    /// root; otherwise the referring file's directory is tried first, then the root. `None`
    /// when it is missing, outside the repository, too large, not text, or already read.
    pub fn read(&mut self, from: &SourceFile, path: &str) -> Option<Arc<SourceFile>> {
        if path.contains("://") || self.seen.len() >= MAX_FILES {
            return None;
        }
        let from_dir = std::fs::canonicalize(parent(from)).ok();
        let candidates: Vec<PathBuf> = match path.strip_prefix('/') {
            Some(rooted) => vec![self.root.join(rooted)],
            None => from_dir
                .iter()
                .map(|d| d.join(path))
                .chain([self.root.join(path)])
                .collect(),
        };
        let found = candidates
            .iter()
            .filter_map(|p| std::fs::canonicalize(p).ok())
            .find(|p| p.starts_with(&self.root) && p.is_file())?;
        if self.seen.contains(&found) {
            return None;
        }
        self.seen.push(found.clone());
        let text = source::bounded::read_text_file(&found, MAX_FILE_BYTES).ok()?;
        let name = std::env::current_dir()
            .ok()
            .and_then(|cwd| found.strip_prefix(cwd).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| found.clone());
        Some(SourceFile::new(name.display().to_string(), text))
    }
}

fn parent(file: &SourceFile) -> &Path {
    match Path::new(&file.name).parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}
