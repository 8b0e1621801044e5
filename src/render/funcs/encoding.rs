//! JSON (Go's encoding/json output exactly), base64 and hash functions.

use super::{Param, add, add_iface, error_map, json_kind, s};
use crate::render::Engine;
use crate::render::value::Value;

const A: Param = Param::Any;
const S: Param = Param::Str;

pub(super) fn register(e: &mut Engine) {
    add(e, "toJson", &[A], None, |a| {
        Ok(json_or_empty(&a[0], true, None))
    });
    add(e, "toRawJson", &[A], None, |a| {
        Ok(json_or_empty(&a[0], false, None))
    });
    add(e, "toPrettyJson", &[A], None, |a| {
        Ok(json_or_empty(&a[0], true, Some("")))
    });
    add(e, "mustToJson", &[A], None, |a| {
        must_json(&a[0], true, None)
    });
    add(e, "mustToRawJson", &[A], None, |a| {
        must_json(&a[0], false, None)
    });
    add(e, "mustToPrettyJson", &[A], None, |a| {
        must_json(&a[0], true, Some(""))
    });
    add(e, "fromJson", &[S], None, |a| {
        Ok(match serde_json::from_str::<serde_json::Value>(s(a, 0)) {
            Ok(serde_json::Value::Object(m)) => from_json(&serde_json::Value::Object(m)),
            Ok(other) => error_map(&format!(
                "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
                json_kind(&from_json(&other))
            )),
            Err(e) => error_map(&json_error(s(a, 0), e)),
        })
    });
    add(e, "fromJsonArray", &[S], None, |a| {
        Ok(match serde_json::from_str::<serde_json::Value>(s(a, 0)) {
            Ok(serde_json::Value::Array(v)) => from_json(&serde_json::Value::Array(v)),
            Ok(other) => Value::list(vec![Value::string(format!(
                "json: cannot unmarshal {} into Go value of type []interface {{}}",
                json_kind(&from_json(&other))
            ))]),
            Err(e) => Value::list(vec![Value::string(json_error(s(a, 0), e))]),
        })
    });
    add_iface(e, "mustFromJson", &[S], None, |a| {
        serde_json::from_str::<serde_json::Value>(s(a, 0))
            .map(|v| from_json(&v))
            .map_err(|e| json_error(s(a, 0), e))
    });
    add(e, "b64enc", &[S], None, |a| {
        Ok(b64_encode(s(a, 0).as_bytes()).into())
    });
    add(e, "b64dec", &[S], None, |a| {
        Ok(match b64_decode(s(a, 0)) {
            Ok(b) => Value::string(String::from_utf8_lossy(&b).into_owned()),
            Err(at) => Value::string(format!("illegal base64 data at input byte {at}")),
        })
    });
    add(e, "sha256sum", &[S], None, |a| {
        Ok(hex(&sha256(s(a, 0).as_bytes())).into())
    });
    add(e, "sha1sum", &[S], None, |a| {
        Ok(hex(&sha1(s(a, 0).as_bytes())).into())
    });
    add(e, "adler32sum", &[S], None, |a| {
        Ok(adler32(s(a, 0).as_bytes()).to_string().into())
    });
    add(e, "sha512sum", &[S], None, |a| {
        Ok(hex(&sha512(s(a, 0).as_bytes())).into())
    });
    add(e, "b32enc", &[S], None, |a| {
        Ok(b32_encode(s(a, 0).as_bytes()).into())
    });
    add(e, "b32dec", &[S], None, |a| {
        Ok(match b32_decode(s(a, 0)) {
            Ok(b) => Value::string(String::from_utf8_lossy(&b).into_owned()),
            Err(at) => Value::string(format!("illegal base32 data at input byte {at}")),
        })
    });
}

/// Go's wording for a JSON syntax error (serde_json's only when ours finds none).
fn json_error(input: &str, e: serde_json::Error) -> String {
    super::json_errors::syntax_error(input).unwrap_or_else(|| e.to_string())
}

