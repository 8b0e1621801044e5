//! The executor: walks a parsed template with a dot value, as Go's text/template does with
//! Helm's options (`missingkey=zero`). Go's static types leak into behaviour and messages (a map
//! entry has type `interface {}`, a pipeline result has its dynamic type), so values carry a flag
//! saying whether they sit in an interface slot.

use std::fmt;
use std::rc::Rc;

use rustc_hash::FxHashMap;

use super::error::ExecError;
use super::parse::{Arg, Branch, Command, Node, Pipe, Snippet, TemplateCall, Tree};
use super::passthrough::{self, Included, Mark};
use super::value::{IntTy, Value, lossy};
use super::{Call, CallCtx, Engine, Func, Param, Segment, Shared};

/// A value as the executor holds it. `iface` = its static Go type is `interface {}`; a nil
/// without it is Go's invalid `reflect.Value` (what a missing map key becomes once piped).
#[derive(Clone, Default)]
pub(crate) struct Val {
    pub v: Value,
    pub iface: bool,
}

impl Val {
    fn plain(v: Value) -> Val {
        Val { v, iface: false }
    }

    fn slot(v: Value) -> Val {
        Val { v, iface: true }
    }

    fn is_invalid(&self) -> bool {
        self.v.is_nil() && !self.iface
    }

    fn type_name(&self) -> String {
        if self.iface {
            "interface {}".into()
        } else {
            self.v.type_name()
        }
    }
}

/// Why a walk stopped early: `break`/`continue` unwind to the enclosing `range`.
pub(crate) enum Flow {
    Break,
    Continue,
    Err(Box<ExecError>),
}

type R<T> = Result<T, Flow>;

/// The node execution is at, for error messages.
#[derive(Clone, Copy)]
enum At<'a> {
    None,
    Arg(&'a Arg),
    Cmd(&'a Command),
    Pipe(&'a Pipe),
    Template(&'a TemplateCall),
    /// A place without a node to show (template text), for an error that names only where.
    Pos(u32),
}

impl At<'_> {
    fn pos(&self) -> Option<u32> {
        match self {
            At::None => None,
            At::Arg(a) => Some(a.pos()),
            At::Cmd(c) => Some(c.pos),
            At::Pipe(p) => Some(p.pos),
            At::Template(t) => Some(t.pos),
            At::Pos(p) => Some(*p),
        }
    }
}

impl fmt::Display for At<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            At::None | At::Pos(_) => Ok(()),
            At::Arg(a) => write!(f, "{a}"),
            At::Cmd(c) => write!(f, "{c}"),
            At::Pipe(p) => write!(f, "{p}"),
            At::Template(t) => write!(f, "{t}"),
        }
    }
}

/// Named templates visible to an execution: the engine's, plus those defined by a `tpl` text.
pub(crate) struct Scope<'a> {
    pub base: &'a FxHashMap<String, Rc<Tree>>,
    pub local: Option<&'a FxHashMap<String, Rc<Tree>>>,
}

impl<'a> Scope<'a> {
    pub(crate) fn lookup(&self, name: &str) -> Option<&'a Rc<Tree>> {
        self.local
            .and_then(|l| l.get(name))
            .or_else(|| self.base.get(name))
    }
}

pub(crate) struct Exec<'a> {
    pub engine: &'a Engine,
    pub scope: Scope<'a>,
    pub shared: &'a Shared,
    tree: &'a Tree,
    at: At<'a>,
    /// Variables in scope, innermost last; names borrow the tree (`$` is static).
    vars: Vec<(&'a str, Val)>,
    depth: usize,
    out: String,
    /// When tracing: where each stretch of output came from (output offset, template, node).
    trace: Option<Vec<Mark<'a>>>,
    /// When tracing: what the `include`s of the pipeline being evaluated returned, traced.
    included: Vec<Included<'a>>,
}

/// Runs `tree` with `dot` as Go's `ExecuteTemplate` does.
pub(crate) fn execute<'a>(
    engine: &'a Engine,
    scope: Scope<'a>,
    shared: &'a Shared,
    tree: &'a Tree,
    dot: Value,
) -> Result<String, Box<ExecError>> {
    run(engine, scope, shared, tree, dot, false).map(|(out, _)| out)
}

/// Like [`execute`], also telling where each stretch of the output came from.
pub(crate) fn execute_traced<'a>(
    engine: &'a Engine,
    scope: Scope<'a>,
    shared: &'a Shared,
    tree: &'a Tree,
    dot: Value,
) -> Result<(String, Vec<Segment>), Box<ExecError>> {
    let (out, raw) = run(engine, scope, shared, tree, dot, true)?;
    let segments = raw
        .into_iter()
        .map(|(offset, tree, pos)| {
            let (line, column) = tree.line_and_column(pos as usize);
            Segment {
                offset,
                file: tree.parse_name.clone(),
                line,
                column,
            }
        })
        .collect();
    Ok((out, segments))
}

