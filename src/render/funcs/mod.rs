//! The function library Helm adds to Go's builtins: Sprig's functions and Helm's own, with
//! their Go signatures (parameter types decide conversions and error messages).

mod bcrypt;
mod crypto;
mod dates;
mod derive;
mod dicts;
pub(crate) mod encoding;
pub(crate) mod glob;
mod helm;
mod json_errors;
mod lists;
mod math;
mod paths;
mod random;
mod regex;
mod semver;
mod strings;
mod toml;
mod types;
mod urls;
pub mod yaml;

use super::value::Value;
use super::{CallCtx, Engine, Func, FuncResult, Param};

/// Registers every function implemented so far.
pub fn register(engine: &mut Engine) {
    strings::register(engine);
    lists::register(engine);
    dicts::register(engine);
    math::register(engine);
    types::register(engine);
    encoding::register(engine);
    semver::register(engine);
    regex::register(engine);
    paths::register(engine);
    dates::register(engine);
    urls::register(engine);
    crypto::register(engine);
    toml::register(engine);
    bcrypt::register(engine);
    derive::register(engine);
    random::register(engine);
    for (alias, name) in [
        ("mustFirst", "first"),
        ("mustLast", "last"),
        ("mustRest", "rest"),
        ("mustInitial", "initial"),
        ("mustReverse", "reverse"),
        ("mustUniq", "uniq"),
        ("mustCompact", "compact"),
        ("mustWithout", "without"),
        ("mustHas", "has"),
        ("mustAppend", "append"),
        ("mustPush", "push"),
        ("mustPrepend", "prepend"),
        ("mustChunk", "chunk"),
        ("mustSlice", "slice"),
    ] {
        if let Some(f) = engine.func(name).cloned() {
            engine.register(alias, f);
        }
    }
    yaml::register(engine);
    helm::register(engine);
}

/// Registers a function that needs no execution context.
fn add(
    e: &mut Engine,
    name: &str,
    params: &[Param],
    variadic: Option<Param>,
    f: fn(&[Value]) -> FuncResult,
) {
    e.register(name, Func::new(params, variadic, move |_, a| f(a)));
}

/// Like [`add`], for functions returning `interface {}`.
fn add_iface(
    e: &mut Engine,
    name: &str,
    params: &[Param],
    variadic: Option<Param>,
    f: fn(&[Value]) -> FuncResult,
) {
    e.register(name, Func::new(params, variadic, move |_, a| f(a)).iface());
}

/// Registers a function that runs templates.
fn add_ctx(
    e: &mut Engine,
    name: &str,
    params: &[Param],
    f: fn(&mut CallCtx<'_, '_>, &[Value]) -> FuncResult,
) {
    e.register(name, Func::new(params, None, f));
}

/// The string argument at `i` (parameters typed `string` always hold one).
fn s(a: &[Value], i: usize) -> &str {
    a.get(i).and_then(Value::as_str).unwrap_or("")
}

/// The int argument at `i` (parameters typed `int`).
fn n(a: &[Value], i: usize) -> i64 {
    match a.get(i) {
        Some(Value::Int(n, _)) => *n,
        _ => 0,
    }
}

/// Sprig's `strval`: strings as they are, everything else as `%v` (so a struct whose
/// `String()` needs a pointer, like `.Capabilities.KubeVersion`, prints its fields).
fn strval(v: &Value) -> String {
    match v {
        Value::Str(s) => s.to_string(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Object(o) => o.format_v(),
        v => super::fmt::sprint_v(v),
    }
}

/// spf13/cast `ToInt64`: numbers truncate, strings parse (base prefixes allowed), else 0.
fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(n, _) => *n,
        Value::Float(f) => *f as i64,
        Value::Bool(b) => *b as i64,
        Value::Str(s) => {
            let t = s.strip_suffix(".0").unwrap_or(s);
            super::parse::parse_go_int(t).unwrap_or(0)
        }
        _ => 0,
    }
}

/// spf13/cast `ToFloat64`.
fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(n, _) => *n as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => *b as i64 as f64,
        Value::Str(s) => s.parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Sprig's `strslice`: a list as strings (nils dropped), a scalar as a one-element list.
fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l.items.iter().filter(|x| !x.is_nil()).map(strval).collect(),
        Value::Nil => Vec::new(),
        Value::Bytes(b) => b.iter().map(|c| c.to_string()).collect(),
        other => vec![strval(other)],
    }
}

/// What Helm's `fromJson`/`fromYaml` return on bad input: `{"Error": message}`.
fn error_map(msg: &str) -> Value {
    Value::map([("Error".to_string(), Value::str(msg))].into())
}

/// The JSON kind Go's decoder names in "cannot unmarshal X into …".
fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::List(_) => "array",
        Value::Map(_) => "object",
        Value::Str(_) => "string",
        Value::Bool(_) => "bool",
        _ => "number",
    }
}

fn str_list(items: impl IntoIterator<Item = String>) -> Value {
    Value::str_list(items.into_iter().map(Value::string).collect())
}

#[cfg(test)]
mod tests {
    use crate::render::{Engine, Value};

    #[test]
    fn self_containing_map_does_not_crash() {
        let src = r#"{{ $d := dict "a" 1 }}{{ $_ := set $d "self" $d }}[{{ toJson $d }}][{{ toYaml $d }}]{{ deepCopy $d | len }} {{ deepEqual $d $d }} {{ len (print $d) | lt 0 }}"#;
        let out = crate::render::run_with_stack(256 << 20, move || {
            let mut e = Engine::new();
            super::register(&mut e);
            e.limits.stack_budget = 200 << 20;
            e.add_template("t", src).map_err(|e| e.to_string())?;
            e.execute("t", Value::Nil).map_err(|e| e.to_string())
        })
        .unwrap()
        .unwrap();
        assert_eq!(out, "[][]2 true true");
    }
}