/// JSON as Go decodes it into `interface {}`: numbers become float64.
pub(crate) fn from_json(v: &serde_json::Value) -> Value {
    match v {
        serde_json::Value::Null => Value::Nil,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(s) => Value::str(s),
        serde_json::Value::Array(a) => Value::list(a.iter().map(from_json).collect()),
        serde_json::Value::Object(m) => {
            Value::map(m.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
    }
}

fn json_or_empty(v: &Value, escape_html: bool, indent: Option<&str>) -> Value {
    Value::string(to_json(v, escape_html, indent).unwrap_or_default())
}

fn must_json(v: &Value, escape_html: bool, indent: Option<&str>) -> Result<Value, String> {
    to_json(v, escape_html, indent).map(Value::string)
}

/// Go's `json.Marshal` (`indent` = `json.MarshalIndent` with that prefix and two spaces).
pub(crate) fn to_json(
    v: &Value,
    escape_html: bool,
    indent: Option<&str>,
) -> Result<String, String> {
    let mut out = String::new();
    write_json(&mut out, v, escape_html, indent, 0)?;
    Ok(out)
}

fn newline(out: &mut String, indent: Option<&str>, depth: usize) {
    if let Some(prefix) = indent {
        out.push('\n');
        out.push_str(prefix);
        for _ in 0..depth {
            out.push_str("  ");
        }
    }
}

fn write_json(
    out: &mut String,
    v: &Value,
    esc: bool,
    indent: Option<&str>,
    depth: usize,
) -> Result<(), String> {
    if depth > crate::render::value::MAX_DEPTH {
        return Err(crate::render::value::CYCLE_ERROR.into());
    }
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n, _) => out.push_str(&n.to_string()),
        Value::Float(f) => out.push_str(&json_float(*f)?),
        Value::Str(s) => json_string(out, s, esc),
        Value::Bytes(b) => json_string(out, &b64_encode(b), esc),
        Value::List(l) => {
            if l.items.is_empty() {
                out.push_str("[]");
                return Ok(());
            }
            out.push('[');
            for (i, item) in l.items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent, depth + 1);
                write_json(out, item, esc, indent, depth + 1)?;
            }
            newline(out, indent, depth);
            out.push(']');
        }
        Value::Map(m) => {
            let entries = m.entries.borrow();
            if entries.is_empty() {
                out.push_str("{}");
                return Ok(());
            }
            out.push('{');
            for (i, (k, item)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                newline(out, indent, depth + 1);
                json_string(out, k, esc);
                out.push(':');
                if indent.is_some() {
                    out.push(' ');
                }
                write_json(out, item, esc, indent, depth + 1)?;
            }
            newline(out, indent, depth);
            out.push('}');
        }
        Value::Object(o) => match o.plain() {
            Some(p) => write_json(out, &p, esc, indent, depth)?,
            None => json_string(out, &o.print_text(), esc),
        },
    }
    Ok(())
}

/// Go's float encoding: shortest digits, exponent form outside [1e-6, 1e21).
fn json_float(f: f64) -> Result<String, String> {
    if !f.is_finite() {
        return Err(format!(
            "json: unsupported value: {}",
            crate::render::fmt::format_float_v(f)
        ));
    }
    let a = f.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let mut g = format!("{f:e}");
        // Rust writes 1e-7 / 1.5e21; Go writes 1e-07 / 1.5e+21 and then trims e-07 to e-7.
        if let Some(i) = g.find('e') {
            let (m, e) = g.split_at(i);
            let e = &e[1..];
            let (sign, digits) = match e.strip_prefix('-') {
                Some(d) => ("-", d),
                None => ("+", e),
            };
            g = format!("{m}e{sign}{digits}");
        }
        return Ok(g);
    }
    let s = format!("{f}");
    Ok(s)
}

