//! Reading the pipeline files of a run: the paths the user gave, or discovery from the
//! repository root of the input. A given path that does not exist is an input error (exit 2);
//! a file that cannot be read as its kind becomes a note, and the check goes on.

use std::path::{Path, PathBuf};

use super::discover::{self, Found, Given, MAX_FILE_BYTES};
use super::{Loaded, load_file};
use source::SourceFile;
use source::bounded;
use source::{InputError, Result};

/// Where the run's pipeline files come from.
pub enum Sources<'a> {
    /// Files and directories given with `--pipeline` or the config's `pipelines:`.
    Given(&'a [PathBuf]),
    /// Discover under the repository root of this input.
    DiscoverFrom(&'a Path),
    None,
}

pub fn load(sources: Sources) -> Result<Loaded> {
    let mut found = Found::default();
    match sources {
        Sources::Given(paths) => {
            for path in paths {
                if path.is_dir() {
                    discover::walk(path, Given::InDirectory, &mut found);
                } else if path.is_file() {
                    discover::add_file(path, Given::File, &mut found);
                } else {
                    let why = if path.exists() {
                        "not a regular file or directory (a device, socket or pipe)"
                    } else {
                        "pipeline file or directory not found"
                    };
                    return Err(InputError::in_path(path.display().to_string(), why)
                    .with_help("--pipeline takes CI/CD files (workflows, Jenkinsfile, helmfile, …) or directories of them"));
                }
            }
        }
        Sources::DiscoverFrom(input) => {
            if let Some(root) = discover::repo_root(input) {
                discover::walk(&root, Given::No, &mut found);
            }
        }
        Sources::None => {}
    }
    let mut loaded = Loaded {
        notes: found.notes,
        ..Loaded::default()
    };
    let cwd = std::env::current_dir().ok();
    for (path, kind) in found.files {
        let name = display_name(&path, cwd.as_deref());
        match read_text(&path) {
            Ok(text) => load_file(&SourceFile::new(name, text), kind, &mut loaded),
            Err(why) => loaded
                .notes
                .push(format!("pipeline file {name}: {why}; not checked")),
        }
    }
    loaded.finish();
    Ok(loaded)
}

/// Paths relative to the working directory when they are below it, as users typed them.
fn display_name(path: &Path, cwd: Option<&Path>) -> String {
    cwd.and_then(|c| path.strip_prefix(c).ok())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn read_text(path: &Path) -> std::result::Result<String, String> {
    bounded::read_text_file(path, MAX_FILE_BYTES).map_err(|e| e.to_string())
}
