//! A chart as it was at a git revision (`--base REF`), and the files changed since one
//! (`--changed`), read from the object database with git's plumbing, so that nothing the
//! repository configures runs: no `git archive` (it runs smudge filters and honours
//! `export-ignore`, so the baseline would not be what was committed), no filters (`cat-file
//! --batch` gives blobs as stored; work-tree files are hashed here, not by git), no fsmonitor,
//! no hooks, no lazy fetch from a promisor remote, no index writes. The files are then treated
//! as Helm treats a chart directory (`.helmignore`, dot files under `templates/`); a symbolic
//! link is followed only to a file of the chart.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use sha1::{Digest, Sha1};
use source::{InputError, Result};

use super::archive::{TarEntry, clean_path};
use super::budget::Budget;
use super::file::File;
use super::helmignore::Rules;
use super::load::{Chart, load_files};
use super::{MAX_CHART_BYTES, MAX_ENTRIES};

/// Loads the chart directory `chart_dir` as committed at `revision`; `None` when the chart
/// had no `Chart.yaml` there (a chart new since). A revision that does not name a commit, or
/// a chart outside any repository, is an error: a baseline that was asked for and cannot be
/// read must never pass as "no baseline".
pub fn load_chart_at_revision(chart_dir: &Path, revision: &str) -> Result<Option<Chart>> {
    let origin = format!("{}@{revision}", chart_dir.display());
    let fail = |message: String| InputError::in_path(&origin, message);
    let Some(place) = place_at(chart_dir, revision).map_err(fail)? else {
        return Ok(None);
    };
    let mut budget = Budget::default();
    let entries =
        tree_entries(&place.dir, &place.commit, &place.prefix, &mut budget).map_err(fail)?;
    if !entries
        .iter()
        .any(|e| e.path == "Chart.yaml" && e.link.is_none())
    {
        return Ok(None);
    }
    let files = chart_files(entries).map_err(fail)?;
    load_files(files, &origin, 0, &mut budget).map(Some)
}

/// Where a chart is read at a revision: a directory git finds the repository from, the commit,
/// and the chart's directory in that commit's tree (`a/b/`, or empty at the top).
struct Place {
    dir: PathBuf,
    commit: String,
    prefix: String,
}

/// Where `--base` reads the chart `chart_dir` at `revision`; `None` when its repository has no
/// commit yet (pre-commit against `HEAD` in a new repository: every chart is new). In a
/// submodule, `revision` is the superproject's: the chart is read at the commit the
/// superproject's tree records for the submodule there (or from the superproject's own tree,
/// if the path was not a submodule then). That commit id, not the submodule's own refs, names
/// the baseline, so what the submodule's repository was fetched from cannot change it.
fn place_at(chart_dir: &Path, revision: &str) -> std::result::Result<Option<Place>, String> {
    let dir = chart_dir
        .canonicalize()
        .map_err(|e| format!("cannot resolve the chart's directory: {e}"))?;
    let (top, superproject) = match repository_of(&dir)? {
        Repository::Own => {
            let commit = match resolve_commit(&dir, revision) {
                Ok(commit) => commit,
                Err(_) if has_no_commits(&dir) => return Ok(None),
                Err(e) => return Err(e),
            };
            let prefix = run(&dir, &["rev-parse", "--show-prefix"])?;
            let prefix = String::from_utf8_lossy(&prefix)
                .trim_end_matches('\n')
                .to_string();
            return Ok(Some(Place {
                dir,
                commit,
                prefix,
            }));
        }
        Repository::Submodule { top, superproject } => (top, superproject),
    };
    // The superproject is an ancestor: the recursion ends at the filesystem's root.
    let Some(outer) = place_at(&superproject, revision)? else {
        return Ok(None);
    };
    let in_superproject = format!("{}{}", outer.prefix, relative(&top, &superproject)?);
    let listing = run(
        &outer.dir,
        &[
            "ls-tree",
            "-z",
            "--full-tree",
            &outer.commit,
            "--",
            in_superproject.trim_end_matches('/'),
        ],
    )?;
    let recorded = nul_separated(&listing).find_map(|entry| {
        let (meta, _) = entry.split_once('\t')?;
        match meta.split(' ').collect::<Vec<_>>().as_slice() {
            ["160000", "commit", id] if id.bytes().all(|b| b.is_ascii_hexdigit()) => {
                Some(id.to_string())
            }
            _ => None,
        }
    });
    let Some(commit) = recorded else {
        // Not a submodule at `revision` (absent, or files of the superproject's own).
        return Ok(Some(Place {
            prefix: format!("{}{}", outer.prefix, relative(&dir, &superproject)?),
            ..outer
        }));
    };
    let spec = format!("{commit}^{{commit}}");
    run(&top, &["cat-file", "-e", "--end-of-options", &spec]).map_err(|_| {
        format!(
            "the submodule at {} was at commit {commit} in {revision:?}, which its repository \
             does not have (fetch it: git submodule update)",
            top.display()
        )
    })?;
    Ok(Some(Place {
        prefix: relative(&dir, &top)?,
        dir: top,
        commit,
    }))
}

