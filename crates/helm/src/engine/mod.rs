//! Rendering a loaded chart ([`crate::chart::LoadedRelease`]) the way `helm template` does
//! (Helm's `pkg/engine`): the chart layer decides values, enabled subcharts, files and parse
//! order; this module builds each chart's root objects (`objects`: `.Files`, `.Capabilities`)
//! and runs the engine over the release's templates (`templates`).

mod beside;
mod cluster;
pub(crate) mod objects;
mod templates;

pub use cluster::Cluster;
pub use gotmpl::{DEFAULT_MAX_MEMORY, DEFAULT_MAX_STEPS};
pub use objects::Capabilities;
pub use templates::{Release, Rendered};

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::rc::Rc;
use std::sync::Arc;

use serde_json::Value as Json;

use crate::chart::{LoadedRelease, RenderChart, Template, Values, ValuesCheck};
use crate::error::Error;
use crate::funcs::{self, Keys};
use beside::{Beside, ahead_order, parse_ahead};
use gotmpl::Engine;
use gotmpl::value::Value;
use objects::{Files, NilMap, capabilities};
use source::InputError;
use templates::{RENDER_STACK, Unit, execute_units, with_values_type};

/// What a render depends on besides the chart.
#[derive(Debug, Clone, Default)]
pub struct ReleaseOptions {
    pub release: Release,
    pub capabilities: Capabilities,
    /// Seed of the random functions and Unix time of `now`: two revisions rendered with the
    /// same seed and clock generate the same passwords and certificates.
    pub seed: Option<u64>,
    pub clock: Option<i64>,
    /// Skip recording which template line wrote each stretch of output: `rollguard render`
    /// prints text only, while `check` points findings at template lines.
    pub without_source_map: bool,
    pub budget: RenderBudget,
    /// What `lookup` sees; `None` is `helm template`'s empty cluster.
    pub cluster: Option<std::sync::Arc<Cluster>>,
    /// Where generated RSA keys come from: [`Keys::Disposable`] only for a render whose
    /// generated values never leave the process (a static check).
    pub keys: Keys,
    /// Render only these templates (every template's `define`s are still there to
    /// `include`): those of an earlier render that drew random numbers, rendered again with
    /// another seed, with those that wrote into values the others see
    /// ([`Rendered::writes_shared`]) so that each template finds the values it found then.
    pub only: Option<std::sync::Arc<std::collections::BTreeSet<String>>>,
    /// Tell which templates read what an upgrade sees differently from an install
    /// ([`Rendered::release_bound`]); costs a little on every function call.
    pub watch_release: bool,
    /// The process ends after this render (`rollguard render`): the engine, with every
    /// template it parsed, and the render's root objects are left to the operating system
    /// instead of being freed piece by piece (~1 M instructions of bitnami-minio's 35 M).
    pub leave_to_exit: bool,
}

/// What rendering one chart may spend ([`gotmpl::budget`]): a chart is attacker-controlled
/// input, and a few lines of template can ask for unbounded work or memory.
#[derive(Debug, Clone)]
pub struct RenderBudget {
    /// Steps of work: every node, `range` iteration and function call is one.
    pub steps: u64,
    /// Bytes the values the render creates may add up to.
    pub memory: u64,
    /// Wall time, checked between steps.
    pub timeout: Option<std::time::Duration>,
}

impl Default for RenderBudget {
    fn default() -> RenderBudget {
        RenderBudget {
            steps: gotmpl::DEFAULT_MAX_STEPS,
            memory: gotmpl::DEFAULT_MAX_MEMORY,
            timeout: None,
        }
    }
}

/// Renders every template of the release, keyed by template path (`app/templates/x.yaml`),
/// each with the map from its output back to template lines.
pub fn render_release(
    loaded: &LoadedRelease,
    options: &ReleaseOptions,
) -> Result<BTreeMap<String, Rendered>, Error> {
    gotmpl::run_with_stack(RENDER_STACK, |stack| render_here(loaded, options, stack))
        .unwrap_or_else(|e| Err(Error::Load(format!("rendering failed: {e}"))))
}

/// Runs `f` on a render thread on which every [`render_release`] runs in place and parses
/// each template file once: for the several renders of one chart a check makes (the release,
/// again with another seed, as the upgrade of itself), which would otherwise each parse every
/// file again. Within [`with_parses_shared_across_charts`], while its budget is not spent, the
/// files are those of every chart rendered there: a file of the same name and text (a chart
/// copied under another directory) is parsed once. A render that panics is an error, as on a
/// render thread of its own.
pub fn with_shared_parses<T: Send>(f: impl FnOnce() -> T + Send) -> Result<T, Error> {
    let ran = gotmpl::run_with_stack(RENDER_STACK, |_| {
        let across_charts = RUN_PARSES
            .with(Cell::get)
            .is_some_and(|n| n < RUN_PARSES_BUDGET);
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            if across_charts {
                f()
            } else {
                gotmpl::with_parse_cache(f)
            }
        }))
    });
    match ran {
        Ok(Ok(out)) => Ok(out),
        Ok(Err(_)) => Err(Error::Load(
            "rendering failed: render thread panicked".into(),
        )),
        Err(e) => Err(Error::Load(format!("rendering failed: {e}"))),
    }
}

/// Bytes of template text (counted per render) after which
/// [`with_parses_shared_across_charts`] keeps no more charts' parses: each later chart parses
/// in a scope of its own, as when checked alone. Bounds the memory the shared parses hold.
const RUN_PARSES_BUDGET: usize = 16 << 20;

