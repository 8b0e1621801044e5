//! The values templates see. Everything is reference-counted so that field access, variables and
//! function arguments share data instead of copying it; maps are shared *and* mutable because
//! Sprig's `set`/`unset`/`merge` change a map in place and charts rely on seeing that change
//! through every other reference.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// The Go integer type a value has. Templates can observe it (`printf "%T"`, `typeOf`,
/// `int`-typed function parameters reject `int64`), so it is kept next to the number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntTy {
    Int,
    Int64,
    Int32,
    Uint8,
}

impl IntTy {
    pub fn go_name(self) -> &'static str {
        match self {
            IntTy::Int => "int",
            IntTy::Int64 => "int64",
            IntTy::Int32 => "int32",
            IntTy::Uint8 => "uint8",
        }
    }
}

/// Element type of a Go slice: `[]interface {}`, `[]string` or `[]int`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Elem {
    Any,
    Str,
    Int,
}

/// Go type of a string-keyed map: a plain `map[string]interface {}`, or a named map type a host
/// defines (Helm's `common.Values`, what `.Values` and `.Template` are), printed by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MapTy {
    Plain,
    Named(&'static str),
}

pub type MapRef = Rc<RefCell<BTreeMap<String, Value>>>;

/// Nesting depth at which walks over a value (printing, encoding, copying, comparing) stop.
/// Only a map that contains itself (`set $d "self" $d`) gets there; Go would recurse until
/// its stack limit kills the process.
pub const MAX_DEPTH: usize = 10_000;

/// What encoding a self-containing value reports (Go's `encoding/json` text).
pub const CYCLE_ERROR: &str =
    "json: unsupported value: encountered a cycle via map[string]interface {}";

#[derive(Clone)]
pub struct Map {
    pub entries: MapRef,
    pub ty: MapTy,
}

#[derive(Clone)]
pub struct List {
    pub items: Rc<Vec<Value>>,
    pub elem: Elem,
}

/// A value with Go methods and fields (`.Files`, `.Capabilities`, …), provided by the chart layer.
pub trait Object {
    /// Go's `%T` of the value, e.g. `engine.files`.
    fn type_name(&self) -> String;
    /// A field, or `None` when there is none by that name.
    fn field(&self, name: &str) -> Option<Value>;
    /// Whether `name` is a method (methods take arguments; fields don't).
    fn has_method(&self, _name: &str) -> bool {
        false
    }
    /// Calls method `name`; argument count and types are the method's business.
    fn call_method(&self, name: &str, _args: &[Value]) -> Result<Value, String> {
        Err(format!("{name} is not a method"))
    }
    /// Text for `%v` (a Go struct prints as `{field field}`).
    fn format_v(&self) -> String;
    /// Text when printed by an action: Go uses the `String()` method when there is one.
    fn print_text(&self) -> String {
        self.format_v()
    }
    /// Truthiness: Go structs are always true, nil pointers false.
    fn truthy(&self) -> bool {
        true
    }
    /// The value as encoding/json (and so `toJson`/`toYaml`), `len` and `range` see it, when
    /// it is a plain map or list underneath.
    fn plain(&self) -> Option<Value> {
        None
    }
    /// The concrete object, for functions that take a specific kind (`date` takes a time).
    fn as_any(&self) -> Option<&dyn std::any::Any> {
        None
    }
}

#[derive(Clone, Default)]
pub enum Value {
    #[default]
    Nil,
    Bool(bool),
    Int(i64, IntTy),
    Float(f64),
    Str(Rc<str>),
    /// A Go `string` whose bytes are not valid UTF-8 (from `b64dec`, `.Files.Get`, byte
    /// slicing, …). Built only by [`Value::go_string`], so valid UTF-8 is always `Str`.
    RawStr(Rc<[u8]>),
    /// A Go `[]byte` (`.Files.GetBytes`): another type, printed as numbers.
    Bytes(Rc<[u8]>),
    List(List),
    Map(Map),
    Object(Rc<dyn Object>),
}

impl Value {
    pub fn int(n: i64) -> Value {
        Value::Int(n, IntTy::Int)
    }

    pub fn int64(n: i64) -> Value {
        Value::Int(n, IntTy::Int64)
    }

    pub fn str(s: &str) -> Value {
        Value::Str(Rc::from(s))
    }

    pub fn string(s: String) -> Value {
        Value::Str(Rc::from(s))
    }

    /// A Go string made of `bytes`: `Str` when they are UTF-8, else `RawStr`.
    pub fn go_string(bytes: Vec<u8>) -> Value {
        match String::from_utf8(bytes) {
            Ok(s) => Value::string(s),
            Err(e) => Value::RawStr(Rc::from(e.into_bytes())),
        }
    }

    pub fn list(items: Vec<Value>) -> Value {
        Value::List(List {
            items: Rc::new(items),
            elem: Elem::Any,
        })
    }

    pub fn str_list(items: Vec<Value>) -> Value {
        Value::List(List {
            items: Rc::new(items),
            elem: Elem::Str,
        })
    }

    pub fn map(entries: BTreeMap<String, Value>) -> Value {
        Value::Map(Map {
            entries: Rc::new(RefCell::new(entries)),
            ty: MapTy::Plain,
        })
    }

