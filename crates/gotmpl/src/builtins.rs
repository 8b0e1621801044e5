//! Go text/template's predefined functions (`slice` as Helm has it: Sprig's list slice).

use super::fmt;
use super::value::{IntTy, Rune, Value, go_runes, lossy};
use super::{Engine, Func, FuncResult, Param};

pub(crate) fn register(e: &mut Engine) {
    const V: Param = Param::Value;
    let mut add = |name: &'static str,
                   params: &'static [Param],
                   variadic: Option<Param>,
                   f: fn(&[Value]) -> FuncResult| {
        let mut func = Func::of_args(params, variadic, f);
        func.builtin = true;
        e.register(name, func);
    };
    add("and", &[V], Some(V), |a| Ok(first_or_last(a, false)));
    add("or", &[V], Some(V), |a| Ok(first_or_last(a, true)));
    add("not", &[V], None, |a| Ok(Value::Bool(!a[0].truthy())));
    add("len", &[V], None, length);
    add("index", &[V], Some(V), index);
    add("slice", &[Param::Any], Some(Param::Any), slice);
    add("print", &[], Some(Param::Any), |a| {
        Ok(Value::go_string(fmt::sprint(a)))
    });
    add("println", &[], Some(Param::Any), |a| {
        Ok(Value::go_string(fmt::sprintln(a)))
    });
    add("printf", &[Param::Str], Some(Param::Any), |a| {
        Ok(Value::go_string(fmt::sprintf(
            a[0].as_str().unwrap_or(""),
            &a[1..],
        )))
    });
    add("eq", &[V], Some(V), eq);
    add("ne", &[V, V], None, |a| Ok(Value::Bool(!truth(eq(a)?))));
    add("lt", &[V, V], None, |a| lt(&a[0], &a[1]).map(Value::Bool));
    add("le", &[V, V], None, |a| le(&a[0], &a[1]).map(Value::Bool));
    add("gt", &[V, V], None, |a| {
        le(&a[0], &a[1]).map(|b| Value::Bool(!b))
    });
    add("ge", &[V, V], None, |a| {
        lt(&a[0], &a[1]).map(|b| Value::Bool(!b))
    });
    add("html", &[], Some(Param::Any), |a| {
        Ok(Value::go_string(html_escape(&eval_args(a))))
    });
    add("js", &[], Some(Param::Any), |a| {
        Ok(Value::go_string(js_escape(&eval_args(a))))
    });
    add("urlquery", &[], Some(Param::Any), |a| {
        Ok(Value::string(query_escape(&eval_args(a))))
    });
    // The executor handles `call` itself: no value is a Go function, so it always fails there.
    add("call", &[V], Some(V), |_| Err("call of nil".into()));
}

fn truth(v: Value) -> bool {
    v.truthy()
}

/// `and`/`or` on already evaluated arguments (the executor evaluates them lazily).
fn first_or_last(args: &[Value], want: bool) -> Value {
    for a in args {
        if a.truthy() == want {
            return a.clone();
        }
    }
    args.last().cloned().unwrap_or_default()
}

fn length(a: &[Value]) -> FuncResult {
    Ok(Value::int(match &a[0] {
        Value::Nil => return Err("len of nil pointer".into()),
        Value::Str(s) => s.len(),
        Value::RawStr(b) | Value::Bytes(b) => b.len(),
        Value::List(l) => l.items.len(),
        Value::Map(m) => m.entries.borrow().len(),
        Value::Object(o) => match o.plain() {
            Some(p) if !matches!(p, Value::Object(_)) => return length(&[p]),
            _ => return Err(format!("len of type {}", a[0].type_name())),
        },
        other => return Err(format!("len of type {}", other.type_name())),
    } as i64))
}