/// `dir` below `top` as a tree path with a trailing `/` (`a/b/`; empty for `top` itself).
fn relative(dir: &Path, top: &Path) -> std::result::Result<String, String> {
    let rel = dir
        .strip_prefix(top)
        .map_err(|_| format!("{} is not under {}", dir.display(), top.display()))?;
    rel.components()
        .map(|c| {
            c.as_os_str()
                .to_str()
                .map(|name| format!("{name}/"))
                .ok_or_else(|| format!("{}: the path is not UTF-8", dir.display()))
        })
        .collect()
}

/// The repository git reads for a directory, as far as `--base` trusts it.
enum Repository {
    /// The one git finds: the directory's own, or a worktree of the repository around it.
    Own,
    /// A submodule whose work tree is `top`, of the repository whose work tree is `superproject`.
    Submodule { top: PathBuf, superproject: PathBuf },
}

/// Which repository `dir` (canonical) is read from, or why none is. git looks for `.git` from
/// the chart's directory upwards, so a `.git` (a directory, or a file `gitdir: …`) in the chart
/// or between it and the repository around it makes git read another repository's history: a
/// vendored clone, or a `.git` a pull request ships — a baseline a stranger chooses. Two nested
/// cases are recognised by links git keeps in the outer repository's own git directory, which
/// no checked-out file can write: a worktree of the outer repository (`git worktree add`) is
/// the same repository; a submodule's git directory is `modules/…` of its superproject's, and
/// names the submodule's directory back (`core.worktree`). Reading this runs nothing of the
/// nested repository.
fn repository_of(dir: &Path) -> std::result::Result<Repository, String> {
    let tops: Vec<&Path> = dir
        .ancestors()
        .filter(|a| a.join(".git").symlink_metadata().is_ok())
        .collect();
    let ([nearest, next, ..], Some(outer)) = (tops.as_slice(), tops.last()) else {
        return Ok(Repository::Own);
    };
    if is_worktree_of(nearest, outer) {
        return Ok(Repository::Own);
    }
    if is_submodule_of(nearest, next) {
        return Ok(Repository::Submodule {
            top: nearest.to_path_buf(),
            superproject: next.to_path_buf(),
        });
    }
    Err(format!(
        "{} makes git read a repository nested inside the one at {} (a vendored clone or a \
         `.git` shipped with the chart, not a submodule of it): --base would read that \
         repository's history, which the checked-out files choose, so it is refused; give the \
         baseline with --base-chart or --base-manifest instead",
        nearest.join(".git").display(),
        outer.display()
    ))
}

/// Whether `top` is a linked worktree of the repository whose work tree is `outer`: its `.git`
/// file names `<outer's common git dir>/worktrees/<name>`, whose `gitdir` file names it back.
fn is_worktree_of(top: &Path, outer: &Path) -> bool {
    let dot_git = top.join(".git");
    let (Some(own), Some(outer_dir)) = (git_dir(top), git_dir(outer)) else {
        return false;
    };
    let common = match read_small(&outer_dir.join("commondir")) {
        Some(rel) => outer_dir.join(rel.trim_end()),
        None => outer_dir,
    };
    let linked_back = read_small(&own.join("gitdir"))
        .and_then(|back| Path::new(back.trim_end()).canonicalize().ok());
    own.parent()
        .zip(common.join("worktrees").canonicalize().ok())
        .is_some_and(|(parent, worktrees)| parent == worktrees)
        && linked_back.is_some_and(|back| Some(back) == dot_git.canonicalize().ok())
}

