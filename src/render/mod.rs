//! A native Go text/template engine with Helm's execution options, so rollguard can render
//! charts itself, byte for byte as Helm does.
//!
//! ```
//! use rollguard::render::{Engine, Value};
//! let mut engine = Engine::new();
//! engine.add_template("t", r#"{{ define "x" }}[{{ . }}]{{ end }}{{ template "x" .name }}"#).unwrap();
//! let dot = Value::map([("name".to_string(), Value::str("web"))].into());
//! assert_eq!(engine.execute("t", dot).unwrap(), "[web]");
//! ```
//!
//! Functions are pluggable: [`Engine::register`] adds a [`Func`] with Go-like parameter types,
//! so argument checking and error messages follow Go's rules for the function's signature.
//! [`funcs::register`] adds Helm's library (Sprig and Helm's own functions).
//!
//! A whole chart, loaded by [`crate::chart::load`] (values, subcharts, `.Files`), renders with
//! [`release::render_release`]: the root objects, Helm's template order and `<no value>`
//! removal. Errors print as Helm prints them ([`Error::helm_message`]).
//!
//! Layout: `lex` → `parse` (syntax tree, Go's parse errors) → `exec` (Go's evaluation rules,
//! `missingkey=zero`), `value` (shared, reference-counted values), `fmt` (Go's `fmt` verbs),
//! `builtins` (Go's predefined functions), `objects` (`.Files`, `.Capabilities`), `chart` (the
//! loop over a release's templates), `release` (a loaded chart's root objects).

mod builtins;
pub mod chart;
pub mod error;
mod exec;
pub mod fmt;
pub mod funcs;
mod lex;
pub mod objects;
pub mod parse;
pub mod record;
pub mod release;
pub mod stream;
pub mod value;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use rustc_hash::FxHashMap;

pub use error::{Error, ExecError, ParseError};
pub use value::{Elem, IntTy, List, Map, MapTy, Object, Value};

use exec::{Exec, Scope};
use parse::Tree;

/// Go type of a function parameter: decides how literals convert and which values are
/// rejected (`wrong type for value; expected int; got float64`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// `interface {}`: anything, nil included.
    Any,
    /// `reflect.Value` (Go's builtins): like `Any`.
    Value,
    Str,
    Int,
    Int64,
    Float,
    Bool,
    List,
    Strings,
    Map,
}

pub type FuncResult = Result<Value, String>;
type FuncImpl = Rc<dyn Fn(&mut CallCtx<'_, '_>, &[Value]) -> FuncResult>;

/// A template function: its Go signature and its implementation. An `Err` return becomes
/// Go's `error calling NAME: MSG`.
#[derive(Clone)]
pub struct Func {
    pub params: Vec<Param>,
    pub variadic: Option<Param>,
    /// The Go function returns `interface {}` (a nil result then behaves like a map entry).
    pub returns_iface: bool,
    /// Its `string` parameters get a string's exact bytes (a `RawStr` stays one); other
    /// functions get the text with invalid bytes replaced ([`value::lossy`]).
    pub raw_strings: bool,
    builtin: bool,
    imp: FuncImpl,
}

impl Func {
    pub fn new(
        params: &[Param],
        variadic: Option<Param>,
        imp: impl Fn(&mut CallCtx<'_, '_>, &[Value]) -> FuncResult + 'static,
    ) -> Func {
        Func {
            params: params.to_vec(),
            variadic,
            returns_iface: false,
            raw_strings: false,
            builtin: false,
            imp: Rc::new(imp),
        }
    }

    /// Marks the function as returning `interface {}`.
    pub fn iface(mut self) -> Func {
        self.returns_iface = true;
        self
    }

    /// Marks the function as reading its `string` parameters as bytes.
    pub fn raw_strings(mut self) -> Func {
        self.raw_strings = true;
        self
    }
}

/// Where a stretch of rendered output came from: it starts at byte `offset` of the output
/// and was written by the template text or action at `file:line:column` (1-based; the
/// column counts bytes). Output of an `include` is attributed to the `include` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    pub offset: usize,
    pub file: std::sync::Arc<str>,
    pub line: usize,
    pub column: usize,
}

