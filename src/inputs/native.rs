//! Rendering with rollguard's own engine: a chart loaded and rendered as `helm template` would,
//! the release settings of a run ([`release_options`]), and what only a native render can tell
//! the rules (the `kubeVersion` constraint and where it is written, the template lines that
//! call `lookup`).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::Arc;

use crate::cli::ChartArgs;
use crate::kube::{ApiTable, KubeVersion};
use crate::manifest::{Object, load_stream};
use crate::model::{Lookup, TemplateFailure};
use helm::chart::{LoadedRelease, ValueOptions};
use helm::engine::{Capabilities, Cluster};
use helm::engine::{Release, Rendered};
use helm::engine::{ReleaseOptions, RenderBudget, render_release};
use helm::funcs::Keys;
use helm::stream;
use source::Span;

use crate::generated::Generated;
use source::yaml::{Origin, parse_single};
use source::{InputError, Result};
use source::{Overlay, SourceFile};

/// Everything `check` and `render` need from one chart.
pub struct RenderedChart {
    pub name: String,
    pub version: String,
    /// Raw engine output per template path (NOTES.txt and blank outputs included), as
    /// `helm-render --json` prints it.
    pub outputs: BTreeMap<String, String>,
    /// The `helm template` stream, with provenance back to the templates.
    pub stream: Arc<SourceFile>,
    /// `Chart.yaml`'s `kubeVersion` constraint and where it is written.
    pub kube_constraint: Option<(String, Arc<SourceFile>, Span)>,
    /// The `lookup` calls the render executed (live cluster state).
    pub lookups: Vec<Lookup>,
    /// The `.sql` files of the chart and its enabled subcharts, named as the report shows them.
    pub sql_files: Vec<Arc<SourceFile>>,
    /// The `crds/` files of the chart and its enabled subcharts: path in the chart, and text.
    pub crds: Vec<(String, Arc<SourceFile>)>,
    /// What the render generated at random, never to be printed.
    pub generated: Generated,
    /// What every upgrade generates anew: values that change with the seed when the chart is
    /// rendered as an upgrade whose `lookup` sees the previous revision's objects (of the
    /// baseline; without one, the chart's own install), so no `lookup` kept them.
    pub regenerated: Generated,
    /// Set when the chart was to render as an upgrade and stopped at `fail` or `required`,
    /// while it renders as an install (which is then what the rest of the check reads).
    pub upgrade_failure: Option<TemplateFailure>,
    /// `stream`'s objects in the release's namespace, when finding `regenerated` parsed them
    /// already (a chart's own install is the cluster its upgrade sees): parsed once.
    pub objects: Option<Vec<Object>>,
}

/// Loads and renders `path` (a chart directory or `.tgz`); files `overlay` holds are read
/// from it. `parse_ahead`: see `load_and_render`.
pub fn render_path(
    path: &Path,
    values: &ValueOptions,
    options: &ReleaseOptions,
    include_hooks: bool,
    overlay: &Overlay,
    parse_ahead: bool,
) -> Result<RenderedChart> {
    let shown = path.display().to_string();
    let (loaded, rendered) = load_and_render(path, values, overlay, options, parse_ahead)?;
    let rendered = rendered.map_err(|e| render_error(&shown, &e))?;
    assemble(&loaded, &shown, options, rendered, include_hooks)
}

/// A chart loaded and rendered: what [`helm::engine::load_and_render`] gives.
type LoadedAndRendered = (
    LoadedRelease,
    std::result::Result<BTreeMap<String, Rendered>, helm::Error>,
);

/// Loads `path` and renders it with `options`. With `parse_ahead`, its templates parse on the
/// render thread while another thread loads the values ([`helm::engine::load_and_render`]):
/// for a check of one chart, whose process waits on that one thread (its longest thread
/// 14.5% fewer instructions on bitnami-minio, 18% on bitnami-zookeeper, for 1.4% more in
/// all). Over many charts the other workers keep the cores busy, and the extra thread is
/// only cost (`check --all` over the corpus: 3% more).
fn load_and_render(
    path: &Path,
    values: &ValueOptions,
    overlay: &Overlay,
    options: &ReleaseOptions,
    parse_ahead: bool,
) -> Result<LoadedAndRendered> {
    if !parse_ahead {
        let loaded = helm::chart::load_with(path, overlay, values)?;
        let rendered = render_release(&loaded, options);
        return Ok((loaded, rendered));
    }
    let files = helm::chart::read_chart_with(path, overlay)?;
    let texts = files.template_texts();
    helm::engine::load_and_render(&texts, || helm::chart::load_read(files, values), options)
}

