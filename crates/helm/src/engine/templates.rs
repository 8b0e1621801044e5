//! What every chart render shares: the release object, Helm's `common.Values` map type, and the
//! loop that parses a release's templates and executes each with its chart's root objects
//! ([`execute_units`]). Loading the chart (values, subcharts, files) is the chart layer's job
//! ([`crate::chart`]); see [`super::render_release`].

use std::collections::{BTreeMap, BTreeSet};

use gotmpl::value::Value;
use gotmpl::{Engine, MapTy, Shared};

use crate::error::Error;

#[derive(Debug, Clone)]
pub struct Release {
    pub name: String,
    pub namespace: String,
    pub revision: i64,
    pub is_upgrade: bool,
}

impl Default for Release {
    fn default() -> Release {
        Release {
            name: "rel".into(),
            namespace: "ns".into(),
            revision: 1,
            is_upgrade: false,
        }
    }
}

/// Helm's named map type of `.Values` and `.Template`.
const VALUES_TYPE: MapTy = MapTy::Named("common.Values");

pub(super) fn with_values_type(v: Value) -> Value {
    match v {
        Value::Map(m) => Value::Map(gotmpl::value::Map {
            entries: m.entries,
            ty: VALUES_TYPE,
        }),
        other => other,
    }
}

/// Where a chart's templates are rendered, and the dot they see.
pub(super) struct Unit {
    /// Template path prefix: `c/` for the root, `c/charts/sub/` for a subchart.
    pub(super) prefix: String,
    pub(super) library: bool,
    pub(super) dot: BTreeMap<String, Value>,
}

/// Stack of the thread a chart renders on: Helm allows 1000 nested `include`s of one name and
/// Go 100000 nested `template`s, far more than a default thread stack holds. Only the pages
/// actually used are ever committed.
pub(super) const RENDER_STACK: usize = 512 << 20;

/// A rendered template and where each stretch of it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub text: String,
    pub segments: Vec<gotmpl::Segment>,
    /// Call sites of recorded functions (Helm's `lookup`) that executing this template ran,
    /// each once, wherever they are written (the helpers it includes too).
    pub calls: Vec<gotmpl::Call>,
    /// The template drew random numbers: rendered with another seed, its text would differ.
    pub random: bool,
    /// The template wrote into values every template sees (`set .Values …`): the templates
    /// after it may render differently without it.
    pub writes_shared: bool,
    /// Whatever its values and functions return, the template writes only YAML comments and
    /// blank lines: it holds no object on any branch (a validation that can only `fail`).
    pub comments_only: bool,
    /// The template may have read what an upgrade of the release sees differently from its
    /// install: `.Release.IsUpgrade`, `.IsInstall` or `.Revision` (or the whole of `.Release`,
    /// `gotmpl::Watch`), or the cluster through `lookup`. False only when the render watched
    /// ([`super::ReleaseOptions::watch_release`]) and it read none of them: then, seeing the
    /// same values and random numbers, it renders the same in an upgrade.
    pub release_bound: bool,
}

/// Helm's removal of every `<no value>` from a rendered template, moving the segments along.
fn strip_no_value(text: String, segments: Vec<gotmpl::Segment>) -> Rendered {
    const NO_VALUE: &str = "<no value>";
    let cuts: Vec<usize> = memchr::memmem::find_iter(text.as_bytes(), NO_VALUE).collect();
    if cuts.is_empty() {
        // The usual case: no copy of the output.
        return Rendered {
            text,
            segments,
            calls: Vec::new(),
            random: false,
            writes_shared: false,
            comments_only: false,
            release_bound: true,
        };
    }
    let segments = segments
        .into_iter()
        .map(|mut seg| {
            let before = cuts.partition_point(|&c| c < seg.offset);
            let inside = before > 0 && seg.offset < cuts[before - 1] + NO_VALUE.len();
            seg.offset = if inside {
                cuts[before - 1] - (before - 1) * NO_VALUE.len()
            } else {
                seg.offset - before * NO_VALUE.len()
            };
            seg
        })
        .collect();
    Rendered {
        text: text.replace(NO_VALUE, ""),
        segments,
        calls: Vec::new(),
        random: false,
        writes_shared: false,
        comments_only: false,
        release_bound: true,
    }
}

/// Whether every line template `name` can write is a YAML comment or blank: its literal text
/// is all it writes (actions only branch, assign or `fail`) and that text is comments.
fn comments_only(engine: &Engine, name: &str) -> bool {
    engine
        .literal_text(name, &|func| func == "fail")
        .is_some_and(|pieces| {
            // A line of output joins pieces; each starts blank or with `#`, so the line is blank
            // or a comment whichever branches ran.
            pieces.iter().flat_map(|p| p.split('\n')).all(|line| {
                let line = line.trim_start();
                line.is_empty() || line.starts_with('#')
            })
        })
}

