//! Which invocations belong to which checked chart (DESIGN "Pipeline ↔ chart"): the chart
//! argument, variables expanded, names the chart or is its path. One whose chart cannot be
//! told is assumed to be the chart's only when its release name could be the chart's release,
//! and its findings say so: a repository's scripts upgrade and roll back other releases too.

use std::path::{Path, PathBuf};

use crate::model::ChartModel;
use crate::pipeline::{ChartArg, HelmCommand, Invocation, Tool, discover};

/// What the chart argument of an invocation says about a checked chart.
enum Deploys {
    Yes,
    No,
    /// Probably: the reason, for the finding's message.
    Likely(String),
    /// The argument cannot tell: why, for the finding's message.
    Unknown(String),
}

/// The helm invocations of a run's pipelines, each with the directories its chart argument
/// names: every checked chart is compared with every invocation, and the file system is asked
/// once per invocation, not once per pair.
pub struct Pipelines {
    invocations: Vec<Invocation>,
    targets: Vec<Target>,
}

/// The directories a chart argument names, made absolute (those that exist).
enum Target {
    /// `.` and `..` name the working directory, which a job can change (`cd`,
    /// `working-directory:`): not something to compare, but a file inside the chart (its own
    /// Makefile, a script next to Chart.yaml) most likely runs from there.
    WorkingDirectory(Option<PathBuf>),
    /// A local path, relative to the file (helmfile, scripts) or to the repository root (CI
    /// jobs start there).
    Path(Vec<PathBuf>),
    /// No chart argument that names a directory.
    None,
}

impl Target {
    fn of(inv: &Invocation) -> Target {
        let ChartArg::Known(arg) = &inv.chart else {
            return Target::None;
        };
        let path = arg.trim_start_matches("file://");
        let dir = Path::new(&inv.file.name)
            .parent()
            .unwrap_or_else(|| Path::new("."));
        let from = |base: &Path| std::fs::canonicalize(base.join(path)).ok();
        if matches!(path.trim_end_matches('/'), "." | "..") {
            return Target::WorkingDirectory(from(dir));
        }
        let root = discover::repo_root(dir);
        Target::Path(
            std::iter::once(dir)
                .chain(root.as_deref())
                .filter_map(from)
                .collect(),
        )
    }
}

impl Pipelines {
    pub fn new(invocations: Vec<Invocation>) -> Pipelines {
        let targets = invocations.iter().map(Target::of).collect();
        Pipelines {
            invocations,
            targets,
        }
    }

    /// The invocations that belong to `chart` (DESIGN "Pipeline ↔ chart"): the ones whose
    /// chart argument names it, and the ones whose chart cannot be told but whose release could
    /// be this chart's (`release_flag` is `--release-name`), marked as assumed. A rendered
    /// manifest without `# Source:` lines does not name its chart: then every invocation is
    /// assumed to deploy it.
    pub fn related(&self, chart: &ChartModel, release_flag: &str) -> Vec<Invocation> {
        // An entry with no objects (only `--migrations` files) is not a release pipelines
        // deploy.
        if chart.objects.is_empty() || self.invocations.is_empty() {
            return Vec::new();
        }
        let named = chart.objects.iter().any(|o| o.template.is_some());
        let assumed = |inv: &Invocation, why: String| Invocation {
            chart_assumed: Some(why),
            ..inv.clone()
        };
        let name = &chart.info.name;
        let path = std::fs::canonicalize(&chart.info.path).ok();
        self.invocations
            .iter()
            .zip(&self.targets)
            .filter_map(|(inv, target)| {
                if !named {
                    return Some(match &inv.chart {
                        ChartArg::Known(c) | ChartArg::Unresolved(c) => assumed(
                            inv,
                            format!(
                                "chart `{c}` assumed to be this one: the manifest names no chart"
                            ),
                        ),
                        ChartArg::Missing => inv.clone(),
                    });
                }
                match deploys(inv, target, name, path.as_deref()) {
                    Deploys::Yes => Some(inv.clone()),
                    Deploys::No => None,
                    Deploys::Likely(why) => Some(assumed(inv, why)),
                    Deploys::Unknown(what) => {
                        let why = release_could_be(inv, name, release_flag)?;
                        let verb = match inv.tool {
                            Tool::Helm(HelmCommand::Rollback) => "roll back",
                            _ => "deploy",
                        };
                        Some(assumed(
                            inv,
                            format!("{what}: assumed to {verb} chart `{name}` because {why}"),
                        ))
                    }
                }
            })
            .collect()
    }
}