/// Loads `path` and renders it as `options` say; a render as an upgrade that stops at `fail`
/// or `required` while the chart renders as an install is not an input error: the install
/// render is returned with the failure ([`RenderedChart::upgrade_failure`]).
/// `parse_ahead`: see `load_and_render`.
pub fn render_path_as_upgrade(
    path: &Path,
    values: &ValueOptions,
    options: &ReleaseOptions,
    install: &ReleaseOptions,
    include_hooks: bool,
    overlay: &Overlay,
    parse_ahead: bool,
) -> Result<RenderedChart> {
    let shown = path.display().to_string();
    // Rendered as an install, the chart is rendered again as the upgrade of itself: only the
    // templates that may render differently then need to be.
    let watched = ReleaseOptions {
        watch_release: !options.release.is_upgrade,
        ..options.clone()
    };
    let (loaded, rendered) = load_and_render(path, values, overlay, &watched, parse_ahead)?;
    let error = match rendered {
        Ok(rendered) => {
            let upgrade = UpgradeNeeds::of(&rendered);
            let mut chart = assemble(&loaded, &shown, options, rendered, include_hooks)?;
            (chart.regenerated, chart.objects) =
                regenerated(&loaded, &shown, options, &chart, &upgrade)?;
            return Ok(chart);
        }
        Err(e) => e,
    };
    let Some((location, message)) = error.template_failure() else {
        return Err(render_error(&shown, &error));
    };
    let failure = template_failure(&loaded, &shown, location, message);
    let Ok(rendered) = render_release(&loaded, install) else {
        return Err(render_error(&shown, &error));
    };
    let mut chart = assemble(&loaded, &shown, install, rendered, include_hooks)?;
    chart.upgrade_failure = Some(failure);
    Ok(chart)
}

/// What an install render tells of rendering the chart again as the upgrade of itself
/// (`check` without a baseline, for [`RenderedChart::regenerated`]).
struct UpgradeNeeds {
    /// The templates that may render differently as an upgrade
    /// ([`Rendered::release_bound`]), and those whose output the upgrade's comparison of
    /// generated values reads: the ones that drew random numbers, or wrote into values the
    /// others see. Any other template draws nothing, writes nothing others see and reads
    /// nothing that changes: it renders as it did, and is not needed.
    /// `None`: all of them, as one that may render differently wrote into values the others
    /// see.
    templates: Option<Arc<BTreeSet<String>>>,
    /// The ones of `templates` that may render differently.
    bound: BTreeSet<String>,
}

impl UpgradeNeeds {
    fn of(install: &BTreeMap<String, Rendered>) -> UpgradeNeeds {
        let needed = |(_, r): &(&String, &Rendered)| r.random || r.writes_shared || r.release_bound;
        let bound = |(_, r): &(&String, &Rendered)| r.release_bound;
        let paths = |keep: &dyn Fn(&(&String, &Rendered)) -> bool| {
            install
                .iter()
                .filter(keep)
                .map(|(p, _)| p.clone())
                .collect()
        };
        let mut needs = UpgradeNeeds {
            templates: Some(Arc::new(paths(&needed))),
            bound: paths(&bound),
        };
        if needs.bound_writer_in(install) {
            needs.templates = None;
        }
        needs
    }

    /// Whether a template that may render differently wrote into values the others see, in
    /// `rendered` (the install or the upgrade): then any template after it may too.
    fn bound_writer_in(&self, rendered: &BTreeMap<String, Rendered>) -> bool {
        rendered
            .iter()
            .any(|(path, r)| r.writes_shared && self.bound.contains(path))
    }
}

