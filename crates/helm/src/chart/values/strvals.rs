//! Helm's `--set` syntax (`pkg/strvals`): `a.b=c,list[0].name=x`, `\` escapes the next
//! character, `{a,b}` is a list, `a=` is the empty string, a failed type conversion keeps the
//! string. `--set` types values (`true`/`false` booleans, `null`, decimal integers as **int64**,
//! unlike values files whose numbers are float64); `--set-string` keeps strings; `--set-json`
//! reads JSON values (numbers float64); `--set-file` reads each value as a file path;
//! `--set-literal` takes everything after the first `=` as one string, with no escapes and no
//! commas.

use serde_json::{Map, Number, Value};

use super::Values;

/// How the text after `=` becomes a value.
#[derive(Clone, Copy)]
pub enum Mode<'a> {
    Typed,
    String,
    Json,
    /// Reads the named file; the error is a message.
    File(&'a dyn Fn(&str) -> Result<String, String>),
    Literal,
}

/// Index bound of `list[N]`, as Helm's.
const MAX_INDEX: usize = 65536;
/// Nesting bound of `a.b.c…`, as Helm's.
const MAX_NESTED_NAME_LEVEL: usize = 30;
/// Nesting bound of `a[0][0]…`: Helm has none (Go stacks grow); ours keeps recursion bounded.
const MAX_NESTED_INDEX_LEVEL: usize = 1000;

/// List items that all the expressions of one run may create, the `null`s that fill a list up
/// to an index included. Helm bounds only each index: `k1[65535]=1,k2[65535]=1,…` would
/// make gigabytes of nulls.
pub const MAX_LIST_ITEMS: usize = 1 << 20;

/// Parses one `--set`-style expression into `dest`; the list items it creates are taken from
/// `items_left` (start it at [`MAX_LIST_ITEMS`] for a run).
pub fn parse_into(
    expr: &str,
    dest: &mut Values,
    mode: Mode<'_>,
    items_left: &mut usize,
) -> Result<(), String> {
    let mut p = Parser {
        chars: expr.chars().collect(),
        pos: 0,
        mode,
        items_left: *items_left,
    };
    let result = loop {
        match p.key(dest, 0) {
            Ok(()) => {}
            Err(Halt::End) => break Ok(()),
            Err(Halt::Fail(message)) => break Err(message),
        }
    };
    *items_left = p.items_left;
    result
}

/// Why parsing stopped: the input ran out (the normal end) or it is wrong.
enum Halt {
    End,
    Fail(String),
}

type Step<T = ()> = Result<T, Halt>;

fn fail<T>(message: impl Into<String>) -> Step<T> {
    Err(Halt::Fail(message.into()))
}

struct Parser<'a> {
    chars: Vec<char>,
    pos: usize,
    mode: Mode<'a>,
    items_left: usize,
}

/// What `{a,b}` reading found.
enum ListRead {
    List(Vec<Value>),
    NotList,
    End,
}

