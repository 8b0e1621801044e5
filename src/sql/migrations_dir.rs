//! `--migrations PATH`: an application's migration sources, a file or a folder. The naming
//! conventions of the common tools say which files run forward and which undo them: Flyway
//! `V…__` / `U…__`, golang-migrate and pop `*.up.sql` / `*.down.sql`, diesel `up.sql` /
//! `down.sql`, sqitch `deploy/` / `revert/`; anything else is a plain forward `.sql` file.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::Dialect;
use super::migration::{Direction, Origin, Script};
use super::position::Placement;
use source::SourceFile;
use source::bounded;
use source::{InputError, Result};

/// Files read from one path; more is almost certainly the wrong folder.
const MAX_FILES: usize = 20_000;
/// Bytes of one migration file.
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;
/// Bytes of all the migration files under one path together.
pub const MAX_TOTAL_BYTES: u64 = 256 * 1024 * 1024;

/// Loads the SQL files under `path`, in path order. `dialect` (flag or config) wins over what
/// a file's name or syntax suggests.
pub fn load(path: &Path, dialect: Option<Dialect>) -> Result<Vec<Script>> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path)
        .map_err(|e| InputError::in_path(&shown, format!("cannot read --migrations: {e}")))?;
    let files: Vec<PathBuf> = if meta.is_dir() {
        let mut files = Vec::new();
        for entry in walkdir::WalkDir::new(path)
            .follow_links(false)
            .sort_by_file_name()
        {
            let entry =
                entry.map_err(|e| InputError::in_path(&shown, format!("cannot list: {e}")))?;
            if entry.file_type().is_file() && is_sql(entry.path()) {
                files.push(entry.into_path());
            }
            if files.len() > MAX_FILES {
                return Err(InputError::in_path(
                    &shown,
                    format!("more than {MAX_FILES} SQL files"),
                ));
            }
        }
        files
    } else {
        vec![path.to_path_buf()]
    };
    let names: BTreeSet<String> = files.iter().map(|f| f.display().to_string()).collect();
    // Every file is read before any is analysed: a folder over its budget fails at once.
    let mut budget = bounded::Budget::new(MAX_TOTAL_BYTES);
    let texts = files
        .iter()
        .map(|f| {
            budget
                .read_text_file(f, MAX_FILE_BYTES)
                .map_err(|e| InputError::in_path(f.display().to_string(), e.to_string()))
        })
        .collect::<Result<Vec<String>>>()?;
    files
        .iter()
        .zip(texts)
        .map(|(f, text)| script(f, text, &names, dialect))
        .collect()
}

fn is_sql(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("sql"))
}

fn script(
    path: &Path,
    text: String,
    all: &BTreeSet<String>,
    dialect: Option<Dialect>,
) -> Result<Script> {
    let name = path.display().to_string();
    let (direction, counterpart) = convention(&name);
    let dialect = dialect
        .or_else(|| Dialect::from_hint(&name))
        .or_else(|| Dialect::from_syntax(&text))
        .unwrap_or(Dialect::Generic);
    let file = SourceFile::new(name.clone(), text);
    let origin = Origin {
        name: name.clone(),
        placement: Placement::whole(file.clone()),
        template: None,
        resource: None,
        direction,
        has_down: counterpart.map(|c| all.contains(&c)),
    };
    Ok(Script::new(origin, &file.text, dialect))
}

/// A file's direction and, for a forward file of a tool that has undo files, the path its
/// undo file would have.
fn convention(path: &str) -> (Direction, Option<String>) {
    let (dir, file) = path.rsplit_once('/').map_or(("", path), |(d, f)| (d, f));
    let join = |f: &str| {
        if dir.is_empty() {
            f.to_string()
        } else {
            format!("{dir}/{f}")
        }
    };
    let lower = file.to_ascii_lowercase();
    let in_dir = |d: &str| dir.split('/').any(|p| p == d);
    if lower.ends_with(".down.sql")
        || lower == "down.sql"
        || lower.ends_with("_down.sql")
        || lower.ends_with(".undo.sql")
        || in_dir("revert")
    {
        return (Direction::Down, None);
    }
    if file.starts_with('U')
        && file.contains("__")
        && file.chars().nth(1).is_some_and(|c| c.is_ascii_digit())
    {
        return (Direction::Down, None);
    }
    if let Some(stem) = file.strip_suffix(".up.sql") {
        return (Direction::Up, Some(join(&format!("{stem}.down.sql"))));
    }
    if lower == "up.sql" {
        return (Direction::Up, Some(join("down.sql")));
    }
    if file.starts_with('V')
        && file.contains("__")
        && file.chars().nth(1).is_some_and(|c| c.is_ascii_digit())
    {
        return (Direction::Up, Some(join(&format!("U{}", &file[1..]))));
    }
    if let Some((root, rest)) = path.rsplit_once("/deploy/") {
        return (Direction::Up, Some(format!("{root}/revert/{rest}")));
    }
    (Direction::Up, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conventions() {
        assert_eq!(
            convention("m/1_a.up.sql"),
            (Direction::Up, Some("m/1_a.down.sql".into()))
        );
        assert_eq!(convention("m/1_a.down.sql").0, Direction::Down);
        assert_eq!(
            convention("m/2019_x/up.sql").1.as_deref(),
            Some("m/2019_x/down.sql")
        );
        assert_eq!(
            convention("db/V2__drop.sql").1.as_deref(),
            Some("db/U2__drop.sql")
        );
        assert_eq!(convention("db/U2__drop.sql").0, Direction::Down);
        assert_eq!(
            convention("s/deploy/x.sql").1.as_deref(),
            Some("s/revert/x.sql")
        );
        assert_eq!(convention("s/revert/x.sql").0, Direction::Down);
        assert_eq!(convention("001_init.sql"), (Direction::Up, None));
    }
}
