//! Go's `text/template`, byte for byte: the lexer, parser and evaluation rules of Go's
//! package (`missingkey=zero`, Go's error texts), its predefined functions, and Go's `fmt`
//! verbs for printing values. There is no Helm inside: a host registers its own functions
//! ([`Engine::register`], e.g. Sprig's and Helm's) and hands templates its own objects
//! ([`Object`], [`Record`]).
//!
//! ```
//! use gotmpl::{Engine, Value};
//! let mut engine = Engine::new();
//! engine.add_template("t", r#"{{ define "x" }}[{{ . }}]{{ end }}{{ template "x" .name }}"#).unwrap();
//! let dot = Value::map([("name".to_string(), Value::str("web"))].into());
//! assert_eq!(engine.execute("t", dot).unwrap(), "[web]");
//! ```
//!
//! Functions are pluggable: [`Engine::register`] adds a [`Func`] with Go-like parameter types,
//! so argument checking and error messages follow Go's rules for the function's signature; a
//! function that runs templates (`include`, `tpl`) gets a [`CallCtx`]. Errors print as Go
//! prints them ([`Error`]); [`Limits`] bound one render's depth, stack and output, and fix its
//! random seed and clock.
//!
//! Layout: `lex` → `parse` (syntax tree, Go's parse errors) → `exec` (Go's evaluation rules),
//! [`value`] (shared, reference-counted values), [`fmt`] (Go's `fmt` verbs), `builtins` (Go's
//! predefined functions), `func` (what a function is), `shared` (what one render shares).

pub mod budget;
mod builtins;
mod error;
mod exec;
pub mod fmt;
mod func;
mod lex;
mod literal;
mod parse;
mod parse_cache;
mod passthrough;
mod record;
mod shared;
mod text_parses;
pub mod value;
mod watch;

use std::borrow::Cow;
use std::rc::Rc;
use std::sync::Arc;

use rustc_hash::{FxHashMap, FxHashSet};

pub use error::{Error, ExecError, ParseError};
pub use func::{CallCtx, Func, FuncResult, Param};
pub use parse::parse_go_int;
pub use parse_cache::{clear_parsed_ahead, with_parse_cache, with_parses_kept};
pub use record::Record;
pub use shared::{
    Call, DEFAULT_MAX_MEMORY, DEFAULT_MAX_STEPS, Limits, Segment, Shared, render_stack_here,
    run_with_stack, spawn_with_stack, stack_budget_for, xorshift_step,
};
pub use value::{Elem, IntTy, List, Map, MapTy, Object, Value};
pub use watch::Watch;

use exec::Scope;
use parse::Tree;

/// A set of parsed templates and the functions they may call.
pub struct Engine {
    // Looked up on every function call and `include`: a fast hash over short names pays.
    // Names are mostly static text, registered without a copy.
    pub(crate) funcs: FxHashMap<Cow<'static, str>, Func>,
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
    pub fn register(&mut self, name: impl Into<Cow<'static, str>>, func: Func) {
        self.funcs.insert(name.into(), func);
    }

    /// Makes room for `additional` more functions at once, rather than growing the table
    /// (rehashing it) again and again while a library registers them.
    pub fn reserve_functions(&mut self, additional: usize) {
        self.funcs.reserve(additional);
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
        let trees = parse_cache::parsed(name, text, self.funcs.len(), || {
            let parsed = parse::parse(name, text.into(), &|f| self.funcs.contains_key(f))?;
            Ok::<_, Error>(parse_cache::trees(parsed))
        })?;
        for tree in trees.iter() {
            associate(&mut self.templates, tree.clone());
        }
        Ok(())
    }

