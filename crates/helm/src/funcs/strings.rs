//! Sprig's string functions.

use super::args::{add, add_raw, bytes, n, s, str_list, strslice, strval, strval_bytes};
use gotmpl::Engine;
use gotmpl::Param;
use gotmpl::budget::reserve;
use gotmpl::value::Value;

const S: Param = Param::Str;
const I: Param = Param::Int;
const A: Param = Param::Any;

pub(super) fn register(e: &mut Engine) {
    add(e, "upper", &[S], None, |a| {
        Ok(map_case(s(a, 0), true).into())
    });
    add(e, "lower", &[S], None, |a| {
        Ok(map_case(s(a, 0), false).into())
    });
    add(e, "title", &[S], None, |a| Ok(title(s(a, 0)).into()));
    add(e, "untitle", &[S], None, |a| Ok(untitle(s(a, 0)).into()));
    add(e, "trim", &[S], None, |a| {
        Ok(s(a, 0).trim_matches(is_go_space).into())
    });
    add(e, "trimAll", &[S, S], None, |a| {
        Ok(s(a, 1).trim_matches(|c| s(a, 0).contains(c)).into())
    });
    add(e, "trimall", &[S, S], None, |a| {
        Ok(s(a, 1).trim_matches(|c| s(a, 0).contains(c)).into())
    });
    add(e, "trimSuffix", &[S, S], None, |a| {
        Ok(s(a, 1).strip_suffix(s(a, 0)).unwrap_or(s(a, 1)).into())
    });
    add(e, "trimPrefix", &[S, S], None, |a| {
        Ok(s(a, 1).strip_prefix(s(a, 0)).unwrap_or(s(a, 1)).into())
    });
    // Go slices strings by byte, so these can cut a character (and keep bytes that aren't UTF-8).
    add_raw(e, "trunc", &[I, S], |a| {
        Ok(Value::go_string(trunc(n(a, 0), bytes(a, 1)).to_vec()))
    });
    add_raw(e, "substr", &[I, I, S], |a| {
        Ok(Value::go_string(
            substr(n(a, 0), n(a, 1), bytes(a, 2))?.to_vec(),
        ))
    });
    add(e, "repeat", &[I, S], None, |a| {
        let count = n(a, 0);
        if count < 0 {
            return Err("strings: negative Repeat count".into());
        }
        let text = s(a, 1);
        // Go's check: the length must fit in a Go int.
        let Some(len) = (text.len() as i64).checked_mul(count) else {
            return Err("strings: Repeat output length overflow".into());
        };
        reserve(0, len as u64)?;
        Ok(text.repeat(count as usize).into())
    });
    add(e, "quote", &[], Some(A), |a| Ok(quote_all(a, true)));
    add(e, "squote", &[], Some(A), |a| Ok(quote_all(a, false)));
    add(e, "cat", &[], Some(A), |a| {
        reserve(0, text_bytes(a))?;
        let parts: Vec<String> = a
            .iter()
            .filter(|v| !v.is_nil())
            .map(gotmpl::fmt::sprint_v)
            .collect();
        Ok(parts.join(" ").into())
    });
    add(e, "indent", &[I, S], None, |a| {
        Ok(indent(n(a, 0), s(a, 1), "")?.into())
    });
    add(e, "nindent", &[I, S], None, |a| {
        Ok(indent(n(a, 0), s(a, 1), "\n")?.into())
    });
    add(e, "replace", &[S, S, S], None, |a| {
        let (old, new, text) = (s(a, 0), s(a, 1), s(a, 2));
        if new.len() > old.len() {
            // An empty needle matches between every two characters.
            let matches = if old.is_empty() {
                text.chars().count() + 1
            } else {
                text.matches(old).count()
            };
            let grows = (matches as u64).saturating_mul((new.len() - old.len()) as u64);
            reserve(0, grows.saturating_add(text.len() as u64))?;
        }
        Ok(text.replace(old, new).into())
    });
    add(e, "contains", &[S, S], None, |a| {
        Ok(Value::Bool(s(a, 1).contains(s(a, 0))))
    });
    add(e, "hasPrefix", &[S, S], None, |a| {
        Ok(Value::Bool(s(a, 1).starts_with(s(a, 0))))
    });
    add(e, "hasSuffix", &[S, S], None, |a| {
        Ok(Value::Bool(s(a, 1).ends_with(s(a, 0))))
    });
    add(e, "nospace", &[S], None, |a| {
        Ok(s(a, 0)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .into())
    });
    add(e, "join", &[S, A], None, |a| {
        if let Value::List(l) = &a[1] {
            let seps = (l.items.len() as u64).saturating_mul(s(a, 0).len() as u64);
            reserve(0, seps.saturating_add(text_bytes(&l.items)))?;
        }
        Ok(strslice(&a[1]).join(s(a, 0)).into())
    });
    add(e, "splitList", &[S, S], None, |a| {
        Ok(str_list(split(s(a, 1), s(a, 0), -1)))
    });
    add(e, "split", &[S, S], None, |a| {
        Ok(parts_map(split(s(a, 1), s(a, 0), -1)))
    });
    add(e, "splitn", &[S, I, S], None, |a| {
        Ok(parts_map(split(s(a, 2), s(a, 0), n(a, 1))))
    });
    add(e, "toString", &[A], None, |a| {
        Ok(Value::go_string(strval_bytes(&a[0]).into_owned()))
    });
    add(e, "toStrings", &[A], None, |a| {
        Ok(str_list(strslice(&a[0])))
    });
    add(e, "sortAlpha", &[A], None, |a| {
        let mut v = match &a[0] {
            Value::List(l) => {
                let n = l.items.len() as u64;
                reserve(n * u64::from(n.max(2).ilog2()), text_bytes(&l.items))?;
                strslice(&a[0])
            }
            other => vec![strval(other)],
        };
        v.sort();
        Ok(str_list(v))
    });
    add(e, "abbrev", &[I, S], None, |a| {
        Ok(abbrev(n(a, 0), s(a, 1)).into())
    });
    add(e, "abbrevboth", &[I, I, S], None, |a| {
        let (left, right) = (n(a, 0), n(a, 1));
        if right < 4 || (left > 0 && right < 7) {
            return Ok(s(a, 2).into());
        }
        Ok(abbreviate_full(s(a, 2), left, right).into())
    });
    add(e, "swapcase", &[S], None, |a| {
        Ok(s(a, 0)
            .chars()
            .map(|c| {
                if c.is_uppercase() {
                    c.to_lowercase().collect::<String>()
                } else {
                    c.to_uppercase().collect()
                }
            })
            .collect::<String>()
            .into())
    });
    add(e, "snakecase", &[S], None, |a| {
        Ok(case_words(s(a, 0), '_').into())
    });
    add(e, "kebabcase", &[S], None, |a| {
        Ok(case_words(s(a, 0), '-').into())
    });
    add(
        e,
        "camelcase",
        &[S],
        None,
        |a| Ok(camelcase(s(a, 0)).into()),
    );
    add(e, "initials", &[S], None, |a| {
        Ok(s(a, 0)
            .split_whitespace()
            .filter_map(|w| w.chars().next())
            .collect::<String>()
            .into())
    });
    add(e, "plural", &[S, S, I], None, |a| {
        Ok(if n(a, 2) == 1 { s(a, 0) } else { s(a, 1) }.into())
    });
    add(e, "wrap", &[I, S], None, |a| {
        Ok(wrap(n(a, 0), s(a, 1), "\n").into())
    });
    add(e, "wrapWith", &[I, S, S], None, |a| {
        Ok(wrap(n(a, 0), s(a, 2), s(a, 1)).into())
    });
}