thread_local! {
    /// In [`with_parses_shared_across_charts`]: bytes of template text rendered in its shared
    /// scope so far; `None` outside.
    static RUN_PARSES: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Runs `f`, which checks several charts each in [`with_shared_parses`], on a render thread
/// whose template parses are kept across those charts, within `RUN_PARSES_BUDGET`: a
/// repository's charts are often copies of one another (one chart per team or environment).
/// The parses are per thread (parsed trees are not `Send`).
pub fn with_parses_shared_across_charts<T: Send>(f: impl FnOnce() -> T + Send) -> Result<T, Error> {
    gotmpl::run_with_stack(RENDER_STACK, |_| {
        gotmpl::with_parse_cache(|| {
            struct Restore(Option<usize>);
            impl Drop for Restore {
                fn drop(&mut self) {
                    RUN_PARSES.with(|r| r.set(self.0));
                }
            }
            let _restore = Restore(RUN_PARSES.with(|r| r.replace(Some(0))));
            f()
        })
    })
    .map_err(|e| Error::Load(format!("rendering failed: {e}")))
}

/// Bytes of template text of vendored subcharts whose parses [`with_subchart_parses_kept`]
/// keeps per thread: more than the distinct subchart files of the 63 corpus charts (3 MB).
const KEPT_SUBCHART_PARSES: usize = 4 << 20;

/// Runs `f`, which checks many charts (each in [`with_shared_parses`], copies of one chart
/// together in [`with_parses_shared_across_charts`]), on one render thread on which the parses
/// of the charts' vendored subcharts (files under a `charts/` directory) are kept from chart
/// to chart, within `KEPT_SUBCHART_PARSES`: a library chart such as Bitnami's `common`, vendored
/// by many otherwise different charts, is parsed once per thread, whichever parent holds it.
pub fn with_subchart_parses_kept<T: Send>(f: impl FnOnce() -> T + Send) -> Result<T, Error> {
    gotmpl::run_with_stack(RENDER_STACK, |_| {
        gotmpl::with_parses_kept(is_subchart_file, KEPT_SUBCHART_PARSES, f)
    })
    .map_err(|e| Error::Load(format!("rendering failed: {e}")))
}

/// A template file of a subchart: `app/charts/common/templates/_names.tpl`.
fn is_subchart_file(name: &str) -> bool {
    name.contains("/charts/")
}

/// Counts `bytes` of template text rendered in [`with_parses_shared_across_charts`] against
/// its budget.
fn count_run_parses(bytes: usize) {
    RUN_PARSES.with(|r| {
        if let Some(n) = r.get() {
            r.set(Some(n.saturating_add(bytes)));
        }
    });
}

fn render_here(
    loaded: &LoadedRelease,
    options: &ReleaseOptions,
    stack: usize,
) -> Result<BTreeMap<String, Rendered>, Error> {
    render_on(engine_for(options, stack), loaded, options, None)
}

/// Renders `loaded` with `engine` (made by [`engine_for`] on this thread); the files not
/// parsed ahead are parsed `beside` the thread that loaded the chart, when given.
fn render_on(
    engine: Engine,
    loaded: &LoadedRelease,
    options: &ReleaseOptions,
    beside: Option<Beside<'_>>,
) -> Result<BTreeMap<String, Rendered>, Error> {
    Units::of(loaded, options).render(engine, loaded, options, beside)
}

/// The charts of a release as the engine sees them: one [`Unit`] each (its values read into
/// its root objects), and which chart is which.
struct Units {
    units: Vec<Unit>,
    index_of: HashMap<*const RenderChart, usize>,
}

impl Units {
    fn of(loaded: &LoadedRelease, options: &ReleaseOptions) -> Units {
        let release = &options.release;
        let common = [
            (
                "Release",
                Value::map(BTreeMap::from([
                    ("Name".to_string(), Value::str(&release.name)),
                    ("Namespace".to_string(), Value::str(&release.namespace)),
                    ("Revision".to_string(), Value::int(release.revision)),
                    ("IsUpgrade".to_string(), Value::Bool(release.is_upgrade)),
                    ("IsInstall".to_string(), Value::Bool(!release.is_upgrade)),
                    ("Service".to_string(), Value::str("Helm")),
                ])),
            ),
            ("Capabilities", capabilities(&options.capabilities)),
        ];
        let mut units = Vec::new();
        let mut index_of = HashMap::new();
        collect(&loaded.root, &common, &mut units, &mut index_of);
        Units { units, index_of }
    }

    /// Renders `loaded`, of which these are the units ([`render_on`]).
    fn render(
        self,
        mut engine: Engine,
        loaded: &LoadedRelease,
        options: &ReleaseOptions,
        beside: Option<Beside<'_>>,
    ) -> Result<BTreeMap<String, Rendered>, Error> {
        let Units { units, index_of } = self;
        let parsed: Vec<(&RenderChart, &Template, usize)> = loaded
            .parse_order()
            .into_iter()
            .filter_map(|(chart, t)| {
                let unit = *index_of.get(&(chart as *const RenderChart))?;
                // A library chart contributes its helpers only.
                let helper = t
                    .path
                    .rsplit('/')
                    .next()
                    .is_some_and(|b| b.starts_with('_'));
                (!units[unit].library || helper).then_some((chart, t, unit))
            })
            .collect();
        if let Some(beside) = beside {
            beside.parse_rest(&engine, loaded, parsed.iter().map(|(c, t, _)| (*c, *t)));
        }
        let templates: Vec<(String, usize, &str)> = parsed
            .iter()
            .map(|(_, t, unit)| (t.path.clone(), *unit, t.text.as_str()))
            .collect();
        count_run_parses(templates.iter().map(|(_, _, text)| text.len()).sum());
        let rendered = execute_units(
            &templates,
            &units,
            &mut engine,
            !options.without_source_map,
            options.only.as_deref(),
            options.watch_release,
        );
        if options.leave_to_exit {
            std::mem::forget(engine);
            std::mem::forget(units);
        }
        rendered
    }
}

/// The engine a render runs on a thread of `stack` bytes: limits and functions as `options` say.
fn engine_for(options: &ReleaseOptions, stack: usize) -> Engine {
    let mut engine = Engine::new();
    engine.limits.stack_budget = gotmpl::stack_budget_for(stack);
    engine.limits.seed = options.seed;
    engine.limits.clock = options.clock;
    engine.limits.max_steps = options.budget.steps;
    engine.limits.max_memory = options.budget.memory;
    engine.limits.timeout = options.budget.timeout;
    funcs::register_with(&mut engine, options.keys);
    if let Some(cluster) = options.cluster.clone() {
        cluster::register_lookup(&mut engine, cluster);
    }
    engine
}

/// What [`load_and_render`] gives: the loaded release, and its render (which may have failed).
pub type LoadedAndRendered = (LoadedRelease, Result<BTreeMap<String, Rendered>, Error>);

/// [`render_release`] of the release `load` loads. `load` runs on the calling thread while
/// the render thread parses `texts` ahead (each template file of the chart as read, path and
/// text): parsing a chart's templates costs about as much as loading its values, and the two
/// need not wait for each other. No thread is started for the loading: each thread costs its
/// stack and allocator pages, and the calling thread would only wait. Called on a render
/// thread, though, the parses stay on it and `load` runs on a thread of its own
/// (`load_beside_and_render`). Renders exactly as `load` then `render_release` would; only
/// `load`'s error ends it early.
pub fn load_and_render<E: Send + From<InputError>>(
    texts: &[(String, Arc<str>)],
    load: impl FnOnce() -> Result<LoadedRelease, E> + Send,
    options: &ReleaseOptions,
) -> Result<LoadedAndRendered, E> {
    load_and_render_then(texts, || Ok((load()?, None)), options, |done| done)
}

/// [`load_and_render`], then `finish` with what it gives, on the thread that rendered: a
/// caller that only prints the render and ends the process (`rollguard render`) does so
/// there, instead of waking the calling thread to hand the render over while the render
/// thread exits (returning its 512 MiB stack to the system and its allocator pages).
/// `load` may leave a check of the values for later ([`ValuesCheck`]): it runs on the
/// calling thread while the templates execute, on the root chart's values the render thread
/// lends it once it has read them, and its failure fails the loading (`finish` is not
/// called) as if `load` had failed.
pub fn load_and_render_then<E: Send + From<InputError>, T: Send>(
    texts: &[(String, Arc<str>)],
    load: impl FnOnce() -> Result<(LoadedRelease, Option<ValuesCheck>), E> + Send,
    options: &ReleaseOptions,
    finish: impl FnOnce(LoadedAndRendered) -> T + Send,
) -> Result<T, E> {
    let here = gotmpl::render_stack_here();
    if here >= RENDER_STACK {
        let load = || checked(load()?);
        return load_beside_and_render(texts, load, options, here).map(finish);
    }
    // Taken by whichever thread renders: the render thread, or this one when none starts.
    let finish = std::sync::Mutex::new(Some(finish));
    let finish = |done| {
        let Some(finish) = finish.lock().ok().and_then(|mut f| f.take()) else {
            unreachable!("the render was finished twice")
        };
        finish(done)
    };
    std::thread::scope(|scope| {
        // The loaded release goes to the render thread; dropped unsent (loading failed or
        // panicked), the sender ends the render thread's wait.
        // With it, whether the values are to be lent to their check.
        let (send, receive) = std::sync::mpsc::sync_channel::<(LoadedRelease, bool)>(1);
        // Files left to parse once the chart is loaded, offered back to this thread;
        // dropped unsent when there are none, the sender ends this thread's wait.
        let (offer, offered) = std::sync::mpsc::sync_channel::<beside::Offer>(1);
        // The root chart's values, lent to their check, and back with whether they passed.
        let (lend, lent) = std::sync::mpsc::sync_channel::<Values>(1);
        let (give_back, given_back) = std::sync::mpsc::sync_channel::<(Values, bool)>(1);
        let render = gotmpl::spawn_with_stack(scope, RENDER_STACK, move |stack| {
            let engine = engine_for(options, stack);
            let mut arrived = None;
            let files = ahead_order(texts);
            let ahead = parse_ahead(&engine, &files, || match receive.try_recv() {
                Ok(loaded) => {
                    arrived = Some(loaded);
                    true
                }
                Err(std::sync::mpsc::TryRecvError::Empty) => false,
                Err(std::sync::mpsc::TryRecvError::Disconnected) => true,
            });
            let arrived = arrived.or_else(|| receive.recv().ok());
            let rendered = arrived.and_then(|(mut loaded, lending)| {
                let beside = Beside {
                    files: &files,
                    ahead,
                    offer,
                };
                // A render that panics is an error, as on `render_release`'s thread; caught
                // here, so that the release it loaded is not lost with it.
                let rendered = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let units = Units::of(&loaded, options);
                    if lending {
                        // Read into the units: nothing else reads them until the check is done.
                        let _ = lend.send(std::mem::take(&mut loaded.root.values));
                    }
                    units.render(engine, &loaded, options, Some(beside))
                }))
                .unwrap_or_else(|_| {
                    Err(Error::Load(
                        "rendering failed: render thread panicked".into(),
                    ))
                });
                // Unsent (the render panicked first), it ends the check's wait.
                drop(lend);
                if lending {
                    // No answer: the calling thread is gone, and so is the render.
                    let (values, passed) = given_back.recv().ok()?;
                    loaded.root.values = values;
                    if !passed {
                        return None;
                    }
                }
                Some((loaded, rendered))
            });
            gotmpl::clear_parsed_ahead();
            rendered.map(finish)
        });
        let (loaded, check) = load()?;
        let Ok(render) = render else {
            // No render thread could start: the render fails as `render_release` would.
            let loaded = checked((loaded, check))?;
            let rendered = render_release(&loaded, options);
            return Ok(finish((loaded, rendered)));
        };
        // Fails only if the render thread panicked (outside the render), raised below.
        let _ = send.send((loaded, check.is_some()));
        if let Ok((split, give)) = offered.recv() {
            split.help(&give);
        }
        // Only once the files are parsed: the render needs them first, and the check only
        // before the render is finished.
        let failed = check.and_then(|check| {
            let mut values = lent.recv().ok()?;
            let verdict = check(&mut values);
            let _ = give_back.send((values, verdict.is_ok()));
            verdict.err()
        });
        // Unsent (the values never came), it ends the render thread's wait.
        drop(give_back);
        match render.join() {
            Ok(Some(Some(done))) => Ok(done),
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(_) => match failed {
                Some(e) => Err(e.into()),
                // It had the release (sent above) and its work (taken once, by the one
                // thread), and the values passed their check.
                None => unreachable!("the render thread ended without the loaded chart"),
            },
        }
    })
}

