//! `semver` and `semverCompare` with Masterminds/semver v3 rules: lenient versions
//! (`v1.2`, `1`), `||` of comma/space-separated constraints, `~`, `^`, wildcards, hyphen
//! ranges, and pre-releases matched only by constraints that mention one.

use std::cmp::Ordering;
use std::rc::Rc;

use super::{Param, add, s};
use crate::render::Engine;
use crate::render::value::{IntTy, Object, Value};

pub(super) fn register(e: &mut Engine) {
    add(e, "semverCompare", &[Param::Str, Param::Str], None, |a| {
        let c = Constraints::parse(s(a, 0))?;
        let v = Version::parse(s(a, 1))?;
        Ok(Value::Bool(c.check(&v)))
    });
    add(e, "semver", &[Param::Str], None, |a| {
        let v = Version::parse(s(a, 0))?;
        Ok(v.to_value(s(a, 0)))
    });
}

#[derive(Debug, Clone)]
struct Version {
    major: u64,
    minor: u64,
    patch: u64,
    pre: String,
    meta: String,
}

const INVALID: &str = "invalid semantic version";

impl Version {
    fn parse(text: &str) -> Result<Version, String> {
        static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(
                r"^v?([0-9]+)(\.[0-9]+)?(\.[0-9]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?$",
            )
            .expect("static regex")
        });
        let m = RE.captures(text).ok_or(INVALID)?;
        let num = |i: usize| -> Result<u64, String> {
            match m.get(i) {
                Some(g) => g
                    .as_str()
                    .trim_start_matches('.')
                    .parse()
                    .map_err(|_| INVALID.to_string()),
                None => Ok(0),
            }
        };
        let pre = m.get(5).map_or("", |g| g.as_str()).to_string();
        for part in pre.split('.').filter(|p| !p.is_empty()) {
            if part.len() > 1 && part.starts_with('0') && part.bytes().all(|b| b.is_ascii_digit()) {
                return Err("Version segment starts with 0".into());
            }
        }
        Ok(Version {
            major: num(1)?,
            minor: num(2)?,
            patch: num(3)?,
            pre,
            meta: m.get(8).map_or("", |g| g.as_str()).to_string(),
        })
    }

    fn compare(&self, o: &Version) -> Ordering {
        (self.major, self.minor, self.patch)
            .cmp(&(o.major, o.minor, o.patch))
            .then_with(|| compare_pre(&self.pre, &o.pre))
    }

    fn to_value(&self, original: &str) -> Value {
        Value::Object(Rc::new(SemverObject {
            v: self.clone(),
            original: original.to_string(),
        }))
    }

    fn text(&self) -> String {
        let mut text = format!("{}.{}.{}", self.major, self.minor, self.patch);
        if !self.pre.is_empty() {
            text.push_str(&format!("-{}", self.pre));
        }
        if !self.meta.is_empty() {
            text.push_str(&format!("+{}", self.meta));
        }
        text
    }
}

/// Masterminds' `*semver.Version` as templates see it: accessors and comparison methods.
struct SemverObject {
    v: Version,
    original: String,
}

impl Object for SemverObject {
    fn type_name(&self) -> String {
        "*semver.Version".into()
    }

    fn field(&self, name: &str) -> Option<Value> {
        let n = |x: u64| Value::Int(x as i64, IntTy::Int64);
        Some(match name {
            "Major" => n(self.v.major),
            "Minor" => n(self.v.minor),
            "Patch" => n(self.v.patch),
            "Prerelease" => Value::str(&self.v.pre),
            "Metadata" => Value::str(&self.v.meta),
            "Original" => Value::str(&self.original),
            "String" => Value::string(self.v.text()),
            _ => return None,
        })
    }