/// Whether `top` is a submodule of the repository whose work tree is `superproject`: its `.git`
/// is a file naming a directory under `<superproject's git dir>/modules/`, whose configured
/// work tree (`core.worktree`, read from that file only) is `top` again. A `gitdir:` file
/// pointing at another submodule's directory, or at a `modules/` of another repository, fails
/// one or the other.
fn is_submodule_of(top: &Path, superproject: &Path) -> bool {
    let is_file = top
        .join(".git")
        .symlink_metadata()
        .is_ok_and(|m| m.is_file());
    let (true, Some(own), Some(outer_dir)) = (is_file, git_dir(top), git_dir(superproject)) else {
        return false;
    };
    let under_modules = outer_dir
        .join("modules")
        .canonicalize()
        .is_ok_and(|modules| own != modules && own.starts_with(&modules));
    if !under_modules {
        return false;
    }
    let config = own.join("config");
    let Some(config) = config.to_str() else {
        return false;
    };
    run(
        superproject,
        &["config", "--file", config, "--get", "core.worktree"],
    )
    .ok()
    .and_then(|out| String::from_utf8(out).ok())
    .and_then(|path| own.join(path.trim_end_matches('\n')).canonicalize().ok())
    .is_some_and(|back| back == top)
}

/// The git directory of the work tree `top`: `.git` itself, or what its `gitdir:` line names.
fn git_dir(top: &Path) -> Option<PathBuf> {
    let dot_git = top.join(".git");
    let target = if dot_git.is_dir() {
        dot_git
    } else {
        let text = read_small(&dot_git)?;
        top.join(text.strip_prefix("gitdir:")?.trim())
    };
    target.canonicalize().ok()
}

/// A small git bookkeeping file (a path), read with a bound.
fn read_small(path: &Path) -> Option<String> {
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(4096)
        .read_to_string(&mut text)
        .ok()?;
    Some(text)
}

/// The files that differ between `revision` and the work tree, relative to `dir` and below it:
/// the index against the revision, and each tracked file of the work tree hashed here against
/// the index (a deleted file counts). A file git would clean with a filter may be listed
/// though unchanged: listing a chart too many is safe, running the repository's filter is not.
/// In a repository without commits yet, every tracked file is new.
pub fn changed_since(dir: &Path, revision: &str) -> std::result::Result<Vec<String>, String> {
    let mut changed = std::collections::BTreeSet::new();
    if !has_no_commits(dir) {
        resolve_commit(dir, revision)?;
        let listed = run(
            dir,
            &[
                "diff-index",
                "--cached",
                "--name-only",
                "--relative",
                "--no-renames",
                "-z",
                revision,
                "--",
            ],
        )?;
        changed.extend(nul_separated(&listed));
    } else {
        // No commit to compare with: every tracked file is new.
        changed.extend(nul_separated(&run(dir, &["ls-files", "-z"])?));
    }
    let staged = run(dir, &["ls-files", "--stage", "-z"])?;
    for entry in nul_separated(&staged) {
        // `<mode> <object> <stage>\t<path>`
        let Some((meta, path)) = entry.split_once('\t') else {
            continue;
        };
        let mut meta = meta.split(' ');
        let (Some(mode), Some(object)) = (meta.next(), meta.next()) else {
            continue;
        };
        if !changed.contains(path) && work_tree_differs(&dir.join(path), mode, object) {
            changed.insert(path.to_string());
        }
    }
    Ok(changed.into_iter().collect())
}

/// Whether the work-tree file at `path` differs from the blob `object` of the index.
fn work_tree_differs(path: &Path, mode: &str, object: &str) -> bool {
    let data = match mode {
        "120000" => match std::fs::read_link(path) {
            Ok(target) => target.to_string_lossy().into_owned().into_bytes(),
            Err(_) => return true,
        },
        // A submodule is its own repository.
        "160000" => return false,
        _ => match source::bounded::read_file(path, MAX_CHART_BYTES) {
            Ok(data) => data,
            Err(_) => return true,
        },
    };
    blob_id(&data) != object
}

/// Git's SHA-1 object id of a blob.
fn blob_id(data: &[u8]) -> String {
    let mut hasher = Sha1::new();
    hasher.update(format!("blob {}\0", data.len()).as_bytes());
    hasher.update(data);
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn nul_separated(out: &[u8]) -> impl Iterator<Item = String> + '_ {
    out.split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
}