    pub fn is_nil(&self) -> bool {
        matches!(self, Value::Nil)
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes of a string (`Str` or `RawStr`).
    pub fn str_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Str(s) => Some(s.as_bytes()),
            Value::RawStr(b) => Some(b),
            _ => None,
        }
    }

    /// A string as text: `RawStr` with its invalid bytes replaced ([`lossy`]).
    pub fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::Str(s) => Some(Cow::Borrowed(s)),
            Value::RawStr(b) => Some(lossy(b)),
            _ => None,
        }
    }

    /// Go's `reflect.Type.String()` of the dynamic value; `<nil>` for nil.
    pub fn type_name(&self) -> String {
        match self {
            Value::Nil => "<nil>".into(),
            Value::Bool(_) => "bool".into(),
            Value::Int(_, ty) => ty.go_name().into(),
            Value::Float(_) => "float64".into(),
            Value::Str(_) | Value::RawStr(_) => "string".into(),
            Value::Bytes(_) => "[]uint8".into(),
            Value::List(l) => match l.elem {
                Elem::Any => "[]interface {}".into(),
                Elem::Str => "[]string".into(),
                Elem::Int => "[]int".into(),
            },
            Value::Map(m) => match m.ty {
                MapTy::Plain => "map[string]interface {}".into(),
                MapTy::Named(name) => (*name).into(),
            },
            Value::Object(o) => o.type_name(),
        }
    }

    /// Go's `reflect.Kind` name (Sprig's `kindOf`).
    pub fn kind_name(&self) -> &'static str {
        match self {
            Value::Nil => "invalid",
            Value::Bool(_) => "bool",
            Value::Int(_, ty) => ty.go_name(),
            Value::Float(_) => "float64",
            Value::Str(_) | Value::RawStr(_) => "string",
            Value::Bytes(_) | Value::List(_) => "slice",
            Value::Map(_) => "map",
            Value::Object(_) => "ptr",
        }
    }

    /// Go template truthiness (`if`, `with`, `and`, `or`, `not`).
    pub fn truthy(&self) -> bool {
        match self {
            Value::Nil => false,
            Value::Bool(b) => *b,
            Value::Int(n, _) => *n != 0,
            Value::Float(f) => *f != 0.0,
            Value::Str(s) => !s.is_empty(),
            Value::RawStr(b) | Value::Bytes(b) => !b.is_empty(),
            Value::List(l) => !l.items.is_empty(),
            Value::Map(m) => !m.entries.borrow().is_empty(),
            Value::Object(o) => o.truthy(),
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match self {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// Entry `key` of a map value (`None` for a missing key or a non-map).
    pub fn get(&self, key: &str) -> Option<Value> {
        match self {
            Value::Map(m) => entry(&m.entries.borrow(), key).cloned(),
            _ => None,
        }
    }
}

/// Largest map [`entry`] scans rather than searches: a template's dot (`.Values`, `.Release`,
/// …) and most values tables are this small.
const SCAN_MAX: usize = 16;

/// Entry `key` of `entries`, the one `BTreeMap::get` finds. The tree's ordered search calls
/// `memcmp` for every key it passes (`.Values` passes all six other keys of a dot); in a small
/// map a scan that compares lengths first rarely compares bytes at all.
pub fn entry<'m>(entries: &'m BTreeMap<String, Value>, key: &str) -> Option<&'m Value> {
    if entries.len() > SCAN_MAX {
        return entries.get(key);
    }
    entries
        .iter()
        .find(|(k, _)| k.len() == key.len() && k.as_bytes() == key.as_bytes())
        .map(|(_, v)| v)
}

/// One rune of a Go string as Go decodes it (`for range`, `utf8.DecodeRune`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rune {
    Char(char),
    /// A byte that does not start valid UTF-8: Go sees U+FFFD of width 1.
    Invalid(u8),
}

impl Rune {
    /// Its length in bytes.
    pub fn width(self) -> usize {
        match self {
            Rune::Char(c) => c.len_utf8(),
            Rune::Invalid(_) => 1,
        }
    }

    /// The rune Go sees.
    pub fn char(self) -> char {
        match self {
            Rune::Char(c) => c,
            Rune::Invalid(_) => char::REPLACEMENT_CHARACTER,
        }
    }
}

/// The runes of a string's bytes, as Go iterates them.
pub fn go_runes(b: &[u8]) -> impl Iterator<Item = Rune> + '_ {
    b.utf8_chunks().flat_map(|chunk| {
        let valid = chunk.valid().chars().map(Rune::Char);
        valid.chain(chunk.invalid().iter().map(|&b| Rune::Invalid(b)))
    })
}

/// Bytes as text the way Go's encoders show a string that is not UTF-8 (encoding/json,
/// `strings.Map`, …): every invalid byte becomes one U+FFFD. Rust's `from_utf8_lossy` replaces
/// a truncated sequence (`F0 9F 98`) with a single U+FFFD; Go writes three.
pub fn lossy(b: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(b) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => Cow::Owned(go_runes(b).map(Rune::char).collect()),
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Value {
        Value::str(s)
    }
}

impl From<String> for Value {
    fn from(s: String) -> Value {
        Value::string(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Value {
        Value::Bool(b)
    }
}
