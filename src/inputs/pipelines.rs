//! Which invocations belong to which checked chart (DESIGN "Pipeline ↔ chart"): the chart
//! argument, variables expanded, names the chart or is its path; what cannot be resolved is
//! assumed to be every chart's, and says so.

use std::path::{Path, PathBuf};

use crate::model::{ChartInfo, ChartModel};
use crate::pipeline::{ChartArg, Invocation, discover};

/// Does `inv` deploy `chart`? `None` when it cannot tell.
fn deploys(inv: &Invocation, chart: &ChartInfo, bases: &[PathBuf]) -> Option<bool> {
    let arg = match &inv.chart {
        ChartArg::Known(arg) => arg,
        ChartArg::Unresolved(_) | ChartArg::Missing => return None,
    };
    if chart_name_of(arg) == chart.name {
        return Some(true);
    }
    let path = arg.trim_start_matches("file://");
    // `.` and `..` name the working directory, which a job can change (`cd`,
    // `working-directory:`): not something to compare.
    if matches!(path.trim_end_matches('/'), "." | "..") {
        return None;
    }
    // A local path, relative to the file (helmfile, scripts) or to the repository root (CI
    // jobs start there): compare with the checked chart's path, both made absolute.
    // A differently named chart that is not found there is another chart.
    let target = std::fs::canonicalize(&chart.path).ok();
    Some(target.is_some_and(|t| {
        bases
            .iter()
            .any(|b| std::fs::canonicalize(b.join(path)).ok().as_ref() == Some(&t))
    }))
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

/// The invocations that belong to `chart` (DESIGN "Pipeline ↔ chart"): the ones whose chart
/// argument names it, and the ones whose chart cannot be resolved, marked as assumed. A
/// rendered manifest without `# Source:` lines does not name its chart: then every invocation
/// is assumed to deploy it.
pub fn related(all: &[Invocation], chart: &ChartModel) -> Vec<Invocation> {
    // An entry with no objects (only `--migrations` files) is not a release pipelines deploy.
    if chart.objects.is_empty() {
        return Vec::new();
    }
    let named = chart.objects.iter().any(|o| o.template.is_some());
    let assumed = |inv: &Invocation, why: String| Invocation {
        chart_assumed: Some(why),
        ..inv.clone()
    };
    all.iter()
        .filter_map(|inv| {
            if !named {
                return Some(match &inv.chart {
                    ChartArg::Known(c) | ChartArg::Unresolved(c) => assumed(
                        inv,
                        format!("chart `{c}` assumed to be this one: the manifest names no chart"),
                    ),
                    ChartArg::Missing => inv.clone(),
                });
            }
            let dir = Path::new(&inv.file.name)
                .parent()
                .unwrap_or_else(|| Path::new("."))
                .to_path_buf();
            let mut bases = vec![dir.clone()];
            bases.extend(discover::repo_root(&dir));
            match (deploys(inv, &chart.info, &bases), &inv.chart) {
                (Some(true), _) | (None, ChartArg::Missing) => Some(inv.clone()),
                (Some(false), _) => None,
                (None, ChartArg::Unresolved(c)) => Some(assumed(
                    inv,
                    format!("chart `{c}` not resolvable, assumed to be this one"),
                )),
                (None, ChartArg::Known(c)) => Some(assumed(
                    inv,
                    format!(
                        "chart `{c}` is relative to a working directory rollguard cannot see, assumed to be this one"
                    ),
                )),
            }
        })
        .collect()
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
    use super::chart_name_of;

    #[test]
    fn chart_names() {
        assert_eq!(chart_name_of("./charts/app/"), "app");
        assert_eq!(chart_name_of("oci://ghcr.io/acme/charts/app"), "app");
        assert_eq!(chart_name_of("dist/app-1.4.0.tgz"), "app");
        assert_eq!(chart_name_of("my-app.tgz"), "my-app");
        assert_eq!(chart_name_of("bitnami/postgresql"), "postgresql");
    }
}