/// The values an upgrade of `chart` generates anew. Rendered as an upgrade, they are its own
/// generated values; rendered as an install, the chart is rendered again as the upgrade of
/// itself, its `lookup` seeing what the install created: the templates `needs` names only,
/// unless one that may render differently writes into values the others see (then all of
/// them). A chart that cannot render as an upgrade of itself is left to
/// `upgrade-render-fails` with a baseline: nothing is reported. Also the chart's objects,
/// when that needed them.
fn regenerated(
    loaded: &LoadedRelease,
    shown: &str,
    options: &ReleaseOptions,
    chart: &RenderedChart,
    needs: &UpgradeNeeds,
) -> Result<(Generated, Option<Vec<Object>>)> {
    if options.release.is_upgrade || chart.generated.is_empty() {
        return Ok((chart.generated.clone(), None));
    }
    let objects = load_stream(&chart.stream, &options.release.namespace)?;
    let mut upgrade = options.clone();
    upgrade.release.revision += 1;
    upgrade.release.is_upgrade = true;
    upgrade.cluster = Some(Arc::new(cluster_of(&objects)));
    upgrade.without_source_map = true;
    let some = ReleaseOptions {
        only: needs.templates.clone(),
        ..upgrade.clone()
    };
    // A template that fails fails in either: those left out render as they did.
    let rendered = match render_release(loaded, &some) {
        Ok(rendered) if some.only.is_some() && needs.bound_writer_in(&rendered) => {
            render_release(loaded, &upgrade)
        }
        rendered => rendered,
    };
    let regenerated = match rendered {
        Ok(rendered) => generated(loaded, shown, &upgrade, &rendered)?,
        Err(_) => Generated::default(),
    };
    Ok((regenerated, Some(objects)))
}

/// Where a `fail` or `required` stopped (`app/templates/x.yaml:LINE:COL`), in the template
/// file as reports name it.
fn template_failure(
    loaded: &LoadedRelease,
    shown: &str,
    location: &str,
    message: &str,
) -> TemplateFailure {
    let mut parts = location.rsplitn(3, ':');
    let col: u32 = parts.next().and_then(|c| c.parse().ok()).unwrap_or(1);
    let line: u32 = parts.next().and_then(|l| l.parse().ok()).unwrap_or(1);
    let path = parts.next().unwrap_or(location);
    let sources = stream::template_sources(loaded, shown);
    let file = sources
        .get(path)
        .cloned()
        .unwrap_or_else(|| SourceFile::new(format!("{shown}/{path}"), ""));
    let start = source::line_starts(&file.text)
        .nth(line.saturating_sub(1) as usize)
        .unwrap_or(0);
    let start = (start + col.saturating_sub(1) as usize).min(file.text.len());
    let end = file.text[start..]
        .find('\n')
        .map_or(file.text.len(), |i| start + i);
    TemplateFailure {
        message: message.trim().to_string(),
        file,
        span: Span {
            start,
            end,
            line,
            col,
        },
    }
}

/// Renders a loaded chart; `shown` is how the chart's location is written in reports.
pub fn render_loaded(
    loaded: &LoadedRelease,
    shown: &str,
    options: &ReleaseOptions,
    include_hooks: bool,
) -> Result<RenderedChart> {
    let rendered = render(loaded, shown, options)?;
    assemble(loaded, shown, options, rendered, include_hooks)
}

/// The stream and what only a native render tells, from the rendered templates.
fn assemble(
    loaded: &LoadedRelease,
    shown: &str,
    options: &ReleaseOptions,
    rendered: BTreeMap<String, Rendered>,
    include_hooks: bool,
) -> Result<RenderedChart> {
    let generated = generated(loaded, shown, options, &rendered)?;
    let sources = stream::template_sources(loaded, shown);
    let stream = stream::with_sources(&rendered, &sources, shown, include_hooks);
    let root = &loaded.root;
    let lookups = lookups(&rendered, &sources);
    Ok(RenderedChart {
        name: root.name.clone(),
        version: root.metadata.version.clone(),
        outputs: rendered.into_iter().map(|(k, r)| (k, r.text)).collect(),
        stream,
        kube_constraint: kube_constraint(loaded, shown),
        lookups,
        sql_files: chart_files(&loaded.root, shown, &|name| name.ends_with(".sql"))
            .into_iter()
            .map(|(_, file)| file)
            .collect(),
        crds: chart_files(&loaded.root, shown, &is_crd_file),
        generated,
        regenerated: Generated::default(),
        upgrade_failure: None,
        objects: None,
    })
}

