//! Where users point rollguard at many charts, or at files: `--changed` (what pre-commit
//! passes), `--all`, several charts with `--base REF`.

mod integration_support;

use integration_support::{BIN, Run, command, put_chart, repo_with_charts, rollguard, script};

#[test]
fn changed_files_check_the_charts_they_belong_to_against_head() {
    let repo = repo_with_charts();
    let root = repo.path();
    put_chart(&root.join("charts/web"), "web");
    let run = rollguard(
        root,
        &[
            "check",
            "--base",
            "HEAD",
            "--quiet",
            "--changed",
            // pre-commit puts the hook's `args:` here, before the file names.
            "--kube-version",
            "1.31",
            "charts/web/values.yaml",
            "charts/web/files/migrations/002_cleanup.sql",
            "./charts/web/Chart.yaml",
            "README.md",
        ],
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("charts/web/templates/pvc.yaml:8:3: error[pvc-storage-class-changed]"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("charts/other"), "{}", run.stdout);
    // One chart, checked once: its info finding appears once.
    assert_eq!(run.stdout.matches("info[pvc-no-keep-policy]").count(), 1);
    assert!(
        // The banner says what the errors do.
        run.stdout
            .ends_with("the upgrade (or the next one) fails (1 error); data is lost and a rollback cannot bring it back (1 error)\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn changed_files_outside_charts_check_nothing() {
    let repo = repo_with_charts();
    for args in [
        &["check", "--base", "HEAD", "--changed", "README.md"][..],
        &["check", "--changed"][..],
    ] {
        let run = rollguard(repo.path(), args);
        assert_eq!(run.code, 0, "{args:?}: {}{}", run.stdout, run.stderr);
        assert!(run.stdout.contains("nothing to check"), "{}", run.stdout);
    }
}

#[test]
fn all_checks_every_chart_with_one_report_the_same_every_time() {
    let repo = repo_with_charts();
    let root = repo.path();
    put_chart(&root.join("charts/web"), "web");
    // Test data and vendored subcharts are not releases of their own.
    put_chart(&root.join("fixtures/broken"), "legacy-v1");
    put_chart(&root.join("charts/other/charts/sub"), "web-v1");
    let args = ["check", "--all", "--base", "HEAD", "--format", "json"];
    let first = rollguard(root, &args);
    assert_eq!(first.code, 1, "{}", first.stderr);
    let report: serde_json::Value = serde_json::from_str(&first.stdout).unwrap();
    let charts: Vec<(&str, &str)> = report["charts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["path"].as_str().unwrap(),
                c["baseline"].as_str().unwrap_or("none"),
            )
        })
        .collect();
    assert_eq!(
        charts,
        [("charts/other", "git:HEAD"), ("charts/web", "git:HEAD")]
    );
    assert_eq!(report["verdict"], "no-go");
    for _ in 0..3 {
        assert_eq!(rollguard(root, &args).stdout, first.stdout);
    }
}

#[test]
fn a_single_baseline_needs_a_single_chart() {
    let repo = repo_with_charts();
    let run = rollguard(
        repo.path(),
        &[
            "check",
            "charts/web",
            "charts/other",
            "--base-chart",
            "charts/other",
        ],
    );
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("exactly one chart"), "{}", run.stderr);
    assert!(run.stderr.contains("--base REF works with several charts"));
}

#[test]
fn all_without_charts_is_an_input_error() {
    let dir = tempfile::tempdir().unwrap();
    let run = rollguard(dir.path(), &["check", "--all"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("no Chart.yaml under the working directory")
    );
}

#[test]
fn many_charts_in_a_pipe_print_no_progress() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..9 {
        put_chart(&dir.path().join(format!("charts/app{i}")), "web-v1");
    }
    let run = rollguard(dir.path(), &["check", "--all", "--quiet"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stderr, "");
    assert_eq!(run.stdout.matches("info[pvc-no-keep-policy]").count(), 9);
}

/// Without file names, `--changed --base REF` asks git, which also sees deleted files: removing
/// a PVC template is the change that loses data.
#[test]
fn changed_without_files_asks_git_and_sees_deletions() {
    let repo = repo_with_charts();
    let root = repo.path();
    std::fs::remove_file(root.join("charts/web/templates/pvc.yaml")).unwrap();
    let run = rollguard(root, &["check", "--changed", "--base", "HEAD", "--quiet"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("error[pvc-removed]"), "{}", run.stdout);
    assert!(!run.stdout.contains("charts/other"), "{}", run.stdout);

    // Nothing changed: nothing to check.
    integration_support::git(root, &["checkout", "--", "."]);
    let run = rollguard(root, &["check", "--changed", "--base", "HEAD"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("nothing to check"), "{}", run.stdout);
}

/// Before the first commit there is no HEAD: every tracked chart is new, without a baseline.
#[test]
fn changed_in_a_repository_without_commits_checks_the_staged_charts() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    integration_support::git(root, &["init", "-q"]);
    put_chart(&root.join("charts/web"), "web");
    integration_support::git(root, &["add", "-A"]);
    let run = rollguard(
        root,
        &["check", "--changed", "--base", "HEAD", "--format", "json"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let report: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(report["charts"][0]["path"], "charts/web");
    assert!(report["charts"][0]["baseline"].is_null());
}

/// A plain git `pre-commit` hook (no pre-commit framework) runs inside git, which gives it
/// `GIT_INDEX_FILE` — with `commit -a` a temporary index that holds the commit — and with
/// `--git-dir` a `GIT_DIR`: rollguard's own git runs leave them out, and still see what the
/// commit changes through the work tree.
#[test]
fn a_plain_git_hook_sees_the_commit_whatever_git_exports_to_it() {
    let repo = repo_with_charts();
    let root = repo.path();
    script(
        &root.join(".git/hooks/pre-commit"),
        &format!(
            "#!/bin/sh\nexec '{BIN}' check --base HEAD --quiet --changed --kube-version 1.31\n"
        ),
    );
    put_chart(&root.join("charts/web"), "web");
    let git_dir = root.join(".git");
    let git_dir = git_dir.to_str().expect("utf-8");
    for (how, extra) in [
        ("commit -a", vec![]),
        ("--git-dir", vec!["--git-dir", git_dir]),
    ] {
        let out = command("git", root)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(&extra)
            .args(["commit", "-qam", "v2"])
            .output()
            .expect("git runs");
        let run = Run::from(out);
        assert_ne!(run.code, 0, "{how}: {}{}", run.stdout, run.stderr);
        // git gives a hook's standard output to its own standard error.
        assert!(
            run.stderr.contains("error[pvc-storage-class-changed]"),
            "{how}: {}{}",
            run.stdout,
            run.stderr
        );
    }
}