fn is_go_space(c: char) -> bool {
    c.is_whitespace()
}

/// Sprig's `trunc`: a negative count keeps the end.
fn trunc(c: i64, s: &[u8]) -> &[u8] {
    let len = s.len() as i64;
    if c < 0 && len + c > 0 {
        return &s[(len + c) as usize..];
    }
    if c >= 0 && len > c {
        return &s[..c as usize];
    }
    s
}

/// Sprig's `quote`/`squote`: each argument's bytes quoted, joined with spaces.
fn quote_all(a: &[Value], double: bool) -> Value {
    let mut out = Vec::new();
    for (i, v) in a.iter().filter(|v| !v.is_nil()).enumerate() {
        if i > 0 {
            out.push(b' ');
        }
        let text = strval_bytes(v);
        if double {
            out.extend_from_slice(gotmpl::fmt::quote_bytes(&text).as_bytes());
        } else {
            out.push(b'\'');
            out.extend_from_slice(&text);
            out.push(b'\'');
        }
    }
    Value::go_string(out)
}

/// `lead` followed by `v` with every line indented by `spaces`, built in one buffer (charts
/// pipe most of what they print through `nindent`).
fn indent(spaces: i64, v: &str, lead: &str) -> Result<String, String> {
    let lines = memchr::memchr_iter(b'\n', v.as_bytes()).count() as u64 + 1;
    let pad = spaces.max(0) as u64;
    let size = lines.saturating_mul(pad) + v.len() as u64;
    reserve(0, size)?;
    let pad = " ".repeat(pad as usize);
    let mut out = String::with_capacity(lead.len() + size as usize);
    out.push_str(lead);
    for (i, line) in v.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&pad);
        out.push_str(line);
    }
    Ok(out)
}

