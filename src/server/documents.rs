//! The documents the editor has open: their unsaved texts (the [`Overlay`] a check reads) and
//! versions, and which chart a file belongs to.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use lsp_types::{TextDocumentContentChangeEvent, Uri};
use source::Overlay;

use super::text::{offset, uri_to_path};

/// Largest document kept; a larger one is left to be read from disk (charts cap files at 5 MB).
const MAX_DOCUMENT_BYTES: usize = helm::chart::MAX_FILE_BYTES as usize;

struct Document {
    version: i32,
    text: String,
}

#[derive(Default)]
pub struct Documents {
    /// By path: only documents that are local files are kept.
    open: BTreeMap<PathBuf, Document>,
}

impl Documents {
    /// Documents that are no local file (`untitled:`) are not kept: no chart reads them.
    pub fn open(&mut self, uri: &Uri, version: i32, text: String) {
        let Some(path) = uri_to_path(uri) else {
            return;
        };
        if text.len() > MAX_DOCUMENT_BYTES {
            self.open.remove(&path);
            return;
        }
        self.open.insert(path, Document { version, text });
    }

    /// Applies edits in order: a change without a range replaces the text; a range past the
    /// end of the text is clamped to it.
    pub fn change(
        &mut self,
        uri: &Uri,
        version: i32,
        changes: Vec<TextDocumentContentChangeEvent>,
    ) {
        let Some(path) = uri_to_path(uri) else {
            return;
        };
        let Some(doc) = self.open.get_mut(&path) else {
            return;
        };
        for change in changes {
            match change.range {
                None => doc.text = change.text,
                Some(range) => {
                    let start = offset(&doc.text, range.start);
                    let end = offset(&doc.text, range.end).max(start);
                    doc.text.replace_range(start..end, &change.text);
                }
            }
        }
        doc.version = version;
        if doc.text.len() > MAX_DOCUMENT_BYTES {
            self.open.remove(&path);
        }
    }

    pub fn close(&mut self, uri: &Uri) {
        if let Some(path) = uri_to_path(uri) {
            self.open.remove(&path);
        }
    }

    /// The open documents' texts, by path.
    pub fn overlay(&self) -> Overlay {
        let mut overlay = Overlay::default();
        for (path, doc) in &self.open {
            overlay.insert(path.clone(), Arc::from(doc.text.as_str()));
        }
        overlay
    }

    /// The text of `path`: the open document's, else the file's (charts cap files at 5 MB).
    pub fn text(&self, path: &Path) -> Option<String> {
        if let Some(doc) = self.open.get(path) {
            return Some(doc.text.clone());
        }
        let file = std::fs::File::open(path).ok()?;
        let mut text = String::new();
        std::io::Read::read_to_string(
            &mut std::io::Read::take(file, MAX_DOCUMENT_BYTES as u64),
            &mut text,
        )
        .ok()?;
        Some(text)
    }

    pub fn versions(&self) -> BTreeMap<PathBuf, i32> {
        self.open
            .iter()
            .map(|(path, doc)| (path.clone(), doc.version))
            .collect()
    }
}

/// The chart a file belongs to: the nearest directory above it with a `Chart.yaml`, or the
/// chart that vendors that one in its `charts/`.
pub fn chart_of(path: &Path) -> Option<PathBuf> {
    crate::inputs::select::containing(&[path.to_path_buf()])
        .into_iter()
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_types::{Position, Range};
    use std::str::FromStr;

    #[test]
    fn edits_apply_in_order_and_the_overlay_follows() {
        let uri = Uri::from_str("file:///chart/templates/a.yaml").unwrap();
        let mut docs = Documents::default();
        docs.open(&uri, 1, "a: 1\nb: 2\n".into());
        let edit = |line, from, to, text: &str| TextDocumentContentChangeEvent {
            range: Some(Range::new(
                Position::new(line, from),
                Position::new(line, to),
            )),
            range_length: None,
            text: text.into(),
        };
        docs.change(&uri, 2, vec![edit(1, 3, 4, "20"), edit(0, 0, 0, "# x\n")]);
        let overlay = docs.overlay();
        assert_eq!(
            overlay.get(Path::new("/chart/templates/a.yaml")),
            Some("# x\na: 1\nb: 20\n")
        );
        let path = PathBuf::from("/chart/templates/a.yaml");
        assert_eq!(docs.versions().get(&path), Some(&2));
        docs.close(&uri);
        assert!(docs.overlay().is_empty());
    }
}