/// Does `inv` deploy the chart named `name`, found at `path` (absolute), as far as its chart
/// argument (pointing at `target`) tells?
fn deploys(inv: &Invocation, target: &Target, name: &str, path: Option<&Path>) -> Deploys {
    let arg = match &inv.chart {
        ChartArg::Known(arg) => arg,
        ChartArg::Unresolved(arg) => {
            return Deploys::Unknown(format!("chart `{arg}` not resolvable"));
        }
        ChartArg::Missing => return Deploys::Unknown("no chart in the command".into()),
    };
    if chart_name_of(arg) == name {
        return Deploys::Yes;
    }
    let is_chart = |dir: &Option<PathBuf>| path.is_some() && dir.as_deref() == path;
    match target {
        Target::WorkingDirectory(dir) if is_chart(dir) => Deploys::Likely(format!(
            "chart `{arg}` is relative to the working directory, assumed to be the file's own: this chart"
        )),
        Target::WorkingDirectory(_) => Deploys::Unknown(format!(
            "chart `{arg}` is relative to a working directory rollguard cannot see"
        )),
        // A differently named chart that is not found there is another chart.
        Target::Path(dirs) if path.is_some_and(|p| dirs.iter().any(|d| d == p)) => Deploys::Yes,
        Target::Path(_) | Target::None => Deploys::No,
    }
}

/// Could the release `inv` upgrades or rolls back be `chart`'s? Yes when it is named like the
/// chart (`app`, `app-prod`, `staging-app`), is the `--release-name` the chart is checked with,
/// or is held in a variable rollguard cannot resolve (it could be any release). The reason, for
/// the finding's message.
fn release_could_be(inv: &Invocation, chart: &str, release_flag: &str) -> Option<String> {
    let Some(release) = inv.release.as_deref() else {
        return Some("the command names no release".into());
    };
    if inv.release_unresolved {
        Some(format!(
            "release name `{release}` is not resolvable and could be its release"
        ))
    } else if release == release_flag {
        Some(format!("release name `{release}` is the --release-name"))
    } else if release.eq_ignore_ascii_case(chart) {
        Some(format!("release name `{release}` is the chart's name"))
    } else if names_part(release, chart) {
        Some(format!(
            "release name `{release}` contains the chart's name"
        ))
    } else {
        None
    }
}

/// Is `chart` a whole part of `release`, between `-`, `.` or `_` and the ends?
fn names_part(release: &str, chart: &str) -> bool {
    let (release, chart) = (release.to_ascii_lowercase(), chart.to_ascii_lowercase());
    let separator = |c: Option<char>| c.is_none_or(|c| matches!(c, '-' | '.' | '_'));
    !chart.is_empty()
        && release.match_indices(&chart).any(|(i, _)| {
            separator(release[..i].chars().next_back())
                && separator(release[i + chart.len()..].chars().next())
        })
}

/// The chart name in a chart argument: `./charts/app` → `app`, `repo/app` → `app`,
/// `oci://reg/charts/app` → `app`, `app-1.2.3.tgz` → `app`.
fn chart_name_of(arg: &str) -> String {
    let last = arg
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or(arg)
        .to_string();
    let Some(stem) = last.strip_suffix(".tgz") else {
        return last;
    };
    // `name-1.2.3`: the version starts at the last `-` followed by a digit.
    match stem.rfind('-') {
        Some(i) if stem[i + 1..].starts_with(|c: char| c.is_ascii_digit()) => stem[..i].to_string(),
        _ => stem.to_string(),
    }
}

/// A report note saying which pipeline files a chart was checked with, so a user sees that
/// discovery found them; `None` when there are none.
pub fn checked_note(chart: &ChartModel) -> Option<String> {
    const SHOWN: usize = 4;
    let mut files: Vec<&str> = Vec::new();
    for inv in &chart.invocations {
        if !files.contains(&inv.file.name.as_str()) {
            files.push(&inv.file.name);
        }
    }
    let n = chart.invocations.len();
    if n == 0 {
        return None;
    }
    let more = files.len().saturating_sub(SHOWN);
    let mut list = files[..files.len().min(SHOWN)].join(", ");
    if more > 0 {
        list.push_str(&format!(" and {more} more"));
    }
    Some(format!(
        "{}: checked with {n} helm invocation{} from {list}",
        chart.info.name,
        if n == 1 { "" } else { "s" }
    ))
}

#[cfg(test)]
mod tests {
    use super::{chart_name_of, names_part};

    #[test]
    fn a_chart_name_is_part_of_a_release_name_only_whole() {
        assert!(names_part("mine", "mine"));
        assert!(names_part("mine-prod", "mine"));
        assert!(names_part("staging.Mine", "mine"));
        assert!(names_part("acme-my-app-eu", "my-app"));
        assert!(!names_part("mineral", "mine"));
        assert!(!names_part("other", "mine"));
        assert!(!names_part("app", "my-app"));
        assert!(!names_part("anything", ""));
    }

    #[test]
    fn chart_names() {
        assert_eq!(chart_name_of("./charts/app/"), "app");
        assert_eq!(chart_name_of("oci://ghcr.io/acme/charts/app"), "app");
        assert_eq!(chart_name_of("dist/app-1.4.0.tgz"), "app");
        assert_eq!(chart_name_of("my-app.tgz"), "my-app");
        assert_eq!(chart_name_of("bitnami/postgresql"), "postgresql");
    }
}
