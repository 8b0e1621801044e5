//! Sprig's regular-expression functions. Patterns are Go's RE2 syntax, translated where Rust's
//! `regex` crates read the same text differently (`regex_pattern`); matches are iterated with
//! Go's rules for empty matches ([`find_all`]).

use std::sync::Arc;

use super::args::{add, n, s, str_list};
use super::regex_pattern::{self, Pattern, compile, must_compile};
use gotmpl::Engine;
use gotmpl::Param;
use gotmpl::value::Value;

const S: Param = Param::Str;
const I: Param = Param::Int;

type Compile = fn(&str) -> Result<Arc<Pattern>, String>;

/// Registers `$name` (which panics on a bad pattern, as `regexp.MustCompile`) and its `must…`
/// twin `$must` (which returns the compile error): `$body` computes both, with `$c` the way
/// to compile. A macro, so that each is a plain function, registered without allocating.
macro_rules! both {
    ($e:expr, $name:literal, $must:literal, $params:expr, |$c:ident, $a:ident| $body:block) => {
        add($e, $name, $params, None, |$a| {
            let $c: Compile = must_compile;
            $body
        });
        add($e, $must, $params, None, |$a| {
            let $c: Compile = compile;
            $body
        });
    };
}

pub(super) fn register(e: &mut Engine) {
    regex_pattern::count_render();
    add(e, "regexMatch", &[S, S], None, |a| {
        Ok(Value::Bool(
            compile(s(a, 0)).is_ok_and(|r| r.is_match(s(a, 1))),
        ))
    });
    add(e, "mustRegexMatch", &[S, S], None, |a| {
        Ok(Value::Bool(compile(s(a, 0))?.is_match(s(a, 1))))
    });
    both!(e, "regexFindAll", "mustRegexFindAll", &[S, S, I], |c, a| {
        let r = c(s(a, 0))?;
        let limit = usize::try_from(n(a, 2)).unwrap_or(usize::MAX);
        let text = s(a, 1);
        Ok(str_list(
            find_all(&r, text, limit)
                .into_iter()
                .map(|(b, e)| text[b..e].to_string()),
        ))
    });
    both!(e, "regexFind", "mustRegexFind", &[S, S], |c, a| {
        let r = c(s(a, 0))?;
        let text = s(a, 1);
        Ok(Value::string(
            r.find_at(text, 0)
                .map(|(b, e)| text[b..e].to_string())
                .unwrap_or_default(),
        ))
    });
    both!(
        e,
        "regexReplaceAll",
        "mustRegexReplaceAll",
        &[S, S, S],
        |c, a| {
            let r = c(s(a, 0))?;
            Ok(Value::string(r.replace_all(s(a, 1), s(a, 2), false)))
        }
    );
    both!(
        e,
        "regexReplaceAllLiteral",
        "mustRegexReplaceAllLiteral",
        &[S, S, S],
        |c, a| {
            let r = c(s(a, 0))?;
            Ok(Value::string(r.replace_all(s(a, 1), s(a, 2), true)))
        }
    );
    both!(e, "regexSplit", "mustRegexSplit", &[S, S, I], |c, a| {
        let r = c(s(a, 0))?;
        Ok(str_list(split(&r, s(a, 0), s(a, 1), n(a, 2))))
    });
    add(e, "regexQuoteMeta", &[S], None, |a| {
        Ok(Value::string(quote_meta(s(a, 0))))
    });
}

/// Go's `regexp.QuoteMeta` (Rust's `regex::escape` also escapes `#&-~`).
fn quote_meta(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Go's `FindAllStringIndex`: successive matches, where an empty match right after the
/// previous match is dropped.
pub(super) fn find_all(r: &Pattern, text: &str, limit: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let (mut pos, mut prev_end) = (0, None);
    while out.len() < limit && pos <= text.len() {
        let Some((start, end)) = r.find_at(text, pos) else {
            break;
        };
        let accept = !(start == end && prev_end == Some(start));
        pos = if end == pos {
            pos + text[pos..].chars().next().map_or(1, char::len_utf8)
        } else {
            end
        };
        prev_end = Some(end);
        if accept {
            out.push((start, end));
        }
    }
    out
}

/// Go's `Regexp.Split`: at most `n` parts (all when negative); empty matches split between
/// characters, never before the first.
pub(super) fn split(r: &Pattern, pattern: &str, text: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if !pattern.is_empty() && text.is_empty() {
        return vec![String::new()];
    }
    let limit = usize::try_from(n).unwrap_or(usize::MAX);
    let mut parts = Vec::new();
    let (mut begin, mut end) = (0, 0);
    for (start, stop) in find_all(r, text, limit) {
        if parts.len() + 1 == limit {
            break;
        }
        end = start;
        if stop != 0 {
            parts.push(text[begin..end].to_string());
        }
        begin = stop;
    }
    if end != text.len() {
        parts.push(text[begin..].to_string());
    }
    parts
}

#[cfg(test)]
mod tests {
    use gotmpl::{Engine, Value};

    /// Outputs recorded from Helm (../shared/oracle/helm-render).
    #[test]
    fn go_regexp_semantics() {
        let cases = [
            (r#"{{ regexMatch "^[\\w-\\.]+$" "my-master.1" }}"#, "true"),
            (r#"{{ regexQuoteMeta "a-b#c&d~e.f" }}"#, r"a-b#c&d~e\.f"),
            (r#"{{ regexMatch "^\\w+$" "héllo" }}"#, "false"),
            (r#"{{ regexFindAll "\\d" "1٣2" -1 }}"#, "[1 2]"),
            (r#"{{ regexSplit "" "abc" -1 }}"#, "[a b c]"),
            (r#"{{ regexFindAll "a*" "baaac" -1 }}"#, "[ aaa ]"),
            (r#"{{ regexMatch "^[a[b]+$" "[ab" }}"#, "true"),
            (
                r#"{{ regexReplaceAll "\\s+" "a\u00a0b  c" "_" }}"#,
                "a\u{a0}b_c",
            ),
            (r#"{{ regexMatch "\\bé" "é" }}"#, "false"),
            (r#"{{ regexFindAll "[\\d-z]" "5-z" -1 }}"#, "[5 - z]"),
            (r#"{{ regexMatch "[a&&b]" "&" }}"#, "true"),
            (r#"{{ regexMatch "[a~~b]" "~" }}"#, "true"),
            (r#"{{ regexMatch "[a--b]" "-" }}"#, "false"),
            (r#"{{ regexMatch "[[:alpha:]]" "é" }}"#, "false"),
            (
                r#"{{ regexReplaceAll "(a)(b)" "ab" "$2$1 ${1}x $1x" }}"#,
                "ba ax ",
            ),
        ];
        let mut e = Engine::new();
        crate::funcs::register(&mut e);
        for (i, (src, want)) in cases.iter().enumerate() {
            let name = format!("t{i}");
            e.add_template(&name, src).unwrap();
            assert_eq!(e.execute(&name, Value::Nil).unwrap(), *want, "{src}");
        }
    }
}
