//! Sprig's regular-expression functions (Go's RE2 syntax; Rust's `regex` crate accepts the
//! same language for the patterns charts use).

use regex::Regex;

use super::{Param, add, n, s, str_list};
use crate::render::value::Value;
use crate::render::{Engine, Func, FuncResult};

const S: Param = Param::Str;
const I: Param = Param::Int;

type Compile = fn(&str) -> Result<Regex, String>;

/// Registers `name` (which panics on a bad pattern, as `regexp.MustCompile`) and its `must…`
/// twin (which returns the compile error).
fn both(e: &mut Engine, name: &str, params: &[Param], f: fn(Compile, &[Value]) -> FuncResult) {
    let must = format!("must{}{}", name[..1].to_uppercase(), &name[1..]);
    e.register(
        name,
        Func::new(params, None, move |_, a| f(must_compile, a)),
    );
    e.register(&must, Func::new(params, None, move |_, a| f(compile, a)));
}

pub(super) fn register(e: &mut Engine) {
    add(e, "regexMatch", &[S, S], None, |a| {
        Ok(Value::Bool(
            compile(s(a, 0)).is_ok_and(|r| r.is_match(s(a, 1))),
        ))
    });
    add(e, "mustRegexMatch", &[S, S], None, |a| {
        Ok(Value::Bool(compile(s(a, 0))?.is_match(s(a, 1))))
    });
    both(e, "regexFindAll", &[S, S, I], |c, a| {
        let r = c(s(a, 0))?;
        let limit = usize::try_from(n(a, 2)).unwrap_or(usize::MAX);
        Ok(str_list(
            r.find_iter(s(a, 1))
                .take(limit)
                .map(|m| m.as_str().to_string()),
        ))
    });
    both(e, "regexFind", &[S, S], |c, a| {
        let r = c(s(a, 0))?;
        Ok(Value::string(
            r.find(s(a, 1))
                .map(|m| m.as_str().to_string())
                .unwrap_or_default(),
        ))
    });
    both(e, "regexReplaceAll", &[S, S, S], |c, a| {
        let r = c(s(a, 0))?;
        Ok(Value::string(r.replace_all(s(a, 1), s(a, 2)).into_owned()))
    });
    both(e, "regexReplaceAllLiteral", &[S, S, S], |c, a| {
        let r = c(s(a, 0))?;
        Ok(Value::string(
            r.replace_all(s(a, 1), regex::NoExpand(s(a, 2)))
                .into_owned(),
        ))
    });
    both(e, "regexSplit", &[S, S, I], |c, a| {
        let r = c(s(a, 0))?;
        let parts: Vec<String> = match usize::try_from(n(a, 2)) {
            Ok(0) => Vec::new(),
            Ok(k) => r.splitn(s(a, 1), k).map(str::to_string).collect(),
            Err(_) => r.split(s(a, 1)).map(str::to_string).collect(),
        };
        Ok(str_list(parts))
    });
    add(e, "regexQuoteMeta", &[S], None, |a| {
        Ok(Value::string(regex::escape(s(a, 0))))
    });
}

/// Compiles a pattern; the error is Go's `regexp.Compile` message where the cause maps onto
/// one of Go's (`missing closing )`, …), else a generic one.
fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| {
        let detail = e.to_string();
        let (code, fragment) = if detail.contains("unclosed group") {
            ("missing closing )", pattern.to_string())
        } else if detail.contains("unclosed character class") {
            let at = pattern.rfind('[').unwrap_or(0);
            ("missing closing ]", pattern[at..].to_string())
        } else if detail.contains("unopened group") {
            ("unexpected )", pattern.to_string())
        } else if detail.contains("repetition operator missing expression") {
            (
                "missing argument to repetition operator",
                pattern.to_string(),
            )
        } else {
            ("invalid syntax", pattern.to_string())
        };
        format!("error parsing regexp: {code}: `{fragment}`")
    })
}

/// `regexp.MustCompile`'s panic text, for the functions that are not `must…`.
fn must_compile(pattern: &str) -> Result<Regex, String> {
    compile(pattern).map_err(|e| {
        format!(
            "regexp: Compile({}): {e}",
            crate::render::fmt::quote_backtick(pattern)
        )
    })
}
