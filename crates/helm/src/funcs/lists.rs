//! Sprig's list functions.

use std::rc::Rc;

use super::args::{add, add_iface, n};
use gotmpl::Engine;
use gotmpl::Param;
use gotmpl::budget::reserve;
use gotmpl::value::{Elem, List, Value};

const A: Param = Param::Any;
const I: Param = Param::Int;

pub(super) fn register(e: &mut Engine) {
    add(e, "list", &[], Some(A), |a| Ok(Value::list(a.to_vec())));
    add(e, "tuple", &[], Some(A), |a| Ok(Value::list(a.to_vec())));
    add_iface(e, "first", &[A], None, |a| {
        with_list(&a[0], "find first on", |l| {
            Ok(l.items.first().cloned().unwrap_or_default())
        })
    });
    add_iface(e, "last", &[A], None, |a| {
        with_list(&a[0], "find last on", |l| {
            Ok(l.items.last().cloned().unwrap_or_default())
        })
    });
    add_iface(e, "rest", &[A], None, |a| {
        with_list(&a[0], "find rest on", |l| Ok(sub_list(l, 1, l.items.len())))
    });
    add_iface(e, "initial", &[A], None, |a| {
        with_list(&a[0], "find initial on", |l| {
            Ok(sub_list(l, 0, l.items.len().saturating_sub(1)))
        })
    });
    add_iface(e, "reverse", &[A], None, |a| {
        with_list(&a[0], "find reverse on", |l| {
            Ok(Value::list(l.items.iter().rev().cloned().collect()))
        })
    });
    add_iface(e, "uniq", &[A], None, |a| {
        with_list(&a[0], "find uniq on", |l| {
            let mut out: Vec<Value> = Vec::new();
            for v in l.items.iter() {
                // Each item is compared with every kept one.
                reserve(out.len() as u64, 0)?;
                if !out.iter().any(|o| deep_equal(o, v)) {
                    out.push(v.clone());
                }
            }
            Ok(Value::list(out))
        })
    });
    add_iface(e, "compact", &[A], None, |a| {
        with_list(&a[0], "compact on", |l| {
            Ok(Value::list(
                l.items.iter().filter(|v| v.truthy()).cloned().collect(),
            ))
        })
    });
    add_iface(e, "without", &[A], Some(A), |a| {
        with_list(&a[0], "find without on", |l| {
            Ok(Value::list(
                l.items
                    .iter()
                    .filter(|v| !a[1..].iter().any(|o| deep_equal(o, v)))
                    .cloned()
                    .collect(),
            ))
        })
    });
    add(e, "has", &[A, A], None, |a| match &a[1] {
        Value::Nil => Ok(Value::Bool(false)),
        hay => with_list(hay, "find has on", |l| {
            Ok(Value::Bool(l.items.iter().any(|v| deep_equal(v, &a[0]))))
        }),
    });
    for name in ["append", "push"] {
        add(e, name, &[A, A], None, |a| {
            with_list(&a[0], "push on", |l| {
                reserve(0, list_bytes(l.items.len() + 1))?;
                let mut items = l.items.to_vec();
                items.push(a[1].clone());
                Ok(Value::list(items))
            })
        });
    }
    add(e, "prepend", &[A, A], None, |a| {
        with_list(&a[0], "prepend on", |l| {
            reserve(0, list_bytes(l.items.len() + 1))?;
            let mut items = vec![a[1].clone()];
            items.extend(l.items.iter().cloned());
            Ok(Value::list(items))
        })
    });
    add_iface(e, "concat", &[], Some(A), |a| {
        let len = a.iter().map(|v| match v {
            Value::List(l) => l.items.len(),
            _ => 0,
        });
        reserve(0, list_bytes(len.sum()))?;
        let mut items = Vec::new();
        for v in a {
            match v {
                Value::List(l) => items.extend(l.items.iter().cloned()),
                other => {
                    return Err(format!("Cannot concat type {} as list", other.kind_name()));
                }
            }
        }
        Ok(Value::list(items))
    });
    add(e, "chunk", &[I, A], None, |a| {
        let Ok(size @ 1..) = usize::try_from(n(a, 0)) else {
            return Err("runtime error: makeslice: len out of range".into());
        };
        with_list(&a[1], "chunk", |l| {
            Ok(Value::list(
                l.items
                    .chunks(size)
                    .map(|c| Value::list(c.to_vec()))
                    .collect(),
            ))
        })
    });
    add(e, "until", &[I], None, |a| {
        let count = n(a, 0);
        Ok(int_list(until_step(
            0,
            count,
            if count < 0 { -1 } else { 1 },
        )?))
    });
    add(e, "untilStep", &[I, I, I], None, |a| {
        Ok(int_list(until_step(n(a, 0), n(a, 1), n(a, 2))?))
    });
    add(e, "seq", &[], Some(I), |a| Ok(Value::string(seq(a)?)));
}

