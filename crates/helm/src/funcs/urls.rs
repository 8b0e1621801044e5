//! Sprig's network-ish functions: `urlParse` and `urlJoin` (Go's `net/url` parsing and
//! formatting), and `getHostByName`.

use std::collections::BTreeMap;

use super::args::{add, s, strval};
use gotmpl::Engine;
use gotmpl::Param;
use gotmpl::value::Value;

pub(super) fn register(e: &mut Engine) {
    // A static check must not depend on DNS: names resolve to nothing, as for an unknown host.
    add(e, "getHostByName", &[Param::Str], None, |_| {
        Ok(Value::str(""))
    });
    add(e, "urlParse", &[Param::Str], None, |a| {
        let u = Url::parse(s(a, 0));
        let hostname = match u.host.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or("").to_string(),
            None => u
                .host
                .rsplit_once(':')
                .map_or(u.host.clone(), |(h, _)| h.to_string()),
        };
        let fields = [
            ("scheme", u.scheme),
            ("host", u.host.clone()),
            ("hostname", hostname),
            ("path", u.path),
            ("query", u.query),
            ("opaque", u.opaque),
            ("fragment", u.fragment),
            ("userinfo", u.userinfo),
        ];
        Ok(Value::map(
            fields
                .into_iter()
                .map(|(k, v)| (k.to_string(), Value::string(v)))
                .collect::<BTreeMap<_, _>>(),
        ))
    });
    add(e, "urlJoin", &[Param::Map], None, |a| {
        let get = |k: &str| a[0].get(k).map(|v| strval(&v)).unwrap_or_default();
        let u = Url {
            scheme: get("scheme"),
            host: get("host"),
            path: get("path"),
            query: get("query"),
            opaque: get("opaque"),
            fragment: get("fragment"),
            userinfo: get("userinfo"),
        };
        Ok(Value::string(u.to_string()))
    });
}

#[derive(Default)]
struct Url {
    scheme: String,
    host: String,
    path: String,
    query: String,
    opaque: String,
    fragment: String,
    userinfo: String,
}

impl Url {
    fn parse(text: &str) -> Url {
        let mut u = Url::default();
        let (rest, fragment) = text.split_once('#').unwrap_or((text, ""));
        u.fragment = unescape(fragment);
        let mut rest = rest;
        if let Some(i) = rest.find(':') {
            let candidate = &rest[..i];
            let valid = candidate
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && candidate
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            if valid {
                u.scheme = candidate.to_ascii_lowercase();
                rest = &rest[i + 1..];
            }
        }
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        u.query = query.to_string();
        if let Some(after) = rest.strip_prefix("//") {
            let (authority, path) = match after.find('/') {
                Some(i) => (&after[..i], &after[i..]),
                None => (after, ""),
            };
            match authority.rsplit_once('@') {
                Some((user, host)) => {
                    u.userinfo = user.to_string();
                    u.host = host.to_string();
                }
                None => u.host = authority.to_string(),
            }
            u.path = unescape(path);
        } else if !u.scheme.is_empty() && !rest.starts_with('/') {
            u.opaque = rest.to_string();
        } else {
            u.path = unescape(rest);
        }
        u
    }
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if !self.scheme.is_empty() {
            write!(f, "{}:", self.scheme)?;
        }
        if !self.opaque.is_empty() {
            f.write_str(&self.opaque)?;
        } else {
            if !self.scheme.is_empty() || !self.host.is_empty() || !self.userinfo.is_empty() {
                if !self.host.is_empty() || !self.path.is_empty() || !self.userinfo.is_empty() {
                    f.write_str("//")?;
                }
                if !self.userinfo.is_empty() {
                    write!(f, "{}@", self.userinfo)?;
                }
                f.write_str(&self.host)?;
            }
            if !self.path.is_empty() && !self.path.starts_with('/') && !self.host.is_empty() {
                f.write_str("/")?;
            }
            f.write_str(&escape_path(&self.path))?;
        }
        if !self.query.is_empty() {
            write!(f, "?{}", self.query)?;
        }
        if !self.fragment.is_empty() {
            write!(f, "#{}", self.fragment)?;
        }
        Ok(())
    }
}

fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Go's path escaping in `URL.String()`.
fn escape_path(p: &str) -> String {
    let mut out = String::with_capacity(p.len());
    for &b in p.as_bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'_'
                    | b'.'
                    | b'~'
                    | b'$'
                    | b'&'
                    | b'+'
                    | b','
                    | b'/'
                    | b':'
                    | b';'
                    | b'='
                    | b'@'
            );
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
