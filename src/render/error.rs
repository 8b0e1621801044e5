//! Errors of parsing and executing templates, and the text Helm shows for them.

use std::fmt;

pub use super::parse::ParseError;

/// Marks a message that Helm shows verbatim as `execution error at (LOC): MSG` (`required`,
/// `fail`). Helm wraps such messages in these delimiters and looks for them in the final text.
pub const WARN_START: &str = "HELM_ERR_START";
pub const WARN_END: &str = "HELM_ERR_END";

/// An execution error, with the parts of Go's message kept apart so Helm's formats can be made.
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

    /// The text Helm 4 prints: `required`/`fail` messages as `execution error at (LOC): MSG`;
    /// errors of the template engine over three lines per template, nested through
    /// `include`; anything else (a function's own error) as Go's one-line message.
    pub fn helm_message(&self) -> String {
        let go = self.go_message();
        if let Some(start) = go.find(WARN_START)
            && let Some(end) = go[start..].rfind(WARN_END)
        {
            let warn = &go[start + WARN_START.len()..start + end];
            return format!("execution error at ({}): {}", self.location, warn);
        }
        trace(&go).unwrap_or(go)
    }
}

/// Splits Go's `template: LOC: executing "NAME" at <CTX>: REST` into its parts.
fn split_exec(msg: &str) -> Option<(&str, &str, &str, &str)> {
    let rest = msg.strip_prefix("template: ")?;
    let (location, rest) = rest.split_once(": ")?;
    let mut parts = location.rsplitn(3, ':');
    let numeric =
        |p: Option<&str>| p.is_some_and(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !numeric(parts.next()) || !numeric(parts.next()) || location.contains(char::is_whitespace) {
        return None;
    }
    let rest = rest.strip_prefix("executing \"")?;
    let mut end = None;
    let mut escaped = false;
    for (i, c) in rest.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => {
                end = Some(i);
                break;
            }
            _ => {}
        }
    }
    let end = end?;
    let name = &rest[..end];
    let rest = rest[end + 1..].strip_prefix(" at <")?;
    let (context, rest) = rest.split_once(">: ")?;
    Some((location, name, context, rest))
}

/// Helm's multi-line rendering of a Go execution error, or `None` when the chain ends in an
/// error that is not the engine's own.
fn trace(msg: &str) -> Option<String> {
    let mut out = String::new();
    let mut cur = msg;
    loop {
        let (location, name, context, rest) = split_exec(cur)?;
        out.push_str(&format!(
            "{location}\n  executing \"{name}\" at <{context}>:\n    "
        ));
        let call = rest
            .strip_prefix("error calling ")
            .and_then(|r| r.split_once(": "))
            .filter(|(f, _)| !f.contains(char::is_whitespace));
        let Some((func, inner)) = call else {
            out.push_str(rest);
            return Some(out);
        };
        out.push_str(&format!("error calling {func}:\n"));
        if inner.starts_with("template: no template ") {
            out.push_str(inner);
            return Some(out);
        }
        cur = inner;
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

impl Error {
    /// The message as Helm prints it.
    pub fn helm_message(&self) -> String {
        match self {
            // Helm keeps the location and only the last ": "-separated part of Go's message.
            Error::Parse(p) => {
                let msg = p.msg.rsplit(": ").next().unwrap_or(&p.msg);
                format!("parse error at ({}:{}): {}", p.name, p.line, msg)
            }
            Error::Exec(e) => e.helm_message(),
            Error::NoTemplate(n) => {
                format!("template: no template {} associated", super::fmt::quote(n))
            }
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse(p) => write!(f, "{p}"),
            Error::Exec(e) => write!(f, "{e}"),
            Error::NoTemplate(_) => f.write_str(&self.helm_message()),
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
