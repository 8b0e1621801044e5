//! What every function family shares: registering a function with its Go signature, reading
//! typed arguments, and Sprig's and spf13/cast's conversions between Go types.

use std::borrow::Cow;

use gotmpl::value::{Value, lossy};
use gotmpl::{CallCtx, Engine, Func, FuncResult, Param};

/// Registers a function that needs no execution context.
pub(super) fn add(
    e: &mut Engine,
    name: &'static str,
    params: &'static [Param],
    variadic: Option<Param>,
    f: fn(&[Value]) -> FuncResult,
) {
    e.register(name, Func::of_args(params, variadic, f));
}

/// Like [`add`], for functions returning `interface {}`.
pub(super) fn add_iface(
    e: &mut Engine,
    name: &'static str,
    params: &'static [Param],
    variadic: Option<Param>,
    f: fn(&[Value]) -> FuncResult,
) {
    e.register(name, Func::of_args(params, variadic, f).iface());
}

/// Like [`add`], for functions that read their `string` parameters as bytes
/// (`Func::raw_strings`; see [`bytes`]).
pub(super) fn add_raw(
    e: &mut Engine,
    name: &'static str,
    params: &'static [Param],
    f: fn(&[Value]) -> FuncResult,
) {
    e.register(name, Func::of_args(params, None, f).raw_strings());
}

/// Registers a function that runs templates.
pub(super) fn add_ctx(
    e: &mut Engine,
    name: &'static str,
    params: &'static [Param],
    f: fn(&mut CallCtx<'_, '_>, &[Value]) -> FuncResult,
) {
    e.register(name, Func::of_call(params, None, f));
}

/// The string argument at `i` (parameters typed `string` always hold one).
pub(super) fn s(a: &[Value], i: usize) -> &str {
    a.get(i).and_then(Value::as_str).unwrap_or("")
}

/// The exact bytes of the string argument at `i`, for functions registered with [`add_raw`].
pub(super) fn bytes(a: &[Value], i: usize) -> &[u8] {
    a.get(i).and_then(Value::str_bytes).unwrap_or_default()
}

/// The int argument at `i` (parameters typed `int`).
pub(super) fn n(a: &[Value], i: usize) -> i64 {
    match a.get(i) {
        Some(Value::Int(n, _)) => *n,
        _ => 0,
    }
}

/// Sprig's `strval`: strings and `[]byte` as their bytes, everything else as `%v` (so a
/// struct whose `String()` needs a pointer, like `.Capabilities.KubeVersion`, prints its fields).
pub(super) fn strval_bytes(v: &Value) -> Cow<'_, [u8]> {
    match v {
        Value::Str(s) => Cow::Borrowed(s.as_bytes()),
        Value::RawStr(b) | Value::Bytes(b) => Cow::Borrowed(b),
        Value::Object(o) => Cow::Owned(o.format_v().into_bytes()),
        v => Cow::Owned(gotmpl::fmt::sprint_v(v).into_bytes()),
    }
}

/// [`strval_bytes`] as text.
pub(super) fn strval(v: &Value) -> String {
    lossy(&strval_bytes(v)).into_owned()
}

/// spf13/cast `ToInt64`: numbers truncate, strings parse (base prefixes allowed), else 0.
pub(super) fn to_int64(v: &Value) -> i64 {
    match v {
        Value::Int(n, _) => *n,
        Value::Float(f) => *f as i64,
        Value::Bool(b) => *b as i64,
        Value::Str(s) => {
            let t = s.strip_suffix(".0").unwrap_or(s);
            gotmpl::parse_go_int(t).unwrap_or(0)
        }
        _ => 0,
    }
}

/// spf13/cast `ToFloat64`.
pub(super) fn to_float64(v: &Value) -> f64 {
    match v {
        Value::Int(n, _) => *n as f64,
        Value::Float(f) => *f,
        Value::Bool(b) => *b as i64 as f64,
        Value::Str(s) => s.parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

/// Sprig's `strslice`: a list as strings (nils dropped), a scalar as a one-element list.
pub(super) fn strslice(v: &Value) -> Vec<String> {
    match v {
        Value::List(l) => l.items.iter().filter(|x| !x.is_nil()).map(strval).collect(),
        Value::Nil => Vec::new(),
        Value::Bytes(b) => b.iter().map(|c| c.to_string()).collect(),
        other => vec![strval(other)],
    }
}

/// What Helm's `fromJson`/`fromYaml` return on bad input: `{"Error": message}`.
pub(super) fn error_map(msg: &str) -> Value {
    Value::map([("Error".to_string(), Value::str(msg))].into())
}

/// The JSON kind Go's decoder names in "cannot unmarshal X into …".
pub(super) fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::List(_) => "array",
        Value::Map(_) => "object",
        Value::Str(_) => "string",
        Value::Bool(_) => "bool",
        _ => "number",
    }
}

pub(super) fn str_list(items: impl IntoIterator<Item = String>) -> Value {
    Value::str_list(items.into_iter().map(Value::string).collect())
}
