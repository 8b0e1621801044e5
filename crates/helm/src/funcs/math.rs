//! Sprig's arithmetic: integer functions convert with spf13/cast and return int64; the `…f`
//! functions compute in decimal (shopspring/decimal), so `addf 0.1 0.2` is `0.3`.

use super::args::{add, s, to_float64, to_int64};
use gotmpl::Engine;
use gotmpl::Param;
use gotmpl::value::{IntTy, Value};

const A: Param = Param::Any;

pub(super) fn register(e: &mut Engine) {
    add(e, "add1", &[A], None, |a| {
        Ok(Value::int64(to_int64(&a[0]).wrapping_add(1)))
    });
    add(e, "add", &[], Some(A), |a| {
        Ok(Value::int64(
            a.iter().map(to_int64).fold(0i64, i64::wrapping_add),
        ))
    });
    add(e, "sub", &[A, A], None, |a| {
        Ok(Value::int64(to_int64(&a[0]).wrapping_sub(to_int64(&a[1]))))
    });
    add(e, "mul", &[A], Some(A), |a| {
        Ok(Value::int64(
            a.iter().map(to_int64).fold(1i64, i64::wrapping_mul),
        ))
    });
    add(e, "div", &[A, A], None, |a| {
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err("runtime error: integer divide by zero".into());
        }
        Ok(Value::int64(to_int64(&a[0]).wrapping_div(d)))
    });
    add(e, "mod", &[A, A], None, |a| {
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err("runtime error: integer divide by zero".into());
        }
        Ok(Value::int64(to_int64(&a[0]).wrapping_rem(d)))
    });
    for name in ["max", "biggest"] {
        add(e, name, &[A], Some(A), |a| {
            Ok(Value::int64(
                a.iter().map(to_int64).fold(i64::MIN, i64::max),
            ))
        });
    }
    add(e, "min", &[A], Some(A), |a| {
        Ok(Value::int64(
            a.iter().map(to_int64).fold(i64::MAX, i64::min),
        ))
    });
    add(e, "maxf", &[A], Some(A), |a| {
        Ok(Value::Float(
            a.iter().map(to_float64).fold(f64::NEG_INFINITY, f64::max),
        ))
    });
    add(e, "minf", &[A], Some(A), |a| {
        Ok(Value::Float(
            a.iter().map(to_float64).fold(f64::INFINITY, f64::min),
        ))
    });
    add(e, "add1f", &[A], None, |a| {
        Ok(Value::Float(dec_fold(&a[..1], Op::Add, Some(1.0))?))
    });
    add(e, "addf", &[], Some(A), |a| {
        Ok(Value::Float(dec_fold(a, Op::Add, None)?))
    });
    add(e, "subf", &[A], Some(A), |a| {
        Ok(Value::Float(dec_fold(a, Op::Sub, None)?))
    });
    add(e, "mulf", &[A], Some(A), |a| {
        Ok(Value::Float(dec_fold(a, Op::Mul, None)?))
    });
    add(e, "divf", &[A], Some(A), |a| {
        Ok(Value::Float(dec_fold(a, Op::Div, None)?))
    });
    add(e, "floor", &[A], None, |a| {
        Ok(Value::Float(to_float64(&a[0]).floor()))
    });
    add(e, "ceil", &[A], None, |a| {
        Ok(Value::Float(to_float64(&a[0]).ceil()))
    });
    add(e, "round", &[A, Param::Int], Some(Param::Float), |a| {
        let round_on = match a.get(2) {
            Some(Value::Float(f)) => *f,
            _ => 0.5,
        };
        let val = to_float64(&a[0]);
        let pow = 10f64.powf(to_int64(&a[1]) as f64);
        let digit = pow * val;
        let frac = digit - digit.trunc();
        let r = if frac >= round_on {
            digit.ceil()
        } else {
            digit.floor()
        };
        Ok(Value::Float(r / pow))
    });
    add(e, "int", &[A], None, |a| Ok(Value::int(to_int64(&a[0]))));
    add(e, "int64", &[A], None, |a| {
        Ok(Value::Int(to_int64(&a[0]), IntTy::Int64))
    });
    add(e, "float64", &[A], None, |a| {
        Ok(Value::Float(to_float64(&a[0])))
    });
    add(e, "atoi", &[Param::Str], None, |a| {
        let t = s(a, 0);
        let ok = !t.is_empty()
            && t.trim_start_matches(['+', '-'])
                .bytes()
                .all(|c| c.is_ascii_digit());
        Ok(Value::int(if ok { t.parse().unwrap_or(0) } else { 0 }))
    });
    add(e, "toDecimal", &[A], None, |a| {
        let text = gotmpl::fmt::sprint_v(&a[0]);
        Ok(Value::int64(i64::from_str_radix(&text, 8).unwrap_or(0)))
    });
}

