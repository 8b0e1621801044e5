//! Errors of parsing and executing templates. They print as Go prints them; a host that words
//! them its own way (Helm does) reads their parts.

use std::fmt;

pub use super::parse::ParseError;

/// An execution error, with the parts of Go's message kept apart so a host can word it its own
/// way.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecError {
    /// `FILE:LINE:COL` of the node the error happened at (just the template name without one).
    pub location: String,
    /// Name of the template being executed (a file, or a `define`).
    pub name: String,
    /// Go's text of that node, e.g. `.Values.a.b`.
    pub context: Option<String>,
    pub msg: String,
}

impl ExecError {
    /// Go's `ExecError` text: `template: LOC: executing "NAME" at <CTX>: MSG`.
    pub fn go_message(&self) -> String {
        match &self.context {
            Some(ctx) => format!(
                "template: {}: executing {} at <{}>: {}",
                self.location,
                super::fmt::quote(&self.name),
                ctx,
                self.msg
            ),
            None => format!("template: {}: {}", self.location, self.msg),
        }
    }
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.go_message())
    }
}

impl std::error::Error for ExecError {}

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    Parse(ParseError),
    Exec(ExecError),
    /// A template name that was never added.
    NoTemplate(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse(p) => write!(f, "{p}"),
            Error::Exec(e) => write!(f, "{e}"),
            Error::NoTemplate(n) => write!(
                f,
                "template: no template {} associated",
                super::fmt::quote(n)
            ),
        }
    }
}

impl std::error::Error for Error {}

impl From<ParseError> for Error {
    fn from(e: ParseError) -> Error {
        Error::Parse(e)
    }
}

impl From<ExecError> for Error {
    fn from(e: ExecError) -> Error {
        Error::Exec(e)
    }
}
