//! The pre-commit hook for real: pre-commit (from PyPI, in a virtualenv) installs the hook from a
//! snapshot of this checkout (`.pre-commit-hooks.yaml`, `language: rust`: it runs `cargo
//! install` on its own clone), then a hazardous commit is rejected and a safe one goes through.
//!
//! Slow (pre-commit builds rollguard in release mode) and needs PyPI and crates.io: ignored by
//! `cargo test`, run by `.ci/run` with `--ignored`. Where PyPI cannot be reached it says so and
//! passes. Later runs of an unchanged checkout reuse pre-commit's environment (the snapshot
//! commit is reproducible) and are quick.

mod integration_support;

use std::path::{Path, PathBuf};
use std::time::Instant;

use integration_support::{command, crate_root, git, put_chart, virtualenv};

/// Kept between runs under cargo's test directory: the virtualenv, pre-commit's store, the
/// target directory its cargo build uses, and the snapshot of this checkout.
fn work_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("integration-precommit")
}

/// `pre-commit` in a virtualenv, installed from PyPI once; `None` (and why) when impossible.
fn pre_commit(work: &Path) -> Result<PathBuf, String> {
    let venv = work.join("venv");
    virtualenv(&venv, &["pre-commit"])?;
    Ok(venv.join("bin/pre-commit"))
}

/// A git repository holding this checkout's working tree (committed or not, ignored files
/// left out) in one commit with a fixed date: the same tree gives the same `rev`, so
/// pre-commit's cached build is reused. Returns its path and commit.
fn snapshot_of_checkout(work: &Path) -> (PathBuf, String) {
    let repo = work.join("hook-repo");
    if repo.exists() {
        std::fs::remove_dir_all(&repo).unwrap();
    }
    std::fs::create_dir_all(&repo).unwrap();
    let root = crate_root();
    let listed = git(&root, &["ls-files", "-co", "--exclude-standard"]);
    for file in listed.lines() {
        let from = root.join(file);
        if from.is_file() {
            let to = repo.join(file);
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(&from, &to).unwrap();
        }
    }
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    let status = command("git", &repo)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(["-c", "commit.gpgsign=false", "commit", "-qm", "snapshot"])
        .env("GIT_AUTHOR_DATE", "2000-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2000-01-01T00:00:00Z")
        .status()
        .unwrap();
    assert!(status.success());
    let rev = git(&repo, &["rev-parse", "HEAD"]);
    (repo, rev)
}

/// `git commit` in `repo` with pre-commit's hook; exit status and everything it printed.
fn commit(repo: &Path, work: &Path, message: &str) -> (bool, String) {
    git(repo, &["add", "-A"]);
    let out = command("git", repo)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(["-c", "commit.gpgsign=false", "commit", "-m", message])
        .env("PRE_COMMIT_HOME", work.join("store"))
        .env("CARGO_TARGET_DIR", work.join("cargo-target"))
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
#[ignore = "builds rollguard inside pre-commit (minutes; PyPI and crates.io): run by .ci/run"]
fn pre_commit_hook_rejects_a_hazardous_chart_change_and_lets_a_safe_one_through() {
    let work = work_dir();
    std::fs::create_dir_all(&work).unwrap();
    let pre_commit = match pre_commit(&work) {
        Ok(bin) => bin,
        Err(reason) => {
            eprintln!("skipped: {reason}");
            return;
        }
    };
    let (hook_repo, rev) = snapshot_of_checkout(&work);

    let user = tempfile::tempdir().unwrap();
    let repo = user.path();
    git(repo, &["init", "-q"]);
    put_chart(&repo.join("charts/web"), "web-v1");
    let config = format!(
        "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: rollguard\n",
        hook_repo.display()
    );
    std::fs::write(repo.join(".pre-commit-config.yaml"), config).unwrap();
    let (ok, out) = commit(repo, &work, "v1");
    assert!(ok, "{out}");

    let install = command(&pre_commit, repo).arg("install").output().unwrap();
    assert!(install.status.success());
    let started = Instant::now();
    let hooks = command(&pre_commit, repo)
        .arg("install-hooks")
        .env("PRE_COMMIT_HOME", work.join("store"))
        .env("CARGO_TARGET_DIR", work.join("cargo-target"))
        .output()
        .unwrap();
    assert!(
        hooks.status.success(),
        "pre-commit install-hooks: {}{}",
        String::from_utf8_lossy(&hooks.stdout),
        String::from_utf8_lossy(&hooks.stderr)
    );
    eprintln!("hook environment ready in {:?}", started.elapsed());

    // v2 changes the PVC's storage class (immutable) and drops a column.
    put_chart(&repo.join("charts/web"), "web");
    let (ok, out) = commit(repo, &work, "v2");
    assert!(!ok, "the hazardous commit went through:\n{out}");
    assert!(out.contains("rollguard (Helm rollback hazards)"), "{out}");
    assert!(
        out.contains("charts/web/templates/pvc.yaml:8:3: error[pvc-storage-class-changed]"),
        "{out}"
    );
    assert!(out.contains("NO-GO"), "{out}");
    assert_eq!(git(repo, &["rev-list", "--count", "HEAD"]), "1");

    // A new image tag only: safe to roll back.
    put_chart(&repo.join("charts/web"), "web-v1");
    let values = repo.join("charts/web/values.yaml");
    let text = std::fs::read_to_string(&values).unwrap();
    std::fs::write(&values, text.replace("tag: \"1.4\"", "tag: \"1.5\"")).unwrap();
    let (ok, out) = commit(repo, &work, "v1.5");
    assert!(ok, "the safe commit was rejected:\n{out}");
    assert!(out.contains("rollguard (Helm rollback hazards)"), "{out}");
    assert_eq!(git(repo, &["rev-list", "--count", "HEAD"]), "2");

    // Deleting the PVC's template: pre-commit passes no deleted files, the hook still sees it.
    std::fs::remove_file(repo.join("charts/web/templates/pvc.yaml")).unwrap();
    let (ok, out) = commit(repo, &work, "no pvc");
    assert!(!ok, "the PVC deletion went through:\n{out}");
    assert!(out.contains("error[pvc-removed]"), "{out}");
    assert_eq!(git(repo, &["rev-list", "--count", "HEAD"]), "2");
}
