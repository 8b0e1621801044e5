//! `semver` and `semverCompare`: Masterminds/semver v3 rules, implemented once in
//! [`crate::semver`] (which Chart.yaml `kubeVersion` and dependency ranges use too).

use std::cmp::Ordering;
use std::rc::Rc;

use super::args::{add, s};
use crate::semver::{Constraints, Version};
use gotmpl::Engine;
use gotmpl::Param;
use gotmpl::value::{IntTy, Object, Value};

pub(super) fn register(e: &mut Engine) {
    add(e, "semverCompare", &[Param::Str, Param::Str], None, |a| {
        let c = Constraints::parse(s(a, 0))?;
        let v = Version::parse(s(a, 1))?;
        Ok(Value::Bool(c.matches(&v)))
    });
    add(e, "semver", &[Param::Str], None, |a| {
        let v = Version::parse(s(a, 0))?;
        Ok(Value::Object(Rc::new(SemverObject { v })))
    });
}

/// Masterminds' `*semver.Version` as templates see it: accessors and comparison methods.
struct SemverObject {
    v: Version,
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
            "Metadata" => Value::str(&self.v.metadata),
            "Original" => Value::str(&self.v.original),
            "String" => Value::string(self.v.to_string()),
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
        self.v.to_string()
    }

    fn as_any(&self) -> Option<&dyn std::any::Any> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(c: &str, v: &str) -> bool {
        Constraints::parse(c)
            .unwrap()
            .matches(&Version::parse(v).unwrap())
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
