//! Rendering with rollguard's own engine: a chart loaded and rendered as `helm template` would,
//! the release settings of a run ([`release_options`]), and what only a native render can tell
//! the rules (the `kubeVersion` constraint and where it is written, the template lines that
//! call `lookup`).

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use crate::cli::ChartArgs;
use crate::kube::{ApiTable, KubeVersion};
use crate::model::TemplateFailure;
use helm::chart::{LoadedRelease, ValueOptions};
use helm::engine::Capabilities;
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
    /// Template lines that call `lookup` (live cluster state).
    pub lookups: Vec<(Arc<SourceFile>, Span)>,
    /// The `.sql` files of the chart and its enabled subcharts, named as the report shows them.
    pub sql_files: Vec<Arc<SourceFile>>,
    /// The `crds/` files of the chart and its enabled subcharts: path in the chart, and text.
    pub crds: Vec<(String, Arc<SourceFile>)>,
    /// What the render generated at random, never to be printed.
    pub generated: Generated,
    /// Set when the chart was to render as an upgrade and stopped at `fail` or `required`,
    /// while it renders as an install (which is then what the rest of the check reads).
    pub upgrade_failure: Option<TemplateFailure>,
}

/// Loads and renders `path` (a chart directory or `.tgz`); files `overlay` holds are read
/// from it.
pub fn render_path(
    path: &Path,
    values: &ValueOptions,
    options: &ReleaseOptions,
    include_hooks: bool,
    overlay: &Overlay,
) -> Result<RenderedChart> {
    let loaded = helm::chart::prepare(helm::chart::load_chart_with(path, overlay)?, values)?;
    render_loaded(&loaded, &path.display().to_string(), options, include_hooks)
}

/// Loads `path` and renders each template, without assembling the stream (`rollguard render`
/// prints it with [`stream::text`], or the outputs as they are).
pub fn render_outputs(
    path: &Path,
    values: &ValueOptions,
    options: &ReleaseOptions,
) -> Result<BTreeMap<String, Rendered>> {
    let loaded = helm::chart::load(path, values)?;
    render(&loaded, &path.display().to_string(), options)
}

/// Loads `path` and renders it as `options` say; a render as an upgrade that stops at `fail`
/// or `required` while the chart renders as an install is not an input error: the install
/// render is returned with the failure ([`RenderedChart::upgrade_failure`]).
pub fn render_path_as_upgrade(
    path: &Path,
    values: &ValueOptions,
    options: &ReleaseOptions,
    install: &ReleaseOptions,
    include_hooks: bool,
    overlay: &Overlay,
) -> Result<RenderedChart> {
    let loaded = helm::chart::prepare(helm::chart::load_chart_with(path, overlay)?, values)?;
    let shown = path.display().to_string();
    let error = match render_release(&loaded, options) {
        Ok(rendered) => return assemble(&loaded, &shown, options, rendered, include_hooks),
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
    Ok(RenderedChart {
        name: root.name.clone(),
        version: root.metadata.version.clone(),
        outputs: rendered.into_iter().map(|(k, r)| (k, r.text)).collect(),
        stream,
        kube_constraint: kube_constraint(loaded, shown),
        lookups: lookups(&sources),
        sql_files: chart_files(&loaded.root, shown, &|name| name.ends_with(".sql"))
            .into_iter()
            .map(|(_, file)| file)
            .collect(),
        crds: chart_files(&loaded.root, shown, &is_crd_file),
        generated,
        upgrade_failure: None,
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
/// with another seed (only done when a template drew random numbers).
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
        ..options.clone()
    };
    Ok(Generated::between(
        rendered,
        &render(loaded, shown, &again)?,
    ))
}

fn render(
    loaded: &LoadedRelease,
    shown: &str,
    options: &ReleaseOptions,
) -> Result<BTreeMap<String, Rendered>> {
    render_release(loaded, options).map_err(|e| render_error(shown, &e))
}

fn render_error(shown: &str, e: &helm::Error) -> InputError {
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

/// Actions that call `lookup`, in every template the release parses (helpers included).
fn lookups(sources: &HashMap<String, Arc<SourceFile>>) -> Vec<(Arc<SourceFile>, Span)> {
    let mut found = Vec::new();
    let mut files: Vec<&Arc<SourceFile>> = sources.values().collect();
    files.sort_by(|a, b| a.name.cmp(&b.name));
    for file in files {
        for (start, end) in lookup_calls(&file.text) {
            let before = &file.text[..start];
            let line = before.matches('\n').count() as u32 + 1;
            let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
            found.push((
                file.clone(),
                Span {
                    start,
                    end,
                    line,
                    col,
                },
            ));
        }
    }
    found
}

/// Byte ranges from `{{` to a `lookup` word followed by white space, with no `}` between
/// (regex `\{\{[^}]*?\blookup\s`).
fn lookup_calls(text: &str) -> Vec<(usize, usize)> {
    const WORD: &str = "lookup";
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = memchr::memmem::find(&text.as_bytes()[from..], b"{{").map(|i| from + i) {
        let body_end =
            memchr::memchr(b'}', &text.as_bytes()[open + 2..]).map_or(text.len(), |i| open + 2 + i);
        let body = &text[..body_end];
        let call = memchr::memmem::find_iter(&body.as_bytes()[open + 2..], WORD).find_map(|i| {
            let at = open + 2 + i;
            let after = body[at + WORD.len()..]
                .chars()
                .next()
                .filter(|c| c.is_whitespace())?;
            let word_before = body[..at]
                .chars()
                .next_back()
                .is_some_and(regex_syntax::is_word_character);
            (!word_before).then(|| at + WORD.len() + after.len_utf8())
        });
        match call {
            Some(end) => {
                found.push((open, end));
                from = end;
            }
            // Another `{{` before the `}` would find the same (no) call.
            None => from = body_end.max(open + 1),
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use regex::Regex;

    /// Texts built from the pieces the `lookup` scanner looks for, in any order.
    fn pieces() -> impl Strategy<Value = String> {
        let piece = prop::sample::select(vec![
            " ", "\n", "\t", "\"", "x", ":", "{{", "}}", "lookup", "_", "é", "\u{a0}", "#",
        ]);
        prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    proptest! {
        /// The hand-written scanner finds what the regex it replaces finds.
        #[test]
        fn lookup_scanner_matches_its_regex(doc in pieces()) {
            let lookup = Regex::new(r"\{\{[^}]*?\blookup\s").unwrap();
            let want_calls: Vec<(usize, usize)> =
                lookup.find_iter(&doc).map(|m| (m.start(), m.end())).collect();
            prop_assert_eq!(lookup_calls(&doc), want_calls);
        }
    }

    #[test]
    fn reads_lookups() {
        let template =
            "a: {{ (lookup \"v1\" \"Secret\" \"ns\" \"x\").data }}\nb: {{ .Values.lookupTable }}";
        assert_eq!(lookup_calls(template), vec![(3, 14)]);
    }
}
