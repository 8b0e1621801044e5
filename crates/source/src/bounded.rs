//! Reading files and streams with a limit counted on the bytes actually read. A file's size from
//! `metadata()` is 0 for devices, pipes and `/proc` files, and a file can grow after it was
//! measured, so the size a file claims never decides how much is read: at most `limit + 1`
//! bytes are, and one byte over the limit is an error naming the limit.

use std::fmt;
use std::io::Read;
use std::path::Path;

/// Largest manifest stream (`--manifest`, `--base-manifest`), as large as the renderer's output.
pub const MAX_MANIFEST_BYTES: u64 = 256 * 1024 * 1024;
/// Largest single input file of any other kind: values, config, accepted findings, release
/// records, migrations, pipeline files, `--set-file`.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    TooLarge(u64),
    /// Over what a [`Budget`] lets a set of files read together.
    TogetherTooLarge(u64),
    NotUtf8(usize),
    /// A NUL byte: text with one is binary, and YAML parsers report it as a confusing "end of
    /// stream" far from where it is.
    Nul(usize),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "cannot read: {e}"),
            ReadError::TooLarge(limit) => write!(f, "larger than the limit of {limit} bytes"),
            ReadError::TogetherTooLarge(limit) => {
                write!(f, "the files read together pass the limit of {limit} bytes")
            }
            ReadError::NotUtf8(at) => write!(f, "not UTF-8 text (invalid byte at offset {at})"),
            ReadError::Nul(at) => write!(f, "not text: NUL byte at offset {at}"),
        }
    }
}

impl std::error::Error for ReadError {}

/// At most `limit` bytes from `reader`; more is [`ReadError::TooLarge`].
pub fn read_stream(reader: impl Read, limit: u64) -> Result<Vec<u8>, ReadError> {
    read_into(reader, limit, Vec::new())
}

/// [`read_stream`] into `data` (empty; its capacity only spares growing it).
fn read_into(reader: impl Read, limit: u64, mut data: Vec<u8>) -> Result<Vec<u8>, ReadError> {
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut data)
        .map_err(ReadError::Io)?;
    if data.len() as u64 > limit {
        return Err(ReadError::TooLarge(limit));
    }
    Ok(data)
}

/// The bytes of the file at `path`, at most `limit` of them.
pub fn read_file(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(path).map_err(ReadError::Io)?;
    // The size the file claims only sizes the buffer, never past the limit: read into a buffer
    // grown from nothing, a chart's larger files were copied a dozen times over.
    let claimed = file.metadata().map_or(0, |m| m.len()).min(limit);
    let capacity = usize::try_from(claimed).map_or(0, |c| c.saturating_add(1));
    read_into(file, limit, Vec::with_capacity(capacity))
}

/// The text of the file at `path`: UTF-8 without NUL bytes, at most `limit` bytes.
pub fn read_text_file(path: &Path, limit: u64) -> Result<String, ReadError> {
    text(read_file(path, limit)?)
}

/// The text of `reader` (standard input): UTF-8 without NUL bytes, at most `limit` bytes.
pub fn read_text_stream(reader: impl Read, limit: u64) -> Result<String, ReadError> {
    text(read_stream(reader, limit)?)
}

/// `bytes` as text: UTF-8 without NUL bytes.
pub fn text(bytes: Vec<u8>) -> Result<String, ReadError> {
    if let Some(at) = memchr::memchr(0, &bytes) {
        return Err(ReadError::Nul(at));
    }
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8(e.utf8_error().valid_up_to()))
}

/// What a set of files may read together (a folder of migrations): each read is taken from
/// what is left, counted on the bytes read.
#[derive(Debug)]
pub struct Budget {
    total: u64,
    left: u64,
}

impl Budget {
    pub fn new(total: u64) -> Self {
        Budget { total, left: total }
    }

    /// The text of the file at `path`, at most `per_file` bytes and at most what is left.
    pub fn read_text_file(&mut self, path: &Path, per_file: u64) -> Result<String, ReadError> {
        let limit = per_file.min(self.left);
        let data = read_file(path, limit).map_err(|e| match e {
            ReadError::TooLarge(_) if limit < per_file => ReadError::TogetherTooLarge(self.total),
            other => other,
        })?;
        self.left -= data.len() as u64;
        text(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stream_without_end_is_cut_at_the_limit() {
        let endless = std::io::repeat(b'a');
        assert!(matches!(
            read_stream(endless, 1000),
            Err(ReadError::TooLarge(1000))
        ));
    }

    #[test]
    fn a_stream_of_exactly_the_limit_is_read() {
        let data = read_stream(&b"abcd"[..], 4).unwrap();
        assert_eq!(data, b"abcd");
    }

    #[test]
    fn files_and_streams_are_read_whole_up_to_the_limit_and_no_further() {
        let bytes: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        let dir = tempdir("whole");
        let path = dir.join("big.bin");
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(read_file(&path, 20_000).unwrap(), bytes);
        assert_eq!(read_file(&path, 1 << 20).unwrap(), bytes);
        assert!(matches!(
            read_file(&path, 19_999),
            Err(ReadError::TooLarge(19_999))
        ));
        assert_eq!(read_stream(&bytes[..], 20_000).unwrap(), bytes);
        assert!(matches!(
            read_stream(&bytes[..], 8_192),
            Err(ReadError::TooLarge(8_192))
        ));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_device_is_read_by_what_it_gives_not_by_its_size() {
        let err = read_file(Path::new("/dev/zero"), 4096).unwrap_err();
        assert_eq!(err.to_string(), "larger than the limit of 4096 bytes");
    }

    #[test]
    fn text_rejects_invalid_utf8_and_nul_with_their_offsets() {
        assert_eq!(
            text(b"ab\xffcd".to_vec()).unwrap_err().to_string(),
            "not UTF-8 text (invalid byte at offset 2)"
        );
        assert_eq!(
            text(b"a: 1\n\0".to_vec()).unwrap_err().to_string(),
            "not text: NUL byte at offset 5"
        );
    }

    #[test]
    fn a_budget_is_shared_by_the_files_read_through_it() {
        let dir = tempdir("budget");
        let path = dir.join("a.sql");
        std::fs::write(&path, "x".repeat(600)).unwrap();
        let mut budget = Budget::new(1000);
        assert_eq!(budget.read_text_file(&path, 800).unwrap().len(), 600);
        let err = budget.read_text_file(&path, 800).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the files read together pass the limit of 1000 bytes"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    /// A directory of the test `name` alone: tests run at the same time.
    fn tempdir(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("bounded-test-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }
}
