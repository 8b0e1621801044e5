//! `rollguard render --output-dir DIR`: the files `helm template --output-dir DIR` writes.
//!
//! Helm writes each document to `DIR/<its # Source: path>` (`chart/templates/x.yaml`,
//! `chart/charts/sub/templates/y.yaml`, `chart/crds/z.yaml`) under its own `---` and
//! `# Source:` lines, in the stream's order, and prints `wrote DIR/<path>` for each. A file
//! written earlier in the same run is appended to; a resource's first write replaces what was
//! there; a hook is appended to a file that exists, even one left by an earlier run (Helm's
//! `os.Stat` test in `pkg/cmd/template.go`).
//!
//! The paths come from the chart, and the chart is input from anyone: every path is checked to
//! stay inside DIR before anything is written, the run is held to a file and byte budget, and
//! no symbolic link inside DIR is followed (each directory is opened relative to its parent
//! with `O_NOFOLLOW`), so a link planted in a shared DIR cannot send a write elsewhere.

use std::collections::HashSet;
use std::path::Path;

use helm::stream::{Entry, push_doc};
use source::{InputError, Result};

/// Distinct files one run may write: as many as a chart may hold.
pub const MAX_FILES: usize = helm::chart::MAX_ENTRIES;
/// Bytes one run may write.
pub const MAX_BYTES: usize = 256 * 1024 * 1024;