impl Parser<'_> {
    fn next(&mut self) -> Option<char> {
        let c = self.chars.get(self.pos).copied();
        if c.is_some() {
            self.pos += 1;
        }
        c
    }

    fn literal(&self) -> bool {
        matches!(self.mode, Mode::Literal)
    }

    fn set_index(
        &mut self,
        mut list: Vec<Value>,
        index: usize,
        value: Value,
    ) -> (Vec<Value>, Step) {
        if index > MAX_INDEX {
            return (
                list,
                fail(format!(
                    "index of {index} is greater than maximum supported index of {MAX_INDEX}"
                )),
            );
        }
        let added = (index + 1).saturating_sub(list.len());
        if added > self.items_left {
            return (
                list,
                fail(format!(
                    "the expressions create more than {MAX_LIST_ITEMS} list items together"
                )),
            );
        }
        self.items_left -= added;
        if added > 0 {
            list.resize(index + 1, Value::Null);
        }
        list[index] = value;
        (list, Ok(()))
    }

    /// Characters up to one of `stop` (consumed, returned), `\` escaping (except in literal
    /// mode); `None` at the end.
    fn until(&mut self, stop: &[char]) -> (String, Option<char>) {
        let mut out = String::new();
        loop {
            match self.next() {
                None => return (out, None),
                Some(c) if stop.contains(&c) => return (out, Some(c)),
                Some('\\') if !self.literal() => match self.next() {
                    Some(c) => out.push(c),
                    None => return (out, None),
                },
                Some(c) => out.push(c),
            }
        }
    }

    fn key(&mut self, data: &mut Values, level: usize) -> Step {
        let stop: &[char] = if self.literal() {
            &['=', '[', '.']
        } else {
            &['=', '[', ',', '.']
        };
        let (k, last) = self.until(stop);
        match last {
            None if k.is_empty() => Err(Halt::End),
            None => fail(format!("key {k:?} has no value")),
            Some('[') => {
                let index = self.index()?;
                let list = match data.get(&k) {
                    None => Vec::new(),
                    Some(Value::Array(items)) => items.clone(),
                    Some(other) => return fail(not_a("list", &k, other)),
                };
                let (list, step) = self.list_item(list, index, level, 0);
                set(data, &k, Value::Array(list));
                step
            }
            Some('=') => {
                if matches!(self.mode, Mode::Json) {
                    let v = self.json_value()?;
                    set(data, &k, v);
                    return Ok(());
                }
                if self.literal() {
                    let v = self.rest();
                    set(data, &k, v);
                    return Ok(());
                }
                match self.value_list()? {
                    ListRead::List(items) => {
                        set(data, &k, Value::Array(items));
                        Ok(())
                    }
                    ListRead::End => {
                        set(data, &k, Value::String(String::new()));
                        Err(Halt::End)
                    }
                    ListRead::NotList => {
                        let (text, _) = self.until(&[',']);
                        let v = self.convert(&text)?;
                        set(data, &k, v);
                        Ok(())
                    }
                }
            }
            Some(',') => {
                set(data, &k, Value::String(String::new()));
                fail(format!("key {k:?} has no value (cannot end with ,)"))
            }
            _ => {
                let level = level + 1;
                if level > MAX_NESTED_NAME_LEVEL {
                    return fail(format!(
                        "value name nested level is greater than maximum supported nested level of {MAX_NESTED_NAME_LEVEL}"
                    ));
                }
                let mut inner = match data.get(&k) {
                    None => Map::new(),
                    Some(Value::Object(m)) => m.clone(),
                    Some(other) => return fail(not_a("map", &k, other)),
                };
                let step = self.key(&mut inner, level);
                if step.is_ok() && inner.is_empty() {
                    return fail(format!("key map {k:?} has no value"));
                }
                if !inner.is_empty() {
                    set(data, &k, Value::Object(inner));
                }
                step
            }
        }
    }

    fn index(&mut self) -> Step<usize> {
        let (text, last) = self.until(&[']']);
        if last.is_none() {
            return fail(format!("error parsing index: missing ']' after {text:?}"));
        }
        match text.parse::<i64>() {
            Ok(i) if i < 0 => fail(format!("negative {i} index not allowed")),
            Ok(i) => Ok(i as usize),
            Err(_) => fail(format!("error parsing index: {text:?} is not a number")),
        }
    }

    /// Sets `list[index]` from what follows `]`; always returns the list to store. `nesting`
    /// counts the `[…]` already open around this one.
    fn list_item(
        &mut self,
        list: Vec<Value>,
        index: usize,
        level: usize,
        nesting: usize,
    ) -> (Vec<Value>, Step) {
        if nesting > MAX_NESTED_INDEX_LEVEL {
            let message = format!("more than {MAX_NESTED_INDEX_LEVEL} nested list indexes");
            return (list, fail(message));
        }
        let (k, last) = self.until(&['[', '.', '=']);
        if !k.is_empty() {
            return (
                list,
                fail(format!("unexpected data at end of array index: {k:?}")),
            );
        }
        match last {
            None => (list, Err(Halt::End)),
            Some('=') => {
                let value = if matches!(self.mode, Mode::Json) {
                    self.json_value()
                } else if self.literal() {
                    Ok(self.rest())
                } else {
                    match self.value_list() {
                        Ok(ListRead::List(items)) => Ok(Value::Array(items)),
                        Ok(ListRead::End) => Ok(Value::String(String::new())),
                        Ok(ListRead::NotList) => {
                            let (text, _) = self.until(&[',']);
                            self.convert(&text)
                        }
                        Err(e) => Err(e),
                    }
                };
                match value {
                    Ok(v) => self.set_index(list, index, v),
                    Err(e) => (list, Err(e)),
                }
            }
            Some('[') => {
                let next = match self.index() {
                    Ok(i) => i,
                    Err(e) => return (list, Err(e)),
                };
                let current = match list.get(index) {
                    None => Vec::new(),
                    Some(Value::Array(items)) => items.clone(),
                    Some(other) => {
                        let message = not_a("list", &format!("[{index}]"), other);
                        return (list, fail(message));
                    }
                };
                match self.list_item(current, next, level, nesting + 1) {
                    (inner, Ok(())) => self.set_index(list, index, Value::Array(inner)),
                    (_, err) => (list, err),
                }
            }
            _ => {
                let mut inner = match list.get(index) {
                    Some(Value::Object(m)) => m.clone(),
                    _ => Map::new(),
                };
                match self.key(&mut inner, level) {
                    Ok(()) => self.set_index(list, index, Value::Object(inner)),
                    err => (list, err),
                }
            }
        }
    }

    /// Everything left, as one string (`--set-literal`).
    fn rest(&mut self) -> Value {
        let text: String = self.chars[self.pos..].iter().collect();
        self.pos = self.chars.len();
        Value::String(text)
    }

    /// `{a,b,c}` after `=`; consumes a `,` that follows the `}`.
    fn value_list(&mut self) -> Step<ListRead> {
        match self.chars.get(self.pos) {
            None => return Ok(ListRead::End),
            Some('{') => self.pos += 1,
            Some(_) => return Ok(ListRead::NotList),
        }
        let mut items = Vec::new();
        loop {
            let (text, last) = self.until(&[',', '}']);
            match last {
                None => return fail("list must terminate with '}'"),
                Some('}') => {
                    if self.chars.get(self.pos) == Some(&',') {
                        self.pos += 1;
                    }
                    items.push(self.convert(&text)?);
                    return Ok(ListRead::List(items));
                }
                _ => items.push(self.convert(&text)?),
            }
        }
    }

    /// A JSON value after `=` (`--set-json`); blank means null. Consumes a following `,`.
    fn json_value(&mut self) -> Step<Value> {
        if self.skip_blank_and_comma() {
            return Ok(Value::Null);
        }
        let rest: String = self.chars[self.pos..].iter().collect();
        let mut stream = serde_json::Deserializer::from_str(&rest).into_iter::<Value>();
        let value = match stream.next() {
            Some(Ok(v)) => v,
            Some(Err(e)) => return fail(format!("invalid JSON value: {e}")),
            None => return fail("missing JSON value"),
        };
        let consumed = rest[..stream.byte_offset()].chars().count();
        self.pos += consumed;
        self.skip_blank_and_comma();
        Ok(floats(value))
    }

    /// Skips white space; true at the end of input or after a `,` (which is consumed).
    fn skip_blank_and_comma(&mut self) -> bool {
        loop {
            match self.chars.get(self.pos) {
                None => return true,
                Some(',') => {
                    self.pos += 1;
                    return true;
                }
                Some(c) if c.is_whitespace() => self.pos += 1,
                Some(_) => return false,
            }
        }
    }

    fn convert(&self, text: &str) -> Step<Value> {
        match &self.mode {
            Mode::Typed => Ok(typed(text)),
            Mode::String | Mode::Json | Mode::Literal => Ok(Value::String(text.to_string())),
            Mode::File(read) => read(text).map(Value::String).map_err(Halt::Fail),
        }
    }
}

