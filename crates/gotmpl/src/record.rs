//! A Go struct handed to templates: fixed fields and methods, printed `{a b c}` by `%v`.

use super::fmt::sprint_v;
use super::value::{Object, Value};

/// A Go struct with fixed fields, printed `{a b c}`; `text` is its `String()` when it has one.
pub struct Record {
    pub type_name: &'static str,
    pub fields: Vec<(&'static str, Value)>,
    /// Values `%v` shows that templates cannot reach (unexported fields).
    pub shown: Vec<Value>,
    pub text: Option<String>,
    pub methods: Vec<(&'static str, Value)>,
    /// What encoding/json makes of it.
    pub json: Value,
}

impl Object for Record {
    fn type_name(&self) -> String {
        self.type_name.into()
    }

    fn field(&self, name: &str) -> Option<Value> {
        self.fields
            .iter()
            .chain(self.methods.iter())
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
    }

    fn format_v(&self) -> String {
        let parts: Vec<String> = self.shown.iter().map(sprint_v).collect();
        format!("{{{}}}", parts.join(" "))
    }

    fn print_text(&self) -> String {
        self.text.clone().unwrap_or_else(|| self.format_v())
    }

    fn plain(&self) -> Option<Value> {
        Some(self.json.clone())
    }
}
