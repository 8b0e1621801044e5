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

    let load = |rev: &str| {
        load_chart_at_revision(&chart, rev)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("no chart at {rev}"))
    };
    let old = load("HEAD~1");
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

    let new = load("HEAD");
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

    // A typo, a range, an object that is not a commit: errors, never "no baseline".
    for bad in [
        "no-such-ref",
        "--output=/tmp/x",
        "",
        "HEAD~l",
        "HEAD~1..HEAD",
        "HEAD:deploy/app/Chart.yaml",
    ] {
        let e = load_chart_at_revision(&chart, bad)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(!e.is_empty(), "{bad:?} must fail");
    }
}

#[test]
fn nothing_the_repository_configures_runs_and_nothing_is_hidden() {
    if Command::new("git").arg("--version").output().is_err() {
        eprintln!("skipped: no git");
        return;
    }
    let repo = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let root = repo.path();
    git(root, &["init", "-q"]);
    let chart = root.join("app");
    write(
        &chart,
        "Chart.yaml",
        "apiVersion: v2\nname: app\nversion: 1.0.0\n",
    );
    write(
        &chart,
        "templates/pvc.yaml",
        "kind: PersistentVolumeClaim\n",
    );
    // export-ignore would hide the PVC from `git archive`; a smudge filter and fsmonitor
    // would run a command chosen by the repository.
    write(
        root,
        ".gitattributes",
        "app/templates/pvc.yaml export-ignore filter=evil\n",
    );
    let marker = root.join("ran");
    let command = format!("touch {}", marker.display());
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "v1"]);
    git(root, &["config", "filter.evil.smudge", &command]);
    git(root, &["config", "filter.evil.clean", &command]);
    git(root, &["config", "core.fsmonitor", &command]);

    let chart_at_head = load_chart_at_revision(&chart, "HEAD")
        .unwrap_or_else(|e| panic!("{e}"))
        .unwrap_or_else(|| panic!("no chart"));
    assert!(
        chart_at_head
            .templates
            .iter()
            .any(|t| t.name == "templates/pvc.yaml" && t.data == b"kind: PersistentVolumeClaim\n"),
        "the template as committed, export-ignore or not"
    );
    write(&chart, "values.yaml", "x: 1\n");
    let changed = helm::chart::changed_since(&chart, "HEAD").unwrap_or_else(|e| panic!("{e}"));
    assert!(
        changed.is_empty(),
        "untracked files are not changes: {changed:?}"
    );
    write(&chart, "templates/pvc.yaml", "kind: ConfigMap\n");
    let changed = helm::chart::changed_since(&chart, "HEAD").unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(changed, ["templates/pvc.yaml"]);
    assert!(
        !marker.exists(),
        "a filter or fsmonitor of the repository ran"
    );

    // A chart that did not exist at the revision has no baseline; one outside any
    // repository is an error.
    let new_chart = root.join("new");
    write(
        &new_chart,
        "Chart.yaml",
        "apiVersion: v2\nname: new\nversion: 1.0.0\n",
    );
    assert!(
        load_chart_at_revision(&new_chart, "HEAD")
            .unwrap_or_else(|e| panic!("{e}"))
            .is_none()
    );
    let outside = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    write(
        outside.path(),
        "Chart.yaml",
        "apiVersion: v2\nname: o\nversion: 1.0.0\n",
    );
    assert!(load_chart_at_revision(outside.path(), "HEAD").is_err());
}
