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

/// Whether git is missing here (the test is then skipped, saying so).
fn no_git() -> bool {
    let missing = Command::new("git").arg("--version").output().is_err();
    if missing {
        eprintln!("skipped: no git");
    }
    missing
}

#[test]
fn chart_at_an_earlier_revision() {
    if no_git() {
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
    if no_git() {
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

const CHART_V1: &str = "apiVersion: v2\nname: app\nversion: 1.0.0\n";

/// A repository at `root` with the chart `deploy/app` committed at version 1.0.0.
fn repository_with_chart(root: &Path) -> std::path::PathBuf {
    let chart = root.join("deploy/app");
    write(&chart, "Chart.yaml", CHART_V1);
    commit_all(root);
    chart
}

/// A repository at `dir` whose one commit holds a chart at its top with `chart_yaml`.
fn repository_of_chart(dir: &Path, chart_yaml: &str) {
    write(dir, "Chart.yaml", chart_yaml);
    commit_all(dir);
}

fn commit_all(root: &Path) {
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "v1"]);
}

/// The baseline a hostile chart would choose: a chart of version 9.9.9.
const FAKE_CHART: &str = "apiVersion: v2\nname: app\nversion: 9.9.9\n";

/// `--base` refuses `chart` (whose `.git` is `what`) as a repository nested in another.
fn assert_refused_as_nested(chart: &Path, what: &str) {
    let e = load_chart_at_revision(chart, "HEAD")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("nested inside the one at") && e.contains("app/.git"),
        "{what}: {e}"
    );
    assert_eq!(helm::chart::revision_id(chart, "HEAD"), None, "{what}");
}

/// A stranger's change can ship a `.git` inside the chart (a directory, a `gitdir:` file or a
/// submodule): git would then read that repository's history, and `--base` a baseline the
/// change chose. Refused, naming the nested `.git`, before git runs there.
#[test]
fn a_repository_nested_in_the_chart_is_refused() {
    if no_git() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // The fake baseline: a repository whose HEAD holds a chart of version 9.9.9.
    let fake = tmp.path().join("fake");
    repository_of_chart(&fake, FAKE_CHART);

    for planted in ["directory", "gitdir file"] {
        let root = tmp.path().join(planted.replace(' ', "-"));
        let chart = repository_with_chart(&root);
        match planted {
            "directory" => {
                git(&chart, &["init", "-q"]);
                git(
                    &chart,
                    &["fetch", "-q", &fake.display().to_string(), "HEAD"],
                );
                git(&chart, &["reset", "-q", "--soft", "FETCH_HEAD"]);
            }
            _ => write(
                &chart,
                ".git",
                &format!("gitdir: {}\n", fake.join(".git").display()),
            ),
        }
        // Without the refusal, git reads the nested repository: its HEAD is the fake chart.
        let head = Command::new("git")
            .arg("-C")
            .arg(&chart)
            .args(["show", "HEAD:Chart.yaml"])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            String::from_utf8_lossy(&head.stdout).contains("9.9.9"),
            "{planted}"
        );
        assert_refused_as_nested(&chart, planted);
    }
}

/// A chart that is its repository's top, and a chart in a worktree of the repository placed
/// inside it (`git worktree add .worktrees/x`), are read from their own repository.
#[test]
fn a_chart_at_the_top_or_in_a_worktree_inside_the_repository_is_read() {
    if no_git() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let top = tmp.path().join("chart-repo");
    repository_of_chart(&top, CHART_V1);
    let version = |chart: &Path| version_at(chart, "HEAD");
    assert_eq!(version(&top).as_deref(), Some("1.0.0"));

    let root = tmp.path().join("mono");
    repository_with_chart(&root);
    git(&root, &["worktree", "add", "-q", ".worktrees/x"]);
    let in_worktree = root.join(".worktrees/x/deploy/app");
    assert_eq!(version(&in_worktree).as_deref(), Some("1.0.0"));
}

