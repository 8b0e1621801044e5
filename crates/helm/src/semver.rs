//! Semantic versions and version constraints with the semantics of Masterminds/semver v3, which
//! Helm uses for Chart.yaml `kubeVersion`, dependency `version` ranges, and Sprig's
//! `semverCompare`.
//!
//! Versions parse loosely (`v1.2`, `1` are `1.2.0`, `1.0.0`). Constraints: `=`, `!=`, `>`, `<`,
//! `>=`, `<=` (also `=>`, `=<`), `~` / `~>` (patch-level changes), `^` (no change of the left-most
//! non-zero part), wildcards `1.2.x` / `*`, hyphen ranges `1.2 - 1.4.5`, AND by space or comma,
//! OR by `||`. A pre-release version (`1.25.0-gke.1`) satisfies an AND group only when some
//! constraint of the group names a pre-release itself, hence the `>=1.19.0-0` idiom.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::sync::LazyLock;

use regex_lite::Regex;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    pub major: u64,
    pub minor: u64,
    pub patch: u64,
    /// Without the leading `-`; empty for a release.
    pub pre: String,
    /// Build metadata without the `+`; never compared.
    pub metadata: String,
    /// The text as given (`v1.2`), which Sprig's `semver` keeps as `Original`.
    pub original: String,
}

// Masterminds defines its grammar with regular expressions. Versions and constraints are read
// here by hand, to the letter of those expressions (the tests compare both on generated
// input): compiling the expressions cost every process ~0.5 M instructions, as every chart's
// version is checked on loading and most charts call `semverCompare`. Only the rare hyphen
// range is still rewritten by its expression, compiled on first use.

/// `\s` of the expressions (regex-lite: ASCII, vertical tab included).
fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// `[0-9A-Za-z\-]`: one character of a pre-release or build identifier.
fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-'
}

/// A version as the expressions capture it, each part with its leading separator (`.2`, `-rc.1`);
/// empty where absent.
#[derive(Debug)]
struct Parts<'a> {
    whole: &'a str,
    major: &'a str,
    minor: &'a str,
    patch: &'a str,
    pre: &'a str,
    metadata: &'a str,
}

/// The longest version at the start of `text` (every part of the grammar is optional but the
/// first number, so greedy is the only way to read one): `v?N(.N)?(.N)?(-I(.I)*)?(+I(.I)*)?`,
/// a number being a run of bytes `number` accepts. None when `text` does not start with one.
fn scan_version(text: &str, number: fn(u8) -> bool) -> Option<Parts<'_>> {
    let b = text.as_bytes();
    let run = |from: usize, class: fn(u8) -> bool| {
        from + b[from..].iter().take_while(|&&c| class(c)).count()
    };
    // A separator and at least one byte of `class` after it, else nothing.
    let part = |from: usize, sep: u8, class: fn(u8) -> bool| match b.get(from..from + 2) {
        Some(&[s, c]) if s == sep && class(c) => run(from + 1, class),
        _ => from,
    };
    // `I+(\.I+)*` after the separator.
    let dotted = |from: usize, sep: u8| {
        let mut end = part(from, sep, is_ident);
        while end > from {
            let next = part(end, b'.', is_ident);
            if next == end {
                break;
            }
            end = next;
        }
        end
    };
    let start = usize::from(b.first() == Some(&b'v'));
    let major = run(start, number);
    if major == start {
        return None;
    }
    let minor = part(major, b'.', number);
    let patch = part(minor, b'.', number);
    let pre = dotted(patch, b'-');
    let metadata = dotted(pre, b'+');
    Some(Parts {
        whole: &text[..metadata],
        major: &text[start..major],
        minor: &text[major..minor],
        patch: &text[minor..patch],
        pre: &text[patch..pre],
        metadata: text.get(pre + 1..metadata).unwrap_or(""),
    })
}

/// `[0-9|x|X|\*]`: a constraint's version parts may be wildcards (and, as Masterminds writes
/// the class, `|`).
fn is_constraint_number(b: u8) -> bool {
    b.is_ascii_digit() || matches!(b, b'|' | b'x' | b'X' | b'*')
}

