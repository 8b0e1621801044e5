//! Helm's own template functions: `include`, `tpl`, `required`, `fail`, `lookup`.

use std::collections::BTreeMap;

use super::args::{add, add_ctx, s};
use crate::error::{WARN_END, WARN_START};
use gotmpl::Param;
use gotmpl::value::Value;
use gotmpl::{CallCtx, Engine, Error, FuncResult};

/// Helm's cap on nested `include`s of one name.
const MAX_INCLUDE_DEPTH: usize = 1000;

/// Cap on nested `tpl`s. Helm has none (a value that `tpl`s itself recurses until Go's stack
/// overflows); charts nest a handful.
const MAX_TPL_DEPTH: usize = 1000;

/// Counter of nested `tpl`s in [`gotmpl::Shared::counters`].
const TPL_COUNTER: &str = "\0tpl";

pub(super) fn register(e: &mut Engine) {
    add_ctx(e, "include", &[Param::Str, Param::Any], include);
    add_ctx(e, "tpl", &[Param::Str, Param::Map], tpl);
    e.register(
        "required",
        gotmpl::Func::of_args(&[Param::Str, Param::Any], None, |a| match &a[1] {
            Value::Nil => Err(warn(s(a, 0))),
            Value::Str(v) if v.is_empty() => Err(warn(s(a, 0))),
            v => Ok(v.clone()),
        })
        .iface(),
    );
    add(e, "fail", &[Param::Str], None, |a| Err(warn(s(a, 0))));
    // Recorded: what a template renders from live cluster state is what a check must flag,
    // and only the calls that ran tell that (not the text `lookup` in comments or skipped
    // branches).
    e.register(
        "lookup",
        gotmpl::Func::of_args(
            &[Param::Str, Param::Str, Param::Str, Param::Str],
            None,
            |_| Ok(Value::map(BTreeMap::new())),
        )
        .recorded(),
    );
}

/// A message Helm reports as `execution error at (LOC): MSG`.
fn warn(msg: &str) -> String {
    format!("{WARN_START}{msg}{WARN_END}")
}

fn include(ctx: &mut CallCtx<'_, '_>, a: &[Value]) -> FuncResult {
    let name = s(a, 0);
    let depth = {
        let mut counters = ctx.shared().counters.borrow_mut();
        let c = match counters.get_mut(name) {
            Some(c) => c,
            None => counters.entry(name.to_string()).or_insert(0),
        };
        if *c > MAX_INCLUDE_DEPTH {
            return Err(format!(
                "rendering template has a nested reference name: {name}: unable to execute template"
            ));
        }
        *c += 1;
        *c
    };
    let r = ctx.execute_template(name, a[1].clone());
    if let Some(c) = ctx.shared().counters.borrow_mut().get_mut(name) {
        *c = depth - 1;
    }
    r.map(Value::string)
}

fn tpl(ctx: &mut CallCtx<'_, '_>, a: &[Value]) -> FuncResult {
    let depth = {
        let mut counters = ctx.shared().counters.borrow_mut();
        let c = counters.entry(TPL_COUNTER.to_string()).or_insert(0);
        *c += 1;
        *c
    };
    if depth > MAX_TPL_DEPTH {
        // Stopped as a spent budget is: one small error, not the text of every level.
        ctx.shared()
            .budget
            .stop(format!("tpl nested deeper than {MAX_TPL_DEPTH} levels"));
    }
    let r = if depth > MAX_TPL_DEPTH {
        Err(String::new())
    } else {
        tpl_text(ctx, a)
    };
    if let Some(c) = ctx.shared().counters.borrow_mut().get_mut(TPL_COUNTER) {
        *c = depth - 1;
    }
    r
}

fn tpl_text(ctx: &mut CallCtx<'_, '_>, a: &[Value]) -> FuncResult {
    let text = s(a, 0).to_string();
    match ctx.execute_text("gotpl", &text, a[1].clone()) {
        Ok(out) => Ok(Value::string(out.replace("<no value>", ""))),
        Err(Error::Parse(p)) => Err(format!(
            "cannot parse template {}: {p}",
            gotmpl::fmt::quote(&text)
        )),
        Err(e) => Err(format!(
            "error during tpl function execution for {}: {e}",
            gotmpl::fmt::quote(&text)
        )),
    }
}
