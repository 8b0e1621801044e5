//! Which files are pipelines, and finding them in a repository.
//!
//! Discovery starts at the repository root of the checked input (the nearest ancestor with
//! `.git`) and walks it, bounded, in a fixed order. It skips what never deploys the chart:
//! VCS and dependency directories, build output, test data (`fixtures`, `testdata`), hidden
//! directories other than the CI ones, and inside a chart its `charts/` (vendored subcharts)
//! and `templates/`.

use std::path::{Path, PathBuf};

use walkdir::WalkDir;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    GitHub,
    GitLab,
    Azure,
    Bitbucket,
    CircleCi,
    Tekton,
    Jenkins,
    Makefile,
    Justfile,
    Taskfile,
    Shell,
    Helmfile,
    /// Kubernetes YAML that may hold Flux `HelmRelease`s or Argo CD `Application`s.
    Kubernetes,
}

impl FileKind {
    /// Every kind, for code that runs each reader on one text (robustness tests, fuzzing).
    pub const ALL: [FileKind; 13] = [
        FileKind::GitHub,
        FileKind::GitLab,
        FileKind::Azure,
        FileKind::Bitbucket,
        FileKind::CircleCi,
        FileKind::Tekton,
        FileKind::Jenkins,
        FileKind::Makefile,
        FileKind::Justfile,
        FileKind::Taskfile,
        FileKind::Shell,
        FileKind::Helmfile,
        FileKind::Kubernetes,
    ];
}

/// Bounds of a discovery walk.
const MAX_DEPTH: usize = 12;
const MAX_ENTRIES: usize = 50_000;
const MAX_FILES: usize = 2_000;
/// Pipeline files larger than this are skipped with a note.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

pub(crate) const SKIP_DIRS: &[&str] = &[
    ".git",
    "node_modules",
    "target",
    "vendor",
    "dist",
    "build",
    "__pycache__",
    "venv",
    "fixtures",
    "__fixtures__",
    "testdata",
    "__snapshots__",
];

/// Hidden directories that hold CI files.
const CI_DIRS: &[&str] = &[
    ".github",
    ".gitlab",
    ".circleci",
    ".azure-pipelines",
    ".azuredevops",
    ".tekton",
    ".pipelines",
];

/// The nearest ancestor of `start` (itself included) holding `.git` (a directory, or a file in
/// worktrees and submodules).
pub fn repo_root(start: &Path) -> Option<PathBuf> {
    crate::paths::find_upwards(start, |d| d.join(".git").exists().then(|| d.to_path_buf()))
}

/// What a file is, from its path, or from its first bytes (`head`, read only then) for the
/// kinds that have no fixed name (Tekton, Flux, Argo CD, scripts without extension).
pub fn classify(path: &Path, head: impl FnOnce() -> String) -> Option<FileKind> {
    let name = path.file_name()?.to_str()?;
    let lower = name.to_ascii_lowercase();
    let in_dir = |dir: &str| path.components().any(|c| c.as_os_str() == dir);
    let yaml = lower.ends_with(".yml") || lower.ends_with(".yaml");
    let kind = if in_dir("workflows") && in_dir(".github") && yaml
        || (lower == "action.yml" || lower == "action.yaml") && in_dir(".github")
    {
        FileKind::GitHub
    } else if lower == ".gitlab-ci.yml"
        || lower.ends_with(".gitlab-ci.yml")
        || in_dir(".gitlab") && yaml
    {
        FileKind::GitLab
    } else if yaml
        && (lower.starts_with("azure-pipelines")
            || in_dir(".azure-pipelines")
            || in_dir(".azuredevops"))
    {
        FileKind::Azure
    } else if lower == "bitbucket-pipelines.yml" {
        FileKind::Bitbucket
    } else if in_dir(".circleci") && yaml {
        FileKind::CircleCi
    } else if name.starts_with("Jenkinsfile") || lower.ends_with(".jenkinsfile") {
        FileKind::Jenkins
    } else if matches!(name, "Makefile" | "makefile" | "GNUmakefile") || lower.ends_with(".mk") {
        FileKind::Makefile
    } else if matches!(lower.as_str(), "justfile" | ".justfile") || lower.ends_with(".just") {
        FileKind::Justfile
    } else if lower.starts_with("taskfile") && yaml {
        FileKind::Taskfile
    } else if lower.starts_with("helmfile") && (yaml || lower.ends_with(".gotmpl"))
        || in_dir("helmfile.d") && (yaml || lower.ends_with(".gotmpl"))
    {
        FileKind::Helmfile
    } else if lower.ends_with(".sh") || lower.ends_with(".bash") {
        FileKind::Shell
    } else if yaml {
        return yaml_by_content(&head());
    } else if !name.contains('.') && is_shell_shebang(&head()) {
        FileKind::Shell
    } else {
        return None;
    };
    Some(kind)
}

fn is_shell_shebang(head: &str) -> bool {
    let first = head.lines().next().unwrap_or("");
    first.starts_with("#!")
        && ["/sh", "/bash", "env sh", "env bash", "/zsh", "env zsh"]
            .iter()
            .any(|s| first.contains(s))
}

fn yaml_by_content(head: &str) -> Option<FileKind> {
    if head.contains("tekton.dev/") {
        Some(FileKind::Tekton)
    } else if head.contains("helm.toolkit.fluxcd.io/") || head.contains("argoproj.io/") {
        Some(FileKind::Kubernetes)
    } else {
        None
    }
}

/// A pipeline file found, or a reason one was left out.
#[derive(Debug, Default)]
pub struct Found {
    pub files: Vec<(PathBuf, FileKind)>,
    pub notes: Vec<String>,
}