/// Helm installs these from `crds/` (`RenderChart::crds`), and never upgrades or deletes them.
fn is_crd_file(name: &str) -> bool {
    name.starts_with("crds/") && [".yaml", ".yml", ".json"].iter().any(|e| name.ends_with(e))
}

/// The files of a chart and its enabled subcharts that `keep` selects: their path in the
/// chart (`charts/db/files/x.sql`), and their text under the name reports show
/// (`<chart path>/charts/db/files/x.sql`).
fn chart_files(
    chart: &helm::chart::RenderChart,
    shown: &str,
    keep: &dyn Fn(&str) -> bool,
) -> Vec<(String, Arc<SourceFile>)> {
    let under = chart.full_path.split_once('/').map(|(_, rest)| rest);
    let mut out: Vec<(String, Arc<SourceFile>)> = chart
        .files
        .iter()
        .filter(|f| keep(&f.name))
        .map(|f| {
            let path = match under {
                Some(rest) => format!("{rest}/{}", f.name),
                None => f.name.clone(),
            };
            let name = format!("{}/{path}", shown.trim_end_matches('/'));
            (path, SourceFile::new(name, f.text()))
        })
        .collect();
    for sub in &chart.subcharts {
        out.extend(chart_files(sub, shown, keep));
    }
    out
}

/// The values `rendered` generated at random: what changes when the release is rendered again
/// with another seed (only done when a template drew random numbers). Only the templates that
/// drew are rendered again, with those that changed values the others see, in the same
/// order: each then finds the values it found the first time.
fn generated(
    loaded: &LoadedRelease,
    shown: &str,
    options: &ReleaseOptions,
    rendered: &BTreeMap<String, Rendered>,
) -> Result<Generated> {
    if !rendered.values().any(|r| r.random) {
        return Ok(Generated::default());
    }
    let again = ReleaseOptions {
        seed: Some(
            options
                .seed
                .map_or(RENDER_SEED, |s| s.rotate_left(32) ^ RENDER_SEED),
        ),
        without_source_map: true,
        keys: options.keys.other(),
        watch_release: false,
        only: Some(Arc::new(
            rendered
                .iter()
                .filter(|(_, r)| r.random || r.writes_shared)
                .map(|(path, _)| path.clone())
                .collect(),
        )),
        ..options.clone()
    };
    Ok(Generated::between(
        rendered,
        &render(loaded, shown, &again)?,
    ))
}

/// The baseline's objects as the cluster holds them after its upgrade: hooks deleted once they
/// succeeded are gone; objects without a namespace are in the release's.
pub(super) fn cluster_of(objects: &[Object]) -> Cluster {
    let kept = objects.iter().filter(|o| {
        !o.hook.as_ref().is_some_and(|h| {
            h.delete_policies
                .as_ref()
                .is_some_and(|p| p.iter().any(|p| p == "hook-succeeded"))
        })
    });
    Cluster::new(kept.map(|o| {
        let mut json = o.root.to_json();
        if let Some(metadata) = json.get_mut("metadata").and_then(|m| m.as_object_mut())
            && !o.id.namespace.is_empty()
        {
            metadata
                .entry("namespace")
                .or_insert_with(|| o.id.namespace.clone().into());
        }
        json
    }))
}

fn render(
    loaded: &LoadedRelease,
    shown: &str,
    options: &ReleaseOptions,
) -> Result<BTreeMap<String, Rendered>> {
    render_release(loaded, options).map_err(|e| render_error(shown, &e))
}

/// A render's failure as the input error `rollguard` reports for the chart `shown`.
pub fn render_error(shown: &str, e: &helm::Error) -> InputError {
    InputError::in_path(shown, format!("rendering failed: {}", e.helm_message()))
}

