//! Shared by the `integration_*` tests: throwaway git repositories holding fixture charts, and
//! running the binary (or the scripts the integrations ship) inside them.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const BIN: &str = env!("CARGO_BIN_EXE_rollguard");

pub fn crate_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture_chart(name: &str) -> PathBuf {
    crate_root().join("fixtures/charts").join(name)
}

/// Copies a directory tree (files and directories only).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Replaces the chart at `dir` with a copy of fixture `name`.
pub fn put_chart(dir: &Path, name: &str) {
    if dir.exists() {
        std::fs::remove_dir_all(dir).unwrap();
    }
    copy_dir(&fixture_chart(name), dir);
}

/// Runs git in `dir` with a fixed identity, panicking with git's message on failure.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args([
            "-c",
            "commit.gpgsign=false",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A git repository with `charts/web` and `charts/other` (both the v1 web chart) committed.
pub fn repo_with_charts() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    git(root, &["init", "-q"]);
    put_chart(&root.join("charts/web"), "web-v1");
    put_chart(&root.join("charts/other"), "web-v1");
    std::fs::write(root.join("README.md"), "charts\n").unwrap();
    git(root, &["add", "-A"]);
    git(root, &["commit", "-qm", "v1"]);
    dir
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(out: Output) -> Run {
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }
}

/// A command with the environment the tests control: none of the CI, Helm or colour
/// variables of the machine running the tests leak in.
pub fn command(program: impl AsRef<std::ffi::OsStr>, dir: &Path) -> Command {
    let mut cmd = Command::new(program);
    cmd.current_dir(dir);
    for var in [
        "GITHUB_ACTIONS",
        "HELM_NAMESPACE",
        "HELM_BIN",
        "ROLLGUARD_HELM",
        "CI",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// `rollguard ARGS` in `dir`.
pub fn rollguard(dir: &Path, args: &[&str]) -> Run {
    command(BIN, dir)
        .args(args)
        .output()
        .expect("binary runs")
        .into()
}

/// An executable shell script at `path`.
pub fn script(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A virtualenv at `venv` with `packages` installed from PyPI (once: an existing `bin/python`
/// with them is reused); `Err` says why not (no python3, PyPI unreachable), for a test to
/// report as skipped.
pub fn virtualenv(venv: &Path, packages: &[&str]) -> Result<PathBuf, String> {
    let python = venv.join("bin/python");
    let ready = venv.join(format!(".installed-{}", packages.join("-")));
    if ready.is_file() && python.is_file() {
        return Ok(python);
    }
    let made = Command::new("python3")
        .args(["-m", "venv"])
        .arg(venv)
        .output()
        .map_err(|e| format!("no python3: {e}"))?;
    if !made.status.success() {
        return Err(format!(
            "python3 -m venv failed: {}",
            String::from_utf8_lossy(&made.stderr)
        ));
    }
    let pip = Command::new(venv.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check"])
        .args(packages)
        .output()
        .map_err(|e| format!("cannot run pip: {e}"))?;
    if !pip.status.success() {
        let _ = std::fs::remove_dir_all(venv);
        return Err(format!(
            "{} could not be installed from PyPI (offline?): {}",
            packages.join(", "),
            String::from_utf8_lossy(&pip.stderr).trim()
        ));
    }
    std::fs::write(&ready, "").map_err(|e| format!("cannot mark the virtualenv ready: {e}"))?;
    Ok(python)
}