/// Whether `dir` is in a repository that has no commit yet.
fn has_no_commits(dir: &Path) -> bool {
    run(dir, &["rev-parse", "--show-toplevel"]).is_ok()
        && run(dir, &["rev-parse", "--verify", "--quiet", "HEAD^{commit}"]).is_err()
}

/// The commit `revision` names. A typo, an unknown ref, a range or an object that is not a
/// commit is refused.
fn resolve_commit(dir: &Path, revision: &str) -> std::result::Result<String, String> {
    if revision.is_empty() || revision.starts_with('-') || revision.contains("..") {
        return Err(format!("{revision:?} is not a git revision"));
    }
    let spec = format!("{revision}^{{commit}}");
    let out = run(
        dir,
        &[
            "rev-parse",
            "--verify",
            "--quiet",
            "--end-of-options",
            &spec,
        ],
    )
    .map_err(|_| {
        format!(
            "--base {revision:?} does not name a commit here: an unknown ref, a typo, a range \
                 or an object that is not a commit (or the chart is not in a git repository)"
        )
    })?;
    Ok(String::from_utf8_lossy(&out).trim().to_string())
}

/// Every file and link under `prefix` in `commit`, named relative to `prefix`, charged to
/// `budget` by the sizes the tree lists before any content is read.
fn tree_entries(
    dir: &Path,
    commit: &str,
    prefix: &str,
    budget: &mut Budget,
) -> std::result::Result<Vec<TarEntry>, String> {
    let mut args = vec!["ls-tree", "-r", "-z", "-l", "--full-tree", commit];
    if !prefix.is_empty() {
        args.extend(["--", prefix]);
    }
    let listing = run(dir, &args)?;
    let mut wanted = Vec::new();
    for entry in nul_separated(&listing) {
        // `<mode> <type> <object> <size>\t<path>`
        let Some((meta, path)) = entry.split_once('\t') else {
            return Err(format!("unexpected git ls-tree output {entry:?}"));
        };
        let fields: Vec<&str> = meta.split_whitespace().collect();
        let [mode, "blob", object, size] = fields.as_slice() else {
            continue; // a submodule
        };
        let Some(rel) = path.strip_prefix(prefix) else {
            continue;
        };
        let size: u64 = size
            .parse()
            .map_err(|_| format!("{path}: unexpected size {size:?}"))?;
        budget.take(size).map_err(|e| format!("{rel:?}: {e}"))?;
        wanted.push((rel.to_string(), *mode == "120000", object.to_string()));
    }
    let objects: Vec<&str> = wanted.iter().map(|(_, _, o)| o.as_str()).collect();
    let contents = read_blobs(dir, &objects)?;
    Ok(wanted
        .into_iter()
        .zip(contents)
        .map(|((path, is_link, _), data)| {
            if is_link {
                let target = String::from_utf8_lossy(&data).into_owned();
                TarEntry {
                    path,
                    link: Some(target),
                    data: Vec::new(),
                }
            } else {
                TarEntry {
                    path,
                    link: None,
                    data,
                }
            }
        })
        .collect())
}

/// The contents of `objects`, in order, as stored (`cat-file --batch` applies no filter).
fn read_blobs(dir: &Path, objects: &[&str]) -> std::result::Result<Vec<Vec<u8>>, String> {
    if objects.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = command(dir)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run git: {e}"))?;
    let request: String = objects.iter().map(|o| format!("{o}\n")).collect();
    let mut stdin = child.stdin.take().ok_or("cannot write to git")?;
    // Written from another thread: git answers while it reads, and both pipes are bounded.
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let stdout = child.stdout.take().ok_or("cannot read from git")?;
    let mut reader = BufReader::new(stdout.take(MAX_CHART_BYTES + 64 * MAX_ENTRIES as u64));
    let mut out = Vec::with_capacity(objects.len());
    for object in objects {
        let mut header = String::new();
        reader
            .by_ref()
            .take(256)
            .read_line(&mut header)
            .map_err(|e| format!("cannot read from git: {e}"))?;
        let size = match header.trim_end().split(' ').collect::<Vec<_>>().as_slice() {
            [id, "blob", size] if id == object => size.parse::<u64>().ok(),
            _ => None,
        }
        .filter(|&s| s <= MAX_CHART_BYTES)
        .ok_or_else(|| {
            format!(
                "cannot read object {object} from git: {:?}",
                header.trim_end()
            )
        })?;
        let mut data = Vec::new();
        reader
            .by_ref()
            .take(size + 1)
            .read_to_end(&mut data)
            .map_err(|e| format!("cannot read from git: {e}"))?;
        if data.pop() != Some(b'\n') || data.len() as u64 != size {
            return Err(format!("cannot read object {object} from git: truncated"));
        }
        out.push(data);
    }
    let _ = writer.join();
    let _ = child.kill();
    let _ = child.wait();
    Ok(out)
}

