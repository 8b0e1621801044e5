//! Sprig's dictionary functions. `set`, `unset` and `merge*` change their map in place, as
//! charts expect (`$_ := set $d "k" "v"`).

use std::collections::BTreeMap;

use super::args::{add, add_iface, s, str_list, strval};
use gotmpl::value::{Map, Value};
use gotmpl::{CallCtx, Engine, Func, FuncResult, Param, Shared};

const A: Param = Param::Any;
const M: Param = Param::Map;
const S: Param = Param::Str;

pub(super) fn register(e: &mut Engine) {
    add(e, "dict", &[], Some(A), |a| {
        let mut m = BTreeMap::new();
        for pair in a.chunks(2) {
            let v = pair.get(1).cloned().unwrap_or_else(|| Value::str(""));
            m.insert(strval(&pair[0]), v);
        }
        Ok(Value::map(m))
    });
    add_iface(e, "get", &[M, S], None, |a| {
        Ok(Value::as_map(&a[0])
            .and_then(|m| m.entries.borrow().get(s(a, 1)).cloned())
            .unwrap_or_else(|| Value::str("")))
    });
    e.register(
        "set",
        Func::of_call(&[M, S, A], None, |c, a| {
            let m = map_or_new(&a[0]);
            if let Value::Map(mm) = &m {
                c.shared().note_write(mm, Some(&a[2]));
                mm.entries
                    .borrow_mut()
                    .insert(s(a, 1).to_string(), a[2].clone());
            }
            Ok(m)
        }),
    );
    e.register(
        "unset",
        Func::of_call(&[M, S], None, |c, a| {
            let m = map_or_new(&a[0]);
            if let Value::Map(mm) = &m {
                c.shared().note_write(mm, None);
                mm.entries.borrow_mut().remove(s(a, 1));
            }
            Ok(m)
        }),
    );
    add(e, "hasKey", &[M, S], None, |a| {
        Ok(Value::Bool(
            Value::as_map(&a[0]).is_some_and(|m| m.entries.borrow().contains_key(s(a, 1))),
        ))
    });
    add(e, "pluck", &[S], Some(M), |a| {
        Ok(Value::list(
            a[1..]
                .iter()
                .filter_map(|d| {
                    Value::as_map(d).and_then(|m| m.entries.borrow().get(s(a, 0)).cloned())
                })
                .collect(),
        ))
    });
    add(e, "pick", &[M], Some(S), |a| {
        Ok(select(&a[0], &a[1..], true))
    });
    add(e, "omit", &[M], Some(S), |a| {
        Ok(select(&a[0], &a[1..], false))
    });
    add(e, "keys", &[], Some(M), |a| {
        let mut keys = Vec::new();
        for d in a {
            if let Some(m) = Value::as_map(d) {
                keys.extend(m.entries.borrow().keys().cloned());
            }
        }
        Ok(str_list(keys))
    });
    add(e, "values", &[M], None, |a| {
        Ok(Value::list(
            Value::as_map(&a[0])
                .map(|m| m.entries.borrow().values().cloned().collect())
                .unwrap_or_default(),
        ))
    });
    type Merge = fn(&mut CallCtx<'_, '_>, &[Value]) -> FuncResult;
    let keep: Merge = |c, a| Ok(merge_all(c.shared(), a, false));
    let overwrite: Merge = |c, a| Ok(merge_all(c.shared(), a, true));
    for (name, merge) in [
        ("merge", keep),
        ("mergeOverwrite", overwrite),
        ("mustMerge", keep),
        ("mustMergeOverwrite", overwrite),
    ] {
        e.register(name, Func::of_call(&[M], Some(M), merge).iface());
    }
    add_iface(e, "dig", &[], Some(A), dig);
    for name in ["deepCopy", "mustDeepCopy"] {
        add_iface(e, name, &[A], None, |a| match &a[0] {
            Value::Nil => Err("reflect: call of reflect.Value.Type on zero Value".into()),
            v => {
                // The copy of a dict whose children are shared is exponentially larger (and
                // is a map, which the executor does not count).
                let walk = gotmpl::budget::walk(v)?;
                if !gotmpl::budget::charge(walk.bytes.saturating_mul(4)) {
                    // The executor reports the spent budget in its own words.
                    return Err(String::new());
                }
                Ok(deep_copy(v))
            }
        });
    }
}

/// A nil map parameter: Go would panic writing to it; Sprig's callers never pass one, so a
/// fresh map keeps the template going.
fn map_or_new(v: &Value) -> Value {
    match v {
        Value::Map(_) => v.clone(),
        _ => Value::map(BTreeMap::new()),
    }
}