#[derive(Clone, Copy)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

/// A decimal number: mantissa × 10^exp.
#[derive(Clone, Copy)]
struct Dec {
    m: i128,
    exp: i32,
}

impl Dec {
    /// shopspring's `NewFromFloat`: the shortest decimal that reads back as `f`.
    fn from_f64(f: f64) -> Dec {
        if f == 0.0 || !f.is_finite() {
            return Dec { m: 0, exp: 0 };
        }
        let s = format!("{:e}", f.abs());
        let (mant, e) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        let digits: String = mant.chars().filter(char::is_ascii_digit).collect();
        let m: i128 = digits.parse().unwrap_or(0);
        let m = if f < 0.0 { -m } else { m };
        Dec {
            m,
            exp: e - (digits.len() as i32 - 1),
        }
    }

    fn to_f64(self) -> f64 {
        format!("{}e{}", self.m, self.exp).parse().unwrap_or(0.0)
    }

    fn scale_to(self, exp: i32) -> Option<i128> {
        let diff = u32::try_from(self.exp - exp).ok()?;
        self.m.checked_mul(10i128.checked_pow(diff)?)
    }

    fn apply(self, op: Op, o: Dec) -> Option<Dec> {
        match op {
            Op::Add | Op::Sub => {
                let exp = self.exp.min(o.exp);
                let (a, b) = (self.scale_to(exp)?, o.scale_to(exp)?);
                let m = if let Op::Add = op {
                    a.checked_add(b)?
                } else {
                    a.checked_sub(b)?
                };
                Some(Dec { m, exp })
            }
            Op::Mul => Some(Dec {
                m: self.m.checked_mul(o.m)?,
                exp: self.exp + o.exp,
            }),
            Op::Div => {
                // Quotient rounded half away from zero to 16 places (DivisionPrecision).
                let k = self.exp - o.exp + 16;
                let (num, den) = if k >= 0 {
                    (self.m.checked_mul(10i128.checked_pow(k as u32)?)?, o.m)
                } else {
                    (self.m, o.m.checked_mul(10i128.checked_pow((-k) as u32)?)?)
                };
                let q = num / den;
                let r = num % den;
                let q = if 2 * r.abs() >= den.abs() {
                    q + if (num < 0) != (den < 0) { -1 } else { 1 }
                } else {
                    q
                };
                Some(Dec { m: q, exp: -16 })
            }
        }
    }
}

fn dec_fold(args: &[Value], op: Op, extra: Option<f64>) -> Result<f64, String> {
    let mut vals: Vec<f64> = args.iter().map(to_float64).collect();
    vals.extend(extra);
    let Some((first, rest)) = vals.split_first() else {
        return Ok(0.0);
    };
    let mut acc = Some(Dec::from_f64(*first));
    let mut fallback = *first;
    for v in rest {
        if let Op::Div = op
            && *v == 0.0
        {
            return Err("decimal division by 0".into());
        }
        fallback = match op {
            Op::Add => fallback + v,
            Op::Sub => fallback - v,
            Op::Mul => fallback * v,
            Op::Div => fallback / v,
        };
        acc = acc.and_then(|a| a.apply(op, Dec::from_f64(*v)));
    }
    Ok(acc.map_or(fallback, Dec::to_f64))
}