/// The loaded release once its values passed the check `load` left for later, if any.
fn checked<E: From<InputError>>(
    (mut loaded, check): (LoadedRelease, Option<ValuesCheck>),
) -> Result<LoadedRelease, E> {
    if let Some(check) = check {
        check(&mut loaded.root.values)?;
    }
    Ok(loaded)
}

/// Stack of the thread a chart loads on beside a render thread: what a main thread has.
const LOAD_STACK: usize = 8 << 20;

/// [`load_and_render`] on a render thread (of `stack` bytes), as a check's renders of one
/// chart share one ([`with_shared_parses`]): the trees parsed ahead here are the ones its later
/// renders of the release find, so `load` runs on a thread of its own (or here, when none
/// can start).
fn load_beside_and_render<E: Send>(
    texts: &[(String, Arc<str>)],
    load: impl FnOnce() -> Result<LoadedRelease, E> + Send,
    options: &ReleaseOptions,
    stack: usize,
) -> Result<LoadedAndRendered, E> {
    let engine = engine_for(options, stack);
    // What was parsed ahead and not rendered is dropped on the way out, however it goes.
    struct ClearAhead;
    impl Drop for ClearAhead {
        fn drop(&mut self) {
            gotmpl::clear_parsed_ahead();
        }
    }
    let _clear = ClearAhead;
    // Taken by whichever thread gets to load: the loader, or this one when none starts.
    let slot = std::sync::Mutex::new(Some(load));
    let take = || slot.lock().ok().and_then(|mut l| l.take());
    let done = std::sync::atomic::AtomicBool::new(false);
    let loaded = std::thread::scope(|scope| {
        let loader = std::thread::Builder::new()
            .stack_size(LOAD_STACK)
            .spawn_scoped(scope, || {
                let loaded = take().map(|load| load());
                done.store(true, std::sync::atomic::Ordering::Release);
                loaded
            });
        if loader.is_ok() {
            parse_ahead(&engine, &ahead_order(texts), || {
                done.load(std::sync::atomic::Ordering::Acquire)
            });
        }
        match loader.map(|l| l.join()) {
            Ok(Ok(loaded)) => loaded,
            // Raised here, as a load on this thread would have.
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(_) => None,
        }
    });
    let Some(loaded) = loaded.or_else(|| take().map(|load| load())) else {
        unreachable!("the chart's loading was taken by no thread")
    };
    let loaded = loaded?;
    let rendered = render_on(engine, &loaded, options, None);
    Ok((loaded, rendered))
}