/// Bounds on one render.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Nested `template` calls (Go's own limit is 100000).
    pub max_depth: usize,
    /// Bytes of native stack execution may use before failing with the depth error instead of
    /// overflowing; see [`run_with_stack`].
    pub stack_budget: usize,
    /// Bytes one template may render.
    pub max_output: usize,
    /// Seed of the random functions; `None` = different on every render. Two renders that
    /// must not differ by chance (old and new revision) share a seed.
    pub seed: Option<u64>,
    /// What `now` is, in Unix seconds; `None` = the system clock. Shared for the same reason.
    pub clock: Option<i64>,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 100_000,
            stack_budget: 1 << 20,
            max_output: 256 << 20,
            seed: None,
            clock: None,
        }
    }
}

/// State shared by every template executed during one render (nested `include`s included).
pub struct Shared {
    stack_base: Cell<usize>,
    stack_budget: usize,
    /// State of the random generator behind `randAlphaNum` & co.
    rng: Cell<u64>,
    clock: Option<i64>,
    /// Nesting of `include` per template name (Helm caps it).
    pub counters: RefCell<FxHashMap<String, usize>>,
}

impl Shared {
    pub fn new(limits: &Limits) -> Shared {
        Shared {
            stack_base: Cell::new(0),
            stack_budget: limits.stack_budget,
            rng: Cell::new(limits.seed.unwrap_or_else(entropy) | 1),
            clock: limits.clock,
            counters: RefCell::default(),
        }
    }

    /// The current time in Unix seconds and nanoseconds ([`Limits::clock`] when set).
    pub fn now(&self) -> (i64, u32) {
        if let Some(t) = self.clock {
            return (t, 0);
        }
        let d = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        (d.as_secs() as i64, d.subsec_nanos())
    }

    /// Next pseudo-random number (xorshift64*): good enough for generated passwords in a
    /// static check, and reproducible when [`Limits::seed`] is set.
    pub fn next_random(&self) -> u64 {
        let (next, out) = xorshift_step(self.rng.get());
        self.rng.set(next);
        out
    }

    fn mark_stack(&self) {
        if self.stack_base.get() == 0 {
            let probe = 0u8;
            self.stack_base.set(&probe as *const u8 as usize);
        }
    }

    fn stack_exhausted(&self) -> bool {
        let probe = 0u8;
        let here = &probe as *const u8 as usize;
        self.stack_base.get().abs_diff(here) > self.stack_budget
    }
}

/// One step of xorshift64*: the next state and the number it yields.
pub(crate) fn xorshift_step(mut x: u64) -> (u64, u64) {
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    (x, x.wrapping_mul(0x2545_F491_4F6C_DD1D))
}

fn entropy() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// Runs `f` on a thread with `stack_bytes` of stack, for renders with deep template recursion.
/// Pass the same size (minus a safety margin) as [`Limits::stack_budget`]. The thread is scoped,
/// so `f` may borrow (a loaded chart is not copied to render it).
pub fn run_with_stack<T: Send>(
    stack_bytes: usize,
    f: impl FnOnce() -> T + Send,
) -> std::io::Result<T> {
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(stack_bytes)
            .spawn_scoped(scope, f)?
            .join()
            .map_err(|_| std::io::Error::other("render thread panicked"))
    })
}

/// A set of parsed templates and the functions they may call.
pub struct Engine {
    // Looked up on every function call and `include`: a fast hash over short names pays.
    funcs: FxHashMap<String, Func>,
    templates: FxHashMap<String, Rc<Tree>>,
    pub limits: Limits,
}

impl Default for Engine {
    fn default() -> Engine {
        Engine::new()
    }
}

impl Engine {
    /// An engine with Go's builtin functions only.
    pub fn new() -> Engine {
        let mut e = Engine {
            funcs: FxHashMap::default(),
            templates: FxHashMap::default(),
            limits: Limits::default(),
        };
        builtins::register(&mut e);
        e
    }

    /// Adds or replaces a function. Register functions before adding templates that call them:
    /// like Go, parsing rejects unknown function names.
    pub fn register(&mut self, name: &str, func: Func) {
        self.funcs.insert(name.to_string(), func);
    }

    pub fn has_func(&self, name: &str) -> bool {
        self.funcs.contains_key(name)
    }

    /// The function registered as `name`, e.g. to register it again under another name.
    pub fn func(&self, name: &str) -> Option<&Func> {
        self.funcs.get(name)
    }

    /// Parses `text` as the template `name` (Go's `t.New(name).Parse(text)`): its `define`s
    /// become global and replace earlier ones of the same name, except that an empty definition
    /// never replaces a non-empty one.
    pub fn add_template(&mut self, name: &str, text: &str) -> Result<(), Error> {
        let parsed = parse::parse(name, text, &|f| self.funcs.contains_key(f))?;
        for tree in std::iter::once(parsed.main).chain(parsed.defines) {
            associate(&mut self.templates, tree);
        }
        Ok(())
    }