/// `--set`'s typing: booleans and null in any case, decimal integers without a leading zero
/// as int64; everything else stays a string (`1.5`, `0755`, `1e3`).
fn typed(text: &str) -> Value {
    if text.eq_ignore_ascii_case("true") {
        return Value::Bool(true);
    }
    if text.eq_ignore_ascii_case("false") {
        return Value::Bool(false);
    }
    if text.eq_ignore_ascii_case("null") {
        return Value::Null;
    }
    if text == "0" {
        return Value::from(0i64);
    }
    if !text.starts_with('0') {
        let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
        if !digits.is_empty()
            && digits.bytes().all(|b| b.is_ascii_digit())
            && let Ok(i) = text.parse::<i64>()
        {
            return Value::from(i);
        }
    }
    Value::String(text.to_string())
}

/// Go's JSON decoder gives float64 for every number.
fn floats(v: Value) -> Value {
    match v {
        Value::Number(n) => n
            .as_f64()
            .and_then(Number::from_f64)
            .map_or(Value::Null, Value::Number),
        Value::Array(items) => Value::Array(items.into_iter().map(floats).collect()),
        Value::Object(m) => Value::Object(m.into_iter().map(|(k, v)| (k, floats(v))).collect()),
        other => other,
    }
}

fn set(data: &mut Values, key: &str, value: Value) {
    if !key.is_empty() {
        data.insert(key.to_string(), value);
    }
}