/// Parses `templates` (in Helm's parse order; each with the index of its chart's [`Unit`])
/// into `engine` (its functions and limits set) and renders those that are not partials (of
/// them, only those in `only` when it is given).
pub(super) fn execute_units(
    templates: &[(String, usize, &str)],
    units: &[Unit],
    engine: &mut Engine,
    trace: bool,
    only: Option<&BTreeSet<String>>,
    watch_release: bool,
) -> Result<BTreeMap<String, Rendered>, Error> {
    for (name, _, text) in templates {
        engine.add_template(name, text).map_err(Error::Template)?;
    }
    let shared = Shared::new(&engine.limits);
    shared.share(units.iter().flat_map(|u| u.dot.values().cloned()));
    if watch_release {
        watch_release_of(&shared, units);
    }
    let mut rendered = BTreeMap::new();
    for (name, unit, _) in templates {
        let base = name.rsplit('/').next().unwrap_or(name);
        if base.starts_with('_') || only.is_some_and(|only| !only.contains(name)) {
            continue;
        }
        let unit = &units[*unit];
        let mut dot = unit.dot.clone();
        let base_path = format!("{}templates", unit.prefix);
        dot.insert(
            "Template".to_string(),
            with_values_type(Value::map(BTreeMap::from([
                ("Name".to_string(), Value::str(name)),
                ("BasePath".to_string(), Value::string(base_path)),
            ]))),
        );
        let (draws, writes) = (shared.draws(), shared.shared_writes());
        let dot = Value::map(dot);
        if let Some(watch) = shared.watching() {
            watch.hold(&dot);
        }
        let (out, segments) = if trace {
            engine.execute_traced(&shared, name, dot)
        } else {
            engine
                .execute_shared(&shared, name, dot)
                .map(|out| (out, Vec::new()))
        }
        .map_err(Error::Template)?;
        let mut output = strip_no_value(out, segments);
        output.random = shared.draws() > draws;
        output.writes_shared = shared.shared_writes() > writes;
        output.calls = shared.take_calls();
        if let Some(watch) = shared.watching() {
            output.release_bound =
                watch.take_read() || output.calls.iter().any(|c| &*c.func == "lookup");
        }
        output.comments_only = comments_only(engine, name);
        rendered.insert(name.clone(), output);
    }
    Ok(rendered)
}

/// `.Release` fields an upgrade sees as its install did.
const RELEASE_SAME_FIELDS: &[&str] = &["Name", "Namespace", "Service"];

/// Functions that read nothing of the maps and lists they are given, of Helm's and Sprig's
/// (see [`gotmpl::Watch`]): they run templates (whose reads are watched as they run), pass a
/// value on, build a map or list holding it, write into it, or look at its keys, length or
/// kind only. Any other function given a value that holds `.Release` reads it.
const PASSES_RELEASE: &[&str] = &[
    "include", "tpl", "dict", "list", "set", "default", "ternary", "coalesce", "required",
    "hasKey", "kindIs", "typeIs", "kindOf", "typeOf", "empty", "len", "keys", "index", "get",
    "first", "last",
];
/// Of [`PASSES_RELEASE`], those whose result holds what they were given.
const HOLD_RELEASE: &[&str] = &["dict", "list", "set"];
/// Of [`PASSES_RELEASE`], those that return a piece of what they were given.
const NAVIGATE_RELEASE: &[&str] = &["index", "get", "first", "last"];

/// Watches `.Release` ([`Rendered::release_bound`]): every chart's dot holds it, and so do
/// `.Subcharts` and the subcharts' dots in it.
fn watch_release_of(shared: &Shared, units: &[Unit]) {
    let Some(release) = units.first().and_then(|u| u.dot.get("Release")) else {
        return;
    };
    shared.watch(gotmpl::Watch::new(
        release,
        RELEASE_SAME_FIELDS,
        PASSES_RELEASE,
        HOLD_RELEASE,
        NAVIGATE_RELEASE,
    ));
    let Some(watch) = shared.watching() else {
        return;
    };
    for subcharts in units.iter().filter_map(|u| u.dot.get("Subcharts")) {
        watch.hold(subcharts);
        if let Value::Map(m) = subcharts {
            m.entries.borrow().values().for_each(|dot| watch.hold(dot));
        }
    }
}
