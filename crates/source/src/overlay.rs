//! Texts that stand in for files on disk: an editor's unsaved documents. Whoever reads a file
//! that an [`Overlay`] holds reads the overlay's text instead, so a check sees what is being
//! typed before it is saved.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Unsaved texts by absolute path. Cloning shares the texts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overlay {
    texts: BTreeMap<PathBuf, Arc<str>>,
}

impl Overlay {
    /// Puts `text` in place of the file at `path`.
    pub fn insert(&mut self, path: PathBuf, text: Arc<str>) {
        self.texts.insert(path, text);
    }

    /// The file at `path` is read from disk again.
    pub fn remove(&mut self, path: &Path) {
        self.texts.remove(path);
    }

    /// The text standing in for `path`, if any.
    pub fn get(&self, path: &Path) -> Option<&str> {
        self.texts.get(path).map(|t| &**t)
    }

    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// The overlaid paths and texts, in path order.
    pub fn iter(&self) -> impl Iterator<Item = (&Path, &str)> {
        self.texts.iter().map(|(p, t)| (p.as_path(), &**t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_overlaid_path_reads_its_text_until_removed() {
        let mut overlay = Overlay::default();
        let path = PathBuf::from("/chart/templates/a.yaml");
        overlay.insert(path.clone(), "kind: Pod\n".into());
        assert_eq!(overlay.get(&path), Some("kind: Pod\n"));
        assert_eq!(overlay.get(Path::new("/chart/templates/b.yaml")), None);
        overlay.remove(&path);
        assert!(overlay.is_empty());
    }
}
