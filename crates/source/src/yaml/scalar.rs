//! YAML 1.1 scalar resolution as go-yaml v2 (and so Kubernetes and Helm) applies it:
//! `yes`/`no`/`on`/`off`/`y`/`n` are booleans, `0755` is octal, `0x1F` hex, `1_000` an integer.

use std::borrow::Cow;

use super::{Scalar, Style};

#[derive(Debug, Clone, PartialEq)]
pub enum Resolved {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
}

impl Resolved {
    pub fn into_json(self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Resolved::Null => Value::Null,
            Resolved::Bool(b) => Value::Bool(b),
            Resolved::Int(i) => Value::from(i),
            Resolved::Float(f) => serde_json::Number::from_f64(f)
                .map(Value::Number)
                .unwrap_or_else(|| Value::String(f.to_string())),
            Resolved::Str(s) => Value::String(s),
        }
    }
}

pub fn is_null(s: &Scalar) -> bool {
    s.style == Style::Plain
        && s.tag.is_none()
        && matches!(s.text.as_str(), "" | "~" | "null" | "Null" | "NULL")
}

/// Resolves a scalar to its YAML 1.1 type. Quoted and block scalars are always strings;
/// an explicit `!!str`/`!!int`/… tag wins over the text's shape.
pub fn resolve(s: &Scalar) -> Resolved {
    typed(s).unwrap_or_else(|| Resolved::Str(s.text.clone()))
}

/// [`resolve`], moving a string's text instead of copying it.
pub fn resolve_owned(s: Scalar) -> Resolved {
    typed(&s).unwrap_or(Resolved::Str(s.text))
}

/// The resolution of a scalar that is not a string; `None` for a string.
fn typed(s: &Scalar) -> Option<Resolved> {
    if let Some(tag) = &s.tag {
        let suffix = tag.rsplit([':', '!']).next().unwrap_or("");
        return match suffix {
            "str" | "binary" => None,
            "null" => Some(Resolved::Null),
            "bool" => bool_of(&s.text).map(Resolved::Bool),
            "int" => int_of(&s.text).map(Resolved::Int),
            "float" => float_of(&s.text)
                .or_else(|| int_of(&s.text).map(|i| i as f64))
                .map(Resolved::Float),
            _ => typed_plain(&s.text),
        };
    }
    if s.style != Style::Plain {
        return None;
    }
    typed_plain(&s.text)
}

/// Resolution of an untagged plain scalar.
pub fn resolve_plain(text: &str) -> Resolved {
    typed_plain(text).unwrap_or_else(|| Resolved::Str(text.to_string()))
}

fn typed_plain(text: &str) -> Option<Resolved> {
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Some(Resolved::Null);
    }
    if let Some(b) = bool_of(text) {
        return Some(Resolved::Bool(b));
    }
    if let Some(i) = int_of(text) {
        return Some(Resolved::Int(i));
    }
    float_of(text).map(Resolved::Float)
}

/// The text without `_` separators; borrowed when it has none (most scalars), as every plain
/// scalar is tried as a number.
fn without_underscores(text: &str) -> Cow<'_, str> {
    if text.contains('_') {
        Cow::Owned(text.chars().filter(|&c| c != '_').collect())
    } else {
        Cow::Borrowed(text)
    }
}

fn bool_of(text: &str) -> Option<bool> {
    match text {
        "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            Some(true)
        }
        "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            Some(false)
        }
        _ => None,
    }
}

/// Integers as go-yaml v2 reads them: optional sign, `_` separators, `0b`, `0x`, `0o` and
/// leading-zero octal (Go's `strconv.ParseInt(s, 0, 64)`).
fn int_of(text: &str) -> Option<i64> {
    let cleaned = without_underscores(text);
    let (neg, body) = match cleaned.as_bytes().first()? {
        b'-' => (true, &cleaned[1..]),
        b'+' => (false, &cleaned[1..]),
        _ => (false, &cleaned[..]),
    };
    if body.is_empty() {
        return None;
    }
    let (radix, digits) =
        if let Some(d) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
            (16, d)
        } else if let Some(d) = body.strip_prefix("0b").or_else(|| body.strip_prefix("0B")) {
            (2, d)
        } else if let Some(d) = body.strip_prefix("0o").or_else(|| body.strip_prefix("0O")) {
            (8, d)
        } else if body.len() > 1 && body.starts_with('0') {
            (8, &body[1..])
        } else {
            (10, body)
        };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = i128::from_str_radix(digits, radix).ok()?;
    let value = if neg { -magnitude } else { magnitude };
    i64::try_from(value).ok()
}

fn float_of(text: &str) -> Option<f64> {
    match text {
        ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Some(f64::INFINITY),
        "-.inf" | "-.Inf" | "-.INF" => return Some(f64::NEG_INFINITY),
        ".nan" | ".NaN" | ".NAN" => return Some(f64::NAN),
        _ => {}
    }
    let cleaned = without_underscores(text);
    if is_float_form(&cleaned) {
        cleaned.parse().ok()
    } else {
        None
    }
}

/// YAML 1.1's float syntax without `_` separators or the `.inf`/`.nan` names:
/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`. go-yaml v2 reads such a plain scalar
/// as a number, so `toYaml` quotes a string of this form.
pub fn is_float_form(text: &str) -> bool {
    let body = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            (!int.is_empty() || !frac.is_empty())
                && int.chars().all(|c| c.is_ascii_digit())
                && frac.chars().all(|c| c.is_ascii_digit())
        }
        None => !mantissa.is_empty() && mantissa.chars().all(|c| c.is_ascii_digit()),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['-', '+']).unwrap_or(e);
        !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
    });
    mantissa_ok && exponent_ok
}
