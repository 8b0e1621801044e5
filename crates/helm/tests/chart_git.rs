//! A chart read as committed at a git revision (`--base REF`), without touching the work tree.

use std::path::Path;
use std::process::Command;

use helm::chart::{ValueOptions, load_chart_at_revision, prepare};

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("git: {e}"));
    assert!(
        status.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&status.stderr)
    );
}

fn write(dir: &Path, rel: &str, text: &str) {
    let p = dir.join(rel);
    std::fs::create_dir_all(p.parent().unwrap_or(dir)).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(p, text).unwrap_or_else(|e| panic!("{e}"));
}

#[test]
fn chart_at_an_earlier_revision() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("skipped: no git");
        return;
    }
    let repo = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = repo.path();
    git(root, &["init", "-q"]);
    let chart = root.join("deploy/app");
    write(
        &chart,
        "Chart.yaml",
        "apiVersion: v2\nname: app\nversion: 1.0.0\n",
    );
    write(&chart, "values.yaml", "replicas: 1\n");
    write(
        &chart,
        "templates/deploy.yaml",
        "replicas: {{ .Values.replicas }}\n",
    );
    write(&chart, ".helmignore", "*.md\n");
    write(&chart, "README.md", "ignored\n");
    write(&chart, "files/real.txt", "data\n");
    write(
        &root.join("other"),
        "unrelated.txt",
        "not part of the chart\n",
    );
    #[cfg(unix)]
    std::os::unix::fs::symlink("files/real.txt", chart.join("linked.txt"))
        .unwrap_or_else(|e| panic!("{e}"));
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "v1"]);
    write(
        &chart,
        "Chart.yaml",
        "apiVersion: v2\nname: app\nversion: 1.1.0\n",
    );
    write(&chart, "values.yaml", "replicas: 3\n");
    git(root, &["commit", "-q", "-am", "v2"]);
    write(&chart, "values.yaml", "replicas: 9\n"); // not committed

    let old = load_chart_at_revision(&chart, "HEAD~1").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(old.metadata.version, "1.0.0");
    assert_eq!(old.values["replicas"], 1.0);
    let names: Vec<&str> = old.files.iter().map(|f| f.name.as_str()).collect();
    assert!(
        !names.contains(&"README.md"),
        ".helmignore applies: {names:?}"
    );
    #[cfg(unix)]
    assert!(
        old.files
            .iter()
            .any(|f| f.name == "linked.txt" && f.data == b"data\n")
    );
    assert!(old.origin.ends_with("@HEAD~1"));

    let new = load_chart_at_revision(&chart, "HEAD").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        new.values["replicas"], 3.0,
        "the committed values, not the work tree's"
    );
    let release = prepare(new, &ValueOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(release.output_paths(), ["app/templates/deploy.yaml"]);

    #[cfg(unix)]
    {
        std::os::unix::fs::symlink("../../other/unrelated.txt", chart.join("escape.txt"))
            .unwrap_or_else(|e| panic!("{e}"));
        git(root, &["add", "-A"]);
        git(root, &["commit", "-q", "-m", "v3"]);
        let e = load_chart_at_revision(&chart, "HEAD")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("escape.txt") && e.contains("does not point to a file of the chart"),
            "{e}"
        );
    }

    for bad in ["no-such-ref", "--output=/tmp/x", ""] {
        let e = load_chart_at_revision(&chart, bad)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(!e.is_empty(), "{bad:?} must fail");
    }
}
