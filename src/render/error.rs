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

/// Helm's multi-line rendering of a Go execution error, or `None` when the chain ends in an
/// error that is not the engine's own.
fn trace(msg: &str) -> Option<String> {
    static EXEC: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r#"(?s)^template: (\S+?:\d+:\d+): executing ("(?:[^"\\]|\\.)*") at <(.*?)>: (.*)$"#,
        )
        .expect("static regex")
    });
    static CALL: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"(?s)^(error calling \S+?:) (.*)$").expect("static regex")
    });
    let caps = EXEC.captures(msg)?;
    let head = format!(
        "{}\n  executing {} at <{}>:\n    ",
        &caps[1], &caps[2], &caps[3]
    );
    let rest = &caps[4];
    let Some(call) = CALL.captures(rest) else {
        return Some(format!("{head}{rest}"));
    };
    let inner = &call[2];
    let inner = if inner.starts_with("template: no template ") {
        inner.to_string()
    } else {
        trace(inner)?
    };
    Some(format!("{head}{}\n{inner}", &call[1]))
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