/// Bytes of the strings among `values` (an upper bound's main part for what joins them).
fn text_bytes(values: &[Value]) -> u64 {
    values
        .iter()
        .map(|v| v.str_bytes().map_or(16, <[u8]>::len) as u64)
        .sum()
}

/// Go's `strings.SplitN`: `n < 0` = all parts; an empty separator splits into characters.
fn split(s: &str, sep: &str, n: i64) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    if sep.is_empty() {
        let chars: Vec<String> = s.chars().map(String::from).collect();
        if n > 0 && chars.len() as i64 > n {
            let head = n as usize - 1;
            let mut out: Vec<String> = chars[..head].to_vec();
            out.push(chars[head..].concat());
            return out;
        }
        return chars;
    }
    if n < 0 {
        s.split(sep).map(str::to_string).collect()
    } else {
        s.splitn(n as usize, sep).map(str::to_string).collect()
    }
}

fn parts_map(parts: Vec<String>) -> Value {
    Value::map(
        parts
            .into_iter()
            .enumerate()
            .map(|(i, p)| (format!("_{i}"), Value::string(p)))
            .collect(),
    )
}

/// Sprig's `substr`: Go slicing, including its out-of-range panics.
fn substr(start: i64, end: i64, s: &[u8]) -> Result<&[u8], String> {
    let len = s.len() as i64;
    let (from, to) = if start < 0 {
        if end < 0 || end > len {
            return Err(format!(
                "runtime error: slice bounds out of range [:{end}] with length {len}"
            ));
        }
        (0, end)
    } else if end < 0 || end > len {
        if start > len {
            return Err(format!(
                "runtime error: slice bounds out of range [{start}:{len}]"
            ));
        }
        (start, len)
    } else {
        if start > end {
            return Err(format!(
                "runtime error: slice bounds out of range [{start}:{end}]"
            ));
        }
        (start, end)
    };
    Ok(&s[from as usize..to as usize])
}