/// Release settings for rendering. With a target version, charts see the API set that
/// Kubernetes version serves (what the real upgrade would meet); without one, Helm's defaults
/// (what `helm template` renders). Both revisions share one seed and clock, so generated
/// passwords and certificates do not look like changes.
pub fn release_options(args: &ChartArgs, target: Option<KubeVersion>) -> ReleaseOptions {
    let mut capabilities = Capabilities::default();
    if let Some(v) = target {
        capabilities.kube_version = format!("v{v}.0");
        capabilities.api_versions = ApiTable::builtin().served(v);
    }
    capabilities
        .api_versions
        .extend(args.api_versions.iter().cloned());
    ReleaseOptions {
        release: Release {
            name: args.release_name.clone(),
            namespace: args.namespace.clone(),
            revision: args.revision,
            is_upgrade: args.is_upgrade,
        },
        capabilities,
        seed: Some(RENDER_SEED),
        clock: Some(render_clock()),
        without_source_map: false,
        budget: RenderBudget {
            steps: args.render_steps,
            memory: args.render_memory,
            timeout: Some(std::time::Duration::from_secs(args.render_timeout)),
        },
        cluster: None,
        keys: Keys::Fresh,
        only: None,
        watch_release: false,
        leave_to_exit: false,
    }
}

/// `check`'s seed. Any fixed value: what matters is that both revisions use the same one.
/// Whatever it generates is therefore known to everyone, and masked in reports.
pub const RENDER_SEED: u64 = 0x726f_6c6c_6775_6172;

/// `now` for every render of one run: `SOURCE_DATE_EPOCH` (the reproducible-builds convention)
/// when set, else the time the run started.
fn render_clock() -> i64 {
    static CLOCK: std::sync::OnceLock<i64> = std::sync::OnceLock::new();
    *CLOCK.get_or_init(|| {
        if let Some(epoch) = std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|v| v.trim().parse().ok())
        {
            return epoch;
        }
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)
    })
}

fn kube_constraint(loaded: &LoadedRelease, shown: &str) -> Option<(String, Arc<SourceFile>, Span)> {
    let constraint = loaded.root.metadata.kube_version.trim();
    if constraint.is_empty() {
        return None;
    }
    let path = Path::new(shown).join("Chart.yaml");
    let text =
        source::bounded::read_text_file(&path, helm::chart::MAX_FILE_BYTES).unwrap_or_default();
    let file = SourceFile::new(path.display().to_string(), text);
    let span = parse_single(&file.text, Origin::default())
        .ok()
        .flatten()
        .and_then(|root| root.entry("kubeVersion").map(|(k, _)| k.span))
        .unwrap_or_default();
    Some((constraint.to_string(), file, span))
}

/// The `lookup` calls the render executed, each call site once, at the call: not the word in
/// comments, helper names or branches the values skip. NOTES.txt is left out: its text is
/// printed, never applied; so is a template that can only ever write comments (a validation
/// whose `lookup` decides whether to `fail`): it holds no object, whatever the cluster holds.
fn lookups(
    rendered: &BTreeMap<String, Rendered>,
    sources: &HashMap<String, Arc<SourceFile>>,
) -> Vec<Lookup> {
    let mut sites = BTreeMap::new();
    for (path, template) in rendered {
        if path.ends_with("/NOTES.txt") || template.comments_only {
            continue;
        }
        for call in template.calls.iter().filter(|c| &*c.func == "lookup") {
            // Text run by `tpl` has no file of its own: the call is the template's.
            let (file, span) = match sources.get(&*call.file) {
                Some(file) => (file, call_span(file, call.offset, "lookup".len())),
                None => match sources.get(path) {
                    Some(file) => (file, Span::default()),
                    None => continue,
                },
            };
            sites
                .entry((file.name.clone(), span.start))
                .or_insert_with(|| Lookup {
                    file: file.clone(),
                    span,
                    kind: literal_kind(file.text.get(span.end..).unwrap_or("")),
                });
        }
    }
    sites.into_values().collect()
}

/// The kind a `lookup` reads when its first two arguments are string literals: `"v1" "Secret"`.
fn literal_kind(after_call: &str) -> Option<String> {
    let literal = |text: &str| -> Option<(String, usize)> {
        let body = text.strip_prefix('"')?;
        let end = body.find('"')?;
        Some((body[..end].to_string(), end + 2))
    };
    let rest = after_call.trim_start();
    let (_, used) = literal(rest)?;
    literal(rest[used..].trim_start()).map(|(kind, _)| kind)
}