fn index(a: &[Value]) -> FuncResult {
    let mut item = a[0].clone();
    if item.is_nil() {
        return Err("index of untyped nil".into());
    }
    for key in &a[1..] {
        item = match &item {
            Value::Nil => return Err("index of nil pointer".into()),
            Value::List(l) => {
                let i = index_arg(key, l.items.len())?;
                match l.items.get(i) {
                    Some(v) => v.clone(),
                    None => return Err("reflect: slice index out of range".into()),
                }
            }
            Value::Str(_) | Value::RawStr(_) => {
                let s = item.str_bytes().unwrap_or_default();
                let i = index_arg(key, s.len())?;
                match s.get(i) {
                    Some(b) => Value::Int(*b as i64, IntTy::Uint8),
                    None => return Err("reflect: string index out of range".into()),
                }
            }
            Value::Bytes(b) => {
                let i = index_arg(key, b.len())?;
                match b.get(i) {
                    Some(b) => Value::Int(*b as i64, IntTy::Uint8),
                    None => return Err("reflect: slice index out of range".into()),
                }
            }
            Value::Map(m) => match key {
                Value::Str(k) => m.entries.borrow().get(&**k).cloned().unwrap_or_default(),
                // Keys are UTF-8: a string that is not finds nothing.
                Value::RawStr(_) => Value::Nil,
                Value::Nil => return Err("value is nil; should be of type string".into()),
                other => {
                    return Err(format!(
                        "value has type {}; should be string",
                        other.type_name()
                    ));
                }
            },
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

fn index_arg(key: &Value, len: usize) -> Result<usize, String> {
    let x = match key {
        Value::Int(n, _) => *n,
        Value::Nil => return Err("cannot index slice/array with nil".into()),
        other => {
            return Err(format!(
                "cannot index slice/array with type {}",
                other.type_name()
            ));
        }
    };
    if x < 0 || x as u64 > len as u64 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

/// Sprig's (spf13/cast) conversion of an index to int.
fn to_int(v: &Value) -> i64 {
    match v {
        Value::Int(n, _) => *n,
        Value::Float(f) => *f as i64,
        Value::Bool(b) => *b as i64,
        Value::Str(s) => super::parse::parse_go_int(s.trim()).unwrap_or(0),
        _ => 0,
    }
}

fn slice(a: &[Value]) -> FuncResult {
    let Value::List(l) = &a[0] else {
        let kind = match &a[0] {
            Value::Nil => {
                return Err(
                    "runtime error: invalid memory address or nil pointer dereference".into(),
                );
            }
            Value::Bytes(_) => "slice",
            other => other.kind_name(),
        };
        if kind == "slice" {
            return Err("reflect: call of reflect.Value.Slice on slice Value".into());
        }
        return Err(format!("list should be type of slice or array but {kind}"));
    };
    let n = l.items.len() as i64;
    if n == 0 {
        return Ok(Value::Nil);
    }
    let start = a.get(1).map(to_int).unwrap_or(0);
    let end = a.get(2).map(to_int).unwrap_or(n);
    if start < 0 || end < start || end > n {
        return Err("reflect.Value.Slice: slice index out of bounds".into());
    }
    Ok(Value::List(super::value::List {
        items: std::rc::Rc::new(l.items[start as usize..end as usize].to_vec()),
        elem: l.elem,
    }))
}

#[derive(PartialEq, Clone, Copy)]
enum Kind {
    Bool,
    Int,
    Float,
    Str,
    Other,
}

fn basic_kind(v: &Value) -> Kind {
    match v {
        Value::Bool(_) => Kind::Bool,
        Value::Int(..) => Kind::Int,
        Value::Float(_) => Kind::Float,
        Value::Str(_) | Value::RawStr(_) => Kind::Str,
        _ => Kind::Other,
    }
}

fn eq(a: &[Value]) -> FuncResult {
    let a1 = &a[0];
    if a.len() < 2 {
        return Err("missing argument for comparison".into());
    }
    let k1 = basic_kind(a1);
    for b in &a[1..] {
        let k2 = basic_kind(b);
        let truth = if k1 != k2 {
            if !a1.is_nil() && !b.is_nil() {
                return Err(format!(
                    "incompatible types for comparison: {} and {}",
                    a1.type_name(),
                    b.type_name()
                ));
            }
            false
        } else {
            match (a1, b) {
                (Value::Bool(x), Value::Bool(y)) => x == y,
                (Value::Int(x, _), Value::Int(y, _)) => x == y,
                (Value::Float(x), Value::Float(y)) => x == y,
                (x, y) if k1 == Kind::Str => x.str_bytes() == y.str_bytes(),
                _ => {
                    if a1.is_nil() || b.is_nil() {
                        a1.is_nil() == b.is_nil()
                    } else if a1.type_name() != b.type_name() {
                        return Err(format!(
                            "incompatible types for comparison: {} and {}",
                            a1.type_name(),
                            b.type_name()
                        ));
                    } else if let (Value::Object(x), Value::Object(y)) = (a1, b) {
                        std::rc::Rc::ptr_eq(x, y)
                    } else {
                        return Err(format!(
                            "non-comparable type {}: {}",
                            lossy(&fmt::sprintf("%s", std::slice::from_ref(b))),
                            b.type_name()
                        ));
                    }
                }
            }
        };
        if truth {
            return Ok(Value::Bool(true));
        }
    }
    Ok(Value::Bool(false))
}

fn lt(a: &Value, b: &Value) -> Result<bool, String> {
    let (k1, k2) = (basic_kind(a), basic_kind(b));
    if k1 == Kind::Other || k2 == Kind::Other {
        return Err("invalid type for comparison".into());
    }
    if k1 != k2 {
        return Err(format!(
            "incompatible types for comparison: {} and {}",
            a.type_name(),
            b.type_name()
        ));
    }
    match (a, b) {
        (Value::Int(x, _), Value::Int(y, _)) => Ok(x < y),
        (Value::Float(x), Value::Float(y)) => Ok(x < y),
        (x, y) if k1 == Kind::Str => Ok(x.str_bytes() < y.str_bytes()),
        _ => Err("invalid type for comparison".into()),
    }
}

fn le(a: &Value, b: &Value) -> Result<bool, String> {
    if lt(a, b)? {
        return Ok(true);
    }
    Ok(truth(eq(&[a.clone(), b.clone()])?))
}

/// Go's `evalArgs` for html/js/urlquery: one string as is, else `fmt.Sprint`.
fn eval_args(a: &[Value]) -> Vec<u8> {
    if let [v] = a
        && let Some(s) = v.str_bytes()
    {
        return s.to_vec();
    }
    let printable: Vec<Value> = a
        .iter()
        .map(|v| match v {
            Value::Nil => Value::str("<no value>"),
            v => v.clone(),
        })
        .collect();
    fmt::sprint(&printable)
}

/// Go's `template.HTMLEscape`: byte by byte, other bytes (UTF-8 or not) as they are.
fn html_escape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for &b in s {
        match b {
            b'"' => out.extend_from_slice(b"&#34;"),
            b'\'' => out.extend_from_slice(b"&#39;"),
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            0 => out.extend_from_slice("\u{FFFD}".as_bytes()),
            b => out.push(b),
        }
    }
    out
}

/// Go's `template.JSEscape`: rune by rune; a byte that is not UTF-8 stays as it is.
fn js_escape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for rune in go_runes(s) {
        let c = match rune {
            Rune::Char(c) => c,
            Rune::Invalid(b) => {
                out.push(b);
                continue;
            }
        };
        match c {
            '\\' => out.extend_from_slice(br"\\"),
            '\'' => out.extend_from_slice(br"\'"),
            '"' => out.extend_from_slice(br#"\""#),
            '<' => out.extend_from_slice(br"\u003C"),
            '>' => out.extend_from_slice(br"\u003E"),
            '&' => out.extend_from_slice(br"\u0026"),
            '=' => out.extend_from_slice(br"\u003D"),
            c if (c as u32) < 0x20 => {
                out.extend_from_slice(format!("\\u00{:02X}", c as u32).as_bytes())
            }
            c if (c as u32) >= 0x80 && !fmt::is_print(c) => {
                out.extend_from_slice(format!("\\u{:04X}", c as u32).as_bytes())
            }
            c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    out
}

/// Go's `url.QueryEscape`.
pub(crate) fn query_escape(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for &b in s {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            b => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