    pub fn has_template(&self, name: &str) -> bool {
        self.templates.contains_key(name)
    }

    /// Executes template `name` with `dot`.
    pub fn execute(&self, name: &str, dot: Value) -> Result<String, Error> {
        let shared = Shared::new(&self.limits);
        self.execute_shared(&shared, name, dot)
    }

    /// Like [`Engine::execute_shared`], also telling where each stretch of output came from.
    pub fn execute_traced(
        &self,
        shared: &Shared,
        name: &str,
        dot: Value,
    ) -> Result<(String, Vec<Segment>), Error> {
        let (tree, scope) = self.prepare(shared, name)?;
        exec::execute_traced(self, scope, shared, tree, dot).map_err(|e| Error::Exec(*e))
    }

    /// Like [`Engine::execute`], sharing `shared` with other executions of the same render.
    pub fn execute_shared(&self, shared: &Shared, name: &str, dot: Value) -> Result<String, Error> {
        let (tree, scope) = self.prepare(shared, name)?;
        exec::execute(self, scope, shared, tree, dot).map_err(|e| Error::Exec(*e))
    }

    /// The template to run and its scope; marks where this execution's stack begins.
    fn prepare(&self, shared: &Shared, name: &str) -> Result<(&Tree, Scope<'_>), Error> {
        let tree = self
            .templates
            .get(name)
            .ok_or_else(|| Error::NoTemplate(name.to_string()))?;
        shared.mark_stack();
        let scope = Scope {
            base: &self.templates,
            local: None,
        };
        Ok((tree, scope))
    }
}

fn associate(set: &mut FxHashMap<String, Rc<Tree>>, tree: Tree) {
    if tree.is_empty() && set.contains_key(&tree.name) {
        return;
    }
    set.insert(tree.name.clone(), Rc::new(tree));
}

/// What a function sees of the execution calling it: enough to run other templates
/// (`include`, `tpl`).
pub struct CallCtx<'e, 'a> {
    exec: &'e mut Exec<'a>,
}

impl CallCtx<'_, '_> {
    pub fn engine(&self) -> &Engine {
        self.exec.engine
    }

    pub fn shared(&self) -> &Shared {
        self.exec.shared
    }

    /// Go's `ExecuteTemplate`: runs a named template with fresh variables; the error is
    /// Go's message text.
    pub fn execute_template(&mut self, name: &str, dot: Value) -> Result<String, String> {
        let Some(tree) = self.exec.scope.lookup(name) else {
            return Err(format!(
                "template: no template {} associated with template \"gotpl\"",
                fmt::quote(name)
            ));
        };
        if self.exec.shared.stack_exhausted() {
            return Err(format!(
                "template: {name}: exceeded maximum template depth ({})",
                self.exec.engine.limits.max_depth
            ));
        }
        let scope = Scope {
            base: self.exec.scope.base,
            local: self.exec.scope.local,
        };
        exec::execute(self.exec.engine, scope, self.exec.shared, tree, dot)
            .map_err(|e| e.go_message())
    }

    /// Parses `text` as a template called `name` and executes it; `define`s in the text are
    /// visible to it only (Helm's `tpl`).
    pub fn execute_text(&mut self, name: &str, text: &str, dot: Value) -> Result<String, Error> {
        let engine = self.exec.engine;
        let parsed = parse::parse(name, text, &|f| engine.funcs.contains_key(f))?;
        let mut local: FxHashMap<String, Rc<Tree>> = FxHashMap::default();
        if let Some(outer) = self.exec.scope.local {
            local.extend(outer.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        for tree in parsed.defines {
            associate(&mut local, tree);
        }
        // The text itself always runs, even when empty: an outer `tpl` of the same name must
        // not be picked up again (that would recurse forever).
        let tree = Rc::new(parsed.main);
        local.insert(tree.name.clone(), tree.clone());
        if self.exec.shared.stack_exhausted() {
            return Err(Error::Exec(ExecError {
                location: name.to_string(),
                name: name.to_string(),
                context: None,
                msg: format!(
                    "exceeded maximum template depth ({})",
                    engine.limits.max_depth
                ),
            }));
        }
        let scope = Scope {
            base: self.exec.scope.base,
            local: Some(&local),
        };
        exec::execute(engine, scope, self.exec.shared, &tree, dot).map_err(|e| Error::Exec(*e))
    }
}

#[cfg(test)]
mod tests;
