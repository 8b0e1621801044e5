//! Sprig's regular-expression functions. Patterns are Go's RE2 syntax, translated where Rust's
//! `regex` crate reads the same text differently ([`go_syntax`]); matches are iterated with Go's
//! rules for empty matches ([`find_all`]).

use std::borrow::Cow;
use std::sync::Arc;

use regex::Regex;

use super::args::{add, n, s, str_list};
use gotmpl::Param;
use gotmpl::value::Value;
use gotmpl::{Engine, Func, FuncResult};

const S: Param = Param::Str;
const I: Param = Param::Int;

type Compile = fn(&str) -> Result<Arc<Regex>, String>;

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
        let text = s(a, 1);
        Ok(str_list(
            find_all(&r, text, limit)
                .into_iter()
                .map(|(b, e)| text[b..e].to_string()),
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
        Ok(str_list(split(&r, s(a, 0), s(a, 1), n(a, 2))))
    });
    add(e, "regexQuoteMeta", &[S], None, |a| {
        Ok(Value::string(quote_meta(s(a, 0))))
    });
}

/// Compiled patterns, by Go pattern, shared by every render of the process: charts call
/// `regexReplaceAll` with the same few literal patterns thousands of times, and compiling
/// dwarfs matching. Bounded, because patterns built from values could be unbounded in number.
const CACHE_LIMIT: usize = 256;

/// Held behind an `Arc`: cloning a `Regex` gives the clone a fresh pool of match caches, which
/// costs more than most matches do, so every use shares the one compiled value and its pool.
type Cache = std::collections::HashMap<String, Arc<Regex>>;

static CACHE: std::sync::LazyLock<std::sync::Mutex<Cache>> =
    std::sync::LazyLock::new(Default::default);

/// Compiles a pattern; the error is Go's `regexp.Compile` message where the cause maps onto
/// one of Go's (`missing closing )`, …), else a generic one.
fn compile(pattern: &str) -> Result<Arc<Regex>, String> {
    // A poisoned lock only means another render panicked; the map itself is still whole.
    let cache = || {
        CACHE
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    };
    if let Some(hit) = cache().get(pattern).cloned() {
        return Ok(hit);
    }
    let compiled = Arc::new(compile_uncached(pattern)?);
    let mut c = cache();
    if c.len() >= CACHE_LIMIT {
        c.clear();
    }
    c.insert(pattern.to_string(), compiled.clone());
    Ok(compiled)
}

fn compile_uncached(pattern: &str) -> Result<Regex, String> {
    Regex::new(&go_syntax(pattern)).map_err(|e| {
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
fn must_compile(pattern: &str) -> Result<Arc<Regex>, String> {
    compile(pattern).map_err(|e| {
        format!(
            "regexp: Compile({}): {e}",
            gotmpl::fmt::quote_backtick(pattern)
        )
    })
}

/// Go's `\w`, `\d`, `\s` (ASCII only; Rust's are Unicode) as class items.
fn perl_class(c: char) -> Option<(&'static str, bool)> {
    Some(match c {
        'w' => ("0-9A-Za-z_", false),
        'W' => ("0-9A-Za-z_", true),
        'd' => ("0-9", false),
        'D' => ("0-9", true),
        's' => ("\\t\\n\\f\\r ", false),
        'S' => ("\\t\\n\\f\\r ", true),
        _ => return None,
    })
}

/// A Go pattern as a Rust pattern that matches the same: Perl classes and `\b` are ASCII in Go;
/// in a class, Go takes `[`, `&&`, `~~`, `--` literally (Rust reads nested classes and set
/// operations) and a `-` after `\w` as a literal; `\Q…\E` quotes.
fn go_syntax(pattern: &str) -> Cow<'_, str> {
    if !pattern.contains(['\\', '[']) {
        return Cow::Borrowed(pattern);
    }
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                let Some(e) = chars.next() else {
                    out.push('\\');
                    break;
                };
                if let Some((items, negated)) = perl_class(e) {
                    match (in_class, negated) {
                        (true, false) => out.push_str(items),
                        (_, true) => out.push_str(&format!("[^{items}]")),
                        (false, false) => out.push_str(&format!("[{items}]")),
                    }
                    if in_class && chars.peek() == Some(&'-') {
                        chars.next();
                        out.push_str("\\-");
                    }
                } else if e == 'Q' && !in_class {
                    let mut literal = String::new();
                    while let Some(q) = chars.next() {
                        if q == '\\' && chars.peek() == Some(&'E') {
                            chars.next();
                            break;
                        }
                        literal.push(q);
                    }
                    out.push_str(&regex::escape(&literal));
                } else if (e == 'b' || e == 'B') && !in_class {
                    out.push_str(&format!("(?-u:\\{e})"));
                } else {
                    out.push('\\');
                    out.push(e);
                }
            }
            '[' if !in_class => {
                in_class = true;
                out.push('[');
                if chars.peek() == Some(&'^') {
                    chars.next();
                    out.push('^');
                }
                if chars.peek() == Some(&']') {
                    chars.next();
                    out.push_str("\\]");
                }
            }
            '[' if chars.peek() == Some(&':') => {
                // `[:alpha:]`: the same ASCII classes in both.
                out.push('[');
                for p in chars.by_ref() {
                    out.push(p);
                    if p == ']' {
                        break;
                    }
                }
            }
            '[' | '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '-' if in_class && chars.peek() == Some(&'-') => {
                out.push('-');
                chars.next();
                out.push_str("\\-");
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    Cow::Owned(out)
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
fn find_all(r: &Regex, text: &str, limit: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let (mut pos, mut prev_end) = (0, None);
    while out.len() < limit && pos <= text.len() {
        let Some(m) = r.find_at(text, pos) else { break };
        let accept = !(m.is_empty() && prev_end == Some(m.start()));
        pos = if m.end() == pos {
            pos + text[pos..].chars().next().map_or(1, char::len_utf8)
        } else {
            m.end()
        };
        prev_end = Some(m.end());
        if accept {
            out.push((m.start(), m.end()));
        }
    }
    out
}

/// Go's `Regexp.Split`: at most `n` parts (all when negative); empty matches split between
/// characters, never before the first.
fn split(r: &Regex, pattern: &str, text: &str, n: i64) -> Vec<String> {
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