/// Go's `strings.ToUpper`/`ToLower`: per-character simple case mapping (`ß` stays `ß`).
fn map_case(s: &str, upper: bool) -> String {
    s.chars()
        .map(|c| {
            let mut m: Vec<char> = if upper {
                c.to_uppercase().collect()
            } else {
                c.to_lowercase().collect()
            };
            if m.len() == 1 {
                m.pop().unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

fn abbrev(width: i64, s: &str) -> String {
    if width < 4 {
        return s.to_string();
    }
    abbreviate_full(s, 0, width)
}

/// Byte prefix of `s` no longer than `n` bytes (Go slices bytes; we keep whole characters).
fn head(s: &str, n: usize) -> &str {
    let mut n = n.min(s.len());
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    &s[..n]
}

fn tail_from(s: &str, i: usize) -> &str {
    let mut i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i += 1;
    }
    &s[i..]
}

/// goutils' `AbbreviateFull`: `...` on the side(s) where text was cut.
fn abbreviate_full(s: &str, offset: i64, width: i64) -> String {
    let len = s.len() as i64;
    if s.is_empty() || width < 4 || len <= width {
        return s.to_string();
    }
    let mut offset = offset.min(len);
    if len - offset < width - 3 {
        offset = len - (width - 3);
    }
    if offset <= 4 {
        return format!("{}...", head(s, (width - 3) as usize));
    }
    if width < 7 {
        return String::new();
    }
    if offset + width - 3 < len {
        let rest = tail_from(s, offset as usize);
        return format!("...{}", abbreviate_full(rest, 0, width - 3));
    }
    format!("...{}", tail_from(s, (len - (width - 3)) as usize))
}

/// Go's `strings.Title`: upper-cases the first letter after each separator.
fn title(s: &str) -> String {
    let is_sep = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else if c.is_alphanumeric() {
            false
        } else {
            c.is_whitespace()
        }
    };
    let mut out = String::with_capacity(s.len());
    let mut prev = ' ';
    for c in s.chars() {
        if is_sep(prev) {
            out.push_str(&map_case(&c.to_string(), true));
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

fn untitle(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut at_start = true;
    for c in s.chars() {
        if at_start && !c.is_whitespace() {
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
        at_start = c.is_whitespace();
    }
    out
}

fn words(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut cur = String::new();
    let chars: Vec<char> = s.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            continue;
        }
        let boundary = c.is_uppercase()
            && !cur.is_empty()
            && (chars[i - 1].is_lowercase() || chars.get(i + 1).is_some_and(|n| n.is_lowercase()));
        if boundary {
            out.push(std::mem::take(&mut cur));
        }
        cur.push(c);
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

fn case_words(s: &str, sep: char) -> String {
    words(s)
        .iter()
        .map(|w| w.to_lowercase())
        .collect::<Vec<_>>()
        .join(&sep.to_string())
}

fn camelcase(s: &str) -> String {
    s.split(['_', '-', ' '])
        .map(|w| {
            let mut c = w.chars();
            match c.next() {
                Some(f) => f.to_uppercase().chain(c).collect(),
                None => String::new(),
            }
        })
        .collect()
}

/// Sprig's `wrap` (goutils.WrapCustom): breaks lines longer than `width` at spaces.
fn wrap(width: i64, s: &str, newline: &str) -> String {
    let width = width.max(1) as usize;
    let mut out: Vec<String> = Vec::new();
    for line in s.split('\n') {
        let mut rest = line.trim_start_matches(' ');
        // `nth`, not `count`: a long line must not be counted again at every break.
        while rest.chars().nth(width).is_some() {
            let head: String = rest.chars().take(width + 1).collect();
            match head.rfind(' ') {
                Some(i) if i > 0 => {
                    out.push(rest[..i].to_string());
                    rest = rest[i + 1..].trim_start_matches(' ');
                }
                _ => match rest.find(' ') {
                    Some(i) => {
                        out.push(rest[..i].to_string());
                        rest = rest[i + 1..].trim_start_matches(' ');
                    }
                    None => break,
                },
            }
        }
        out.push(rest.to_string());
    }
    out.join(newline)
}