/// A chart laid out as a bare repository (`HEAD`, `objects/`, `refs/` at its top) is never
/// the repository git reads: its HEAD would be a baseline the chart chose.
#[test]
fn a_chart_laid_out_as_a_bare_repository_is_not_read_as_one() {
    if no_git() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let fake = tmp.path().join("fake");
    repository_of_chart(&fake, FAKE_CHART);
    let root = tmp.path().join("repo");
    let chart = repository_with_chart(&root);
    let status = Command::new("git")
        .args(["clone", "-q", "--bare"])
        .arg(&fake)
        .arg(chart.join("bare"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(status.status.success());
    for entry in ["HEAD", "objects", "refs", "packed-refs", "config"] {
        std::fs::rename(chart.join("bare").join(entry), chart.join(entry))
            .unwrap_or_else(|e| panic!("{entry}: {e}"));
    }
    match load_chart_at_revision(&chart, "HEAD") {
        Ok(Some(c)) => assert_eq!(c.metadata.version, "1.0.0"),
        Ok(None) => panic!("the committed chart was not found"),
        Err(e) => assert!(!e.to_string().contains("9.9.9"), "{e}"),
    }
}

/// The version of the chart read at `revision`, `None` when it had no `Chart.yaml` there.
fn version_at(chart: &Path, revision: &str) -> Option<String> {
    load_chart_at_revision(chart, revision)
        .unwrap_or_else(|e| panic!("{revision}: {e}"))
        .map(|c| c.metadata.version.clone())
}

fn chart_yaml(version: &str) -> String {
    format!("apiVersion: v2\nname: app\nversion: {version}\n")
}

/// A superproject `mono` (first commit: a README only) whose submodule `vendor/lib` holds the
/// chart `app`, recorded at version 1.0.0 by the second commit and 2.0.0 by the third; returns
/// the superproject and its three commits.
fn superproject_with_submodule(tmp: &Path) -> (std::path::PathBuf, [String; 3]) {
    let lib = tmp.join("lib");
    write(&lib, "app/Chart.yaml", &chart_yaml("1.0.0"));
    commit_all(&lib);
    let mono = tmp.join("mono");
    write(&mono, "README.md", "charts\n");
    commit_all(&mono);
    let file = ["-c", "protocol.file.allow=always"];
    let lib_url = lib.display().to_string();
    git(
        &mono,
        &[
            &file[..],
            &["submodule", "add", "-q", &lib_url, "vendor/lib"],
        ]
        .concat(),
    );
    git(&mono, &["commit", "-q", "-m", "lib at 1.0.0"]);
    write(&lib, "app/Chart.yaml", &chart_yaml("2.0.0"));
    git(&lib, &["commit", "-q", "-am", "2.0.0"]);
    let sub = mono.join("vendor/lib");
    git(&sub, &[&file[..], &["pull", "-q", "--ff-only"]].concat());
    git(&mono, &["commit", "-q", "-am", "lib at 2.0.0"]);
    let commit = |rev: &str| {
        let out = Command::new("git")
            .arg("-C")
            .arg(&mono)
            .args(["rev-parse", rev])
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    };
    let commits = [commit("HEAD~2"), commit("HEAD~1"), commit("HEAD")];
    (mono, commits)
}

/// A chart in a git submodule: its git directory is the superproject's `.git/modules/…`,
/// which no checked-out file can write. `--base` names a revision of the superproject, and the
/// chart is read at the submodule commit the superproject recorded there — by id, so the
/// submodule's own refs (fetched from wherever its URL says) play no part.
#[test]
fn a_chart_in_a_submodule_is_read_at_the_commit_the_superproject_records() {
    if no_git() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (mono, [readme_only, at_v1, at_v2]) = superproject_with_submodule(tmp.path());
    let chart = mono.join("vendor/lib/app");
    // The work tree moves on without a commit of either repository.
    write(&chart, "Chart.yaml", &chart_yaml("3.0.0"));

    assert_eq!(version_at(&chart, "HEAD").as_deref(), Some("2.0.0"));
    assert_eq!(version_at(&chart, &at_v2).as_deref(), Some("2.0.0"));
    // Commits of the superproject, which the submodule's repository does not have.
    assert_eq!(version_at(&chart, &at_v1).as_deref(), Some("1.0.0"));
    assert_eq!(version_at(&chart, "HEAD~1").as_deref(), Some("1.0.0"));
    // Before the submodule was added, the chart did not exist.
    assert_eq!(version_at(&chart, &readme_only), None);
    assert!(helm::chart::revision_id(&chart, &at_v1).is_some());

    // A recorded commit the submodule's repository lacks (not fetched) is an error, not "new".
    let missing = "1111111111111111111111111111111111111111";
    let gitlink = format!("160000,{missing},vendor/lib");
    git(&mono, &["update-index", "--cacheinfo", &gitlink]);
    git(&mono, &["commit", "-q", "-m", "lib at a commit nobody has"]);
    let e = load_chart_at_revision(&chart, "HEAD")
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains(missing) && e.contains("its repository does not have"),
        "{e}"
    );
}

/// A `gitdir:` file planted in a chart is still refused when it points at a submodule's git
/// directory: another submodule's (its `core.worktree` names that submodule, not the chart),
/// or one under a `.git/modules` outside the repository around the chart, even one that names
/// the chart back.
#[test]
fn a_planted_gitdir_into_modules_is_refused() {
    if no_git() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let (mono, _) = superproject_with_submodule(tmp.path());
    let chart = mono.join("deploy/app");
    write(&chart, "Chart.yaml", &chart_yaml("1.0.0"));
    git(&mono, &["add", "-A"]);
    git(&mono, &["commit", "-q", "-m", "own chart"]);

    // A fake `.git/modules/x` outside the superproject, holding the 9.9.9 chart, whose
    // configured work tree is the chart.
    let fake = tmp.path().join("elsewhere/work");
    let fake_git_dir = tmp.path().join("elsewhere/.git/modules/x");
    write(&fake, "Chart.yaml", FAKE_CHART);
    std::fs::create_dir_all(tmp.path().join("elsewhere/.git/modules"))
        .unwrap_or_else(|e| panic!("{e}"));
    git(
        tmp.path(),
        &[
            "init",
            "-q",
            "--separate-git-dir",
            &fake_git_dir.display().to_string(),
            &fake.display().to_string(),
        ],
    );
    git(&fake, &["add", "-A"]);
    git(&fake, &["commit", "-q", "-m", "fake"]);
    let config = fake_git_dir.join("config").display().to_string();
    let chart_path = chart.display().to_string();
    git(
        tmp.path(),
        &["config", "--file", &config, "core.worktree", &chart_path],
    );

    let planted = [
        (
            "another submodule's",
            "gitdir: ../../.git/modules/vendor/lib\n".to_string(),
        ),
        (
            "outside the repository",
            format!("gitdir: {}\n", fake_git_dir.display()),
        ),
    ];
    for (what, gitdir) in planted {
        write(&chart, ".git", &gitdir);
        assert_refused_as_nested(&chart, what);
    }
    // Without the refusal, git reads the fake repository: its HEAD is the fake chart.
    let head = Command::new("git")
        .arg("-C")
        .arg(&chart)
        .args(["show", "HEAD:Chart.yaml"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(String::from_utf8_lossy(&head.stdout).contains("9.9.9"));
}