/// The span of `len` bytes at `offset` of `file`, with its 1-based line and column.
fn call_span(file: &SourceFile, offset: usize, len: usize) -> Span {
    let before = file.text.get(..offset).unwrap_or("");
    Span {
        start: offset,
        end: (offset + len).min(file.text.len()),
        line: before.matches('\n').count() as u32 + 1,
        col: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Renders a chart made of `templates` (path under `templates/` → text).
    fn render_chart(templates: &[(&str, &str)]) -> RenderedChart {
        let dir = tempfile::tempdir().unwrap();
        let chart = dir.path().join("app");
        std::fs::create_dir_all(chart.join("templates")).unwrap();
        std::fs::write(
            chart.join("Chart.yaml"),
            "apiVersion: v2\nname: app\nversion: 0.1.0\n",
        )
        .unwrap();
        std::fs::write(chart.join("values.yaml"), "reuse: false\n").unwrap();
        for (path, text) in templates {
            std::fs::write(chart.join("templates").join(path), text).unwrap();
        }
        let options = ReleaseOptions::default();
        render_path(
            &chart,
            &ValueOptions::default(),
            &options,
            true,
            &Overlay::default(),
            false,
        )
        .unwrap()
    }

    #[test]
    fn generated_values_are_found_with_what_earlier_templates_set_in_values() {
        // The writer runs first (Helm renders in reverse lexical order) and draws nothing:
        // rendered again with another seed, only the reader (it draws) and the writer (the
        // reader sees what it set) run, and the name the writer chose is no generated value.
        let reader = "name: {{ .Values.name | default \"fallback-name-value\" }}\n\
            password: {{ randAlphaNum 16 }}\n";
        let writer = "{{- $_ := set .Values \"name\" \"chosen-name-value\" }}\n";
        let chart = render_chart(&[
            ("a-reader.yaml", reader),
            ("b-writer.yaml", writer),
            ("c-other.yaml", "other: {{ .Values.reuse }}\n"),
        ]);
        let out = &chart.outputs["app/templates/a-reader.yaml"];
        assert!(out.contains("chosen-name-value"), "{out}");
        let password = out.rsplit(' ').next().unwrap_or("").trim();
        assert_eq!(password.len(), 16);
        assert!(chart.generated.touches(password));
        assert!(!chart.generated.touches("chosen-name-value"));
    }

    #[test]
    fn a_template_that_reads_the_release_through_an_include_is_rendered_as_the_upgrade() {
        // The secret draws nothing as an install: only its helper's `.Release.IsUpgrade`
        // makes it generate a password in every upgrade. Its only reader is a helper, so
        // the upgrade of itself must follow the include to know it renders differently.
        let dir = tempfile::tempdir().unwrap();
        let chart = dir.path().join("app");
        std::fs::create_dir_all(chart.join("templates")).unwrap();
        let write = |path: &str, text: &str| std::fs::write(chart.join(path), text).unwrap();
        write("Chart.yaml", "apiVersion: v2\nname: app\nversion: 0.1.0\n");
        write(
            "templates/_helpers.tpl",
            "{{- define \"app.password\" -}}\n\
             {{- if .context.Release.IsUpgrade }}{{ randAlphaNum 16 }}{{ else }}install-only-password{{ end -}}\n\
             {{- end -}}\n",
        );
        write(
            "templates/secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}\n\
             stringData:\n  password: {{ include \"app.password\" (dict \"context\" $) }}\n",
        );
        // What makes the install generate something (else nothing is rendered again): a
        // token drawn on install only.
        write(
            "templates/token.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: token\n\
             data:\n  token: {{ if .Release.IsInstall }}{{ randAlphaNum 12 }}{{ end }}\n",
        );
        // Reads nothing that changes: left out of the upgrade.
        write(
            "templates/plain.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ include \"app.name\" . }}\n\
             {{- define \"app.name\" }}{{ .Release.Name }}-plain{{ end }}\n",
        );
        let install = ReleaseOptions {
            seed: Some(RENDER_SEED),
            ..ReleaseOptions::default()
        };
        let rendered = render_path_as_upgrade(
            &chart,
            &ValueOptions::default(),
            &install,
            &install,
            true,
            &Overlay::default(),
            true,
        )
        .unwrap();
        let secret = &rendered.outputs["app/templates/secret.yaml"];
        assert!(secret.contains("install-only-password"), "{secret}");
        let token = &rendered.outputs["app/templates/token.yaml"];
        let token = token
            .lines()
            .find_map(|l| l.trim().strip_prefix("token: "))
            .unwrap_or_default();
        assert_eq!(token.len(), 12);
        assert!(rendered.generated.touches(token));
        // The upgrade's password is regenerated; the install's token is not drawn again.
        assert!(!rendered.regenerated.is_empty());
        assert!(!rendered.regenerated.touches(token));

        let loaded = helm::chart::load(&chart, &ValueOptions::default()).unwrap();
        let watched = render_release(
            &loaded,
            &ReleaseOptions {
                watch_release: true,
                ..install.clone()
            },
        )
        .unwrap();
        let bound = |t: &str| watched[&format!("app/templates/{t}.yaml")].release_bound;
        assert!(bound("secret") && bound("token") && !bound("plain"));
        let needs = UpgradeNeeds::of(&watched);
        let needed: Vec<&str> = needs
            .templates
            .iter()
            .flat_map(|t| t.iter())
            .map(String::as_str)
            .collect();
        assert_eq!(
            needed,
            ["app/templates/secret.yaml", "app/templates/token.yaml"]
        );
    }

    #[test]
    fn lookups_are_the_calls_the_render_ran() {
        let helpers = "{{/* lookup \"v1\" \"Secret\" reads the live object */}}\n\
            {{- define \"app.lookupSecret\" -}}\n\
            {{- (lookup \"v1\" \"Secret\" .Release.Namespace \"app\").data -}}\n\
            {{- end -}}\n";
        let a = "a: {{ include \"app.lookupSecret\" . | quote }}\n\
            {{- if .Values.reuse }}\nb: {{ lookup \"v1\" \"ConfigMap\" \"\" \"x\" }}{{ end }}\n";
        let rendered = render_chart(&[
            ("_helpers.tpl", helpers),
            ("a.yaml", a),
            (
                "b.yaml",
                "b: {{ include \"app.lookupSecret\" . | quote }}\n",
            ),
            ("NOTES.txt", "{{ lookup \"v1\" \"Pod\" \"\" \"\" }}"),
        ]);
        // The helper's call, once though two templates run it; not the comment, the branch
        // the values skip, nor NOTES.txt.
        let found: Vec<(String, u32, u32)> = rendered
            .lookups
            .iter()
            .map(|l| (l.file.name.clone(), l.span.line, l.span.col))
            .collect();
        let helpers_file = found.first().map(|f| f.0.clone()).unwrap_or_default();
        assert!(
            helpers_file.ends_with("templates/_helpers.tpl"),
            "{found:?}"
        );
        assert_eq!(found, [(helpers_file, 3, 6)]);
        assert_eq!(rendered.lookups[0].kind.as_deref(), Some("Secret"));
    }

    #[test]
    fn a_template_that_can_only_write_comments_applies_no_lookup() {
        // longhorn's validation: commented-out lines whose lookup decides whether to `fail`.
        let validation = "#{{- if gt (len (lookup \"rbac.authorization.k8s.io/v1\" \"ClusterRole\" \"\" \"\")) 0 -}}\n\
            #{{- if .Values.enablePSP }}\n\
            #{{- fail \"no PodSecurityPolicy API\" -}}\n\
            #{{- end }}\n\
            #{{- end }}";
        assert!(
            render_chart(&[("validate.yaml", validation)])
                .lookups
                .is_empty()
        );
        // Empty here, but on a cluster that has the namespace it writes an object.
        let guarded =
            "{{- if (lookup \"v1\" \"Namespace\" \"\" \"x\") }}\nkind: ConfigMap\n{{- end }}\n";
        assert_eq!(render_chart(&[("guarded.yaml", guarded)]).lookups.len(), 1);
        // A comment that prints the lookup's result may break out of the comment.
        let printed = "# {{ lookup \"v1\" \"Namespace\" \"\" \"x\" }}\n";
        assert_eq!(render_chart(&[("printed.yaml", printed)]).lookups.len(), 1);
    }
}