/// Runs `f` on a list argument; Sprig panics (an error here) on anything else.
fn with_list(
    v: &Value,
    what: &str,
    f: impl FnOnce(&List) -> Result<Value, String>,
) -> Result<Value, String> {
    match v {
        Value::List(l) => f(l),
        Value::Nil => {
            Err("runtime error: invalid memory address or nil pointer dereference".into())
        }
        other => Err(format!("Cannot {what} type {}", other.kind_name())),
    }
}

fn sub_list(l: &List, start: usize, end: usize) -> Value {
    if l.items.is_empty() {
        return Value::list(Vec::new());
    }
    Value::List(List {
        items: Rc::new(l.items[start..end.max(start)].to_vec()),
        elem: l.elem,
    })
}

fn int_list(v: Vec<i64>) -> Value {
    Value::List(List {
        items: Rc::new(v.into_iter().map(Value::int).collect()),
        elem: Elem::Int,
    })
}

/// Memory a list of `len` values holds.
fn list_bytes(len: usize) -> u64 {
    (len as u64).saturating_mul(std::mem::size_of::<Value>() as u64)
}

/// Sprig's `untilStep`; the list's size is charged to the render's budget before it is made.
fn until_step(start: i64, stop: i64, step: i64) -> Result<Vec<i64>, String> {
    let forward = (stop > start && step > 0) || (stop < start && step < 0);
    let span = (i128::from(stop) - i128::from(start)).unsigned_abs() * u128::from(forward);
    let len = span / i128::from(step).unsigned_abs().max(1);
    let len = u64::try_from(len).unwrap_or(u64::MAX);
    reserve(len, list_bytes(usize::try_from(len).unwrap_or(usize::MAX)))?;
    Ok(until_step_unchecked(start, stop, step))
}

fn until_step_unchecked(start: i64, stop: i64, step: i64) -> Vec<i64> {
    let mut v = Vec::new();
    if stop < start {
        if step >= 0 {
            return v;
        }
        let mut i = start;
        while i > stop {
            v.push(i);
            // Go would wrap around (and loop forever) here.
            let Some(next) = i.checked_add(step) else {
                break;
            };
            i = next;
        }
        return v;
    }
    if step <= 0 {
        return v;
    }
    let mut i = start;
    while i < stop {
        v.push(i);
        let Some(next) = i.checked_add(step) else {
            break;
        };
        i = next;
    }
    v
}

/// Sprig's `seq`: like the Unix command.
fn seq(a: &[Value]) -> Result<String, String> {
    let p: Vec<i64> = (0..a.len()).map(|i| n(a, i)).collect();
    let nums = match p.as_slice() {
        [end] => {
            let inc = if *end < 1 { -1 } else { 1 };
            until_step(1, end.saturating_add(inc), inc)?
        }
        [start, end] => {
            let step = if end < start { -1 } else { 1 };
            until_step(*start, end.saturating_add(step), step)?
        }
        [start, step, end] => {
            let inc = if end < start { -1 } else { 1 };
            if (end < start && *step > 0) || (end >= start && *step < 0) {
                return Ok(String::new());
            }
            until_step(*start, end.saturating_add(inc), *step)?
        }
        _ => return Ok(String::new()),
    };
    Ok(nums
        .iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(" "))
}

/// Go's `reflect.DeepEqual` on template values.
pub(super) fn deep_equal(a: &Value, b: &Value) -> bool {
    equal_at(a, b, 0)
}

fn equal_at(a: &Value, b: &Value, depth: usize) -> bool {
    // Comparing values with shared children walks them once per reference: the render's
    // work budget stops that (and the executor reports it).
    if depth > gotmpl::value::MAX_DEPTH || !gotmpl::budget::step(1) {
        return false;
    }
    match (a, b) {
        (Value::Nil, Value::Nil) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x, tx), Value::Int(y, ty)) => x == y && tx == ty,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::RawStr(x), Value::RawStr(y)) | (Value::Bytes(x), Value::Bytes(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.elem == y.elem
                && x.items.len() == y.items.len()
                && x.items
                    .iter()
                    .zip(y.items.iter())
                    .all(|(p, q)| equal_at(p, q, depth + 1))
        }
        (Value::Map(x), Value::Map(y)) => {
            if Rc::ptr_eq(&x.entries, &y.entries) {
                return x.ty == y.ty;
            }
            let (x_entries, y_entries) = (x.entries.borrow(), y.entries.borrow());
            x.ty == y.ty
                && x_entries.len() == y_entries.len()
                && x_entries
                    .iter()
                    .zip(y_entries.iter())
                    .all(|((k1, v1), (k2, v2))| k1 == k2 && equal_at(v1, v2, depth + 1))
        }
        (Value::Object(x), Value::Object(y)) => Rc::ptr_eq(x, y),
        _ => false,
    }
}
