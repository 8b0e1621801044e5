//! What the template engine gets: every chart of the release after dependency processing, each
//! with the `.Values` it sees, its `.Chart`, `.Files` and templates named as Helm names them.

use std::path::Path;
use std::sync::Arc;

use source::{InputError, Result};

use super::deps::{process_enabled, process_import_values};
use super::file::File;
use super::load::{Chart, load_chart};
use super::metadata::ChartMetadata;
use super::values::coalesce::{Taken, coalesce};
use super::values::{ValueOptions, Values, schema};

/// A chart ready to render, with its enabled subcharts.
#[derive(Debug, Clone)]
pub struct RenderChart {
    /// The chart name, or the alias it was included under.
    pub name: String,
    /// Helm's `ChartFullPath`: `app`, `app/charts/db`; prefix of its template paths.
    pub full_path: String,
    pub is_root: bool,
    /// Chart.yaml after processing: `name` is the alias, `dependencies` only the enabled ones.
    pub metadata: ChartMetadata,
    /// `.Values` for this chart's templates.
    pub values: Values,
    /// `.Files`.
    pub files: Arc<Vec<File>>,
    pub templates: Vec<Template>,
    /// Enabled subcharts, sorted by name (`.Subcharts`).
    pub subcharts: Vec<RenderChart>,
    /// Where the chart was read from, for messages.
    pub origin: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// `app/templates/x.yaml`, `app/charts/db/templates/y.yaml` (`.Template.Name`).
    pub path: String,
    /// `app/templates` (`.Template.BasePath`).
    pub base_path: String,
    pub text: String,
}

impl Template {
    /// Partials (`_*.tpl`, any name starting with `_`) are parsed, never rendered as output.
    pub fn is_partial(&self) -> bool {
        self.path
            .rsplit('/')
            .next()
            .is_some_and(|b| b.starts_with('_'))
    }
}

impl RenderChart {
    /// The CRD files of this chart and its enabled subcharts (Helm's `CRDObjects`): files under
    /// `crds/` ending in `.yaml`, `.yml` or `.json`, named like templates (`app/charts/db/crds/x.yaml`).
    /// Helm installs them before the templates, and never upgrades or deletes them.
    pub fn crds(&self) -> Vec<(String, &File)> {
        let mut out: Vec<(String, &File)> = self
            .files
            .iter()
            .filter(|f| {
                f.name.starts_with("crds/")
                    && [".yaml", ".yml", ".json"]
                        .iter()
                        .any(|e| f.name.ends_with(e))
            })
            .map(|f| (format!("{}/{}", self.full_path, f.name), f))
            .collect();
        for sub in &self.subcharts {
            out.extend(sub.crds());
        }
        out
    }
}

/// A loaded release: the root chart and all it needs to render.
#[derive(Debug, Clone)]
pub struct LoadedRelease {
    pub root: RenderChart,
    /// What Helm logs while it processes dependencies and coalesces the values (`level=INFO
    /// msg="warning: …"` lines, as Helm prints them on standard error).
    pub warnings: Vec<String>,
}

impl LoadedRelease {
    /// Every template with its chart, in the order Helm parses them: deeper paths first, and at
    /// equal depth reverse lexical order (so that, when two files define the same name, the one
    /// Helm parses last, and which therefore wins, also comes last here).
    pub fn parse_order(&self) -> Vec<(&RenderChart, &Template)> {
        let mut all = Vec::new();
        collect(&self.root, &mut all);
        // Each path's depth counted once, not at every comparison of the sort.
        let mut by_depth: Vec<_> = all
            .into_iter()
            .map(|(c, t)| (memchr::memchr_iter(b'/', t.path.as_bytes()).count(), c, t))
            .collect();
        by_depth.sort_by(|(da, _, a), (db, _, b)| db.cmp(da).then_with(|| b.path.cmp(&a.path)));
        by_depth.into_iter().map(|(_, c, t)| (c, t)).collect()
    }

    /// Paths of the templates that produce output (Helm's rendered map keys), sorted.
    pub fn output_paths(&self) -> Vec<String> {
        let mut paths: Vec<String> = self
            .parse_order()
            .into_iter()
            .filter(|(_, t)| !t.is_partial())
            .map(|(_, t)| t.path.clone())
            .collect();
        paths.sort();
        // Two subcharts under one name (a directory and an archive) write the same keys; Helm
        // keeps one output per path.
        paths.dedup();
        paths
    }