/// One [`Unit`] per chart, parents before their subcharts; returns the chart's root object.
fn collect(
    chart: &RenderChart,
    common: &[(&str, Value)],
    units: &mut Vec<Unit>,
    index_of: &mut HashMap<*const RenderChart, usize>,
) -> BTreeMap<String, Value> {
    let index = units.len();
    index_of.insert(chart as *const RenderChart, index);
    units.push(Unit {
        prefix: format!("{}/", chart.full_path),
        library: chart.metadata.chart_type == "library",
        dot: BTreeMap::new(),
    });
    let subcharts: BTreeMap<String, Value> = chart
        .subcharts
        .iter()
        .map(|sub| {
            (
                sub.name.clone(),
                Value::map(collect(sub, common, units, index_of)),
            )
        })
        .collect();
    let mut dot: BTreeMap<String, Value> = common
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    dot.insert(
        "Values".into(),
        with_values_type(Value::map(
            chart
                .values
                .iter()
                .map(|(k, v)| (k.clone(), go_value(v)))
                .collect(),
        )),
    );
    dot.insert("Chart".into(), chart_object(chart));
    dot.insert(
        "Files".into(),
        Value::Object(Rc::new(Files {
            files: chart
                .files
                .iter()
                .map(|f| (f.name.clone(), Rc::from(f.data.as_slice())))
                .collect(),
        })),
    );
    dot.insert("Subcharts".into(), Value::map(subcharts));
    units[index].dot = dot.clone();
    dot
}

/// A value as Helm holds it in `map[string]interface{}`: file numbers are float64, `--set`
/// integers int64 (the chart layer's conversion contract).
pub(crate) fn go_value(v: &Json) -> Value {
    match v {
        Json::Null => Value::Nil,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) if !n.is_f64() => Value::int64(i),
            _ => Value::Float(n.as_f64().unwrap_or(0.0)),
        },
        Json::String(s) => Value::str(s),
        Json::Array(items) => Value::list(items.iter().map(go_value).collect()),
        Json::Object(m) => Value::map(m.iter().map(|(k, v)| (k.clone(), go_value(v))).collect()),
    }
}