/// Masterminds' operators; the empty one is `=` with wildcards allowed.
const OPS: [&str; 12] = [
    "", "=", "!=", ">", "<", ">=", "=>", "<=", "=<", "~", "~>", "^",
];

fn is_op(b: u8) -> bool {
    matches!(b, b'=' | b'!' | b'>' | b'<' | b'~' | b'^')
}

/// One constraint as read from its group: the operator, the version, and the text it was read
/// from (for the error message).
struct Read<'a> {
    op: &'a str,
    version: Parts<'a>,
    text: &'a str,
}

/// The constraints of one `||` group, or None when the group is not one or more constraints
/// separated by white space or a comma (Masterminds' `^(\s*OP\s*V\s*)((?:\s+|,\s*)OP\s*V\s*)*$`).
/// Operators, versions, spaces and commas share no byte, so the group splits one way only.
fn read_group(group: &str) -> Option<Vec<Read<'_>>> {
    let b = group.as_bytes();
    let skip_spaces = |from: usize| from + b[from..].iter().take_while(|&&c| is_space(c)).count();
    let mut read = Vec::new();
    let mut at = skip_spaces(0);
    loop {
        let op_end = at + b[at..].iter().take_while(|&&c| is_op(c)).count();
        let op = &group[at..op_end];
        if !OPS.contains(&op) {
            return None;
        }
        let v_start = skip_spaces(op_end);
        let version = scan_version(&group[v_start..], is_constraint_number)?;
        let v_end = v_start + version.whole.len();
        read.push(Read {
            op,
            version,
            text: &group[at..v_end],
        });
        at = skip_spaces(v_end);
        match b.get(at) {
            None => return Some(read),
            Some(b',') => at = skip_spaces(at + 1),
            Some(_) if at > v_end => {}
            Some(_) => return None,
        }
    }
}

/// Masterminds' pattern of a constraint's version, which [`scan_version`] follows.
const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";

/// Masterminds' hyphen range `\s*V\s+-\s+V\s*`, rewritten to `>= V, <= V`. It needs a `-`
/// between spaces; without one (nearly always) the expression is not compiled.
fn rewrite_hyphen_ranges(text: &str) -> Cow<'_, str> {
    let spaced_dash = text
        .as_bytes()
        .windows(3)
        .any(|w| is_space(w[0]) && w[1] == b'-' && is_space(w[2]));
    if !spaced_dash {
        return Cow::Borrowed(text);
    }
    static HYPHEN: LazyLock<Regex> = LazyLock::new(|| {
        // A constant pattern; a failure is a bug caught by every test. regex-lite: its classes
        // are ASCII, as in Go's regexp.
        Regex::new(&format!(r"\s*({CV})\s+-\s+({CV})\s*")).unwrap_or_else(|e| unreachable!("{e}"))
    });
    HYPHEN.replace_all(text, ">= ${1}, <= ${11}")
}

/// Masterminds' own error texts, which Helm prints (`semver`, `semverCompare`, `kubeVersion`).
const INVALID: &str = "invalid semantic version";

impl Version {
    pub fn parse(text: &str) -> Result<Version, String> {
        let parts = scan_version(text, |b| b.is_ascii_digit())
            .filter(|p| p.whole.len() == text.len())
            .ok_or_else(|| INVALID.to_string())?;
        let num = |part: &str| -> Result<u64, String> {
            match part.trim_start_matches('.') {
                "" => Ok(0),
                digits => digits.parse().map_err(|_| INVALID.to_string()),
            }
        };
        let pre = parts.pre.get(1..).unwrap_or("").to_string();
        for part in pre.split('.').filter(|_| !pre.is_empty()) {
            if part.len() > 1 && part.starts_with('0') && part.bytes().all(|b| b.is_ascii_digit()) {
                return Err("Version segment starts with 0".to_string());
            }
        }
        Ok(Version {
            major: num(parts.major)?,
            minor: num(parts.minor)?,
            patch: num(parts.patch)?,
            pre,
            metadata: parts.metadata.to_string(),
            original: text.to_string(),
        })
    }

    /// Precedence order; metadata is ignored.
    pub fn compare(&self, other: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(other.major, other.minor, other.patch))
            .then_with(|| compare_pre(&self.pre, &other.pre))
    }
}