fn select(d: &Value, keys: &[Value], keep: bool) -> Value {
    let wanted: Vec<&str> = keys.iter().filter_map(Value::as_str).collect();
    let out = Value::as_map(d)
        .map(|m| {
            m.entries
                .borrow()
                .iter()
                .filter(|(k, _)| wanted.contains(&k.as_str()) == keep)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        })
        .unwrap_or_default();
    Value::map(out)
}

/// mergo's emptiness test on a map entry.
fn is_empty(v: &Value) -> bool {
    !v.truthy()
}

/// mergo.Merge (`overwrite` = MergeWithOverwrite) of `src` into `dst`, in place.
/// Each write is told to `shared` ([`Shared::note_write`]): `dst` or a map inside it may be one
/// every template sees.
fn merge_into(shared: &Shared, dst: &Map, src: &Map, overwrite: bool, depth: usize) {
    if depth > gotmpl::value::MAX_DEPTH || !gotmpl::budget::step(1) {
        return;
    }
    let src_entries: Vec<(String, Value)> = src
        .entries
        .borrow()
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, sv) in src_entries {
        if sv.is_nil() {
            if overwrite {
                shared.note_write(dst, None);
                dst.entries.borrow_mut().insert(k, sv);
            }
            continue;
        }
        let dv = dst.entries.borrow().get(&k).cloned();
        if let (Some(Value::Map(dm)), Value::Map(sm)) = (&dv, &sv)
            && !std::rc::Rc::ptr_eq(&dm.entries, &sm.entries)
        {
            merge_into(shared, dm, sm, overwrite, depth + 1);
        }
        if let Some(d) = &dv
            && !is_empty(d)
            && ((matches!(sv, Value::List(_)) && !overwrite)
                || matches!((&sv, d), (Value::Map(_), Value::Map(_))))
        {
            continue;
        }
        if overwrite || dv.as_ref().is_none_or(is_empty) {
            shared.note_write(dst, Some(&sv));
            dst.entries.borrow_mut().insert(k, sv);
        }
    }
}

fn merge_all(shared: &Shared, a: &[Value], overwrite: bool) -> Value {
    let dst = map_or_new(&a[0]);
    if let Value::Map(d) = &dst {
        for src in &a[1..] {
            if let Value::Map(s) = src {
                merge_into(shared, d, s, overwrite, 0);
            }
        }
    }
    dst
}

fn dig(a: &[Value]) -> Result<Value, String> {
    if a.len() < 3 {
        return Err("dig needs at least three arguments".into());
    }
    let dict = &a[a.len() - 1];
    let default = &a[a.len() - 2];
    let mut keys = Vec::new();
    for k in &a[..a.len() - 2] {
        match k.text() {
            Some(s) => keys.push(s),
            None => {
                return Err(format!(
                    "interface conversion: interface {{}} is {}, not string",
                    k.type_name()
                ));
            }
        }
    }
    let mut cur = dict.clone();
    for k in keys {
        let m = match &cur {
            Value::Map(m) if m.ty == gotmpl::MapTy::Plain => m.clone(),
            Value::Nil => {
                return Err(
                    "interface conversion: interface {} is nil, not map[string]interface {}".into(),
                );
            }
            other => {
                return Err(format!(
                    "interface conversion: interface {{}} is {}, not map[string]interface {{}}",
                    other.type_name()
                ));
            }
        };
        let next = m.entries.borrow().get(&*k).cloned();
        match next {
            Some(v) => cur = v,
            None => return Ok(default.clone()),
        }
    }
    Ok(cur)
}

/// Sprig's `deepCopy`: new maps and lists all the way down (strings are immutable, so shared).
pub(super) fn deep_copy(v: &Value) -> Value {
    copy_at(v, 0)
}

fn copy_at(v: &Value, depth: usize) -> Value {
    if depth > gotmpl::value::MAX_DEPTH {
        return v.clone();
    }
    match v {
        Value::List(l) => Value::List(gotmpl::List {
            items: std::rc::Rc::new(l.items.iter().map(|x| copy_at(x, depth + 1)).collect()),
            elem: l.elem,
        }),
        Value::Map(m) => {
            let copy = m
                .entries
                .borrow()
                .iter()
                .map(|(k, v)| (k.clone(), copy_at(v, depth + 1)))
                .collect();
            let mut out = Value::map(copy);
            if let Value::Map(om) = &mut out {
                om.ty = m.ty;
            }
            out
        }
        other => other.clone(),
    }
}
