//! Semantic versions and version constraints with the semantics of Masterminds/semver v3, which
//! Helm uses for Chart.yaml `kubeVersion`, dependency `version` ranges, and Sprig's
//! `semverCompare`.
//!
//! Versions parse loosely (`v1.2`, `1` are `1.2.0`, `1.0.0`). Constraints: `=`, `!=`, `>`, `<`,
//! `>=`, `<=` (also `=>`, `=<`), `~` / `~>` (patch-level changes), `^` (no change of the left-most
//! non-zero part), wildcards `1.2.x` / `*`, hyphen ranges `1.2 - 1.4.5`, AND by space or comma,
//! OR by `||`. A pre-release version (`1.25.0-gke.1`) satisfies an AND group only when some
//! constraint of the group names a pre-release itself, hence the `>=1.19.0-0` idiom.

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

const CV: &str = r"v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?";
const OPS: &str = r"=||!=|>|<|>=|=>|<=|=<|~|~>|\^";

static VERSION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$")
        .unwrap_or_else(|e| unreachable!("{e}"))
});
static ONE: LazyLock<Regex> = LazyLock::new(|| compile(&format!(r"^\s*({OPS})\s*({CV})\s*$")));
static FIND: LazyLock<Regex> = LazyLock::new(|| compile(&format!(r"({OPS})\s*({CV})")));
/// One or more constraints separated by white space or a comma: no empty constraint, no
/// trailing comma (both errors in Masterminds v3.3+).
static VALID: LazyLock<Regex> = LazyLock::new(|| {
    compile(&format!(
        r"^(\s*({OPS})\s*({CV})\s*)((?:\s+|,\s*)({OPS})\s*({CV})\s*)*$"
    ))
});
static HYPHEN: LazyLock<Regex> = LazyLock::new(|| compile(&format!(r"\s*({CV})\s+-\s+({CV})\s*")));

fn compile(pattern: &str) -> Regex {
    // The patterns are constants; a failure is a bug caught by every test. regex-lite: its
    // classes are ASCII, as in Go's regexp (`\s` is not Unicode there), and it compiles these
    // patterns in a fraction of the time the full engine takes (they only meet short strings).
    Regex::new(pattern).unwrap_or_else(|e| unreachable!("{e}"))
}

/// Masterminds' own error texts, which Helm prints (`semver`, `semverCompare`, `kubeVersion`).
const INVALID: &str = "invalid semantic version";

impl Version {
    pub fn parse(text: &str) -> Result<Version, String> {
        let caps = VERSION.captures(text).ok_or_else(|| INVALID.to_string())?;
        let num = |i: usize| -> Result<u64, String> {
            caps.get(i).map_or(Ok(0), |m| {
                m.as_str()
                    .trim_start_matches('.')
                    .parse()
                    .map_err(|_| INVALID.to_string())
            })
        };
        let pre = caps.get(5).map_or("", |m| m.as_str()).to_string();
        for part in pre.split('.').filter(|_| !pre.is_empty()) {
            if part.len() > 1 && part.starts_with('0') && part.bytes().all(|b| b.is_ascii_digit()) {
                return Err("Version segment starts with 0".to_string());
            }
        }
        Ok(Version {
            major: num(1)?,
            minor: num(2)?,
            patch: num(3)?,
            pre,
            metadata: caps.get(8).map_or("", |m| m.as_str()).to_string(),
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
        let rewritten = HYPHEN.replace_all(text, ">= ${1}, <= ${11}");
        let mut groups = Vec::new();
        for part in rewritten.split("||") {
            if !VALID.is_match(part) {
                return Err(format!("improper constraint: {:?}", part.trim()));
            }
            groups.push(
                FIND.find_iter(part)
                    .map(|m| Constraint::parse(m.as_str()))
                    .collect::<Result<_, _>>()?,
            );
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
    fn parse(text: &str) -> Result<Constraint, String> {
        let m = ONE
            .captures(text)
            .ok_or_else(|| format!("improper constraint: {:?}", text.trim()))?;
        let g = |i: usize| m.get(i).map_or("", |x| x.as_str());
        let (major, minor, patch, pre) = (g(3), g(4), g(5), g(6));
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
            g(2).to_string()
        };
        let op = match g(1) {
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
                .map_err(|_| format!("improper constraint: {:?}", text.trim()))?,
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