type RawTrace<'a> = Vec<Mark<'a>>;

/// Runs `tree` for an `include` of a traced execution: the output and its trace.
pub(crate) fn execute_included<'a>(
    engine: &'a Engine,
    scope: Scope<'a>,
    shared: &'a Shared,
    tree: &'a Tree,
    dot: Value,
) -> Result<(String, RawTrace<'a>), Box<ExecError>> {
    run(engine, scope, shared, tree, dot, true)
}

fn run<'a>(
    engine: &'a Engine,
    scope: Scope<'a>,
    shared: &'a Shared,
    tree: &'a Tree,
    dot: Value,
    trace: bool,
) -> Result<(String, RawTrace<'a>), Box<ExecError>> {
    let _budget = super::budget::install(&shared.budget);
    let dot = Val::plain(dot);
    let mut ex = Exec {
        engine,
        scope,
        shared,
        tree,
        at: At::None,
        vars: vec![("$", dot.clone())],
        depth: 0,
        out: String::new(),
        trace: trace.then(Vec::new),
        included: Vec::new(),
    };
    let r = ex.walk_list(&dot, &tree.root);
    let r = match r {
        Ok(()) if !shared.budget.charge(ex.out.len() as u64) => Err(ex.budget_error(None)),
        // A walker deep inside may have stopped early without anyone noticing.
        Ok(()) if shared.budget.is_spent() => Err(ex.budget_error(None)),
        r => r,
    };
    match r {
        // The parser rejects break/continue outside range.
        Ok(()) | Err(Flow::Break | Flow::Continue) => Ok((ex.out, ex.trace.unwrap_or_default())),
        Err(Flow::Err(e)) => Err(e),
    }
}

/// Memory a function's result holds of its own, for the budget: a map is not counted, as `set`
/// returns the map it grew by one entry (the entries' values were counted when made).
fn held_bytes(v: &Value) -> u64 {
    let n = match v {
        Value::Str(s) => s.len(),
        Value::RawStr(b) | Value::Bytes(b) => b.len(),
        Value::List(l) => l.items.len() * std::mem::size_of::<Value>(),
        _ => 0,
    };
    n as u64
}

/// Go's `reflect.Type.String()` of a parameter type.
fn param_type(p: Param) -> &'static str {
    match p {
        Param::Any | Param::Value => "interface {}",
        Param::Str => "string",
        Param::Int => "int",
        Param::Int64 => "int64",
        Param::Float => "float64",
        Param::Bool => "bool",
        Param::List => "[]interface {}",
        Param::Strings => "[]string",
        Param::Map => "map[string]interface {}",
    }
}

impl<'a> Exec<'a> {
    fn at(&mut self, at: At<'a>) {
        self.at = at;
    }

    fn make_error(&self, msg: String) -> Box<ExecError> {
        let tree = self.tree;
        let (location, context) = match self.at.pos() {
            Some(pos) => {
                let (line, col) = tree.line_col(pos);
                let context = match self.at {
                    At::Pos(_) => None,
                    at => Some(at.to_string()),
                };
                (format!("{}:{}:{}", tree.parse_name, line, col), context)
            }
            None => (tree.name.clone(), None),
        };
        Box::new(ExecError {
            location,
            name: tree.name.clone(),
            context,
            msg,
        })
    }

    fn errorf<T>(&self, msg: String) -> R<T> {
        Err(Flow::Err(self.make_error(msg)))
    }

    /// The error of a spent budget: made here, at the current node, the first time (naming the
    /// function that spent it, if one did); the same small error everywhere after, so nested
    /// `include`s and `tpl`s do not wrap it again at every level.
    /// Inside a `tpl` text (an execution with its own defines) the error is not fixed yet:
    /// the first level outside names a file of the chart, which a `tpl` text is not.
    fn budget_error(&self, func: Option<&str>) -> Flow {
        let mut first = self.shared.budget_error.borrow_mut();
        if let Some(e) = first.as_ref() {
            return Flow::Err(e.clone());
        }
        let why = self.shared.budget.spent().unwrap_or_default();
        let e = self.make_error(match func {
            Some(name) => format!("error calling {name}: {why}"),
            None => why,
        });
        if self.scope.local.is_none() {
            *first = Some(e.clone());
        }
        Flow::Err(e)
    }