fn not_a(wanted: &str, key: &str, found: &Value) -> String {
    format!(
        "cannot set {key:?} as a {wanted}: it already holds {}",
        super::file::type_name(found)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(expr: &str, mode: Mode<'_>) -> Result<Value, String> {
        let mut out = Values::new();
        parse_into(expr, &mut out, mode, &mut { MAX_LIST_ITEMS }).map(|()| Value::Object(out))
    }

    fn set_ok(expr: &str) -> Value {
        parse(expr, Mode::Typed).unwrap_or_else(|e| panic!("{expr}: {e}"))
    }

    #[test]
    fn keys_paths_and_commas() {
        assert_eq!(set_ok("a=b,c=d"), json!({"a": "b", "c": "d"}));
        assert_eq!(set_ok("a.b=c"), json!({"a": {"b": "c"}}));
        assert_eq!(set_ok("a.b=c,a.d=e"), json!({"a": {"b": "c", "d": "e"}}));
        assert_eq!(set_ok("list[0]=x"), json!({"list": ["x"]}));
        assert_eq!(
            set_ok("list[1].name=y"),
            json!({"list": [null, {"name": "y"}]})
        );
        assert_eq!(set_ok("m[0][1]=z"), json!({"m": [[null, "z"]]}));
        assert_eq!(set_ok("a={x,y},b=1"), json!({"a": ["x", "y"], "b": 1}));
    }

    #[test]
    fn escapes_empty_and_null() {
        assert_eq!(set_ok(r"a=x\,y"), json!({"a": "x,y"}));
        assert_eq!(
            set_ok(r"annotations.example\.com/key=v"),
            json!({"annotations": {"example.com/key": "v"}})
        );
        assert_eq!(set_ok("a="), json!({"a": ""}));
        assert_eq!(set_ok("a=null"), json!({"a": null}));
        assert_eq!(set_ok("a=b=c"), json!({"a": "b=c"}));
    }

    #[test]
    fn typing_of_set_and_set_string() {
        let v = set_ok("t=true,f=FALSE,i=1000000,n=-5,z=0,o=0755,fl=1.5,e=1e3");
        assert_eq!(
            v,
            json!({"t": true, "f": false, "i": 1000000, "n": -5, "z": 0, "o": "0755", "fl": "1.5", "e": "1e3"})
        );
        assert!(v["i"].is_i64());
        assert_eq!(
            parse("t=true,i=1,n=null", Mode::String),
            Ok(json!({"t": "true", "i": "1", "n": "null"}))
        );
    }

    #[test]
    fn set_json_values() {
        let v = parse(r#"a={"b":1,"c":[true,null]},d=[1,2],e="s""#, Mode::Json);
        assert_eq!(
            v,
            Ok(json!({"a": {"b": 1.0, "c": [true, null]}, "d": [1.0, 2.0], "e": "s"}))
        );
        assert_eq!(parse("a=", Mode::Json), Ok(json!({"a": null})));
        assert!(parse("a={bad", Mode::Json).is_err());
    }

    #[test]
    fn set_literal_takes_the_rest() {
        assert_eq!(
            parse(r"a.b=x,y=\z{1}", Mode::Literal),
            Ok(json!({"a": {"b": r"x,y=\z{1}"}}))
        );
        assert_eq!(
            parse("l[1]=v,w", Mode::Literal),
            Ok(json!({"l": [null, "v,w"]}))
        );
        assert_eq!(parse("a=", Mode::Literal), Ok(json!({"a": ""})));
        assert!(parse("a", Mode::Literal).is_err());
    }

    #[test]
    fn set_file_reads_the_path() {
        let read = |p: &str| -> Result<String, String> {
            if p == "cert.pem" {
                Ok("PEM\n".into())
            } else {
                Err(format!("open {p}: no such file"))
            }
        };
        assert_eq!(
            parse("tls.crt=cert.pem", Mode::File(&read)),
            Ok(json!({"tls": {"crt": "PEM\n"}}))
        );
        assert!(parse("a=missing", Mode::File(&read)).is_err());
    }

    /// Every short string over the syntax's characters parses or fails, never panics.
    #[test]
    fn no_input_panics() {
        let alphabet: Vec<char> = "a=.,[]{}\\0\"".chars().collect();
        let mut length_n = vec![String::new()];
        let mut inputs = Vec::new();
        for _ in 0..4 {
            length_n = length_n
                .iter()
                .flat_map(|s| alphabet.iter().map(move |c| format!("{s}{c}")))
                .collect();
            inputs.extend(length_n.iter().cloned());
        }
        for input in &inputs {
            for mode in [Mode::Typed, Mode::Json, Mode::Literal] {
                let mut out = Values::new();
                let _ = parse_into(input, &mut out, mode, &mut { MAX_LIST_ITEMS });
            }
        }
    }

    #[test]
    fn errors() {
        assert!(parse("a", Mode::Typed).is_err());
        assert!(parse("a,b=c", Mode::Typed).is_err());
        assert!(parse("a[x]=1", Mode::Typed).is_err());
        assert!(parse("a[-1]=1", Mode::Typed).is_err());
        assert!(parse("a[70000]=1", Mode::Typed).is_err());
        assert!(parse("a={x,y", Mode::Typed).is_err());
        assert!(parse(&format!("a{}=1", "[0]".repeat(5000)), Mode::Typed).is_err());
        assert!(parse(&format!("a{}=1", ".b".repeat(40)), Mode::Typed).is_err());
        let mut existing = Values::new();
        existing.insert("a".into(), json!("text"));
        assert!(parse_into("a.b=1", &mut existing, Mode::Typed, &mut 10).is_err());
    }

    #[test]
    fn list_items_are_counted_across_expressions() {
        let mut out = Values::new();
        let mut left = 100_000;
        parse_into("a[65535]=1", &mut out, Mode::Typed, &mut left).unwrap();
        assert_eq!(left, 100_000 - 65536);
        // Setting an index that exists creates nothing.
        parse_into("a[3]=2", &mut out, Mode::Typed, &mut left).unwrap();
        assert_eq!(left, 100_000 - 65536);
        let err = parse_into("b[65535]=1", &mut out, Mode::Typed, &mut left).unwrap_err();
        assert!(err.contains("more than 1048576 list items"), "{err}");
    }
}