/// How a file came to be read: the user's word weighs more than a name found on the way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Given {
    /// Found by discovery: only names (and Kubernetes kinds) that say "pipeline" count.
    No,
    /// Under a directory given with `--pipeline`: a YAML file is also recognised by its keys.
    InDirectory,
    /// Given with `--pipeline`: YAML by its keys (else a note), anything else is a script.
    File,
}

/// Pipeline files under `root`, in path order.
pub fn walk(root: &Path, given: Given, found: &mut Found) {
    let mut entries = 0;
    let walker = WalkDir::new(root)
        .max_depth(MAX_DEPTH)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !e.file_type().is_dir() || e.depth() == 0 || keep_dir(e.path()));
    for entry in walker {
        let Ok(entry) = entry else { continue };
        entries += 1;
        if entries > MAX_ENTRIES || found.files.len() >= MAX_FILES {
            found.notes.push(format!(
                "pipeline discovery stopped after {} entries under {}: pass --pipeline for the files that deploy",
                entries.min(MAX_ENTRIES),
                root.display()
            ));
            return;
        }
        if entry.file_type().is_file() {
            add_file(entry.path(), given, found);
        }
    }
}

fn keep_dir(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if SKIP_DIRS.contains(&name) || name.starts_with('.') && !CI_DIRS.contains(&name) {
        return false;
    }
    // Inside a chart: vendored subcharts and templates are not pipelines.
    let in_chart = path
        .parent()
        .is_some_and(|p| p.join("Chart.yaml").is_file());
    !(in_chart && matches!(name, "charts" | "templates"))
}

/// Adds a file if it is a pipeline. A file the user pointed at whose name says nothing is
/// recognised by its top-level keys if it is YAML; a file given by name that is not YAML is
/// read as a shell script: the user said it runs the upgrade.
pub fn add_file(path: &Path, given: Given, found: &mut Found) {
    let name = path.to_string_lossy().to_ascii_lowercase();
    let yaml = name.ends_with(".yml") || name.ends_with(".yaml");
    let kind = match (classify(path, || read_head(path)), given) {
        (Some(kind), _) => kind,
        (None, Given::No) => return,
        (None, _) if yaml => match (sniff_yaml(&read_head(path)), given) {
            (Some(kind), _) => kind,
            (None, Given::File) => {
                found.notes.push(format!(
                    "pipeline file {}: not a CI/CD or GitOps file kind rollguard knows; not checked",
                    path.display()
                ));
                return;
            }
            (None, _) => return,
        },
        (None, Given::File) => FileKind::Shell,
        (None, _) => return,
    };
    found.files.push((path.to_path_buf(), kind));
}

/// The CI system of a YAML file from its top-level keys.
fn sniff_yaml(head: &str) -> Option<FileKind> {
    let top = |key: &str| {
        head.lines()
            .any(|l| l.starts_with(key) && l[key.len()..].starts_with(':'))
    };
    Some(if top("helmDefaults") || top("releases") {
        FileKind::Helmfile
    } else if top("pipelines") {
        FileKind::Bitbucket
    } else if top("jobs") && head.contains("runs-on") {
        FileKind::GitHub
    } else if top("version") && (top("jobs") || top("workflows") || top("orbs")) && !top("tasks") {
        FileKind::CircleCi
    } else if top("tasks") {
        FileKind::Taskfile
    } else if top("trigger")
        || top("pool")
        || top("steps")
        || (top("stages") && head.contains("- stage:"))
    {
        FileKind::Azure
    } else if head.contains("script:") {
        FileKind::GitLab
    } else {
        return None;
    })
}

fn read_head(path: &Path) -> String {
    use std::io::Read;
    let mut buf = vec![0u8; 8192];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut buf))
        .unwrap_or(0);
    buf.truncate(n);
    String::from_utf8_lossy(&buf).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_by_name_and_content() {
        let k = |p: &str, head: &str| classify(Path::new(p), || head.to_string());
        assert_eq!(
            k(".github/workflows/deploy.yml", ""),
            Some(FileKind::GitHub)
        );
        assert_eq!(k("ci/.gitlab-ci.yml", ""), Some(FileKind::GitLab));
        assert_eq!(k("azure-pipelines.yml", ""), Some(FileKind::Azure));
        assert_eq!(k("bitbucket-pipelines.yml", ""), Some(FileKind::Bitbucket));
        assert_eq!(k(".circleci/config.yml", ""), Some(FileKind::CircleCi));
        assert_eq!(k("Jenkinsfile", ""), Some(FileKind::Jenkins));
        assert_eq!(k("deploy/Makefile", ""), Some(FileKind::Makefile));
        assert_eq!(k("justfile", ""), Some(FileKind::Justfile));
        assert_eq!(k("Taskfile.yml", ""), Some(FileKind::Taskfile));
        assert_eq!(k("helmfile.yaml.gotmpl", ""), Some(FileKind::Helmfile));
        assert_eq!(k("scripts/deploy.sh", ""), Some(FileKind::Shell));
        assert_eq!(
            k("bin/deploy", "#!/usr/bin/env bash\n"),
            Some(FileKind::Shell)
        );
        assert_eq!(
            k("tekton/task.yaml", "apiVersion: tekton.dev/v1\n"),
            Some(FileKind::Tekton)
        );
        assert_eq!(
            k(
                "clusters/prod/app.yaml",
                "apiVersion: helm.toolkit.fluxcd.io/v2\n"
            ),
            Some(FileKind::Kubernetes)
        );
        assert_eq!(k("values.yaml", "replicas: 1\n"), None);
    }
}
