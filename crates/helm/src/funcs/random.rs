//! Sprig's random functions. Their output is never compared with Helm's; what matters is the
//! shape (length, alphabet) and that a seeded render is reproducible.

use super::args::{add_ctx, n, s};
use gotmpl::Param;
use gotmpl::budget::reserve;
use gotmpl::value::Value;
use gotmpl::{CallCtx, Engine, FuncResult};

const ALPHA: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS: &str = "0123456789";

pub(super) fn register(e: &mut Engine) {
    add_ctx(e, "randAlphaNum", &[Param::Int], |c, a| {
        pick(c, a, &format!("{ALPHA}{DIGITS}"))
    });
    add_ctx(e, "randAlpha", &[Param::Int], |c, a| pick(c, a, ALPHA));
    add_ctx(e, "randNumeric", &[Param::Int], |c, a| pick(c, a, DIGITS));
    add_ctx(e, "randAscii", &[Param::Int], |c, a| {
        let printable: String = (32u8..127).map(char::from).collect();
        pick(c, a, &printable)
    });
    add_ctx(e, "randInt", &[Param::Int, Param::Int], |c, a| {
        let (lo, hi) = (n(a, 0), n(a, 1));
        if hi <= lo {
            return Err("invalid argument to Intn".into());
        }
        let span = (hi - lo) as u64;
        Ok(Value::int(lo + (c.shared().next_random() % span) as i64))
    });
    add_ctx(e, "randBytes", &[Param::Int], |c, a| {
        let count = n(a, 0).max(0) as u64;
        reserve(count, count.saturating_mul(3))?;
        let bytes: Vec<u8> = (0..n(a, 0).max(0))
            .map(|_| c.shared().next_random() as u8)
            .collect();
        Ok(Value::string(super::encoding::b64_encode(&bytes)))
    });
    add_ctx(e, "shuffle", &[Param::Str], |c, a| {
        let mut chars: Vec<char> = s(a, 0).chars().collect();
        for i in (1..chars.len()).rev() {
            let j = (c.shared().next_random() % (i as u64 + 1)) as usize;
            chars.swap(i, j);
        }
        Ok(Value::string(chars.into_iter().collect()))
    });
    add_ctx(e, "uuidv4", &[], |c, _| {
        let mut b = [0u8; 16];
        for x in b.iter_mut() {
            *x = c.shared().next_random() as u8;
        }
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
        Ok(Value::string(format!(
            "{}-{}-{}-{}-{}",
            &h[0..8],
            &h[8..12],
            &h[12..16],
            &h[16..20],
            &h[20..32]
        )))
    });
}

fn pick(c: &mut CallCtx<'_, '_>, a: &[Value], alphabet: &str) -> FuncResult {
    let chars: Vec<char> = alphabet.chars().collect();
    let count = n(a, 0);
    if count < 0 {
        return Err(format!(
            "Unable to generate random string: count {count} is negative"
        ));
    }
    reserve(count as u64, count as u64)?;
    let out: String = (0..count)
        .map(|_| chars[(c.shared().next_random() % chars.len() as u64) as usize])
        .collect();
    Ok(Value::string(out))
}
