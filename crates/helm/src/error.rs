//! A release render's errors, and the text Helm shows for the template engine's: Helm rewords
//! Go's `text/template` messages outside the engine (`cleanupParseError`,
//! `reformatExecErrorMsg` in Helm's `pkg/engine/engine.go`), and so does this module.

use gotmpl::ExecError;
use gotmpl::fmt::quote;

/// Marks a message that Helm shows verbatim as `execution error at (LOC): MSG` (`required`,
/// `fail`). Helm wraps such messages in these delimiters and looks for them in the final text.
pub const WARN_START: &str = "HELM_ERR_START";
pub const WARN_END: &str = "HELM_ERR_END";

#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A chart file that is not valid YAML or not the expected shape.
    Load(String),
    Template(gotmpl::Error),
}

impl Error {
    /// The message as Helm prints it.
    pub fn helm_message(&self) -> String {
        match self {
            Error::Load(m) => m.clone(),
            Error::Template(e) => helm_message(e),
        }
    }

    /// A chart that stopped itself with `fail` or `required`: where (`FILE:LINE:COL`, the
    /// template path first) and its message.
    pub fn template_failure(&self) -> Option<(&str, &str)> {
        let Error::Template(gotmpl::Error::Exec(e)) = self else {
            return None;
        };
        let start = e.msg.find(WARN_START)? + WARN_START.len();
        let end = start + e.msg[start..].find(WARN_END)?;
        Some((e.location.as_str(), &e.msg[start..end]))
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.helm_message())
    }
}

impl std::error::Error for Error {}

/// An engine error as Helm prints it.
pub fn helm_message(error: &gotmpl::Error) -> String {
    match error {
        // Helm keeps the location and only the last ": "-separated part of Go's message.
        gotmpl::Error::Parse(p) => {
            let msg = p.msg.rsplit(": ").next().unwrap_or(&p.msg);
            format!("parse error at ({}:{}): {}", p.name, p.line, msg)
        }
        gotmpl::Error::Exec(e) => exec_message(e),
        gotmpl::Error::NoTemplate(n) => format!("template: no template {} associated", quote(n)),
    }
}

/// The text Helm 4 prints for an execution error: `required`/`fail` messages as
/// `execution error at (LOC): MSG`; errors of the template engine over three lines per
/// template, nested through `include`; anything else (a function's own error) as Go's one-line
/// message.
fn exec_message(error: &ExecError) -> String {
    let go = error.go_message();
    if let Some(start) = go.find(WARN_START)
        && let Some(end) = go[start..].rfind(WARN_END)
    {
        let warn = &go[start + WARN_START.len()..start + end];
        return format!("execution error at ({}): {}", error.location, warn);
    }
    trace(&go).unwrap_or(go)
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

#[cfg(test)]
mod tests {
    use super::*;
    use gotmpl::{Engine, Value};

    #[test]
    fn exec_errors_read_as_helm_prints_them() {
        let mut e = Engine::new();
        e.add_template("t", "{{ .m.x.y }}").unwrap();
        let dot = Value::map([("m".to_string(), Value::map(Default::default()))].into());
        let err = e.execute("t", dot).unwrap_err();
        assert_eq!(
            helm_message(&err),
            "t:1:5\n  executing \"t\" at <.m.x.y>:\n    nil pointer evaluating interface {}.y"
        );
    }
}
