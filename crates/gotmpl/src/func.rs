//! What a template function is: its Go signature ([`Param`]s), its implementation, and what it
//! sees of the execution calling it ([`CallCtx`]).

use std::borrow::Cow;
use std::rc::Rc;

use rustc_hash::FxHashMap;

use crate::exec::{self, Exec, Scope};
use crate::parse::Tree;
use crate::{Engine, Error, ExecError, Shared, Value, associate, fmt};

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

/// A function's implementation. Most are plain Rust functions, which a render's engine
/// registers without allocating: every render builds a table of 237 functions, and a
/// boxed closure, its name and its parameters as three allocations each were most of the
/// table's cost.
#[derive(Clone)]
pub(crate) enum Imp {
    /// Reads its arguments only.
    Args(fn(&[Value]) -> FuncResult),
    /// Also sees the execution calling it.
    Ctx(fn(&mut CallCtx<'_, '_>, &[Value]) -> FuncResult),
    /// Holds state of its own.
    Closure(FuncImpl),
}

/// A template function: its Go signature and its implementation. An `Err` return becomes
/// Go's `error calling NAME: MSG`.
#[derive(Clone)]
pub struct Func {
    pub params: Cow<'static, [Param]>,
    pub variadic: Option<Param>,
    /// The Go function returns `interface {}` (a nil result then behaves like a map entry).
    pub returns_iface: bool,
    /// Its `string` parameters get a string's exact bytes (a `RawStr` stays one); other
    /// functions get the text with invalid bytes replaced ([`crate::value::lossy`]).
    pub raw_strings: bool,
    /// Each call site that runs is recorded in the render's [`Shared`] (taken with [`Shared::take_calls`]): a host learns which calls
    /// of, say, Helm's `lookup` a render actually executed.
    pub recorded: bool,
    pub(crate) builtin: bool,
    pub(crate) imp: Imp,
}

impl Func {
    /// A function holding state of its own (what `imp` captures).
    pub fn new(
        params: &[Param],
        variadic: Option<Param>,
        imp: impl Fn(&mut CallCtx<'_, '_>, &[Value]) -> FuncResult + 'static,
    ) -> Func {
        Func::with(
            Cow::Owned(params.to_vec()),
            variadic,
            Imp::Closure(Rc::new(imp)),
        )
    }

    /// A function of its arguments only.
    pub fn of_args(
        params: &'static [Param],
        variadic: Option<Param>,
        imp: fn(&[Value]) -> FuncResult,
    ) -> Func {
        Func::with(Cow::Borrowed(params), variadic, Imp::Args(imp))
    }

    /// A function that also sees the execution calling it (to run templates, to read the
    /// render's state).
    pub fn of_call(
        params: &'static [Param],
        variadic: Option<Param>,
        imp: fn(&mut CallCtx<'_, '_>, &[Value]) -> FuncResult,
    ) -> Func {
        Func::with(Cow::Borrowed(params), variadic, Imp::Ctx(imp))
    }

    fn with(params: Cow<'static, [Param]>, variadic: Option<Param>, imp: Imp) -> Func {
        Func {
            params,
            variadic,
            returns_iface: false,
            raw_strings: false,
            recorded: false,
            builtin: false,
            imp,
        }
    }

    /// Runs the function on `args`.
    pub(crate) fn call(&self, ctx: &mut CallCtx<'_, '_>, args: &[Value]) -> FuncResult {
        match &self.imp {
            Imp::Args(f) => f(args),
            Imp::Ctx(f) => f(ctx, args),
            Imp::Closure(f) => f(ctx, args),
        }
    }

    /// Marks the function as returning `interface {}`.
    pub fn iface(mut self) -> Func {
        self.returns_iface = true;
        self
    }

    /// Marks the function's executed call sites for [`Shared::take_calls`].
    pub fn recorded(mut self) -> Func {
        self.recorded = true;
        self
    }

    /// Marks the function as reading its `string` parameters as bytes.
    pub fn raw_strings(mut self) -> Func {
        self.raw_strings = true;
        self
    }
}

/// What a function sees of the execution calling it: enough to run other templates
/// (`include`, `tpl`).
pub struct CallCtx<'e, 'a> {
    pub(crate) exec: &'e mut Exec<'a>,
}

impl CallCtx<'_, '_> {
    pub fn engine(&self) -> &Engine {
        self.exec.engine
    }

    pub fn shared(&self) -> &Shared {
        self.exec.shared
    }

    /// Go's `ExecuteTemplate`: runs a named template with fresh variables; the error is
    /// Go's message text. In a traced execution the template runs traced too, so that the
    /// action printing what it returned can trace those lines to the template's own.
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
        if !self.exec.is_traced() {
            return exec::execute(self.exec.engine, scope, self.exec.shared, tree, dot)
                .map_err(|e| e.go_message());
        }
        let (out, trace) =
            exec::execute_included(self.exec.engine, scope, self.exec.shared, tree, dot)
                .map_err(|e| e.go_message())?;
        self.exec.keep_included(&out, trace);
        Ok(out)
    }

    /// Parses `text` as a template called `name` and executes it; `define`s in the text are
    /// visible to it only (Helm's `tpl`).
    pub fn execute_text(&mut self, name: &str, text: &str, dot: Value) -> Result<String, Error> {
        let engine = self.exec.engine;
        let parsed = self
            .exec
            .shared
            .text_parses
            .borrow_mut()
            .parse(name, text, &|f| engine.funcs.contains_key(f))?;
        let mut local: FxHashMap<String, Rc<Tree>> = FxHashMap::default();
        if let Some(outer) = self.exec.scope.local {
            local.extend(outer.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        for tree in &parsed.defines {
            associate(&mut local, tree.clone());
        }
        // The text itself always runs, even when empty: an outer `tpl` of the same name must
        // not be picked up again (that would recurse forever).
        let tree = parsed.main.clone();
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
