//! A chart's file as read from a directory, an archive or a git revision (Helm's
//! `archive.BufferedFile`), before it is sorted into a chart.

/// A file of a chart, named relative to the chart root with `/` separators.
#[derive(Debug, Clone, PartialEq)]
pub struct File {
    pub name: String,
    pub data: Vec<u8>,
}

impl File {
    /// Drops a UTF-8 byte order mark, as Helm does for every chart file.
    pub fn new(name: impl Into<String>, data: Vec<u8>) -> File {
        let data = match data.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => rest.to_vec(),
            None => data,
        };
        File {
            name: name.into(),
            data,
        }
    }

    pub fn text(&self) -> String {
        // `from_utf8` checks ASCII a word at a time; the lossy decoder goes byte by byte.
        match std::str::from_utf8(&self.data) {
            Ok(text) => text.to_owned(),
            Err(_) => String::from_utf8_lossy(&self.data).into_owned(),
        }
    }

    /// [`File::text`] as one shared copy, which a template's parse holds.
    pub fn shared_text(&self) -> std::sync::Arc<str> {
        match std::str::from_utf8(&self.data) {
            Ok(text) => text.into(),
            Err(_) => String::from_utf8_lossy(&self.data).into(),
        }
    }

    /// [`File::text`] taking the file: valid UTF-8 (nearly every file) is not copied.
    pub fn into_text(self) -> String {
        String::from_utf8(self.data)
            .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
    }
}
