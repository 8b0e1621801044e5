//! JSON (Go's encoding/json output exactly), base64 and hash functions.

use super::args::{add, add_iface, add_raw, bytes, error_map, json_kind, s};
use gotmpl::Engine;
use gotmpl::Param;
use gotmpl::value::Value;

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
    // Go strings are bytes: encoders and hashes read a string's exact bytes, and what the
    // decoders return may be any bytes.
    add_raw(e, "b64enc", &[S], |a| Ok(b64_encode(bytes(a, 0)).into()));
    add(e, "b64dec", &[S], None, |a| {
        Ok(match b64_decode(s(a, 0)) {
            Ok(b) => Value::go_string(b),
            Err(at) => Value::string(format!("illegal base64 data at input byte {at}")),
        })
    });
    add_raw(e, "sha256sum", &[S], |a| {
        Ok(hex(&sha256(bytes(a, 0))).into())
    });
    add_raw(e, "sha1sum", &[S], |a| Ok(hex(&sha1(bytes(a, 0))).into()));
    add_raw(e, "adler32sum", &[S], |a| {
        Ok(adler32(bytes(a, 0)).to_string().into())
    });
    add_raw(e, "sha512sum", &[S], |a| {
        Ok(hex(&sha512(bytes(a, 0))).into())
    });
    add_raw(e, "b32enc", &[S], |a| Ok(b32_encode(bytes(a, 0)).into()));
    add(e, "b32dec", &[S], None, |a| {
        Ok(match b32_decode(s(a, 0)) {
            Ok(b) => Value::go_string(b),
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
    // A dict whose children are shared encodes exponentially larger than it is.
    gotmpl::budget::walk(v)?;
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
    if depth > gotmpl::value::MAX_DEPTH {
        return Err(gotmpl::value::CYCLE_ERROR.into());
    }
    match v {
        Value::Nil => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(n, _) => out.push_str(&n.to_string()),
        Value::Float(f) => out.push_str(&json_float(*f)?),
        Value::Str(s) => json_str(out, s, esc),
        Value::RawStr(b) => json_string(out, b, esc),
        Value::Bytes(b) => json_str(out, &b64_encode(b), esc),
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
                json_str(out, k, esc);
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
            None => json_str(out, &o.print_text(), esc),
        },
    }
    Ok(())
}

/// Go's float encoding: shortest digits, exponent form outside [1e-6, 1e21).
fn json_float(f: f64) -> Result<String, String> {
    if !f.is_finite() {
        return Err(format!(
            "json: unsupported value: {}",
            gotmpl::fmt::format_float_v(f)
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

/// Go's string encoding; a byte that is not UTF-8 becomes `\ufffd`.
fn json_string(out: &mut String, s: &[u8], esc: bool) {
    out.push('"');
    for chunk in s.utf8_chunks() {
        json_text(out, chunk.valid(), esc);
        for _ in chunk.invalid() {
            out.push_str("\\ufffd");
        }
    }
    out.push('"');
}

/// [`json_string`] of a text known to be UTF-8 (a `Str`, a key): not checked again.
fn json_str(out: &mut String, s: &str, esc: bool) {
    out.push('"');
    json_text(out, s, esc);
    out.push('"');
}

/// Valid text, escaped: runs that need no escape are copied whole (charts encode long
/// configuration files, and a rune at a time was most of `toJson`). Only ASCII and U+2028/
/// U+2029 (bytes `E2 80 A8`/`E2 80 A9`) are ever escaped, so the scan is by byte.
fn json_text(out: &mut String, text: &str, esc: bool) {
    use std::fmt::Write as _;
    let b = text.as_bytes();
    let (mut run, mut i) = (0, 0);
    while i < b.len() {
        let (code, len) = match b[i] {
            b'"' | b'\\' | b'\n' | b'\r' | b'\t' => (None, 1),
            c @ (b'<' | b'>' | b'&') if esc => (Some(u32::from(c)), 1),
            c if c < 0x20 => (Some(u32::from(c)), 1),
            0xE2 if matches!(b.get(i + 1..i + 3), Some([0x80, 0xA8 | 0xA9])) => {
                (Some(0x2000 + u32::from(b[i + 2]) - 0x80), 3)
            }
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(&text[run..i]);
        match code {
            Some(u) => {
                let _ = write!(out, "\\u{u:04x}");
            }
            None => {
                out.push('\\');
                out.push(match b[i] {
                    b'\n' => 'n',
                    b'\r' => 'r',
                    b'\t' => 't',
                    other => char::from(other),
                });
            }
        }
        i += len;
        run = i;
    }
    out.push_str(&text[run..]);
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

/// SHA-256, SHA-1 and SHA-512 (RustCrypto's implementations; Sprig's `sha256sum`, `sha1sum`,
/// `sha512sum`, and the digests certificates and `derivePassword` need).
pub(crate) fn sha256(data: &[u8]) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(data).into()
}

pub(crate) fn sha1(data: &[u8]) -> [u8; 20] {
    use sha1::Digest;
    sha1::Sha1::digest(data).into()
}

pub(crate) fn sha512(data: &[u8]) -> [u8; 64] {
    use sha2::Digest;
    sha2::Sha512::digest(data).into()
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

    #[test]
    fn json_strings_escape_as_go_does() {
        let text = "a\"b\\c\nd\re\tf\u{1}g<h>i&j\u{2028}k\u{2029}l\u{2027}m\u{e9}n\u{1F600}o";
        let encode = |s: &[u8], esc| {
            let mut out = String::new();
            json_string(&mut out, s, esc);
            out
        };
        let common = "a\\\"b\\\\c\\nd\\re\\tf\\u0001g";
        let tail = "\\u2028k\\u2029l\u{2027}m\u{e9}n\u{1F600}o";
        assert_eq!(
            encode(text.as_bytes(), true),
            format!("\"{common}\\u003ch\\u003ei\\u0026j{tail}\"")
        );
        assert_eq!(
            encode(text.as_bytes(), false),
            format!("\"{common}<h>i&j{tail}\"")
        );
        // Each byte that is not UTF-8 (a truncated sequence is three) is one U+FFFD.
        assert_eq!(
            encode(b"x\xF0\x9F\x98y\xFF", true),
            "\"x\\ufffd\\ufffd\\ufffdy\\ufffd\""
        );
    }
}