    /// Parses `text` now, under a provisional `name`, for a later
    /// [`add_template`](Engine::add_template) of the same text on this thread, by an engine with
    /// the same functions, to take (renamed) instead of parsing it: files can be parsed while
    /// what decides their names and order is still loading. Adds nothing to this engine; a
    /// text that does not parse is left for `add_template` to report. The trees hold `text`
    /// itself, not a copy.
    pub fn parse_ahead(&self, name: &str, text: &Arc<str>) {
        if let Ok(parsed) = parse::parse(name, text.clone(), &|f| self.funcs.contains_key(f)) {
            parse_cache::keep_ahead(text, self.funcs.len(), parsed);
        }
    }

    /// The names of this engine's functions: what parsing a template for it on another
    /// thread needs ([`FuncNames::parse_ahead`]).
    pub fn func_names(&self) -> FuncNames {
        FuncNames {
            names: self.funcs.keys().cloned().collect(),
        }
    }

    pub fn has_template(&self, name: &str) -> bool {
        self.templates.contains_key(name)
    }

    /// The literal text of template `name`, piece by piece, when that text is all any
    /// execution of it can write: none of its actions prints a value (they branch, loop,
    /// assign, or end in a function `silent` accepts, such as one that only fails) and it
    /// calls no other template. `None` otherwise, or when there is no such template.
    pub fn literal_text(&self, name: &str, silent: &dyn Fn(&str) -> bool) -> Option<Vec<&str>> {
        let tree = self.templates.get(name)?;
        let mut out = Vec::new();
        literal::pieces(&tree.src, &tree.root, silent, &mut out)?;
        Some(out)
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
        let out = exec::execute_traced(self, scope, shared, tree, dot).map_err(|e| Error::Exec(*e));
        random_checked(shared, name, out)
    }

    /// Like [`Engine::execute`], sharing `shared` with other executions of the same render.
    pub fn execute_shared(&self, shared: &Shared, name: &str, dot: Value) -> Result<String, Error> {
        let (tree, scope) = self.prepare(shared, name)?;
        let out = exec::execute(self, scope, shared, tree, dot).map_err(|e| Error::Exec(*e));
        random_checked(shared, name, out)
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

/// An execution whose random numbers the operating system could not give fails: its output
/// would hold predictable "random" secrets.
fn random_checked<T>(shared: &Shared, name: &str, out: Result<T, Error>) -> Result<T, Error> {
    match shared.random_failure() {
        Some(why) => Err(Error::Exec(ExecError {
            location: name.to_string(),
            name: name.to_string(),
            context: None,
            msg: format!("the operating system's random number generator failed: {why}"),
        })),
        None => out,
    }
}

/// The functions of an engine, by name ([`Engine::func_names`]): parsing needs no more of
/// them (an unknown function is a parse error), and unlike the functions they cross threads.
pub struct FuncNames {
    names: FxHashSet<Cow<'static, str>>,
}

impl FuncNames {
    /// [`Engine::parse_ahead`] on any thread: `text` parsed for an engine with these functions,
    /// for [`ParsedAhead::keep`] on the engine's thread. `None` when it does not parse (left
    /// for `add_template` to report).
    pub fn parse_ahead(&self, name: &str, text: &Arc<str>) -> Option<ParsedAhead> {
        let parsed = parse::parse(name, text.clone(), &|f| self.names.contains(f)).ok()?;
        Some(ParsedAhead {
            text: text.clone(),
            funcs: self.names.len(),
            parsed,
        })
    }
}

/// A template file parsed ahead on some thread ([`FuncNames::parse_ahead`]).
pub struct ParsedAhead {
    text: Arc<str>,
    funcs: usize,
    parsed: parse::Parsed,
}

impl ParsedAhead {
    /// Keeps the file on this thread, as [`Engine::parse_ahead`] would have.
    pub fn keep(self) {
        parse_cache::keep_ahead(&self.text, self.funcs, self.parsed);
    }
}

pub(crate) fn associate(set: &mut FxHashMap<String, Rc<Tree>>, tree: Rc<Tree>) {
    if tree.is_empty() && set.contains_key(&tree.name) {
        return;
    }
    set.insert(tree.name.clone(), tree);
}

#[cfg(test)]
mod tests;
