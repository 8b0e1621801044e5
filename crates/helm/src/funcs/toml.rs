//! Helm's `toToml`: BurntSushi/toml's encoder layout (plain keys first, then `[tables]`
//! indented by depth; floats always with a decimal point); and `fromToml`.

use super::args::add;
use gotmpl::Engine;
use gotmpl::Param;
use gotmpl::value::{Value, lossy};

pub(super) fn register(e: &mut Engine) {
    add(e, "fromToml", &[Param::Str], None, |a| {
        Ok(match super::args::s(a, 0).parse::<toml::Table>() {
            Ok(t) => from_toml(&toml::Value::Table(t)),
            Err(e) => super::args::error_map(e.message()),
        })
    });
    add(e, "toToml", &[Param::Any], None, |a| {
        // The encoder recurses without a depth limit of its own: a map that contains itself
        // is refused (Go's encoder overflows its stack on one).
        if gotmpl::budget::walk(&a[0])?.too_deep {
            return Err(gotmpl::value::CYCLE_ERROR.into());
        }
        let mut enc = Encoder::default();
        match &a[0] {
            Value::Map(_) => enc.table(&[], &a[0]),
            other => {
                let v = enc.value(other);
                enc.out.push_str(&v);
            }
        }
        Ok(Value::string(enc.out))
    });
}

#[derive(Default)]
struct Encoder {
    out: String,
}

fn is_table(v: &Value) -> bool {
    matches!(v, Value::Map(_))
}

fn key_text(k: &str) -> String {
    let bare = !k.is_empty()
        && k.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if bare { k.to_string() } else { quote(k) }
}

fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\u{:04X}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

impl Encoder {
    fn newline(&mut self) {
        if !self.out.is_empty() {
            self.out.push('\n');
        }
    }

    fn value(&self, v: &Value) -> String {
        match v {
            Value::Bool(b) => b.to_string(),
            Value::Int(n, _) => n.to_string(),
            Value::Float(f) => {
                let s = format!("{f}");
                if s.contains(['.', 'e', 'i', 'N']) {
                    s
                } else {
                    format!("{s}.0")
                }
            }
            Value::Str(s) => quote(s),
            Value::List(l) => {
                let items: Vec<String> = l.items.iter().map(|x| self.value(x)).collect();
                format!("[{}]", items.join(", "))
            }
            Value::Map(m) => {
                let items: Vec<String> = m
                    .entries
                    .borrow()
                    .iter()
                    .filter(|(_, v)| !v.is_nil())
                    .map(|(k, v)| format!("{} = {}", key_text(k), self.value(v)))
                    .collect();
                format!("{{{}}}", items.join(", "))
            }
            Value::RawStr(b) | Value::Bytes(b) => quote(&lossy(b)),
            Value::Object(o) => quote(&o.print_text()),
            Value::Nil => String::new(),
        }
    }

    fn table(&mut self, key: &[String], v: &Value) {
        let Value::Map(m) = v else {
            return;
        };
        let entries: Vec<(String, Value)> = m
            .entries
            .borrow()
            .iter()
            .filter(|(_, v)| !v.is_nil())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let indent = "  ".repeat(key.len());
        for (k, val) in entries.iter().filter(|(_, v)| !is_table(v)) {
            let line = format!("{indent}{} = {}\n", key_text(k), self.value(val));
            self.out.push_str(&line);
        }
        for (k, val) in entries.iter().filter(|(_, v)| is_table(v)) {
            let mut sub = key.to_vec();
            sub.push(k.clone());
            if sub.len() == 1 {
                self.newline();
            }
            let header: Vec<String> = sub.iter().map(|s| key_text(s)).collect();
            let line = format!("{indent}[{}]\n", header.join("."));
            self.out.push_str(&line);
            self.table(&sub, val);
        }
    }
}

/// TOML as BurntSushi decodes it into `interface {}`: integers are int64, datetimes text.
fn from_toml(v: &toml::Value) -> Value {
    match v {
        toml::Value::String(s) => Value::str(s),
        toml::Value::Integer(n) => Value::int64(*n),
        toml::Value::Float(f) => Value::Float(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::string(d.to_string()),
        toml::Value::Array(items) => Value::list(items.iter().map(from_toml).collect()),
        toml::Value::Table(t) => {
            Value::map(t.iter().map(|(k, v)| (k.clone(), from_toml(v))).collect())
        }
    }
}