    fn has_method(&self, name: &str) -> bool {
        matches!(name, "Compare" | "LessThan" | "GreaterThan" | "Equal")
    }

    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let other = match args {
            [Value::Object(o)] => o
                .as_any()
                .and_then(|a| a.downcast_ref::<SemverObject>())
                .ok_or_else(|| {
                    format!(
                        "wrong type for value; expected *semver.Version; got {}",
                        o.type_name()
                    )
                })?,
            _ => {
                return Err(format!(
                    "wrong number of args for {name}: want 1 got {}",
                    args.len()
                ));
            }
        };
        let ord = self.v.compare(&other.v);
        Ok(match name {
            "Compare" => Value::int(ord as i64),
            "LessThan" => Value::Bool(ord == Ordering::Less),
            "GreaterThan" => Value::Bool(ord == Ordering::Greater),
            _ => Value::Bool(ord == Ordering::Equal),
        })
    }

    fn format_v(&self) -> String {
        self.v.text()
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

fn compare_pre(a: &str, b: &str) -> Ordering {
    match (a.is_empty(), b.is_empty()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Greater,
        (false, true) => return Ordering::Less,
        _ => {}
    }
    let (pa, pb): (Vec<&str>, Vec<&str>) = (a.split('.').collect(), b.split('.').collect());
    for (x, y) in pa.iter().zip(pb.iter()) {
        let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
            (Ok(i), Ok(j)) => i.cmp(&j),
            (Ok(_), Err(_)) => Ordering::Less,
            (Err(_), Ok(_)) => Ordering::Greater,
            _ => x.cmp(y),
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    pa.len().cmp(&pb.len())
}

#[derive(Debug)]
struct Constraint {
    op: String,
    con: Version,
    minor_dirty: bool,
    patch_dirty: bool,
    dirty: bool,
}

fn is_x(s: &str) -> bool {
    matches!(s, "x" | "X" | "*")
}

impl Constraint {
    fn parse(text: &str) -> Result<Constraint, String> {
        static RE: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(
                r"^\s*(=|!=|>|<|>=|=>|<=|=<|~|~>|\^)?\s*(v?([0-9|x|X|\*]+)(\.[0-9|x|X|\*]+)?(\.[0-9|x|X|\*]+)?(-([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?(\+([0-9A-Za-z\-]+(\.[0-9A-Za-z\-]+)*))?)\s*$",
            )
            .expect("static regex")
        });
        let m = RE
            .captures(text)
            .ok_or_else(|| format!("improper constraint: {}", crate::render::fmt::quote(text)))?;
        let g = |i: usize| m.get(i).map_or("", |x| x.as_str());
        let (mut minor_dirty, mut patch_dirty, mut dirty) = (false, false, false);
        let ver = if is_x(g(3)) || g(3).is_empty() {
            dirty = true;
            format!("0.0.0{}", g(6))
        } else if is_x(g(4).trim_start_matches('.')) || g(4).is_empty() {
            minor_dirty = true;
            dirty = true;
            format!("{}.0.0{}", g(3), g(6))
        } else if is_x(g(5).trim_start_matches('.')) || g(5).is_empty() {
            dirty = true;
            patch_dirty = true;
            format!("{}{}.0{}", g(3), g(4), g(6))
        } else {
            g(2).to_string()
        };
        Ok(Constraint {
            op: g(1).to_string(),
            con: Version::parse(&ver)?,
            minor_dirty,
            patch_dirty,
            dirty,
        })
    }

    fn check(&self, v: &Version) -> bool {
        let c = &self.con;
        if !v.pre.is_empty() && c.pre.is_empty() {
            return false;
        }
        let cmp = v.compare(c);
        match self.op.as_str() {
            "" | "=" if self.dirty => self.tilde(v),
            "" | "=" => cmp == Ordering::Equal,
            "!=" if self.dirty => !self.tilde(v),
            "!=" => cmp != Ordering::Equal,
            ">" => {
                if !self.dirty {
                    return cmp == Ordering::Greater;
                }
                if v.major != c.major {
                    return v.major > c.major;
                }
                if self.minor_dirty {
                    return false;
                }
                self.patch_dirty && v.minor > c.minor
            }
            "<" => cmp == Ordering::Less,
            ">=" | "=>" => cmp != Ordering::Less,
            "<=" | "=<" => {
                if !self.dirty {
                    return cmp != Ordering::Greater;
                }
                if v.major != c.major {
                    return v.major < c.major;
                }
                if self.minor_dirty {
                    return true;
                }
                !self.patch_dirty || v.minor <= c.minor
            }
            "~" | "~>" => self.tilde(v),
            "^" => self.caret(v),
            _ => false,
        }
    }

    fn tilde(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.minor == 0 && c.patch == 0 && !self.minor_dirty && !self.patch_dirty {
            return v.major == c.major;
        }
        v.major == c.major && (self.minor_dirty || v.minor == c.minor)
    }

    fn caret(&self, v: &Version) -> bool {
        let c = &self.con;
        if v.compare(c) == Ordering::Less {
            return false;
        }
        if c.major > 0 || self.minor_dirty {
            return v.major == c.major;
        }
        if c.minor > 0 || self.patch_dirty {
            return v.major == 0 && v.minor == c.minor;
        }
        v.major == 0 && v.minor == 0 && v.patch == c.patch
    }
}

struct Constraints {
    any_of: Vec<Vec<Constraint>>,
}

impl Constraints {
    fn parse(text: &str) -> Result<Constraints, String> {
        static HYPHEN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(r"\s*(v?[0-9xX*][^\s,|]*)\s+-\s+(v?[0-9xX*][^\s,|]*)\s*")
                .expect("static regex")
        });
        static PART: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
            regex::Regex::new(r"(=|!=|>|<|>=|=>|<=|=<|~|~>|\^)?\s*v?[0-9xX*][^\s,]*")
                .expect("static regex")
        });
        let mut any_of = Vec::new();
        for or in text.split("||") {
            let or = HYPHEN.replace_all(or, " >= $1, <= $2 ");
            let parts: Vec<&str> = PART.find_iter(&or).map(|m| m.as_str()).collect();
            let leftover = PART.replace_all(&or, "");
            if parts.is_empty() || leftover.chars().any(|c| !c.is_whitespace() && c != ',') {
                return Err(format!(
                    "improper constraint: {}",
                    crate::render::fmt::quote(or.trim())
                ));
            }
            any_of.push(
                parts
                    .into_iter()
                    .map(Constraint::parse)
                    .collect::<Result<Vec<_>, _>>()?,
            );
        }
        Ok(Constraints { any_of })
    }

    fn check(&self, v: &Version) -> bool {
        self.any_of.iter().any(|all| all.iter().all(|c| c.check(v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(c: &str, v: &str) -> bool {
        Constraints::parse(c)
            .unwrap()
            .check(&Version::parse(v).unwrap())
    }

    #[test]
    fn masterminds_rules() {
        assert!(check(">=1.19-0", "v1.36.0"));
        assert!(check(">=1.19-0", "1.25.6-eks-48e63af"));
        assert!(!check(">=1.19", "1.25.6-eks-48e63af"));
        assert!(check("~1.2.3", "1.2.9"));
        assert!(!check("~1.2.3", "1.3.0"));
        assert!(check("^1.2", "1.9.0"));
        assert!(check("1.x", "1.4.0"));
        assert!(check("<1.14 || >=1.20", "1.21.0"));
        assert!(check("1.2 - 1.4", "1.3.5"));
        assert!(check("1.2.3 - 2.3", "2.3.5"));
        assert!(!check(">1.2", "1.2.5"));
        assert!(check(">= 1.2, < 2", "1.5.0"));
    }
}
