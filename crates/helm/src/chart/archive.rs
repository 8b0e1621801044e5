//! Packaged charts (`.tgz`), read in memory as Helm's `LoadArchive` reads them, with bounds:
//! total and per-file size, entry count, and no entry outside the chart (absolute paths, `..`,
//! drive letters). Link entries are never followed: like Helm, they become empty files.

use std::io::Read;

use flate2::read::MultiGzDecoder;

use super::MAX_FILE_BYTES;
use super::budget::Budget;
use super::file::File;

/// The files of a chart archive, named relative to the chart root (the archive's first path
/// component, the chart directory, is dropped), charged to `budget`. Errors are plain
/// messages; the caller names the archive.
pub fn read_archive(bytes: &[u8], budget: &mut Budget) -> Result<Vec<File>, String> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Err("not a gzipped chart archive".into());
    }
    let mut files = Vec::new();
    // Every gzip member, as Go's gzip reader (multistream by default) gives Helm: a chart split
    // over two members must not hide its second half from the check. The stream stays capped.
    for entry in tar_entries(MultiGzDecoder::new(bytes), budget)? {
        files.push(File::new(entry_name(&entry.path)?, entry.data));
    }
    if files.is_empty() {
        return Err("no files in chart archive".into());
    }
    Ok(files)
}

/// A file or link of a tar stream.
pub struct TarEntry {
    /// The path as stored.
    pub path: String,
    /// For a symbolic or hard link, its target as stored; the data is then empty.
    pub link: Option<String>,
    pub data: Vec<u8>,
}

/// Every non-directory entry of a tar stream, each charged to `budget`.
pub fn tar_entries(stream: impl Read, budget: &mut Budget) -> Result<Vec<TarEntry>, String> {
    let allowance = budget.stream_allowance();
    let mut tar = tar::Archive::new(Capped {
        inner: stream,
        left: allowance,
    });
    let entries = tar
        .entries()
        .map_err(|e| format!("cannot read archive: {e}"))?;
    let mut out = Vec::new();
    for entry in entries {
        let mut entry = entry.map_err(|e| format!("cannot read archive: {e}"))?;
        let kind = entry.header().entry_type();
        if kind.is_dir() || kind.is_pax_global_extensions() || kind.is_pax_local_extensions() {
            continue;
        }
        let path = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let size = entry.header().size().unwrap_or(0);
        budget.take(size).map_err(|e| format!("{path:?}: {e}"))?;
        let mut data = Vec::new();
        if kind.is_file() || kind.is_contiguous() || kind == tar::EntryType::GNUSparse {
            (&mut entry)
                .take(MAX_FILE_BYTES + 1)
                .read_to_end(&mut data)
                .map_err(|e| format!("cannot read {path:?} from archive: {e}"))?;
        }
        let link = (kind.is_symlink() || kind.is_hard_link())
            .then(|| entry.link_name_bytes())
            .flatten()
            .map(|l| String::from_utf8_lossy(&l).into_owned());
        out.push(TarEntry { path, link, data });
    }
    Ok(out)
}

/// A stream that fails, instead of ending, after `left` bytes: a tar reader that meets the end
/// of its stream inside an entry would report a truncated archive, not an archive too large.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.left == 0 {
            return Err(std::io::Error::other(
                "the archive holds more bytes than its files may (a long name or extended header too large?)",
            ));
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Helm's naming of an archive entry: drop the first component, normalise, refuse escapes.
fn entry_name(raw: &str) -> Result<String, String> {
    let sep = if raw.contains('\\') { '\\' } else { '/' };
    let mut parts = raw.split(sep);
    let first = parts.next().unwrap_or("");
    let rest: Vec<&str> = parts.collect();
    let joined = rest.join("/");
    if joined.starts_with('/') {
        return Err("chart illegally contains absolute paths".into());
    }
    let name = clean_path(&joined);
    if name == "." {
        return Err(format!(
            "chart illegally contains content outside the base directory: {raw:?}"
        ));
    }
    if name.starts_with("..") {
        return Err("chart illegally references parent directory".into());
    }
    let b = name.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return Err("chart contains illegally named files".into());
    }
    if first == "Chart.yaml" {
        return Err("chart yaml not in base directory".into());
    }
    Ok(name)
}

/// Go's `path.Clean` for relative paths.
pub fn clean_path(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if out.last().is_some_and(|p| *p != "..") => {
                out.pop();
            }
            _ => out.push(part),
        }
    }
    if out.is_empty() {
        ".".into()
    } else {
        out.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_drop_the_chart_directory_and_refuse_escapes() {
        assert_eq!(
            entry_name("mychart/templates/a.yaml").as_deref(),
            Ok("templates/a.yaml")
        );
        assert_eq!(
            entry_name("mychart/./x/../values.yaml").as_deref(),
            Ok("values.yaml")
        );
        assert_eq!(
            entry_name(r"mychart\templates\a.yaml").as_deref(),
            Ok("templates/a.yaml")
        );
        assert!(entry_name("mychart/../../etc/passwd").is_err());
        assert!(entry_name("mychart//etc/passwd").is_err());
        assert!(entry_name("mychart").is_err());
        assert!(entry_name("Chart.yaml").is_err());
        assert!(entry_name("mychart/c:/x").is_err());
    }

    /// A gzipped tar whose first entry is an extension header of `kind` (a GNU long name or
    /// link, a PAX header) declaring `declared` bytes and holding `held` of them.
    fn extension_archive(kind: tar::EntryType, declared: u64, held: usize) -> Vec<u8> {
        let mut header = tar::Header::new_gnu();
        header.set_entry_type(kind);
        header.set_path("././@LongLink").unwrap();
        header.set_size(declared);
        header.set_cksum();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, header.as_bytes()).unwrap();
        std::io::Write::write_all(&mut gz, &vec![b'a'; held]).unwrap();
        gz.finish().unwrap()
    }

    #[test]
    fn a_long_name_larger_than_the_budget_is_refused_while_read() {
        for kind in [
            tar::EntryType::GNULongName,
            tar::EntryType::GNULongLink,
            tar::EntryType::XHeader,
            tar::EntryType::XGlobalHeader,
        ] {
            let archive = extension_archive(kind, 1 << 30, 300_000);
            let err = read_archive(&archive, &mut Budget::new(100_000, 10)).unwrap_err();
            assert!(
                err.contains("holds more bytes than its files may"),
                "{kind:?}: {err}"
            );
        }
    }

    #[test]
    fn non_gzip_is_refused() {
        assert!(read_archive(b"PK\x03\x04", &mut Budget::default()).is_err());
    }
}