/// Writes `entries` under `dir` as `helm template --output-dir` does; `wrote` gets each path
/// as Helm prints it (`DIR/<path>`, DIR as given) once its file is written.
pub fn write(
    dir: &Path,
    entries: &[Entry<'_>],
    mut wrote: impl FnMut(&str) -> Result<()>,
) -> Result<()> {
    let shown = |name: &str| format!("{}/{name}", dir.display());
    let mut files = HashSet::new();
    let mut bytes = 0usize;
    let mut plan = Vec::with_capacity(entries.len());
    for entry in entries {
        let parts = components(entry.name).map_err(|why| {
            InputError::in_path(shown(entry.name), why)
                .with_help("--output-dir writes only below its directory")
        })?;
        files.insert(entry.name);
        bytes = bytes.saturating_add(entry.name.len() + entry.text.len() + 16);
        plan.push(parts);
    }
    if files.len() > MAX_FILES || bytes > MAX_BYTES {
        return Err(InputError::in_path(
            dir.display().to_string(),
            format!(
                "the render would write {} files and {bytes} bytes; --output-dir writes at most {MAX_FILES} files and {MAX_BYTES} bytes",
                files.len()
            ),
        ));
    }
    if entries.is_empty() {
        return Ok(());
    }
    let root = beneath::Root::create(dir).map_err(|e| {
        InputError::in_path(
            dir.display().to_string(),
            format!("cannot create the output directory: {e}"),
        )
    })?;
    let mut written = HashSet::new();
    let mut text = String::new();
    for (entry, parts) in entries.iter().zip(&plan) {
        let append = entry.hook || !written.insert(entry.name);
        text.clear();
        push_doc(&mut text, entry.name, entry.text);
        let path = shown(entry.name);
        root.write(parts, text.as_bytes(), append)
            .map_err(|e| InputError::in_path(path.clone(), format!("cannot write: {e}")))?;
        wrote(&path)?;
    }
    Ok(())
}

/// The segments of a relative path that stays where it is put: no empty, `.` or `..`
/// segment, no leading `/`, no NUL.
fn components(name: &str) -> std::result::Result<Vec<&str>, String> {
    let parts: Vec<&str> = name.split('/').collect();
    let bad = parts
        .iter()
        .any(|p| p.is_empty() || *p == "." || *p == ".." || p.contains('\0'));
    if bad {
        return Err(format!(
            "template path {name:?} does not name a file inside the output directory"
        ));
    }
    Ok(parts)
}

#[cfg(unix)]
mod beneath {
    //! Writing below one directory without following a symbolic link on the way.

    use std::io::{Error, ErrorKind, Write};
    use std::os::fd::OwnedFd;
    use std::path::Path;

    use rustix::fs::{FileType, Mode, OFlags, fstat, mkdirat, open, openat};
    use rustix::io::Errno;

    pub struct Root(OwnedFd);

    impl Root {
        /// Creates `dir` (the user's own path: links in it are followed) and opens it.
        pub fn create(dir: &Path) -> std::io::Result<Root> {
            std::fs::create_dir_all(dir)?;
            let fd = open(
                dir,
                OFlags::DIRECTORY | OFlags::RDONLY | OFlags::CLOEXEC,
                Mode::empty(),
            )?;
            Ok(Root(fd))
        }

        /// Writes `data` to the file at `parts` below the root (truncated first unless
        /// `append`), creating its directories as Helm does (0755, 0666 for files, less the
        /// umask); a link or anything but a regular file on the way is an error.
        pub fn write(&self, parts: &[&str], data: &[u8], append: bool) -> std::io::Result<()> {
            let Some((file, dirs)) = parts.split_last() else {
                return Err(Error::new(ErrorKind::InvalidInput, "empty path"));
            };
            let mut inner: Option<OwnedFd> = None;
            for dir in dirs {
                let at = inner.as_ref().unwrap_or(&self.0);
                match mkdirat(at, *dir, Mode::from_raw_mode(0o755)) {
                    Ok(()) | Err(Errno::EXIST) => {}
                    Err(e) => return Err(e.into()),
                }
                let flags = OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::RDONLY | OFlags::CLOEXEC;
                let next = openat(at, *dir, flags, Mode::empty()).map_err(no_links)?;
                inner = Some(next);
            }
            let at = inner.as_ref().unwrap_or(&self.0);
            let how = if append {
                OFlags::APPEND
            } else {
                OFlags::TRUNC
            };
            // Non-blocking: a FIFO planted in DIR must not hang the run until it is refused.
            let flags = OFlags::WRONLY
                | OFlags::CREATE
                | OFlags::NOFOLLOW
                | OFlags::NONBLOCK
                | OFlags::CLOEXEC
                | how;
            let fd = openat(at, *file, flags, Mode::from_raw_mode(0o666)).map_err(no_links)?;
            if FileType::from_raw_mode(fstat(&fd)?.st_mode) != FileType::RegularFile {
                return Err(Error::other("not a regular file"));
            }
            std::fs::File::from(fd).write_all(data)
        }
    }

    /// `O_NOFOLLOW`'s error for a link, said plainly.
    fn no_links(e: Errno) -> Error {
        if e == Errno::LOOP || e == Errno::NOTDIR {
            Error::other(
                "a symbolic link (or not a directory) is in the way; --output-dir follows no links inside its directory",
            )
        } else {
            e.into()
        }
    }
}

#[cfg(not(unix))]
mod beneath {
    //! Writing below one directory without following links needs the Unix `*at` calls.

    use std::path::Path;

    pub struct Root;

    impl Root {
        pub fn create(_dir: &Path) -> std::io::Result<Root> {
            Err(std::io::Error::other(
                "--output-dir is supported on Unix systems only",
            ))
        }

        pub fn write(&self, _parts: &[&str], _data: &[u8], _append: bool) -> std::io::Result<()> {
            Err(std::io::Error::other(
                "--output-dir is supported on Unix systems only",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(name: &'a str, text: &'a str, hook: bool) -> Entry<'a> {
        Entry { name, text, hook }
    }

    fn written(dir: &Path, entries: &[Entry<'_>]) -> Result<Vec<String>> {
        let mut lines = Vec::new();
        write(dir, entries, |p| {
            lines.push(p.to_string());
            Ok(())
        })?;
        Ok(lines)
    }

    #[test]
    fn appends_within_a_run_and_hooks_to_what_exists() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let entries = [
            entry("c/templates/a.yaml", "a: 1", false),
            entry("c/templates/a.yaml", "a: 2", false),
            entry("c/templates/h.yaml", "h: 1", true),
        ];
        let lines = written(&dir, &entries).unwrap();
        assert_eq!(lines.len(), 3);
        assert!(lines[0].ends_with("out/c/templates/a.yaml"));
        let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap();
        let a =
            "---\n# Source: c/templates/a.yaml\na: 1\n---\n# Source: c/templates/a.yaml\na: 2\n";
        assert_eq!(read("c/templates/a.yaml"), a);
        // Again: resources replace their files, hooks append to them.
        written(&dir, &entries).unwrap();
        assert_eq!(read("c/templates/a.yaml"), a);
        assert_eq!(
            read("c/templates/h.yaml"),
            "---\n# Source: c/templates/h.yaml\nh: 1\n".repeat(2)
        );
    }

    #[test]
    fn refuses_paths_that_leave_the_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        for name in [
            "../x.yaml",
            "/etc/x.yaml",
            "c/../../x.yaml",
            "c//x.yaml",
            "c/./x",
            "",
        ] {
            let err = written(&dir, &[entry(name, "x: 1", false)]).unwrap_err();
            assert!(
                err.to_string().contains("inside the output directory"),
                "{name}: {err}"
            );
        }
        assert!(!dir.exists(), "nothing is written when a path is refused");
    }

    #[test]
    fn refuses_more_files_than_its_budget_before_writing() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("out");
        let names: Vec<String> = (0..=MAX_FILES).map(|i| format!("c/{i}.yaml")).collect();
        let entries: Vec<Entry<'_>> = names.iter().map(|n| entry(n, "a: 1", false)).collect();
        let err = written(&dir, &entries).unwrap_err();
        assert!(err.to_string().contains("at most"), "{err}");
        assert!(!dir.exists());
    }

    #[cfg(unix)]
    #[test]
    fn follows_no_link_inside_the_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let (dir, elsewhere) = (tmp.path().join("out"), tmp.path().join("elsewhere"));
        std::fs::create_dir_all(dir.join("c")).unwrap();
        std::fs::create_dir_all(&elsewhere).unwrap();
        std::os::unix::fs::symlink(&elsewhere, dir.join("c/templates")).unwrap();
        std::os::unix::fs::symlink(elsewhere.join("f"), dir.join("c/file.yaml")).unwrap();
        for name in ["c/templates/a.yaml", "c/file.yaml"] {
            let err = written(&dir, &[entry(name, "a: 1", false)]).unwrap_err();
            assert!(err.to_string().contains("symbolic link"), "{name}: {err}");
        }
        assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 0);
    }
}