fn json_string(out: &mut String, s: &str, esc: bool) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '<' | '>' | '&' if esc => out.push_str(&format!("\\u{:04x}", c as u32)),
            '\u{2028}' | '\u{2029}' => out.push_str(&format!("\\u{:04x}", c as u32)),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub(crate) fn b64_encode(b: &[u8]) -> String {
    let mut out = String::with_capacity(b.len().div_ceil(3) * 4);
    for chunk in b.chunks(3) {
        let n = (chunk[0] as u32) << 16
            | (*chunk.get(1).unwrap_or(&0) as u32) << 8
            | *chunk.get(2).unwrap_or(&0) as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 decoding; the error is the offset of the first bad byte (Go's message).
pub(crate) fn b64_decode(s: &str) -> Result<Vec<u8>, usize> {
    let b = s.as_bytes();
    let valid = |c: u8| c.is_ascii_alphanumeric() || c == b'+' || c == b'/' || c == b'=';
    if let Some(i) = b.iter().position(|&c| !valid(c)) {
        return Err(i);
    }
    if !b.len().is_multiple_of(4) {
        return Err(b.len() / 4 * 4);
    }
    let mut out = Vec::with_capacity(b.len() / 4 * 3);
    for (ci, chunk) in b.chunks(4).enumerate() {
        let mut n = 0u32;
        let mut pad = 0;
        for (i, &c) in chunk.iter().enumerate() {
            let v = match c {
                b'A'..=b'Z' => c - b'A',
                b'a'..=b'z' => c - b'a' + 26,
                b'0'..=b'9' => c - b'0' + 52,
                b'+' => 62,
                b'/' => 63,
                b'=' if i >= 2 && (ci + 1) * 4 == b.len() => {
                    pad += 1;
                    0
                }
                _ => return Err(ci * 4 + i),
            };
            if pad > 0 && c != b'=' {
                return Err(ci * 4 + i);
            }
            n = n << 6 | v as u32;
        }
        let bytes = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&bytes[..3 - pad]);
    }
    Ok(out)
}

const B32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

fn b32_encode(b: &[u8]) -> String {
    let mut out = String::new();
    for chunk in b.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = buf.iter().fold(0u64, |acc, &x| acc << 8 | x as u64);
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..8 {
            if i < chars {
                out.push(B32[(n >> (35 - 5 * i) & 31) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base32 decoding; the error is the offset of the first bad byte.
fn b32_decode(s: &str) -> Result<Vec<u8>, usize> {
    let b = s.as_bytes();
    if let Some(i) = b.iter().position(|c| !B32.contains(c) && *c != b'=') {
        return Err(i);
    }
    if !b.len().is_multiple_of(8) {
        return Err(b.len() / 8 * 8);
    }
    let mut out = Vec::new();
    for chunk in b.chunks(8) {
        let data: Vec<u8> = chunk.iter().take_while(|&&c| c != b'=').copied().collect();
        let mut n = 0u64;
        for (i, c) in chunk.iter().enumerate() {
            let v = if *c == b'=' {
                0
            } else {
                B32.iter().position(|x| x == c).ok_or(i)? as u64
            };
            n = n << 5 | v;
        }
        let bytes = n.to_be_bytes();
        out.extend_from_slice(&bytes[3..3 + data.len() * 5 / 8]);
    }
    Ok(out)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn adler32(b: &[u8]) -> u32 {
    let (mut a, mut s) = (1u32, 0u32);
    for &c in b {
        a = (a + c as u32) % 65521;
        s = (s + a) % 65521;
    }
    s << 16 | a
}

/// Message blocks of a Merkle–Damgård hash: the input, 0x80, zeros, and the bit length.
fn md_blocks(data: &[u8]) -> Vec<u8> {
    let mut m = data.to_vec();
    m.push(0x80);
    while m.len() % 64 != 56 {
        m.push(0);
    }
    m.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
    m
}

pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    const K: [u32; 64] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
        0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
        0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
        0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
        0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
        0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
        0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
        0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
        0xc67178f2,
    ];
    let mut h: [u32; 8] = [
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
        0x5be0cd19,
    ];
    for block in md_blocks(data).chunks(64) {
        let mut w = [0u32; 64];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                block[4 * i],
                block[4 * i + 1],
                block[4 * i + 2],
                block[4 * i + 3],
            ]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..64 {
            let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [
                t1.wrapping_add(t2),
                v[0],
                v[1],
                v[2],
                v[3].wrapping_add(t1),
                v[4],
                v[5],
                v[6],
            ];
        }
        for (x, y) in h.iter_mut().zip(v) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 32];
    for (i, x) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

pub(crate) fn sha1(data: &[u8]) -> [u8; 20] {
    let mut h: [u32; 5] = [0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476, 0xC3D2E1F0];
    for block in md_blocks(data).chunks(64) {
        let mut w = [0u32; 80];
        for i in 0..16 {
            w[i] = u32::from_be_bytes([
                block[4 * i],
                block[4 * i + 1],
                block[4 * i + 2],
                block[4 * i + 3],
            ]);
        }
        for i in 16..80 {
            w[i] = (w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16]).rotate_left(1);
        }
        let [mut a, mut b, mut c, mut d, mut e] = h;
        for (i, wi) in w.iter().enumerate() {
            let (f, k) = match i {
                0..=19 => ((b & c) | (!b & d), 0x5A827999),
                20..=39 => (b ^ c ^ d, 0x6ED9EBA1),
                40..=59 => ((b & c) | (b & d) | (c & d), 0x8F1BBCDC),
                _ => (b ^ c ^ d, 0xCA62C1D6),
            };
            let t = a
                .rotate_left(5)
                .wrapping_add(f)
                .wrapping_add(e)
                .wrapping_add(k)
                .wrapping_add(*wi);
            e = d;
            d = c;
            c = b.rotate_left(30);
            b = a;
            a = t;
        }
        for (x, y) in h.iter_mut().zip([a, b, c, d, e]) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 20];
    for (i, x) in h.iter().enumerate() {
        out[4 * i..4 * i + 4].copy_from_slice(&x.to_be_bytes());
    }
    out
}

/// SHA-512's round constants and initial state: the fractional bits of the cube and square
/// roots of the first primes, computed rather than transcribed.
fn sha512_constants() -> ([u64; 80], [u64; 8]) {
    use num_bigint::BigUint;
    let mut primes = Vec::new();
    let mut c = 2u64;
    while primes.len() < 80 {
        if primes.iter().all(|p| !c.is_multiple_of(*p)) {
            primes.push(c);
        }
        c += 1;
    }
    let frac = |root: BigUint| -> u64 { root.iter_u64_digits().next().unwrap_or(0) };
    let mut k = [0u64; 80];
    for (i, p) in primes.iter().enumerate() {
        k[i] = frac((BigUint::from(*p) << 192u32).cbrt());
    }
    let mut h = [0u64; 8];
    for (i, p) in primes.iter().take(8).enumerate() {
        h[i] = frac((BigUint::from(*p) << 128u32).sqrt());
    }
    (k, h)
}

pub(crate) fn sha512(data: &[u8]) -> [u8; 64] {
    static CONSTANTS: std::sync::LazyLock<([u64; 80], [u64; 8])> =
        std::sync::LazyLock::new(sha512_constants);
    let (k, mut h) = (&CONSTANTS.0, CONSTANTS.1);
    let mut m = data.to_vec();
    m.push(0x80);
    while m.len() % 128 != 112 {
        m.push(0);
    }
    m.extend_from_slice(&((data.len() as u128) * 8).to_be_bytes());
    for block in m.chunks(128) {
        let mut w = [0u64; 80];
        for i in 0..16 {
            let mut b = [0u8; 8];
            b.copy_from_slice(&block[8 * i..8 * i + 8]);
            w[i] = u64::from_be_bytes(b);
        }
        for i in 16..80 {
            let s0 = w[i - 15].rotate_right(1) ^ w[i - 15].rotate_right(8) ^ (w[i - 15] >> 7);
            let s1 = w[i - 2].rotate_right(19) ^ w[i - 2].rotate_right(61) ^ (w[i - 2] >> 6);
            w[i] = w[i - 16]
                .wrapping_add(s0)
                .wrapping_add(w[i - 7])
                .wrapping_add(s1);
        }
        let mut v = h;
        for i in 0..80 {
            let s1 = v[4].rotate_right(14) ^ v[4].rotate_right(18) ^ v[4].rotate_right(41);
            let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
            let t1 = v[7]
                .wrapping_add(s1)
                .wrapping_add(ch)
                .wrapping_add(k[i])
                .wrapping_add(w[i]);
            let s0 = v[0].rotate_right(28) ^ v[0].rotate_right(34) ^ v[0].rotate_right(39);
            let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
            let t2 = s0.wrapping_add(maj);
            v = [
                t1.wrapping_add(t2),
                v[0],
                v[1],
                v[2],
                v[3].wrapping_add(t1),
                v[4],
                v[5],
                v[6],
            ];
        }
        for (x, y) in h.iter_mut().zip(v) {
            *x = x.wrapping_add(y);
        }
    }
    let mut out = [0u8; 64];
    for (i, x) in h.iter().enumerate() {
        out[8 * i..8 * i + 8].copy_from_slice(&x.to_be_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_base64() {
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex(&sha1(b"abc")),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert_eq!(b64_encode(b"hello"), "aGVsbG8=");
        assert_eq!(b64_decode("aGVsbG8=").unwrap(), b"hello");
    }

    #[test]
    fn json_numbers_like_go() {
        assert_eq!(json_float(1e6).unwrap(), "1000000");
        assert_eq!(json_float(1e21).unwrap(), "1e+21");
        assert_eq!(json_float(1e-7).unwrap(), "1e-7");
        assert_eq!(json_float(0.5).unwrap(), "0.5");
    }
}
