//! Sprig's regular-expression functions (Go's RE2 syntax; Rust's `regex` crate accepts the
//! same language for the patterns charts use).

use regex::Regex;

use super::{Param, add, n, s, str_list};
use crate::render::Engine;
use crate::render::value::Value;

const S: Param = Param::Str;
const I: Param = Param::Int;

pub(super) fn register(e: &mut Engine) {
    add(e, "regexMatch", &[S, S], None, |a| {
        Ok(Value::Bool(
            compile(s(a, 0)).is_ok_and(|r| r.is_match(s(a, 1))),
        ))
    });
    add(e, "mustRegexMatch", &[S, S], None, |a| {
        Ok(Value::Bool(compile(s(a, 0))?.is_match(s(a, 1))))
    });
    for name in ["regexFindAll", "mustRegexFindAll"] {
        add(e, name, &[S, S, I], None, |a| {
            let r = compile(s(a, 0))?;
            let limit = usize::try_from(n(a, 2)).unwrap_or(usize::MAX);
            Ok(str_list(
                r.find_iter(s(a, 1))
                    .take(limit)
                    .map(|m| m.as_str().to_string()),
            ))
        });
    }
    for name in ["regexFind", "mustRegexFind"] {
        add(e, name, &[S, S], None, |a| {
            let r = compile(s(a, 0))?;
            Ok(Value::string(
                r.find(s(a, 1))
                    .map(|m| m.as_str().to_string())
                    .unwrap_or_default(),
            ))
        });
    }
    for name in ["regexReplaceAll", "mustRegexReplaceAll"] {
        add(e, name, &[S, S, S], None, |a| {
            let r = compile(s(a, 0))?;
            Ok(Value::string(r.replace_all(s(a, 1), s(a, 2)).into_owned()))
        });
    }
    for name in ["regexReplaceAllLiteral", "mustRegexReplaceAllLiteral"] {
        add(e, name, &[S, S, S], None, |a| {
            let r = compile(s(a, 0))?;
            Ok(Value::string(
                r.replace_all(s(a, 1), regex::NoExpand(s(a, 2)))
                    .into_owned(),
            ))
        });
    }
    for name in ["regexSplit", "mustRegexSplit"] {
        add(e, name, &[S, S, I], None, |a| {
            let r = compile(s(a, 0))?;
            let parts: Vec<String> = match usize::try_from(n(a, 2)) {
                Ok(0) => Vec::new(),
                Ok(k) => r.splitn(s(a, 1), k).map(str::to_string).collect(),
                Err(_) => r.split(s(a, 1)).map(str::to_string).collect(),
            };
            Ok(str_list(parts))
        });
    }
    add(e, "regexQuoteMeta", &[S], None, |a| {
        Ok(Value::string(regex::escape(s(a, 0))))
    });
}

/// Compiles with Go's message on failure (`regexp.MustCompile` panics with it).
fn compile(pattern: &str) -> Result<Regex, String> {
    Regex::new(pattern).map_err(|e| {
        let detail = e.to_string();
        let last = detail.lines().last().unwrap_or("").trim();
        format!(
            "regexp: Compile({}): error parsing regexp: {}",
            crate::render::fmt::quote(pattern),
            last.trim_start_matches("error: ")
        )
    })
}