    /// Every chart of the release, the root first, then depth-first.
    pub fn charts(&self) -> Vec<&RenderChart> {
        let mut out = Vec::new();
        let mut stack = vec![&self.root];
        while let Some(c) = stack.pop() {
            out.push(c);
            stack.extend(c.subcharts.iter().rev());
        }
        out
    }
}

fn collect<'a>(chart: &'a RenderChart, out: &mut Vec<(&'a RenderChart, &'a Template)>) {
    out.extend(chart.templates.iter().map(|t| (chart, t)));
    for sub in &chart.subcharts {
        collect(sub, out);
    }
}

/// Loads a chart (directory or `.tgz`) with the user's values, as `helm template` would.
pub fn load(path: &Path, opts: &ValueOptions) -> Result<LoadedRelease> {
    let chart = load_chart(path)?;
    check_dependencies(&chart)?;
    prepare(chart, opts)
}

/// [`load`], with the files `overlay` holds read from it instead of the disk (an editor's
/// unsaved buffers): the dependency check included.
pub fn load_with(
    path: &Path,
    overlay: &source::Overlay,
    opts: &ValueOptions,
) -> Result<LoadedRelease> {
    let chart = super::load::load_chart_with(path, overlay)?;
    check_dependencies(&chart)?;
    prepare(chart, opts)
}

/// [`load`] of a chart's files as [`read_chart_with`](super::load::read_chart_with) read them.
pub fn load_read(files: super::load::ChartFiles, opts: &ValueOptions) -> Result<LoadedRelease> {
    let chart = super::load::load_chart_files(files)?;
    check_dependencies(&chart)?;
    prepare(chart, opts)
}

/// [`load_read`], leaving the validation of the values against the charts' schemas (when any
/// chart has one) to the check returned with the release: a caller may run it beside the
/// render, as long as a failure still ends the loading.
pub fn load_read_checking_later(
    files: super::load::ChartFiles,
    opts: &ValueOptions,
) -> Result<(LoadedRelease, Option<ValuesCheck>)> {
    let chart = super::load::load_chart_files(files)?;
    check_dependencies(&chart)?;
    prepare_checking_later(chart, opts)
}

/// The check of a release's values [`load_read_checking_later`] leaves for later: the charts'
/// schemas, run on the root chart's values (left as they were), with `prepare`'s error.
pub type ValuesCheck = Box<dyn FnOnce(&mut Values) -> Result<()> + Send>;

/// `helm template` refuses a chart whose `Chart.yaml` declares a dependency missing from its
/// `charts/` directory, enabled or not (`action.CheckDependencies`), with Helm v4.2's message.
/// Not applied by [`prepare`]: a chart's previous revision (`--base REF`) is rendered as it
/// was, even if it was never deployable.
fn check_dependencies(chart: &Chart) -> Result<()> {
    let declared = chart.metadata.dependencies.iter().flatten();
    let missing: Vec<&str> = declared
        .map(|d| d.name.as_str())
        .filter(|name| !chart.dependencies.iter().any(|sub| sub.name() == *name))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(InputError::in_path(
        &chart.origin,
        format!(
            "chart dependencies are missing; run dependency update/build first: found in Chart.yaml, but missing in charts/ directory: {}",
            missing.join(", ")
        ),
    ))
}

/// Dependency processing, coalescing and schema validation of a loaded chart with the user's
/// values.
pub fn prepare(chart: Chart, opts: &ValueOptions) -> Result<LoadedRelease> {
    let (mut loaded, check) = prepare_checking_later(chart, opts)?;
    if let Some(check) = check {
        check(&mut loaded.root.values)?;
    }
    Ok(loaded)
}