/// `.Chart`: Helm 4's map with Go field names. Absent annotations print as `map[]` but are
/// `null` in `toJson`, like Go's nil map.
fn chart_object(chart: &RenderChart) -> Value {
    let Json::Object(fields) = chart.metadata.template_json(chart.is_root) else {
        return Value::map(BTreeMap::new());
    };
    Value::map(
        fields
            .iter()
            .map(|(k, v)| {
                let value = match (k.as_str(), v) {
                    ("Annotations", Json::Null) => Value::Object(Rc::new(NilMap {
                        type_name: "map[string]string",
                    })),
                    _ => go_value(v),
                };
                (k.clone(), value)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chart::{ValueOptions, load};

    /// Writes a chart (paths relative to its root → text) to a temporary directory, loads it
    /// with `values` as a user values file, and renders it.
    fn render(
        files: &[(&str, &str)],
        values: Option<&str>,
        options: &ReleaseOptions,
    ) -> BTreeMap<String, Rendered> {
        let dir = tempfile::tempdir().unwrap();
        let chart = dir.path().join("c");
        for (path, text) in files {
            let path = chart.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let mut value_options = ValueOptions::default();
        if let Some(text) = values {
            let file = dir.path().join("user.yaml");
            std::fs::write(&file, text).unwrap();
            value_options.value_files.push(file);
        }
        let loaded = load(&chart, &value_options).unwrap();
        render_release(&loaded, options).unwrap()
    }

    const CHART_YAML: (&str, &str) = ("Chart.yaml", "apiVersion: v2\nname: c\nversion: 0.1.0\n");

    #[test]
    fn loading_beside_parsing_ahead_renders_as_loading_then_rendering() {
        let dir = tempfile::tempdir().unwrap();
        let chart = dir.path().join("c");
        let write = |path: &str, text: &str| {
            let path = chart.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(CHART_YAML.0, CHART_YAML.1);
        write("values.yaml", "port: 2\n");
        write(
            "templates/_h.tpl",
            "{{ define \"h\" }}[{{ .Values.port }}]{{ end }}",
        );
        write(
            "templates/a.yaml",
            "a: {{ include \"h\" . }} {{ .Template.Name }}",
        );
        write(
            "charts/s/Chart.yaml",
            "apiVersion: v2\nname: s\nversion: 1.0.0\n",
        );
        write("charts/s/templates/b.yaml", "b: {{ template \"h\" . }}");
        let values = ValueOptions::default();
        let options = ReleaseOptions::default();
        let both = |parsed_ahead: usize| {
            let read = crate::chart::read_chart_with(&chart, &Default::default()).unwrap();
            let texts = read.template_texts();
            assert_eq!(texts.len(), parsed_ahead);
            let ahead =
                load_and_render(&texts, || crate::chart::load_read(read, &values), &options);
            let (loaded, rendered) = ahead.map_err(|e| e.to_string())?;
            assert_eq!(loaded.root.name, "c");
            let expected = render_release(&load(&chart, &values).unwrap(), &options);
            assert_eq!(
                rendered.as_ref().map_err(|e| e.to_string()),
                expected.as_ref().map_err(|e| e.to_string())
            );
            Ok::<_, String>(rendered.map_err(|e| e.to_string()))
        };
        // Also on a render thread (a check's), where the parses stay and the chart loads beside.
        let on_render_thread = |parsed_ahead| {
            with_shared_parses(|| {
                assert!(gotmpl::render_stack_here() >= RENDER_STACK);
                both(parsed_ahead).map(|r| r.map(|r| r.into_iter().map(|(k, v)| (k, v.text))))
            })
            .unwrap()
            .map(|r| r.map(|texts| texts.collect::<BTreeMap<_, _>>()))
        };
        let rendered = both(3).unwrap().unwrap();
        assert_eq!(
            rendered["c/templates/a.yaml"].text,
            "a: [2] c/templates/a.yaml"
        );
        // The subchart sees its own values.
        assert_eq!(rendered["c/charts/s/templates/b.yaml"].text, "b: []");
        let beside = on_render_thread(3).unwrap().unwrap();
        assert_eq!(beside["c/charts/s/templates/b.yaml"], "b: []");
        // A file that does not parse fails the render under its real name, as it would have.
        write("templates/broken.txt", "{{ if }}");
        let failed = both(4).unwrap().unwrap_err();
        assert!(failed.contains("c/templates/broken.txt"), "{failed}");
        assert!(on_render_thread(4).unwrap().is_err());
        // A chart that does not load ends it with the loading error.
        write("values.yaml", "a: [");
        assert!(both(4).unwrap_err().contains("values.yaml"));
        assert!(on_render_thread(4).unwrap_err().contains("values.yaml"));
    }

    #[test]
    fn values_checked_beside_the_render_pass_and_fail_as_checked_in_loading() {
        let dir = tempfile::tempdir().unwrap();
        let chart = dir.path().join("c");
        let write = |path: &std::path::Path, text: &str| {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(&chart.join(CHART_YAML.0), CHART_YAML.1);
        write(&chart.join("values.yaml"), "port: 2\nname: web\n");
        write(
            &chart.join("values.schema.json"),
            r#"{"properties": {"port": {"type": "integer"}}}"#,
        );
        for n in 0..3 {
            write(
                &chart.join(format!("templates/t{n}.yaml")),
                &format!("t{n}: {{{{ .Values.port }}}} {{{{ .Values.name }}}}"),
            );
        }
        let options = ReleaseOptions::default();
        let both = |values: &ValueOptions| {
            let read = crate::chart::read_chart_with(&chart, &Default::default()).unwrap();
            let texts = read.template_texts();
            let checking_later = || crate::chart::load_read_checking_later(read, values);
            let finished = std::sync::atomic::AtomicBool::new(false);
            let beside = load_and_render_then(&texts, checking_later, &options, |done| {
                finished.store(true, std::sync::atomic::Ordering::Relaxed);
                done
            })
            .map(|(loaded, rendered)| (loaded.root.values, rendered.unwrap()))
            .map_err(|e| e.to_string());
            let loading = load(&chart, values)
                .map(|loaded| {
                    let rendered = render_release(&loaded, &options).unwrap();
                    (loaded.root.values, rendered)
                })
                .map_err(|e| e.to_string());
            assert_eq!(beside, loading);
            assert_eq!(finished.into_inner(), beside.is_ok());
            beside
        };
        let (values, rendered) = both(&ValueOptions::default()).unwrap();
        assert_eq!(values["port"], 2.0);
        assert_eq!(rendered["c/templates/t2.yaml"].text, "t2: 2 web");
        let file = dir.path().join("user.yaml");
        write(&file, "port: eighty\n");
        let user = ValueOptions {
            value_files: vec![file],
            ..ValueOptions::default()
        };
        let failed = both(&user).unwrap_err();
        assert!(failed.contains("don't meet the specifications"), "{failed}");
        // On a render thread (a check's), the values are checked as the chart loads.
        let on_render_thread = with_shared_parses(|| both(&user)).unwrap();
        assert_eq!(on_render_thread.unwrap_err(), failed);
    }

    #[test]
    fn charts_sharing_parses_render_as_alone_and_count_against_the_budget() {
        let dir = tempfile::tempdir().unwrap();
        let write = |chart: &str, path: &str, text: &str| {
            let path = dir.path().join(chart).join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        let helper = "{{ define \"h\" }}[{{ .Values.port }}]{{ end }}";
        let template = "a: {{ include \"h\" . }}";
        // The same chart under two directories, the second with other values; a third whose
        // template (same name) does not parse.
        for (chart, port) in [("one/c", "1"), ("two/c", "2"), ("three/c", "3")] {
            write(chart, CHART_YAML.0, CHART_YAML.1);
            write(chart, "values.yaml", &format!("port: {port}\n"));
            write(chart, "templates/_h.tpl", helper);
        }
        write("one/c", "templates/a.yaml", template);
        write("two/c", "templates/a.yaml", template);
        write("three/c", "templates/a.yaml", "{{ if }}");
        let options = ReleaseOptions::default();
        let render = |chart: &str| {
            let loaded = load(&dir.path().join(chart), &ValueOptions::default()).unwrap();
            render_release(&loaded, &options).map_err(|e| e.to_string())
        };
        let alone: Vec<_> = ["one/c", "two/c", "three/c"].map(render).into();
        let (on_worker, counted) = with_parses_shared_across_charts(|| {
            let rendered: Vec<_> = ["one/c", "two/c", "three/c"]
                .map(|c| with_shared_parses(|| render(c)).unwrap())
                .into();
            (rendered, RUN_PARSES.with(Cell::get))
        })
        .unwrap();
        assert_eq!(on_worker, alone);
        assert_eq!(
            on_worker[1].as_ref().unwrap()["c/templates/a.yaml"].text,
            "a: [2]"
        );
        assert!(
            on_worker[2]
                .as_ref()
                .unwrap_err()
                .contains("c/templates/a.yaml")
        );
        let bytes = 2 * (helper.len() + template.len()) + helper.len() + "{{ if }}".len();
        assert_eq!(counted, Some(bytes));
        assert_eq!(RUN_PARSES.with(Cell::get), None);
        // A render that panics on a worker is that chart's error; the worker goes on.
        let (panicked, after) = with_parses_shared_across_charts(|| {
            let panicked = with_shared_parses::<()>(|| panic!("boom"));
            (
                panicked.map_err(|e| e.to_string()),
                with_shared_parses(|| render("two/c")),
            )
        })
        .unwrap();
        assert_eq!(
            panicked.unwrap_err(),
            "rendering failed: render thread panicked"
        );
        assert_eq!(after.unwrap(), alone[1]);
    }

    #[test]
    fn a_subchart_vendored_by_other_charts_renders_in_each_as_alone() {
        let dir = tempfile::tempdir().unwrap();
        let write = |path: &str, text: &str| {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        // Two charts, `app` and `web`, vendor one library; its template fails in `web` only,
        // where the error must name `web`'s copy, at its line.
        let lib = "{{ define \"lib.port\" }}{{ required \"port\" .Values.port }}{{ end }}\n\
                   {{ if .Values.shown }}port: {{ include \"lib.port\" . }}{{ end }}";
        for (chart, port) in [("app", "port: 80"), ("web", "{}")] {
            write(
                &format!("{chart}/Chart.yaml"),
                &format!("apiVersion: v2\nname: {chart}\nversion: 0.1.0\n"),
            );
            write(&format!("{chart}/values.yaml"), "lib:\n  shown: true\n");
            write(
                &format!("{chart}/charts/lib/Chart.yaml"),
                "apiVersion: v2\nname: lib\nversion: 0.1.0\n",
            );
            write(&format!("{chart}/charts/lib/values.yaml"), port);
            write(&format!("{chart}/charts/lib/templates/port.yaml"), lib);
        }
        let options = ReleaseOptions::default();
        let render = |chart: &str| {
            let loaded = load(&dir.path().join(chart), &ValueOptions::default()).unwrap();
            render_release(&loaded, &options).map_err(|e| e.to_string())
        };
        let alone = ["app", "web"].map(render);
        let kept = with_subchart_parses_kept(|| {
            ["app", "web"].map(|c| {
                with_parses_shared_across_charts(|| with_shared_parses(|| render(c)).unwrap())
                    .unwrap()
            })
        })
        .unwrap();
        assert_eq!(kept, alone);
        let text = &kept[0].as_ref().unwrap()["app/charts/lib/templates/port.yaml"].text;
        assert_eq!(text, "\nport: 80");
        let failed = kept[1].as_ref().unwrap_err();
        assert!(
            failed.contains("web/charts/lib/templates/port.yaml:2:"),
            "{failed}"
        );
        assert!(is_subchart_file("app/charts/lib/templates/port.yaml"));
        assert!(!is_subchart_file("app/templates/port.yaml"));
    }

    #[test]
    fn lookup_sees_the_cluster_it_is_given() {
        let files = [
            CHART_YAML,
            (
                "templates/t.yaml",
                "{{ with (lookup \"v1\" \"Secret\" .Release.Namespace \"db\").data }}{{ .password }}{{ else }}none{{ end }}",
            ),
        ];
        let empty = render(&files, None, &ReleaseOptions::default());
        assert_eq!(empty["c/templates/t.yaml"].text, "none");
        let secret = serde_json::json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "db", "namespace": "rel-ns"}, "data": {"password": "czNjcmV0"}});
        let options = ReleaseOptions {
            release: Release {
                namespace: "rel-ns".into(),
                ..Release::default()
            },
            cluster: Some(std::sync::Arc::new(Cluster::new([secret]))),
            ..ReleaseOptions::default()
        };
        assert_eq!(
            render(&files, None, &options)["c/templates/t.yaml"].text,
            "czNjcmV0"
        );
    }

    #[test]
    fn writes_into_values_others_see_are_told_apart_from_local_ones() {
        let files = [
            CHART_YAML,
            ("values.yaml", "db: {host: h}\n"),
            // Local dicts, and a merge into one: nothing another template sees.
            (
                "templates/local.yaml",
                "{{ $d := dict \"a\" 1 }}{{ $_ := set $d \"b\" 2 }}{{ $m := merge $d (dict \"c\" 3) }}{{ len $m }}",
            ),
            // Into .Values itself, into a map nested in it, and into a map a template first
            // put there: every template after sees each.
            ("templates/top.yaml", "{{ $_ := set .Values \"x\" (dict) }}"),
            (
                "templates/nested.yaml",
                "{{ $_ := unset .Values.db \"host\" }}",
            ),
            (
                "templates/added.yaml",
                "{{ $_ := mergeOverwrite .Values.x (dict \"k\" 1) }}{{ .Values.x.k }}",
            ),
        ];
        let out = render(&files, None, &ReleaseOptions::default());
        let writes = |t: &str| out[&format!("c/templates/{t}.yaml")].writes_shared;
        assert!(!writes("local"));
        assert!(writes("top") && writes("nested") && writes("added"));
        assert_eq!(out["c/templates/local.yaml"].text, "3");

        // Rendering some templates only: the others are left out, not rendered empty.
        let only = ReleaseOptions {
            only: Some(std::sync::Arc::new(
                ["c/templates/top.yaml", "c/templates/added.yaml"]
                    .map(String::from)
                    .into(),
            )),
            ..ReleaseOptions::default()
        };
        let some = render(&files, None, &only);
        assert_eq!(
            some.keys().collect::<Vec<_>>(),
            ["c/templates/added.yaml", "c/templates/top.yaml"]
        );
        assert_eq!(some["c/templates/added.yaml"].text, "1");
    }

    #[test]
    fn templates_that_read_what_an_upgrade_changes_are_release_bound() {
        let helpers = "{{- define \"name\" }}{{ .Release.Name }}-{{ .Release.Namespace }}{{ end }}\
            {{- define \"rev\" }}{{ .context.Release.Revision }}{{ end }}\
            {{- define \"ctx\" }}{{ .context.Release.Service }}{{ end }}\
            {{- define \"whole\" }}{{ toYaml .context }}{{ end }}";
        let templates = [
            ("name", "{{ include \"name\" . }} {{ .Release.Name }}"),
            (
                "context",
                "{{ include \"ctx\" (dict \"context\" $) }} {{ toYaml .Values }}",
            ),
            (
                "listed",
                "{{ index (list $ 1) 0 | len }} {{ hasKey $ \"Release\" }}",
            ),
            ("upgrade", "{{ if .Release.IsUpgrade }}u{{ end }}"),
            (
                "revision",
                "{{ include \"rev\" (dict \"context\" (dict \"Release\" $.Release)) }}",
            ),
            ("whole", "{{ include \"whole\" (dict \"context\" $) }}"),
            ("printed", "{{ $r := .Release }}{{ $r }}"),
            ("indexed", "{{ index $ \"Release\" \"IsInstall\" }}"),
            ("tpl", "{{ tpl \"{{ .Release.IsInstall }}\" . }}"),
            ("looked", "{{ lookup \"v1\" \"Secret\" \"\" \"x\" }}"),
            ("copied", "{{ (deepCopy $).Release.Name }}"),
        ];
        let files: Vec<(String, String)> = [("Chart.yaml".to_string(), CHART_YAML.1.to_string())]
            .into_iter()
            .chain([("templates/_h.tpl".to_string(), helpers.to_string())])
            .chain(
                templates
                    .iter()
                    .map(|(name, text)| (format!("templates/{name}.yaml"), text.to_string())),
            )
            .collect();
        let files: Vec<(&str, &str)> = files.iter().map(|(p, t)| (&p[..], &t[..])).collect();
        let watched = ReleaseOptions {
            watch_release: true,
            ..ReleaseOptions::default()
        };
        let out = render(&files, Some("a: 1\n"), &watched);
        let bound: Vec<&str> = templates
            .iter()
            .map(|(name, _)| *name)
            .filter(|name| out[&format!("c/templates/{name}.yaml")].release_bound)
            .collect();
        assert_eq!(
            bound,
            [
                "upgrade", "revision", "whole", "printed", "indexed", "tpl", "looked", "copied"
            ]
        );
        // Unwatched, every template may be.
        let out = render(&files, None, &ReleaseOptions::default());
        assert!(out.values().all(|r| r.release_bound));
    }

    #[test]
    fn user_values_and_capabilities() {
        let files = [
            CHART_YAML,
            ("values.yaml", "a: 1\nkeep: k\ndrop: d\nm: {p: 1, q: 2}\n"),
            (
                "templates/t.yaml",
                "{{ .Values.a }} {{ .Values.keep }} [{{ .Values.drop }}] {{ toJson .Values.m }} {{ .Capabilities.KubeVersion.Minor }} {{ .Capabilities.APIVersions.Has \"x/v1\" }}",
            ),
        ];
        let options = ReleaseOptions {
            capabilities: Capabilities {
                kube_version: "v1.29.4".into(),
                api_versions: vec!["x/v1".into()],
            },
            ..ReleaseOptions::default()
        };
        let out = render(&files, Some("a: 2\ndrop: null\nm: {q: 3}\n"), &options);
        assert_eq!(
            out["c/templates/t.yaml"].text,
            "2 k [] {\"p\":1,\"q\":3} 29 true"
        );
    }

    #[test]
    fn traced_output_points_at_template_lines() {
        let files = [
            CHART_YAML,
            ("values.yaml", "port: 80\n"),
            ("templates/_h.tpl", "{{ define \"name\" }}web{{ end }}"),
            (
                "templates/svc.yaml",
                "kind: Service\nmissing: {{ .Values.nope }}\nname: {{ template \"name\" }}\nport: {{ .Values.port }}\n",
            ),
        ];
        let out = render(&files, None, &ReleaseOptions::default());
        let r = &out["c/templates/svc.yaml"];
        assert_eq!(r.text, "kind: Service\nmissing: \nname: web\nport: 80\n");
        let at = |needle: &str| origin_of(r, needle, 0);
        // What a template call writes in the middle of a line is the caller's line.
        assert_eq!(at("web"), ("c/templates/svc.yaml", 3, 19));
        assert_eq!(at("80"), ("c/templates/svc.yaml", 4, 10));
        assert_eq!(at("name:"), ("c/templates/svc.yaml", 3, 1));
        assert_eq!(at("kind:"), ("c/templates/svc.yaml", 1, 1));
    }

    /// Where the rendered text at the `n`th occurrence of `needle` came from.
    fn origin_of<'a>(r: &'a Rendered, needle: &str, n: usize) -> (&'a str, usize, usize) {
        let offset = r.text.match_indices(needle).nth(n).unwrap().0;
        let seg = r
            .segments
            .iter()
            .rev()
            .find(|s| s.offset <= offset)
            .unwrap();
        (&*seg.file, seg.line, seg.column)
    }

    #[test]
    fn lines_an_include_wrote_point_at_the_helper() {
        let helpers = "{{- define \"fullname\" -}}\n{{ .Release.Name }}-app\n{{- end }}\n\
                       {{- define \"container\" -}}\n\
                       - name: app\n\
                       \x20 env:\n\
                       \x20   - name: PASSWORD\n\
                       \x20     valueFrom: {secretKeyRef: {name: {{ include \"fullname\" . }}, key: p}}\n\
                       \x20 resources:\n\
                       \x20   {{- toYaml .Values.resources | nindent 4 }}\n\
                       {{- end }}\n\
                       {{- define \"pod\" -}}\n\
                       containers:\n\
                       \x20 {{- include \"container\" . | nindent 2 }}\n\
                       {{- end }}\n";
        let files = [
            CHART_YAML,
            ("values.yaml", "resources: {limits: {cpu: 1}}\n"),
            ("templates/_helpers.tpl", helpers),
            (
                "templates/deploy.yaml",
                "spec:\n  {{- include \"pod\" . | nindent 2 }}\nname: {{ include \"fullname\" . }}\n{{ $c := include \"container\" . }}extra:\n{{ $c | indent 2 }}\n",
            ),
        ];
        let out = render(&files, None, &ReleaseOptions::default());
        let r = &out["c/templates/deploy.yaml"];
        let helpers = "c/templates/_helpers.tpl";
        // Literal lines of a helper, through two levels of `include | nindent`, at their column.
        assert_eq!(origin_of(r, "containers:", 0), (helpers, 13, 1));
        assert_eq!(origin_of(r, "- name: app", 0), (helpers, 5, 1));
        assert_eq!(origin_of(r, "env:", 0), (helpers, 6, 3));
        // A value an `include` writes in the middle of a helper's line: that line's action.
        assert_eq!(origin_of(r, "rel-app", 0), (helpers, 8, 43));
        // Lines a value wrote (`toYaml`): the action that printed them.
        assert_eq!(origin_of(r, "limits:", 0), (helpers, 10, 9));
        // In the middle of the template's own line: the `include` call.
        assert_eq!(
            origin_of(r, "rel-app", 1),
            ("c/templates/deploy.yaml", 3, 10)
        );
        // Passed through a variable, the text is not followed: the action that printed it.
        assert_eq!(
            origin_of(r, "name: app", 1),
            ("c/templates/deploy.yaml", 5, 4)
        );
    }

    #[test]
    fn seeded_renders_are_reproducible() {
        let files = [
            CHART_YAML,
            (
                "templates/t.yaml",
                "{{ randAlphaNum 16 }} {{ uuidv4 }} {{ now | unixEpoch }} {{ (genCA \"ca\" 1).Cert | sha256sum }}",
            ),
        ];
        let options = ReleaseOptions {
            seed: Some(7),
            clock: Some(1_700_000_000),
            ..ReleaseOptions::default()
        };
        let (a, b) = (
            render(&files, None, &options),
            render(&files, None, &options),
        );
        assert_eq!(a, b);
        assert!(a["c/templates/t.yaml"].text.contains(" 1700000000 "));
    }
}