impl std::fmt::Display for Version {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(f, "-{}", self.pre)?;
        }
        if !self.metadata.is_empty() {
            write!(f, "+{}", self.metadata)?;
        }
        Ok(())
    }
}

fn compare_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let (xs, ys): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for i in 0..xs.len().max(ys.len()) {
        let (x, y) = (xs.get(i).copied(), ys.get(i).copied());
        let ord = match (x, y) {
            (None, _) => Ordering::Less,
            (_, None) => Ordering::Greater,
            (Some(x), Some(y)) => match (x.parse::<u64>(), y.parse::<u64>()) {
                (Ok(x), Ok(y)) => x.cmp(&y),
                (Ok(_), Err(_)) => Ordering::Less,
                (Err(_), Ok(_)) => Ordering::Greater,
                (Err(_), Err(_)) => x.cmp(y),
            },
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    Ordering::Equal
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    TildeOrEqual,
    NotEqual,
    Greater,
    Less,
    GreaterEqual,
    LessEqual,
    Tilde,
    Caret,
}

#[derive(Debug, Clone)]
struct Constraint {
    op: Op,
    con: Version,
    /// A wildcard somewhere (`1.x`, `*`, or parts left out, as in `1` or `1.2`).
    dirty: bool,
    minor_dirty: bool,
    patch_dirty: bool,
}

/// A parsed constraint expression: OR of AND groups.
#[derive(Debug, Clone)]
pub struct Constraints {
    groups: Vec<Vec<Constraint>>,
}

impl Constraints {
    pub fn parse(text: &str) -> Result<Constraints, String> {
        let rewritten = rewrite_hyphen_ranges(text);
        let mut groups = Vec::new();
        for part in rewritten.split("||") {
            let read = read_group(part)
                .ok_or_else(|| format!("improper constraint: {:?}", part.trim()))?;
            groups.push(read.iter().map(Constraint::new).collect::<Result<_, _>>()?);
        }
        Ok(Constraints { groups })
    }

    pub fn matches(&self, v: &Version) -> bool {
        self.groups.iter().any(|group| {
            let include_pre = group.iter().any(|c| !c.con.pre.is_empty());
            group.iter().all(|c| c.check(v, include_pre))
        })
    }
}

/// Helm's `IsCompatibleRange`: false when either side does not parse.
pub fn satisfies(constraint: &str, version: &str) -> bool {
    match (Constraints::parse(constraint), Version::parse(version)) {
        (Ok(c), Ok(v)) => c.matches(&v),
        _ => false,
    }
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

impl Constraint {
    fn new(read: &Read) -> Result<Constraint, String> {
        let v = &read.version;
        let (major, minor, patch, pre) = (v.major, v.minor, v.patch, v.pre);
        let (minor_t, patch_t) = (minor.trim_start_matches('.'), patch.trim_start_matches('.'));
        let (mut dirty, mut minor_dirty, mut patch_dirty) = (false, false, false);
        let ver = if is_x(major) || major.is_empty() {
            dirty = true;
            format!("0.0.0{pre}")
        } else if is_x(minor_t) || minor.is_empty() {
            (dirty, minor_dirty) = (true, true);
            format!("{major}.0.0{pre}")
        } else if is_x(patch_t) || patch.is_empty() {
            (dirty, patch_dirty) = (true, true);
            format!("{major}{minor}.0{pre}")
        } else {
            v.whole.to_string()
        };
        let op = match read.op {
            "" | "=" => Op::TildeOrEqual,
            "!=" => Op::NotEqual,
            ">" => Op::Greater,
            "<" => Op::Less,
            ">=" | "=>" => Op::GreaterEqual,
            "<=" | "=<" => Op::LessEqual,
            "~" | "~>" => Op::Tilde,
            _ => Op::Caret,
        };
        Ok(Constraint {
            op,
            con: Version::parse(&ver)
                .map_err(|_| format!("improper constraint: {:?}", read.text.trim()))?,
            dirty,
            minor_dirty,
            patch_dirty,
        })
    }

    fn check(&self, v: &Version, include_pre: bool) -> bool {
        if !include_pre && !v.pre.is_empty() {
            return false;
        }
        let c = &self.con;
        let cmp = v.compare(c);
        match self.op {
            Op::TildeOrEqual if self.dirty => self.tilde(v),
            Op::TildeOrEqual => cmp == Ordering::Equal,
            Op::NotEqual => !self.within_wildcard(v, cmp),
            Op::Less => cmp == Ordering::Less,
            Op::GreaterEqual => cmp != Ordering::Less,
            Op::Greater if !self.dirty => cmp == Ordering::Greater,
            // `>1` means 2.0.0 or more, `>1.1` means 1.2.0 or more.
            Op::Greater => match v.major.cmp(&c.major) {
                Ordering::Greater => true,
                Ordering::Less => false,
                Ordering::Equal if self.minor_dirty => false,
                Ordering::Equal if self.patch_dirty => v.minor > c.minor,
                Ordering::Equal => cmp == Ordering::Greater,
            },
            Op::LessEqual if !self.dirty => cmp != Ordering::Greater,
            Op::LessEqual => {
                !(v.major > c.major
                    || (v.major == c.major && v.minor > c.minor && !self.minor_dirty))
            }
            Op::Tilde => self.tilde(v),
            Op::Caret => self.caret(v, cmp),
        }
    }

    fn within_wildcard(&self, v: &Version, cmp: Ordering) -> bool {
        let c = &self.con;
        if !self.dirty {
            return cmp == Ordering::Equal;
        }
        if !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        v.major == c.major && (self.minor_dirty || v.minor == c.minor)
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major == 0 && c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return true;
        }
        v.major == c.major && (v.minor == c.minor || self.minor_dirty)
    }

    fn caret(&self, v: &Version, cmp: Ordering) -> bool {
        let c = &self.con;
        if cmp == Ordering::Less {
            return false;
        }
        if c.major > 0 || self.minor_dirty {
            return v.major == c.major;
        }
        if v.major > 0 {
            return false;
        }
        if c.minor > 0 || self.patch_dirty {
            return v.minor == c.minor;
        }
        if v.minor > 0 {
            return false;
        }
        v.patch == c.patch
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(constraint: &str, version: &str) -> bool {
        let c = Constraints::parse(constraint).unwrap_or_else(|e| panic!("{constraint}: {e}"));
        c.matches(&Version::parse(version).unwrap_or_else(|e| panic!("{e}")))
    }

    #[test]
    fn versions_parse_loosely_and_order() {
        let v = Version::parse("v1.2").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(v.to_string(), "1.2.0");
        assert_eq!(v.original, "v1.2");
        assert!(Version::parse("1.2.3.4").is_err());
        assert!(Version::parse("1.2.3-01").is_err());
        let order = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
        ];
        for w in order.windows(2) {
            let (a, b) = (Version::parse(w[0]), Version::parse(w[1]));
            assert_eq!(
                a.and_then(|a| b.map(|b| a.compare(&b))),
                Ok(Ordering::Less),
                "{w:?}"
            );
        }
    }

    /// Results of Sprig's `semverCompare` (Masterminds/semver) in the real Helm engine, recorded
    /// by rendering one `{{ semverCompare C V }}` per row with `shared/oracle/helm-render`.
    #[test]
    fn constraints_match_masterminds() {
        let cases = [
            (">=1.19.0-0", "1.36.0", true),
            (">=1.19.0-0", "1.25.0-gke.1200", true),
            (">=1.19.0", "1.25.0-gke.1200", false),
            (">=1.19.0-0, <1.30.0", "1.25.0-gke.1", true),
            (">=1.19.0-0 <1.30.0", "1.25.0-gke.1", true),
            ("<1.30.0, >=1.19.0-0", "1.25.0-gke.1", true),
            (">= 1.21, < 1.30", "1.29.9", true),
            (">= 1.21, < 1.30", "1.30.0", false),
            (">= 1.21 < 1.30", "1.20.5", false),
            ("<1.20 || >=1.25", "1.26.0", true),
            ("<1.20 || >=1.25", "1.22.0", false),
            ("1.2 - 1.4.5", "1.4.5", true),
            ("1.2 - 1.4.5", "1.4.6", false),
            ("1.2 - 1.4.5", "1.2.0", true),
            (">1.1", "1.1.9", false),
            (">1.1", "1.2.0", true),
            (">1", "1.9.0", false),
            (">1", "2.0.0", true),
            ("<=1.2", "1.2.9", true),
            ("<=1.2", "1.3.0", false),
            ("<1.2", "1.1.9", true),
            ("=1.2.3", "1.2.3", true),
            ("1.2.3", "1.2.3", true),
            ("1.2", "1.2.7", true),
            ("1", "1.5.0", true),
            ("1.2.x", "1.2.7", true),
            ("1.2.x", "1.3.0", false),
            ("!=1.2.3", "1.2.4", true),
            ("!=1.2.3", "1.2.3", false),
            ("!=1.2.x", "1.2.5", false),
            ("!=1.2.x", "1.3.0", true),
            ("*", "3.0.0", true),
            ("*", "3.0.0-rc2", false),
            ("x", "1.0.0", true),
            ("~1.2.3", "1.2.9", true),
            ("~1.2.3", "1.3.0", false),
            ("~1", "1.9.0", true),
            ("~1", "2.0.0", false),
            ("~1.20", "1.20.4", true),
            ("~1.20", "1.21.0", false),
            ("~>1.2", "1.2.5", true),
            ("~0", "0.5.0", true),
            ("^1.2", "1.9.9", true),
            ("^1.2", "2.0.0", false),
            ("^1.2.3", "1.2.2", false),
            ("^0.2.3", "0.2.9", true),
            ("^0.2.3", "0.3.0", false),
            ("^0.0.3", "0.0.4", false),
            ("^0.0.3", "0.0.3", true),
            ("^0", "0.9.0", true),
            ("^0", "1.0.0", false),
            ("^0.0", "0.0.5", true),
            ("^0.0", "0.1.0", false),
            (">=1.0.0-alpha", "1.0.0-beta", true),
            (">=1.0.0-beta", "1.0.0-alpha", false),
            ("<1.0.0", "1.0.0-rc.1", false),
            ("<1.0.0-0", "1.0.0-rc.1", false),
            ("^1.2.3-0", "1.2.4-beta", true),
            ("~1.2.3-0", "1.3.0-beta", false),
            ("v1.2.3", "1.2.3", true),
            (">=v1.20", "v1.21.0", true),
            (">=1.20.0", "v1.21.0+build.5", true),
            ("1.2.3+meta", "1.2.3", true),
            (">1.2.3-alpha", "1.2.3", true),
            ("<=1.2.3-alpha", "1.2.3-alpha", true),
            (">=1.2.3,<=1.2.3", "1.2.3", true),
            ("> 1.0 < 2.0 || >= 3.0", "2.5.0", false),
            ("> 1.0 < 2.0 || >= 3.0", "3.1.0", true),
            ("=1.2", "1.2.0", true),
            ("=1.2", "1.3.0", false),
            ("  >= 1.0", "1.0.0", true),
            ("=>1.0", "1.0.0", true),
            ("1.x.x", "1.0.0", true),
            ("v1", "1.0.0", true),
        ];
        let wrong: Vec<_> = cases
            .iter()
            .filter(|(c, v, want)| check(c, v) != *want)
            .collect();
        assert!(wrong.is_empty(), "differ from Masterminds: {wrong:?}");
    }

    /// Masterminds' expressions, as regex-lite runs them: the reference for reading by hand.
    mod by_expression {
        use super::super::{CV, Parts, Read};
        use regex_lite::{Captures, Regex};
        use std::sync::LazyLock;

        const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";
        fn compile(pattern: &str) -> Regex {
            Regex::new(pattern).unwrap_or_else(|e| panic!("{e}"))
        }
        static VERSION: LazyLock<Regex> = LazyLock::new(|| {
            compile(
                r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$",
            )
        });
        static ONE: LazyLock<Regex> =
            LazyLock::new(|| compile(&format!(r"^\s*({OPS})\s*({CV})\s*$")));
        static FIND: LazyLock<Regex> = LazyLock::new(|| compile(&format!(r"({OPS})\s*({CV})")));
        static VALID: LazyLock<Regex> = LazyLock::new(|| {
            compile(&format!(
                r"^(\s*({OPS})\s*({CV})\s*)((?:\s+|,\s*)({OPS})\s*({CV})\s*)*$"
            ))
        });
        pub static HYPHEN: LazyLock<Regex> =
            LazyLock::new(|| compile(&format!(r"\s*({CV})\s+-\s+({CV})\s*")));

        /// The version's parts from its captures; `first` is the group of its major number.
        fn parts<'a>(whole: &'a str, c: &Captures<'a>, first: usize) -> Parts<'a> {
            let g = |i: usize| c.get(i).map_or("", |m| m.as_str());
            Parts {
                whole,
                major: g(first),
                minor: g(first + 1),
                patch: g(first + 2),
                pre: g(first + 3),
                metadata: g(first + 7),
            }
        }

        pub fn version(text: &str) -> Option<Parts<'_>> {
            VERSION.captures(text).map(|c| parts(text, &c, 1))
        }

        pub fn group(group: &str) -> Option<Vec<Read<'_>>> {
            if !VALID.is_match(group) {
                return None;
            }
            let read = FIND.find_iter(group).map(|m| {
                let c = ONE.captures(m.as_str()).unwrap_or_else(|| panic!("{m:?}"));
                let text = m.as_str().trim();
                Read {
                    op: c.get(1).map_or("", |m| m.as_str()),
                    version: parts(c.get(2).map_or("", |m| m.as_str()), &c, 3),
                    text,
                }
            });
            Some(read.collect())
        }
    }

    fn shown(read: Option<Vec<Read>>) -> Option<Vec<String>> {
        read.map(|r| {
            r.iter()
                .map(|r| format!("{:?} {:?} {:?}", r.op, r.version, r.text.trim()))
                .collect()
        })
    }

    fn differences(text: &str) -> Vec<String> {
        let mut found = Vec::new();
        let version = |t| {
            format!(
                "{:?}",
                scan_version(t, |b| b.is_ascii_digit()).filter(|p| p.whole.len() == t.len())
            )
        };
        if version(text) != format!("{:?}", by_expression::version(text)) {
            found.push(format!(
                "version {text:?}: {} vs {:?}",
                version(text),
                by_expression::version(text)
            ));
        }
        let rewritten = rewrite_hyphen_ranges(text);
        let by_regex = by_expression::HYPHEN.replace_all(text, ">= ${1}, <= ${11}");
        if rewritten != by_regex {
            found.push(format!("hyphen {text:?}: {rewritten:?} vs {by_regex:?}"));
        }
        for group in by_regex.split("||") {
            let (hand, regex) = (shown(read_group(group)), shown(by_expression::group(group)));
            if hand != regex {
                found.push(format!("group {group:?}: {hand:?} vs {regex:?}"));
            }
        }
        found
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(4000))]

        /// Reading by hand and by Masterminds' expressions agree on any text made of the
        /// grammar's pieces.
        #[test]
        fn reading_by_hand_agrees_with_the_expressions(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                "1", "0", "12", "007", "99999999999999999999", ".", "x", "X", "*", "v", "-",
                "+", "rc", "a-b", "|", "||", ",", " ", "  ", "\t", "\x0b", "\u{a0}", "é", "=",
                "!=", "!", ">", ">=", "=>", "<", "<=", "=<", "~", "~>", "^", " - ", "1.2.3",
                "-0", ".x", ">=1.19.0-0",
            ]), 0..12),
            noise in "[0-9vxX*|.+a=<>!~^, \t\x0b-]{0,10}",
        ) {
            let text: String = pieces.concat();
            let wrong = [differences(&text), differences(&noise)].concat();
            proptest::prop_assert!(wrong.is_empty(), "{wrong:#?}");
        }
    }

    #[test]
    fn bad_input_is_an_error_or_false() {
        // Errors in the real engine's semverCompare too ("improper constraint").
        for bad in [">=a.b", "", " ", ",", ">=1.0, ", "1.0 ,", ">=1.0 <2.0,"] {
            assert!(Constraints::parse(bad).is_err(), "{bad:?}");
        }
        // So a dependency without a version never matches its chart (no alias applies).
        assert!(!satisfies("", "0.1.0"));
        assert!(!satisfies(">=1.0", "not-a-version"));
    }
}