/// What `git rev-parse --local-env-vars` lists: variables that choose the repository, its
/// objects, index or configuration instead of the `.git` found from the directory. A hook
/// sets some (`GIT_INDEX_FILE`, `GIT_DIR`), a user others; any would make git read another
/// repository than the one [`repository_of`] vetted. git's discovery is what it checks.
const REPOSITORY_ENV: [&str; 15] = [
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_CONFIG",
    "GIT_CONFIG_PARAMETERS",
    "GIT_CONFIG_COUNT",
    "GIT_OBJECT_DIRECTORY",
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_IMPLICIT_WORK_TREE",
    "GIT_GRAFT_FILE",
    "GIT_INDEX_FILE",
    "GIT_NO_REPLACE_OBJECTS",
    "GIT_REPLACE_REF_BASE",
    "GIT_PREFIX",
    "GIT_SHALLOW_FILE",
    "GIT_COMMON_DIR",
];

/// git with nothing of the repository's configuration that runs a program, and nothing
/// that writes: fsmonitor off, hooks nowhere, no protocol (a partial clone's lazy fetch), no
/// optional locks, no pager, no prompt; the repository found from `dir` alone (see
/// [`REPOSITORY_ENV`]), with objects as their ids name them (no `refs/replace/`: a
/// submodule's commit id, recorded by the superproject, must mean its content).
fn command(dir: &Path) -> Command {
    let mut command = Command::new("git");
    for var in REPOSITORY_ENV {
        command.env_remove(var);
    }
    command
        .arg("-C")
        .arg(dir)
        .args([
            "--no-pager",
            "--literal-pathspecs",
            "--no-replace-objects",
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.hooksPath=/dev/null",
            "-c",
            "protocol.allow=never",
            "-c",
            "core.untrackedCache=false",
            // A chart laid out as a bare repository (`HEAD`, `objects/`, `refs/`) must not
            // become the repository git reads.
            "-c",
            "safe.bareRepository=explicit",
        ])
        .env("GIT_NO_LAZY_FETCH", "1")
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_TERMINAL_PROMPT", "0")
        .env_remove("GIT_EXTERNAL_DIFF")
        .stdin(Stdio::null());
    command
}

/// Runs git in `dir`; stdout, bounded, or the error git printed.
fn run(dir: &Path, args: &[&str]) -> std::result::Result<Vec<u8>, String> {
    let mut child = command(dir)
        .args(args)
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
        return Err(format!("git printed more than {MAX_CHART_BYTES} bytes"));
    }
    let status = child
        .wait_with_output()
        .map_err(|e| format!("git failed: {e}"))?;
    if !status.status.success() {
        let message = String::from_utf8_lossy(&status.stderr).trim().to_string();
        let message = if message.is_empty() {
            "failed".to_string()
        } else {
            message
        };
        return Err(format!("git {}: {message}", args.join(" ")));
    }
    Ok(out)
}

/// The chart's files from its tree at a revision: links resolved to the chart's own files,
/// then `.helmignore` applied as to a chart directory.
fn chart_files(entries: Vec<TarEntry>) -> std::result::Result<Vec<File>, String> {
    let mut by_path: BTreeMap<String, TarEntry> = BTreeMap::new();
    for entry in entries {
        let path = clean_path(&entry.path);
        if path == "." || path == ".." || path.starts_with("../") || entry.path.starts_with('/') {
            return Err(format!("unexpected path {:?} in the git tree", entry.path));
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

/// The commit `revision` names in the repository holding `chart_dir`, to tell whether a chart
/// read at `revision` earlier is still what it names (`HEAD` moves with every commit).
pub fn revision_id(chart_dir: &Path, revision: &str) -> Option<String> {
    place_at(chart_dir, revision)
        .ok()?
        .map(|place| place.commit)
}
