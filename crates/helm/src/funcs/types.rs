//! Sprig's type inspection and default-value functions.

use super::args::{add, add_iface, s};
use super::lists::deep_equal;
use gotmpl::Engine;
use gotmpl::Param;
use gotmpl::value::Value;

const A: Param = Param::Any;
const S: Param = Param::Str;

pub(super) fn register(e: &mut Engine) {
    add(e, "typeOf", &[A], None, |a| Ok(a[0].type_name().into()));
    add(e, "typeIs", &[S, A], None, |a| {
        Ok(Value::Bool(s(a, 0) == a[1].type_name()))
    });
    add(e, "typeIsLike", &[S, A], None, |a| {
        let t = a[1].type_name();
        Ok(Value::Bool(s(a, 0) == t || format!("*{}", s(a, 0)) == t))
    });
    add(e, "kindOf", &[A], None, |a| Ok(a[0].kind_name().into()));
    add(e, "kindIs", &[S, A], None, |a| {
        Ok(Value::Bool(s(a, 0) == a[1].kind_name()))
    });
    add_iface(e, "default", &[A], Some(A), |a| {
        Ok(match a.get(1) {
            Some(given) if given.truthy() => given.clone(),
            _ => a[0].clone(),
        })
    });
    add(e, "empty", &[A], None, |a| Ok(Value::Bool(!a[0].truthy())));
    add_iface(e, "coalesce", &[], Some(A), |a| {
        Ok(a.iter().find(|v| v.truthy()).cloned().unwrap_or_default())
    });
    add(e, "all", &[], Some(A), |a| {
        Ok(Value::Bool(a.iter().all(Value::truthy)))
    });
    add(e, "any", &[], Some(A), |a| {
        Ok(Value::Bool(a.iter().any(Value::truthy)))
    });
    add_iface(e, "ternary", &[A, A, Param::Bool], None, |a| {
        Ok(if matches!(a[2], Value::Bool(true)) {
            a[0].clone()
        } else {
            a[1].clone()
        })
    });
    add(e, "deepEqual", &[A, A], None, |a| {
        Ok(Value::Bool(deep_equal(&a[0], &a[1])))
    });
}
