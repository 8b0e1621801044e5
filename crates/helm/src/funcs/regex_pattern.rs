//! Go patterns compiled for Sprig's regular-expression functions: each in the engine that
//! costs least for what it is used for, all matching as Go's `regexp` does ([`Pattern`]), and
//! cached per process. Rust's engines read some of Go's syntax differently: patterns are
//! translated first ([`go_syntax`]).

use std::borrow::Cow;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Compiled patterns, by Go pattern, shared by every render of the process: charts call
/// `regexReplaceAll` with the same few literal patterns thousands of times, and compiling
/// dwarfs matching. Bounded, because patterns built from values could be unbounded in number.
const CACHE_LIMIT: usize = 256;

/// Held behind an `Arc`: cloning a `Regex` gives the clone a fresh pool of match caches, which
/// costs more than most matches do, so every use shares the one compiled value and its pool.
type Cache = std::collections::HashMap<String, Arc<Pattern>>;

static CACHE: std::sync::LazyLock<std::sync::Mutex<Cache>> =
    std::sync::LazyLock::new(Default::default);

/// Compiles a pattern; the error is Go's `regexp.Compile` message where the cause maps onto
/// one of Go's (`missing closing )`, …), else a generic one.
pub(super) fn compile(pattern: &str) -> Result<Arc<Pattern>, String> {
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

/// A compiled Go pattern, in the engine that costs least to build among those that read it
/// as Go does. regex-lite builds a pattern in a fraction of `regex`'s instructions and memory
/// (`regex` compiles a class holding non-ASCII characters, such as `[^a-z]` or `.`, through a
/// UTF-8 automaton whose first use zeroes a 400 KB table), but matches each byte in many more
/// instructions: a render compiles a pattern once and matches it against a few short strings,
/// so a pattern starts in regex-lite and moves to `regex` once it has been matched against
/// enough text ([`LITE_SCAN_BUDGET`]) or another render uses it (a process checking many
/// charts matches bitnami's patterns in every chart: it would pay regex-lite's matching many
/// times to save one compilation). A pattern without metacharacters is a substring search.
/// `regex` alone takes the rest: case-insensitive patterns (Go folds Unicode case,
/// regex-lite only ASCII), Unicode classes (`\pL`, which regex-lite does not read), and
/// whatever regex-lite refuses, so that a compile error is always `regex`'s.
pub(super) enum Pattern {
    /// The pattern as text, and in regex-lite for a replacement that names a group (`$0`),
    /// compiled at the first such replacement: most literal patterns never see one.
    Literal(Box<str>, OnceLock<Option<regex_lite::Regex>>),
    Regex(Compiled),
}

/// A pattern with metacharacters, compiled.
pub(super) enum Compiled {
    Lite(Lite),
    Full(regex::Regex),
}

/// A pattern in regex-lite, and in `regex` once it has scanned [`LITE_SCAN_BUDGET`] bytes or
/// a render other than the one that compiled it uses it.
pub(super) struct Lite {
    regex: regex_lite::Regex,
    pattern: Box<str>,
    scanned: AtomicUsize,
    /// [`RENDERS`] when it was compiled.
    render: usize,
    full: OnceLock<Option<regex::Regex>>,
    /// The last short replacement made with it ([`Lite::replace_all`]).
    last_replaced: Mutex<Option<Replaced>>,
}

/// A replacement, inputs and result: charts replace the same short text with the same
/// pattern again and again (bitnami's `common.names.fullname` cleans the release name with
/// `regexReplaceAll` in every resource of a chart), and regex-lite spends thousands of
/// instructions on each.
struct Replaced {
    text: Box<str>,
    with: Box<str>,
    literal: bool,
    out: Box<str>,
}

/// Longest text, replacement and result (bytes each) a [`Replaced`] holds.
const REPLACED_MAX: usize = 256;

/// Renders (engines with these functions) started so far in this process.
static RENDERS: AtomicUsize = AtomicUsize::new(0);

/// Counts a render: called where an engine gets these functions.
pub(super) fn count_render() {
    RENDERS.fetch_add(1, Ordering::Relaxed);
}

/// Bytes of text a pattern scans in regex-lite before it is compiled with `regex` as well:
/// about what costs as many instructions as that compilation (regex-lite spends a few hundred
/// instructions per byte, `regex` some hundreds of thousands to compile a pattern and far fewer
/// per byte). A render stays below it; a process checking many charts moves its hot patterns.
const LITE_SCAN_BUDGET: usize = 4 << 10;

/// regex-lite's size limit: a pattern whose automaton is larger goes to `regex`, which counts
/// its own automaton (per UTF-8 byte, so bigger) against 10 MiB. A 256th of that keeps every
/// pattern regex-lite takes within `regex`'s limit, even one that repeats a class of all
/// non-ASCII characters (tests: `lite_takes_only_what_regex_takes`), so a pattern `regex`
/// refuses is still refused.
const LITE_SIZE_LIMIT: usize = (10 << 20) / 256;

/// Runs `$body` with `$r` bound to the engine that matches `$text` from byte `$at` (the two
/// engines' types differ, their methods are the same).
macro_rules! with_engine {
    ($compiled:expr, $text:expr, $at:expr, |$r:ident| $body:expr) => {
        match $compiled {
            Compiled::Lite(lite) => match lite.full($text.len().saturating_sub($at)) {
                Some($r) => $body,
                None => {
                    let $r = &lite.regex;
                    $body
                }
            },
            Compiled::Full($r) => $body,
        }
    };
}

impl Pattern {
    pub(super) fn is_match(&self, text: &str) -> bool {
        match self {
            Pattern::Literal(literal, _) => text.contains(&**literal),
            Pattern::Regex(compiled) => with_engine!(compiled, text, 0, |r| r.is_match(text)),
        }
    }

    /// The first match at or after byte `at`, as `(start, end)`; what precedes `at` still
    /// counts for `^` and `\b`.
    pub(super) fn find_at(&self, text: &str, at: usize) -> Option<(usize, usize)> {
        match self {
            Pattern::Literal(literal, _) => {
                let start = at + text.get(at..)?.find(&**literal)?;
                Some((start, start + literal.len()))
            }
            Pattern::Regex(compiled) => with_engine!(compiled, text, at, |r| r
                .find_at(text, at)
                .map(|m| (m.start(), m.end()))),
        }
    }

    /// Every match replaced by `with`, in which `$1`, `${name}` expand unless `literal`.
    pub(super) fn replace_all(&self, text: &str, with: &str, literal: bool) -> String {
        let compiled = match self {
            Pattern::Literal(pattern, _) if literal || !with.contains('$') => {
                return text.replace(&**pattern, with);
            }
            Pattern::Literal(pattern, lite) => {
                return match lite.get_or_init(|| compile_lite(pattern)) {
                    Some(r) => r.replace_all(text, with).into_owned(),
                    // Never: `compile_uncached` takes a pattern as literal where regex-lite
                    // builds it. Its text would be the replacement's, as far as it can tell.
                    None => text.replace(&**pattern, with),
                };
            }
            Pattern::Regex(compiled) => compiled,
        };
        // `$$` expands to `$` in both engines.
        let with = if literal {
            Cow::Owned(with.replace('$', "$$"))
        } else {
            Cow::Borrowed(with)
        };
        let replace = |with: &str| {
            with_engine!(compiled, text, 0, |r| r
                .replace_all(text, with)
                .into_owned())
        };
        match compiled {
            Compiled::Lite(lite) => lite.replace_all(text, &with, literal, replace),
            Compiled::Full(_) => replace(&with),
        }
    }
}

impl Lite {
    /// `replace(with)`, the replacement of `text` (`with` as the engines read it, `literal`
    /// as asked), or the same replacement made last time.
    fn replace_all(
        &self,
        text: &str,
        with: &str,
        literal: bool,
        replace: impl FnOnce(&str) -> String,
    ) -> String {
        let short = text.len() <= REPLACED_MAX && with.len() <= REPLACED_MAX;
        // Never waits: another thread's replacement only makes this one compute its own.
        if short
            && let Ok(last) = self.last_replaced.try_lock()
            && let Some(r) = last.as_ref()
            && (&*r.text, &*r.with, r.literal) == (text, with, literal)
        {
            return r.out.to_string();
        }
        let out = replace(with);
        if short
            && out.len() <= REPLACED_MAX
            && let Ok(mut last) = self.last_replaced.try_lock()
        {
            *last = Some(Replaced {
                text: text.into(),
                with: with.into(),
                literal,
                out: out.as_str().into(),
            });
        }
        out
    }

    /// The pattern in `regex`, once the text scanned so far, with `bytes` more, reaches the
    /// budget or another render uses it; `None` before (and if `regex` refuses what
    /// regex-lite took).
    fn full(&self, bytes: usize) -> Option<&regex::Regex> {
        if let Some(full) = self.full.get() {
            return full.as_ref();
        }
        let scanned = self.scanned.fetch_add(bytes, Ordering::Relaxed);
        if scanned.saturating_add(bytes) < LITE_SCAN_BUDGET
            && RENDERS.load(Ordering::Relaxed) == self.render
        {
            return None;
        }
        self.full
            .get_or_init(|| compile_full(&self.pattern).ok())
            .as_ref()
    }
}

fn compile_uncached(pattern: &str) -> Result<Pattern, String> {
    let literal = !pattern.is_empty() && !pattern.contains(METACHARACTERS);
    if literal && pattern.len() <= LAZY_LITERAL {
        return Ok(Pattern::Literal(pattern.into(), OnceLock::new()));
    }
    if let Some(lite) = compile_lite(pattern) {
        return Ok(if literal {
            Pattern::Literal(pattern.into(), OnceLock::from(Some(lite)))
        } else {
            Pattern::Regex(Compiled::Lite(Lite {
                regex: lite,
                pattern: pattern.into(),
                scanned: AtomicUsize::new(0),
                render: RENDERS.load(Ordering::Relaxed),
                full: OnceLock::new(),
                last_replaced: Mutex::new(None),
            }))
        });
    }
    compile_full(pattern).map(|r| Pattern::Regex(Compiled::Full(r)))
}

/// Bytes of a literal pattern that regex-lite always builds, so that it can wait to be compiled
/// until a replacement needs it: one NFA state per character, 32 bytes each, is well within
/// [`LITE_SIZE_LIMIT`] (test: `short_literals_build_in_lite`). A longer literal is compiled at
/// once, so that one regex-lite refuses still goes to `regex`.
const LAZY_LITERAL: usize = 1024;

/// What Go's `regexp.QuoteMeta` escapes: a pattern without any matches itself, as text.
const METACHARACTERS: [char; 14] = [
    '\\', '.', '+', '*', '?', '(', ')', '|', '[', ']', '{', '}', '^', '$',
];

/// `pattern` in regex-lite, if it reads it as Go does and builds it.
fn compile_lite(pattern: &str) -> Option<regex_lite::Regex> {
    if !folds_only_ascii(pattern) {
        return None;
    }
    regex_lite::RegexBuilder::new(&go_syntax(pattern, Dialect::Lite))
        .size_limit(LITE_SIZE_LIMIT)
        .build()
        .ok()
}

/// Whether every flag group of `pattern` sets only flags that regex-lite reads as Go does
/// (`m`, `s`, `U`): `i` folds case, which regex-lite does in ASCII only. Named groups
/// (`(?P<n>…)`, `(?<n>…)`) set no flag. Anything that only looks like a flag group (inside a
/// class, after a `\(`) counts too, which at worst sends a pattern to `regex`.
fn folds_only_ascii(pattern: &str) -> bool {
    pattern.match_indices("(?").all(|(at, _)| {
        let flags = &pattern[at + 2..];
        flags.starts_with(['P', '<'])
            || flags
                .chars()
                .take_while(|&c| c != ')' && c != ':')
                .all(|c| matches!(c, 'm' | 's' | 'U' | '-'))
    })
}

fn compile_full(pattern: &str) -> Result<regex::Regex, String> {
    regex::Regex::new(&go_syntax(pattern, Dialect::Full)).map_err(|e| {
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
pub(super) fn must_compile(pattern: &str) -> Result<Arc<Pattern>, String> {
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

/// The engine a pattern is translated for: they differ in how `\b` is made ASCII.
#[derive(Clone, Copy, PartialEq)]
enum Dialect {
    Lite,
    Full,
}

/// A Go pattern as a Rust pattern that matches the same: Perl classes and `\b` are ASCII in Go
/// (in regex-lite too; `regex` needs `(?-u:\b)`, a flag regex-lite does not know);
/// in a class, Go takes `[`, `&&`, `~~`, `--` literally (Rust reads nested classes and set
/// operations) and a `-` after `\w` as a literal; `\Q…\E` quotes.
fn go_syntax(pattern: &str, dialect: Dialect) -> Cow<'_, str> {
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
                } else if (e == 'b' || e == 'B') && !in_class && dialect == Dialect::Full {
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

#[cfg(test)]
mod tests {
    use super::{
        Compiled, LAZY_LITERAL, Lite, Pattern, REPLACED_MAX, compile_full, compile_lite,
        compile_uncached,
    };
    use crate::funcs::regex::{find_all, split};
    use std::sync::atomic::AtomicUsize;
    use std::sync::{Mutex, OnceLock};

    /// `pattern` in regex-lite, never moving to `regex`.
    fn lite_only(pattern: &str) -> Option<Pattern> {
        Some(Pattern::Regex(Compiled::Lite(Lite {
            regex: compile_lite(pattern)?,
            pattern: pattern.into(),
            scanned: AtomicUsize::new(0),
            render: 0,
            full: OnceLock::from(None),
            last_replaced: Mutex::new(None),
        })))
    }

    /// A short replacement made again is the one made last time, and only for the same text,
    /// replacement and literalness; a long one is never kept.
    #[test]
    fn a_replacement_made_again_is_the_last_one_made() {
        let r = lite_only(r"(-?[^a-z\d\-])+-?").unwrap();
        let Pattern::Regex(Compiled::Lite(lite)) = &r else {
            unreachable!()
        };
        let kept = || {
            lite.last_replaced.lock().unwrap().as_ref().map(|k| {
                (
                    k.text.to_string(),
                    k.with.to_string(),
                    k.literal,
                    k.out.to_string(),
                )
            })
        };
        assert_eq!(r.replace_all("My_Release", "-", false), "-y-elease");
        let first = Some(("My_Release".into(), "-".into(), false, "-y-elease".into()));
        assert_eq!(kept(), first);
        assert_eq!(r.replace_all("My_Release", "-", false), "-y-elease");
        assert_eq!(r.replace_all("My_Release", "<$0>", false), "<M>y<_R>elease");
        assert_eq!(r.replace_all("My_Release", "<$0>", true), "<$0>y<$0>elease");
        assert_eq!(kept().map(|k| k.2), Some(true));
        let long = "A".repeat(REPLACED_MAX + 1);
        assert_eq!(r.replace_all(&long, "", false), "");
        assert_eq!(kept().map(|k| k.0), Some("My_Release".into()));
    }

    /// Everything a template can observe of a pattern on `text`, as one comparable value.
    fn observed(r: &Pattern, pattern: &str, text: &str) -> String {
        format!(
            "{} {:?} {:?} {:?} {:?} {:?}",
            r.is_match(text),
            find_all(r, text, usize::MAX),
            find_all(r, text, 2),
            r.replace_all(text, "<$1|${n}|$0x|${0}|$$>", false),
            r.replace_all(text, "<$1>", true),
            split(r, pattern, text, -1),
        )
    }

    /// Where regex-lite takes a pattern, it matches, replaces and splits exactly as `regex`
    /// does (which the Helm-recorded cases below pin to Go): Unicode text, empty matches,
    /// anchors and word boundaries after the first match, odd syntax both accept.
    #[test]
    fn lite_matches_as_regex_does() {
        let patterns = [
            "SSL",
            "é-a",
            r"(-?[^a-z\d\-])+-?",
            r"\W",
            r"-r\d+$|sha256:",
            r".*\.ya?ml$",
            r"^([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$",
            r"^[\w-\.]+$",
            r"\bk",
            r"\Bé",
            r"\b\w+\b",
            r"(?m)^(?P<n>\w)",
            r"(?m)\w$",
            r"(?s)a.b",
            r"(?U)a+",
            r"(?-m:^a)|(?m:b$)",
            r"(?<n>a)|(b)",
            r"a*",
            r"",
            r"x*|é",
            r"[^é]+",
            r"[\x{80}-\x{10FFFF}]",
            r"\x{e9}|\x41",
            r"[a[b]+",
            r"[]a]+",
            r"[^]a]",
            r"[\d-z]",
            r"[[:alpha:]][[:^digit:]]",
            r"\Qa.b\E+",
            r"\Aa|a\z",
            r"a{2}{2}",
            r"a{2,}?",
            r"a**",
            r"(|a)+",
            r"\t\n\f\r\v\a",
            "SSL",
            "sha256:",
            "é",
            " a-b ",
        ];
        let texts = [
            "",
            "a",
            "baaac",
            "aaaa\naab\na\nb",
            "héllo wörld kK\u{212A}",
            "my-master.1 my.Release-NAME_2",
            "values.yaml x.yml",
            "1.2.3-rc.1+build",
            "💩a💩é",
            "[ab]&~-z 5",
            "a\r\nb\t\x0b",
            "1-r12 sha256:ab",
        ];
        let long = "my-master.1 héllo sha256:ab\n".repeat(150);
        let texts = texts.iter().copied().chain([long.as_str()]).chain(texts);
        let mut refused = Vec::new();
        for pattern in patterns {
            let Some(lite) = lite_only(pattern) else {
                refused.push(pattern);
                continue;
            };
            let full = compile_full(pattern).map(|r| Pattern::Regex(Compiled::Full(r)));
            let full = full.unwrap_or_else(|e| panic!("{pattern}: lite takes it, regex: {e}"));
            // As a render gets it: literal, or regex-lite moving to `regex` after the long text.
            let chosen = compile_uncached(pattern).unwrap();
            for text in texts.clone() {
                let want = observed(&full, pattern, text);
                assert_eq!(
                    observed(&lite, pattern, text),
                    want,
                    "{pattern} on {text:?}"
                );
                assert_eq!(
                    observed(&chosen, pattern, text),
                    want,
                    "{pattern} on {text:?}"
                );
            }
            if let Pattern::Regex(Compiled::Lite(moving)) = chosen {
                assert!(moving.full.get().is_some_and(Option::is_some), "{pattern}");
            }
        }
        // Lite refuses a class inside a class (what `\S` in `[…]` becomes) and `\&` (what `&`
        // in a class becomes): those patterns go to `regex` (`[a&&b]` in `go_regexp_semantics`).
        assert!(refused.is_empty(), "lite refuses {refused:?}");
    }

    /// A pattern stays in regex-lite for the render that compiled it, and moves to `regex`
    /// when another render uses it (a process checking many charts matches it in each).
    #[test]
    fn another_render_moves_a_pattern_to_regex() {
        let Ok(Pattern::Regex(Compiled::Lite(lite))) = compile_uncached(r"-r\d+$|sha256:") else {
            panic!("not lite");
        };
        super::count_render();
        assert!(lite.full(1).is_some());
        let Ok(Pattern::Literal(..)) = compile_uncached("SSL") else {
            panic!("not literal");
        };
    }

    /// A literal pattern waits to be compiled in regex-lite until a replacement names a group;
    /// up to [`LAZY_LITERAL`] bytes, it is one regex-lite builds (so it never goes to `regex`
    /// instead), longer ones are compiled at once.
    #[test]
    fn short_literals_build_in_lite() {
        for c in ["a", "é", "💩"] {
            let literal = c.repeat(LAZY_LITERAL / c.len());
            assert!(compile_lite(&literal).is_some(), "{c}");
            let Ok(Pattern::Literal(_, lazy)) = compile_uncached(&literal) else {
                panic!("{c}: not literal");
            };
            assert!(lazy.get().is_none(), "{c}");
            let Ok(Pattern::Literal(_, lazy)) = compile_uncached(&format!("{literal}{c}")) else {
                panic!("{c}: not literal");
            };
            assert!(lazy.get().is_some_and(Option::is_some), "{c}");
        }
    }

    /// What regex-lite must leave to `regex`: case folding beyond ASCII, Unicode classes,
    /// flags Go does not have, and what `regex` refuses (its error is the one reported).
    #[test]
    fn lite_leaves_the_rest_to_regex() {
        for pattern in [
            r"(?i)k",
            r"(?mi:k)",
            r"\pL",
            r"\P{Greek}",
            r"(?x) a",
            r"(a",
            r"a)",
            r"[a",
            r"*a",
            r"\1",
            r"(?<=a)b",
        ] {
            assert!(compile_lite(pattern).is_none(), "{pattern}");
        }
        // `(?i)` matches the Kelvin sign only with Unicode folding, as in Go.
        let kelvin = super::compile(r"(?i)k").unwrap();
        assert!(kelvin.is_match("\u{212A}"));
    }

    /// A pattern regex-lite builds within its size limit is within `regex`'s: repetitions
    /// of the class that costs `regex` most per lite state (every non-ASCII character), and
    /// of a plain one, up to the largest count lite takes.
    #[test]
    fn lite_takes_only_what_regex_takes() {
        for class in [r"[^a]", r".", r"[\x{80}-\x{10FFFF}]", r"a", r"[a-z0-9]"] {
            let repeated = |n: u32| format!("(?:{class}){{{n}}}");
            // Lite takes every count up to its largest: search for it by halving.
            let (mut taken, mut refused) = (0, 1_000_000);
            while refused - taken > 1 {
                let mid = (taken + refused) / 2;
                if compile_lite(&repeated(mid)).is_some() {
                    taken = mid;
                } else {
                    refused = mid;
                }
            }
            assert!(taken > 100, "{class}: lite takes {taken}");
            assert!(compile_full(&repeated(taken)).is_ok(), "{class}{{{taken}}}");
        }
    }
}