    /// Spends `n` steps of the render's budget.
    fn step(&self, n: u64) -> R<()> {
        if self.shared.budget.step(n) {
            Ok(())
        } else {
            Err(self.budget_error(None))
        }
    }

    fn check_limits(&self) -> R<()> {
        if !self.shared.budget.fits(self.out.len() as u64) {
            return Err(self.budget_error(None));
        }
        if self.out.len() > self.engine.limits.max_output {
            return self.errorf(format!(
                "rendered output exceeds the limit of {} bytes",
                self.engine.limits.max_output
            ));
        }
        Ok(())
    }

    fn walk_list(&mut self, dot: &Val, nodes: &'a [Node]) -> R<()> {
        for n in nodes {
            self.walk(dot, n)?;
        }
        Ok(())
    }

    /// Notes that output from here on comes from the node at `pos` of the current template.
    fn mark(&mut self, pos: u32) {
        if let Some(trace) = &mut self.trace {
            trace.push((self.out.len(), self.tree, pos));
        }
    }

    fn walk(&mut self, dot: &Val, node: &'a Node) -> R<()> {
        if !self.shared.budget.step(1) {
            let pos = match node {
                Node::Text { start, .. } => Some(*start),
                Node::Action(p) => Some(p.pos),
                Node::If(b) | Node::With(b) | Node::Range(b) => Some(b.pipe.pos),
                Node::Template(t) => Some(t.pos),
                Node::Break | Node::Continue => None,
            };
            if let Some(pos) = pos {
                self.at(At::Pos(pos));
            }
            return Err(self.budget_error(None));
        }
        match node {
            Node::Text { start, end } => {
                let text = &self.tree.src[*start as usize..*end as usize];
                if self.trace.is_some() {
                    // One segment per line, so each output line maps to its own template line.
                    self.mark(*start);
                    for i in memchr::memchr_iter(b'\n', text.as_bytes()) {
                        if i + 1 < text.len() {
                            let at = self.out.len() + i + 1;
                            if let Some(trace) = &mut self.trace {
                                trace.push((at, self.tree, *start + i as u32 + 1));
                            }
                        }
                    }
                }
                self.out.push_str(text);
                self.check_limits()
            }
            Node::Action(pipe) => {
                self.included.clear();
                let val = self.eval_pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    let at = self.out.len();
                    self.mark(pipe.pos);
                    self.print_value(&val);
                    self.trace_included(at, pipe.pos);
                    if self.shared.budget.is_spent() {
                        return Err(self.budget_error(None));
                    }
                    self.check_limits()?;
                }
                Ok(())
            }
            Node::If(b) => self.walk_if_or_with(dot, b, false),
            Node::With(b) => self.walk_if_or_with(dot, b, true),
            Node::Range(b) => self.walk_range(dot, b),
            Node::Template(t) => self.walk_template(dot, t),
            Node::Break => Err(Flow::Break),
            Node::Continue => Err(Flow::Continue),
        }
    }

    /// Whether this execution is tracing where its output comes from.
    pub(crate) fn is_traced(&self) -> bool {
        self.trace.is_some()
    }

    /// Keeps what a traced `include` of the current pipeline returned, within
    /// [`passthrough::MAX_KEPT`] bytes and [`passthrough::MAX_INCLUDES`] calls.
    pub(crate) fn keep_included(&mut self, text: &str, trace: RawTrace<'a>) {
        let kept: usize = self.included.iter().map(|i| i.text.len()).sum();
        if kept + text.len() <= passthrough::MAX_KEPT
            && self.included.len() < passthrough::MAX_INCLUDES
        {
            self.included.push(Included {
                text: text.to_string(),
                trace,
            });
        }
    }

    /// The output from `at` on was just printed by the action at `pos`: where it passes on
    /// text an `include` wrote, that text keeps its own trace.
    fn trace_included(&mut self, at: usize, pos: u32) {
        let included = std::mem::take(&mut self.included);
        if let Some(trace) = &mut self.trace
            && !included.is_empty()
        {
            let line_start = self.out[..at].ends_with('\n') || at == 0;
            let printed = &self.out[at..];
            passthrough::trace(printed, at, line_start, &included, (self.tree, pos), trace);
        }
    }

    /// Prints a value as an action does. Helm writes a string's bytes as they are, UTF-8 or
    /// not, but our output is a `String` (manifests are parsed, diffed and reported as text),
    /// so a `RawStr` goes in as `sprint_v` gives it: each invalid byte as U+FFFD, which is the
    /// text Helm's output reads as once decoded as UTF-8 (its JSON, and so the oracle, shows
    /// exactly that). What `include` and `tpl` return is this text too, not the raw bytes.
    fn print_value(&mut self, val: &Val) {
        if let Some(watch) = self.shared.watching() {
            watch.whole(&val.v);
        }
        match &val.v {
            Value::Nil => self.out.push_str("<no value>"),
            Value::Object(o) => self.out.push_str(&o.print_text()),
            // What `sprint_v` writes for a string, without building a copy of it first.
            Value::Str(s) => {
                if self.shared.budget.step(1) {
                    self.out.push_str(s);
                }
            }
            v => self.out.push_str(&super::fmt::sprint_v(v)),
        }
    }

    fn walk_if_or_with(&mut self, dot: &Val, b: &'a Branch, with: bool) -> R<()> {
        let mark = self.vars.len();
        let val = self.eval_pipeline(dot, &b.pipe)?;
        // Only an action prints what an `include` returned.
        self.included.clear();
        let r = if val.v.truthy() {
            if with {
                self.walk_list(&val, &b.list)
            } else {
                self.walk_list(dot, &b.list)
            }
        } else if let Some(else_list) = &b.else_list {
            self.walk_list(dot, else_list)
        } else {
            Ok(())
        };
        self.vars.truncate(mark);
        r
    }

    fn set_var(&mut self, name: &str, val: Val) -> R<()> {
        match self.vars.iter_mut().rev().find(|(n, _)| *n == name) {
            Some(slot) => {
                slot.1 = val;
                Ok(())
            }
            None => self.errorf(format!("undefined variable: {name}")),
        }
    }

    fn set_top_var(&mut self, n: usize, val: Val) {
        let len = self.vars.len();
        if n <= len {
            self.vars[len - n].1 = val;
        }
    }

    fn var_value(&self, name: &str) -> R<Val> {
        match self.vars.iter().rev().find(|(n, _)| *n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => self.errorf(format!("undefined variable: {name}")),
        }
    }

    /// One pass of a range body; returns false when the loop must stop (`break`).
    fn range_iteration(&mut self, b: &'a Branch, mark: usize, index: Val, elem: Val) -> R<bool> {
        self.step(1)?;
        let decl = &b.pipe.decl;
        if !decl.is_empty() {
            if b.pipe.is_assign {
                if decl.len() > 1 {
                    self.set_var(&decl[0], index.clone())?;
                } else {
                    self.set_var(&decl[0], elem.clone())?;
                }
            } else {
                self.set_top_var(1, elem.clone());
            }
        }
        if decl.len() > 1 {
            if b.pipe.is_assign {
                self.set_var(&decl[1], elem.clone())?;
            } else {
                self.set_top_var(2, index);
            }
        }
        let r = self.walk_list(&elem, &b.list);
        self.vars.truncate(mark);
        match r {
            Ok(()) | Err(Flow::Continue) => Ok(true),
            Err(Flow::Break) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn walk_range(&mut self, dot: &Val, b: &'a Branch) -> R<()> {
        let outer = self.vars.len();
        let mut val = self.eval_pipeline(dot, &b.pipe)?;
        self.included.clear();
        if let Value::Object(o) = &val.v
            && let Some(p) = o.plain()
        {
            val = Val::plain(p);
        }
        if let Some(watch) = self.shared.watching() {
            watch.whole(&val.v);
        }
        let mark = self.vars.len();
        let ran = match &val.v {
            Value::List(l) if !l.items.is_empty() => {
                let items = l.items.clone();
                for (i, item) in items.iter().enumerate() {
                    let idx = Val::plain(Value::int(i as i64));
                    if !self.range_iteration(b, mark, idx, Val::slot(item.clone()))? {
                        break;
                    }
                }
                true
            }
            Value::Bytes(bytes) if !bytes.is_empty() => {
                let bytes = bytes.clone();
                for (i, c) in bytes.iter().enumerate() {
                    let idx = Val::plain(Value::int(i as i64));
                    let elem = Val::plain(Value::Int(*c as i64, IntTy::Uint8));
                    if !self.range_iteration(b, mark, idx, elem)? {
                        break;
                    }
                }
                true
            }
            Value::Map(m) if !m.entries.borrow().is_empty() => {
                let entries: Vec<(Value, Value)> = m
                    .entries
                    .borrow()
                    .iter()
                    .map(|(k, v)| (Value::str(k), v.clone()))
                    .collect();
                for (k, v) in entries {
                    if !self.range_iteration(b, mark, Val::plain(k), Val::slot(v))? {
                        break;
                    }
                }
                true
            }
            Value::Int(n, ty) => {
                if b.pipe.decl.len() > 1 {
                    let shown = super::fmt::sprint_v(&val.v);
                    return self.errorf(format!(
                        "can't use {shown} to iterate over more than one variable"
                    ));
                }
                for i in 0..(*n).max(0) {
                    let elem = Val::plain(Value::Int(i, *ty));
                    if !self.range_iteration(b, mark, Val::default(), elem)? {
                        break;
                    }
                }
                *n > 0
            }
            Value::List(_) | Value::Map(_) | Value::Bytes(_) | Value::Nil => false,
            other => {
                let shown = super::fmt::sprint_v(other);
                return self.errorf(format!("range can't iterate over {shown}"));
            }
        };
        let r = match (&b.else_list, ran) {
            (Some(list), false) => self.walk_list(dot, list),
            _ => Ok(()),
        };
        self.vars.truncate(outer);
        r
    }

    fn walk_template(&mut self, dot: &Val, t: &'a TemplateCall) -> R<()> {
        self.at(At::Template(t));
        let Some(tree) = self.scope.lookup(&t.name) else {
            return self.errorf(format!(
                "template {} not defined",
                super::fmt::quote(&t.name)
            ));
        };
        if self.depth >= self.engine.limits.max_depth || self.shared.stack_exhausted() {
            return self.errorf(format!(
                "exceeded maximum template depth ({})",
                self.engine.limits.max_depth
            ));
        }
        let new_dot = match &t.pipe {
            Some(p) => self.eval_pipeline(dot, p)?,
            None => Val::default(),
        };
        self.included.clear();
        let saved_vars = std::mem::replace(&mut self.vars, vec![("$", new_dot.clone())]);
        let at = self.out.len();
        self.mark(t.pos);
        let marks = self.trace.as_ref().map_or(0, Vec::len);
        let saved_tree = std::mem::replace(&mut self.tree, tree);
        self.depth += 1;
        let r = self.walk_list(&new_dot, &tree.root);
        self.depth -= 1;
        self.tree = saved_tree;
        self.vars = saved_vars;
        self.complete_line(at, marks);
        r
    }

    /// Output from `at` on came from a template call whose trace begins at `marks`: when the
    /// call wrote in the middle of a line, what it wrote up to that line's end stays the
    /// call's, as the output of an `include` written there does (`name: {{ template
    /// "app.fullname" . }}` is the caller's line).
    fn complete_line(&mut self, at: usize, marks: usize) {
        let Some(trace) = &mut self.trace else { return };
        if at == 0 || self.out[..at].ends_with('\n') {
            return;
        }
        let end = self.out[at..].find('\n').map_or(self.out.len(), |i| at + i);
        let to = marks + trace[marks..].partition_point(|m| m.0 < end);
        trace.drain(marks..to);
    }

    pub(crate) fn eval_pipeline(&mut self, dot: &Val, pipe: &'a Pipe) -> R<Val> {
        self.at(At::Pipe(pipe));
        let mut value: Option<Val> = None;
        for cmd in &pipe.cmds {
            let v = self.eval_command(dot, cmd, value.take())?;
            // Go digs the dynamic value out of an interface after every stage.
            value = Some(Val::plain(v.v));
        }
        let value = value.unwrap_or_default();
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, value.clone())?;
            } else {
                self.vars.push((&**name, value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], final_: &Option<Val>) -> R<()> {
        if args.len() > 1 || final_.is_some() {
            return self.errorf(format!("can't give argument to non-function {}", args[0]));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Val, cmd: &'a Command, final_: Option<Val>) -> R<Val> {
        self.step(1)?;
        let first = &cmd.args[0];
        match first {
            Arg::Field { idents, .. } => {
                self.at(At::Arg(first));
                self.eval_field_chain(dot, dot, idents, &cmd.args, final_)
            }
            Arg::Chain { .. } => self.eval_chain(dot, first, &cmd.args, final_),
            Arg::Identifier { name, .. } => {
                self.eval_function(dot, name, first, At::Cmd(cmd), &cmd.args[1..], final_)
            }
            Arg::Pipe(p) => {
                self.not_a_function(&cmd.args, &final_)?;
                self.eval_pipeline(dot, p)
            }
            Arg::Variable { idents, .. } => {
                self.eval_variable(dot, first, idents, &cmd.args, final_)
            }
            _ => {
                self.at(At::Arg(first));
                self.not_a_function(&cmd.args, &final_)?;
                match first {
                    Arg::Bool { val, .. } => Ok(Val::plain(Value::Bool(*val))),
                    Arg::Dot { .. } => Ok(dot.clone()),
                    Arg::Nil { .. } => self.errorf("nil is not a command".into()),
                    Arg::Number { .. } => Ok(Val::plain(self.ideal_constant(first)?)),
                    Arg::String { lit, .. } => Ok(Val::plain(Value::Str(self.tree.literal(lit)))),
                    _ => self.errorf(format!("can't evaluate command {first}")),
                }
            }
        }
    }

    fn ideal_constant(&mut self, arg: &'a Arg) -> R<Value> {
        self.at(At::Arg(arg));
        let Arg::Number { text, num, .. } = arg else {
            return self.errorf(format!("can't evaluate command {arg}"));
        };
        let t = text.as_bytes();
        let hex_int =
            t.len() > 2 && t[0] == b'0' && (t[1] | 0x20) == b'x' && !text.contains(['p', 'P']);
        let rune_int = t.first() == Some(&b'\'');
        if num.is_float && !hex_int && !rune_int && text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(Value::Float(num.float));
        }
        if num.is_int {
            return Ok(Value::int(num.int));
        }
        self.errorf(format!("{text} overflows int"))
    }

    fn eval_variable(
        &mut self,
        dot: &Val,
        node: &'a Arg,
        idents: &'a [Snippet],
        args: &'a [Arg],
        final_: Option<Val>,
    ) -> R<Val> {
        self.at(At::Arg(node));
        let value = self.var_value(&idents[0])?;
        if idents.len() == 1 {
            self.not_a_function(args, &final_)?;
            return Ok(value);
        }
        self.eval_field_chain(dot, &value, &idents[1..], args, final_)
    }

    fn eval_chain(
        &mut self,
        dot: &Val,
        chain: &'a Arg,
        args: &'a [Arg],
        final_: Option<Val>,
    ) -> R<Val> {
        self.at(At::Arg(chain));
        let Arg::Chain { node, fields, .. } = chain else {
            return self.errorf(format!("can't evaluate command {chain}"));
        };
        if let Arg::Nil { .. } = node.as_ref() {
            return self.errorf(format!("indirection through explicit nil in {chain}"));
        }
        // Go leaves the error position where evaluating the receiver left it.
        let receiver = self.eval_arg_val(dot, node)?;
        self.eval_field_chain(dot, &receiver, fields, args, final_)
    }

    fn eval_field_chain(
        &mut self,
        dot: &Val,
        receiver: &Val,
        idents: &'a [Snippet],
        args: &'a [Arg],
        final_: Option<Val>,
    ) -> R<Val> {
        let n = idents.len();
        // The first receiver (often the dot) is only looked into, never copied.
        let mut owned: Val;
        let mut receiver = receiver;
        for name in &idents[..n - 1] {
            owned = self.eval_field(dot, name, &[], None, receiver)?;
            receiver = &owned;
        }
        self.eval_field(dot, &idents[n - 1], args, final_, receiver)
    }

    fn eval_field(
        &mut self,
        dot: &Val,
        name: &str,
        args: &'a [Arg],
        final_: Option<Val>,
        receiver: &Val,
    ) -> R<Val> {
        if receiver.is_invalid() {
            return Ok(Val::default());
        }
        let has_args = args.len() > 1 || final_.is_some();
        // Only error messages name the type: not made for every field access.
        let typ = || receiver.type_name();
        match &receiver.v {
            Value::Nil => self.errorf(format!("nil pointer evaluating {}.{name}", typ())),
            Value::Map(m) => {
                if has_args {
                    return self.errorf(format!("{name} is not a method but has arguments"));
                }
                if let Some(watch) = self.shared.watching() {
                    watch.field(m, name);
                }
                let v = super::value::entry(&m.entries.borrow(), name)
                    .cloned()
                    .unwrap_or_default();
                Ok(Val::slot(v))
            }
            Value::Object(o) => {
                let o = o.clone();
                if o.has_method(name) {
                    let mut argv = Vec::new();
                    for a in args.iter().skip(1) {
                        argv.push(self.eval_arg(dot, Param::Any, a)?);
                    }
                    if let Some(f) = final_ {
                        argv.push(f.v);
                    }
                    if let Some(watch) = self.shared.watching() {
                        argv.iter().for_each(|a| watch.whole(a));
                    }
                    return match o.call_method(name, &argv) {
                        Ok(v) => Ok(Val::plain(v)),
                        Err(e) => Err(Flow::Err(
                            self.make_error(format!("error calling {name}: {e}")),
                        )),
                    };
                }
                match o.field(name) {
                    Some(v) => {
                        if has_args {
                            return self.errorf(format!(
                                "{name} has arguments but cannot be invoked as function"
                            ));
                        }
                        Ok(Val::plain(v))
                    }
                    None => self.errorf(format!("can't evaluate field {name} in type {}", typ())),
                }
            }
            _ => self.errorf(format!("can't evaluate field {name} in type {}", typ())),
        }
    }

    /// An operand evaluated without a parameter type (a chain's receiver).
    fn eval_arg_val(&mut self, dot: &Val, arg: &'a Arg) -> R<Val> {
        self.at(At::Arg(arg));
        match arg {
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Field { idents, .. } => {
                self.eval_field_chain(dot, dot, idents, std::slice::from_ref(arg), None)
            }
            Arg::Variable { idents, .. } => self.eval_variable(dot, arg, idents, &[], None),
            Arg::Pipe(p) => self.eval_pipeline(dot, p),
            Arg::Identifier { name, .. } => {
                self.eval_function(dot, name, arg, At::Arg(arg), &[], None)
            }
            Arg::Chain { .. } => self.eval_chain(dot, arg, &[], None),
            Arg::Nil { .. } => Ok(Val::default()),
            Arg::Bool { val, .. } => Ok(Val::plain(Value::Bool(*val))),
            Arg::Number { .. } => Ok(Val::plain(self.ideal_constant(arg)?)),
            Arg::String { lit, .. } => Ok(Val::plain(Value::Str(self.tree.literal(lit)))),
        }
    }

    /// Go's `evalArg`: evaluates an argument for a parameter of type `param`.
    fn eval_arg(&mut self, dot: &Val, param: Param, arg: &'a Arg) -> R<Value> {
        self.at(At::Arg(arg));
        match arg {
            Arg::Dot { .. }
            | Arg::Field { .. }
            | Arg::Variable { .. }
            | Arg::Pipe(_)
            | Arg::Identifier { .. }
            | Arg::Chain { .. } => {
                let v = self.eval_arg_val(dot, arg)?;
                return self.validate_type(v, param);
            }
            Arg::Nil { .. } => {
                return match param {
                    Param::Any | Param::Value | Param::List | Param::Strings | Param::Map => {
                        Ok(Value::Nil)
                    }
                    _ => self.errorf(format!("cannot assign nil to {}", param_type(param))),
                };
            }
            _ => {}
        }
        match (param, arg) {
            (Param::Any | Param::Value, _) => self.eval_arg_val(dot, arg).map(|v| v.v),
            (Param::Bool, Arg::Bool { val, .. }) => Ok(Value::Bool(*val)),
            (Param::Bool, _) => self.errorf(format!("expected bool; found {arg}")),
            (Param::Float, Arg::Number { num, .. }) if num.is_float => Ok(Value::Float(num.float)),
            (Param::Float, _) => self.errorf(format!("expected float; found {arg}")),
            (Param::Int | Param::Int64, Arg::Number { num, .. }) if num.is_int => {
                let ty = if param == Param::Int {
                    IntTy::Int
                } else {
                    IntTy::Int64
                };
                Ok(Value::Int(num.int, ty))
            }
            (Param::Int | Param::Int64, _) => self.errorf(format!("expected integer; found {arg}")),
            (Param::Str, Arg::String { lit, .. }) => Ok(Value::Str(self.tree.literal(lit))),
            (Param::Str, _) => self.errorf(format!("expected string; found {arg}")),
            _ => self.errorf(format!(
                "can't handle {arg} for arg of type {}",
                param_type(param)
            )),
        }
    }

    /// Go's `validateType`: can this value be passed as a parameter of type `param`?
    fn validate_type(&self, val: Val, param: Param) -> R<Value> {
        if val.is_invalid() {
            return match param {
                Param::Any | Param::Value | Param::List | Param::Strings | Param::Map => {
                    Ok(Value::Nil)
                }
                _ => self.errorf(format!("invalid value; expected {}", param_type(param))),
            };
        }
        let ok = match (&val.v, param) {
            (_, Param::Any | Param::Value) => true,
            (Value::Str(_) | Value::RawStr(_), Param::Str) => true,
            (Value::Int(_, IntTy::Int), Param::Int) => true,
            (Value::Int(_, IntTy::Int64), Param::Int64) => true,
            (Value::Float(_), Param::Float) => true,
            (Value::Bool(_), Param::Bool) => true,
            (Value::List(l), Param::List) => l.elem == super::value::Elem::Any,
            (Value::List(l), Param::Strings) => l.elem == super::value::Elem::Str,
            (Value::Map(_), Param::Map) => true,
            _ => false,
        };
        if ok {
            return Ok(val.v);
        }
        let got = if val.v.is_nil() {
            "interface {}".to_string()
        } else {
            val.v.type_name()
        };
        self.errorf(format!(
            "wrong type for value; expected {}; got {got}",
            param_type(param)
        ))
    }

    fn eval_function(
        &mut self,
        dot: &Val,
        name: &str,
        ident: &'a Arg,
        node: At<'a>,
        args: &'a [Arg],
        final_: Option<Val>,
    ) -> R<Val> {
        self.at(At::Arg(ident));
        let engine = self.engine;
        let Some(func) = engine.funcs.get(name) else {
            return self.errorf(format!(
                "{} is not a defined function",
                super::fmt::quote(name)
            ));
        };
        if func.recorded {
            let offset = ident.pos() as usize;
            let (line, column) = self.tree.line_and_column(offset);
            self.shared.record_call(Call {
                func: name.into(),
                file: self.tree.parse_name.clone(),
                offset,
                line,
                column,
            });
        }
        self.eval_call(dot, name, func, node, args, final_)
    }

    fn eval_call(
        &mut self,
        dot: &Val,
        name: &str,
        func: &'a Func,
        node: At<'a>,
        args: &'a [Arg],
        final_: Option<Val>,
    ) -> R<Val> {
        let num_in = args.len() + usize::from(final_.is_some());
        let num_fixed = func.params.len();
        if func.variadic.is_some() {
            if num_in < num_fixed {
                return self.errorf(format!(
                    "wrong number of args for {name}: want at least {num_fixed} got {}",
                    args.len()
                ));
            }
        } else if num_in != num_fixed {
            return self.errorf(format!(
                "wrong number of args for {name}: want {num_fixed} got {num_in}"
            ));
        }
        let param_at = |i: usize| {
            if i < num_fixed {
                func.params[i]
            } else {
                func.variadic.unwrap_or(Param::Any)
            }
        };
        if func.builtin && (name == "and" || name == "or") {
            let want = name == "or";
            let mut last = Value::Nil;
            for a in args {
                last = self.eval_arg(dot, Param::Value, a)?;
                if last.truthy() == want {
                    return Ok(Val::plain(last));
                }
            }
            if let Some(f) = final_ {
                last = f.v;
            }
            return Ok(Val::plain(last));
        }
        if func.builtin && name == "call" {
            let callee = self.eval_arg(dot, Param::Value, &args[0])?;
            let msg = if callee.is_nil() {
                "call of nil".to_string()
            } else {
                format!("non-function {} of type {}", args[0], callee.type_name())
            };
            self.at(node);
            return Err(Flow::Err(
                self.make_error(format!("error calling call: {msg}")),
            ));
        }
        // Most calls take a few arguments: they live on the stack, not in a fresh `Vec`.
        let mut few: [Value; 4] = Default::default();
        let mut many: Vec<Value> = Vec::new();
        let argv: &mut [Value] = if num_in <= few.len() {
            &mut few[..num_in]
        } else {
            many.resize(num_in, Value::Nil);
            &mut many
        };
        for (i, a) in args.iter().enumerate() {
            argv[i] = self.eval_arg(dot, param_at(i), a)?;
        }
        if let Some(f) = final_ {
            argv[args.len()] = self.validate_type(f, param_at(args.len()))?;
        }
        if !func.raw_strings {
            for (i, v) in argv.iter_mut().enumerate() {
                if let Value::RawStr(b) = v
                    && param_at(i) == Param::Str
                {
                    *v = Value::string(lossy(b).into_owned());
                }
            }
        }
        let watched = self.shared.watching().map(|w| (w, w.call(name, argv)));
        let result = {
            let mut ctx = CallCtx { exec: self };
            func.call(&mut ctx, argv)
        };
        if let (Some((watch, call)), Ok(v)) = (watched, &result) {
            watch.returned(call, v);
        }
        // The arguments are dropped here, after which `few` holds only nils: dropped as an
        // array, it would call `Value`'s drop for each slot, used or not (most calls use one
        // or two).
        argv.iter_mut().for_each(|v| drop(std::mem::take(v)));
        std::mem::forget(few);
        if self.shared.budget.is_spent()
            || result
                .as_ref()
                .is_ok_and(|v| !self.shared.budget.charge(held_bytes(v)))
        {
            self.at(node);
            return Err(self.budget_error(Some(name)));
        }
        match result {
            Ok(v) => Ok(Val {
                v,
                iface: func.returns_iface,
            }),
            Err(e) => {
                self.at(node);
                Err(Flow::Err(
                    self.make_error(format!("error calling {name}: {e}")),
                ))
            }
        }
    }
}