/// [`prepare`] but for the schema validation, returned as a check to run.
fn prepare_checking_later(
    mut chart: Chart,
    opts: &ValueOptions,
) -> Result<(LoadedRelease, Option<ValuesCheck>)> {
    let user = opts.user_values()?;
    let origin = chart.origin.clone();
    let fail = |e: String| InputError::in_path(&origin, e);
    let mut log = Vec::new();
    process_enabled(&mut chart, &user, "", &mut log).map_err(fail)?;
    process_import_values(&mut chart, &mut log).map_err(fail)?;
    let mut top = user.clone();
    // Nothing reads the charts' defaults after this: they are moved into the values.
    let defaults = Taken::all(&mut chart);
    coalesce(&chart, defaults, &mut top, false, &mut log).map_err(fail)?;
    let schemas = schema::Schemas::take(&mut chart);
    let check = schemas.any().then(|| {
        let files = opts.value_files.clone();
        Box::new(move |values: &mut Values| {
            let given = schema::UserValues {
                files: &files,
                merged: &user,
            };
            schema::validate(&schemas, values, &given)
        }) as ValuesCheck
    });
    let loaded = LoadedRelease {
        root: build(chart, top, None),
        warnings: log.iter().map(|m| crate::slog::info(m)).collect(),
    };
    Ok((loaded, check))
}

/// Takes the chart: a template's text moves out of its file where nothing else holds the files
/// (the rule; a subchart two aliases include shares them), instead of being copied.
fn build(chart: Chart, values: Values, parent_path: Option<&str>) -> RenderChart {
    let full_path = match parent_path {
        None => chart.name().to_string(),
        Some(p) => format!("{p}/charts/{}", chart.name()),
    };
    let base_path = format!("{full_path}/templates");
    let library = chart.metadata.is_library();
    let texts: Vec<(String, String)> = match Arc::try_unwrap(chart.templates) {
        Ok(files) => files
            .into_iter()
            .map(|f| (f.name.clone(), f.into_text()))
            .collect(),
        Err(shared) => shared.iter().map(|f| (f.name.clone(), f.text())).collect(),
    };
    let templates = texts
        .into_iter()
        .map(|(name, text)| Template {
            path: format!("{full_path}/{name}"),
            base_path: base_path.clone(),
            text,
        })
        // A library chart's non-partial templates are not even parsed.
        .filter(|t| !library || t.is_partial())
        .collect();
    let mut subs = chart.dependencies;
    subs.sort_by(|a, b| a.name().cmp(b.name()));
    let subcharts = subs
        .into_iter()
        .map(|sub| {
            let sub_values = match values.get(sub.name()) {
                Some(serde_json::Value::Object(m)) => m.clone(),
                _ => Values::new(),
            };
            build(sub, sub_values, Some(&full_path))
        })
        .collect();
    RenderChart {
        name: chart.metadata.name.clone(),
        full_path,
        is_root: parent_path.is_none(),
        metadata: chart.metadata,
        values,
        files: chart.files,
        templates,
        subcharts,
        origin: chart.origin,
    }
}

/// Whether a Chart.yaml `kubeVersion` admits the Kubernetes version (`v1.30.2`, `1.29.0-gke.1`);
/// an empty constraint admits every version. An unparsable constraint or version is an error.
pub fn kube_version_compatible(
    constraint: &str,
    kube_version: &str,
) -> std::result::Result<bool, String> {
    if constraint.trim().is_empty() {
        return Ok(true);
    }
    let c = crate::semver::Constraints::parse(constraint)?;
    let v = crate::semver::Version::parse(kube_version)?;
    Ok(c.matches(&v))
}

#[cfg(test)]
mod tests {
    use super::kube_version_compatible;

    #[test]
    fn kube_version_constraints() {
        assert_eq!(kube_version_compatible("", "v1.36.0"), Ok(true));
        assert_eq!(kube_version_compatible(">=1.19.0-0", "v1.36.0"), Ok(true));
        assert_eq!(
            kube_version_compatible(">=1.19.0-0", "v1.28.3-gke.1200"),
            Ok(true)
        );
        assert_eq!(
            kube_version_compatible(">= 1.21, < 1.30", "v1.30.0"),
            Ok(false)
        );
        assert_eq!(kube_version_compatible("<1.22.0-0", "1.25.0"), Ok(false));
        assert!(kube_version_compatible(">=banana", "1.25.0").is_err());
        assert!(kube_version_compatible(">=1.20", "latest").is_err());
    }
}
