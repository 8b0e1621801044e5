//! Input errors: anything wrong with what the user gave us (files, flags, YAML). They always say
//! where (file, line, column) and end the run with exit code 2, never a panic.

use std::fmt;
use std::sync::Arc;

use crate::{SourceFile, Span, shown};

#[derive(Debug, Clone)]
pub struct InputError {
    pub message: String,
    pub file: Option<Arc<SourceFile>>,
    /// A file named without its text (unreadable, a directory, …).
    pub path: Option<String>,
    pub span: Option<Span>,
    pub help: Option<String>,
}

pub type Result<T, E = InputError> = std::result::Result<T, E>;

impl InputError {
    pub fn new(message: impl Into<String>) -> Self {
        InputError {
            message: message.into(),
            file: None,
            path: None,
            span: None,
            help: None,
        }
    }

    pub fn at(file: &Arc<SourceFile>, span: Span, message: impl Into<String>) -> Self {
        InputError {
            file: Some(file.clone()),
            span: Some(span),
            ..InputError::new(message)
        }
    }

    pub fn in_path(path: impl Into<String>, message: impl Into<String>) -> Self {
        InputError {
            path: Some(path.into()),
            ..InputError::new(message)
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The file the error is about, if it names one.
    pub fn file_name(&self) -> Option<&str> {
        self.file
            .as_ref()
            .map(|f| f.name.as_str())
            .or(self.path.as_deref())
    }
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = shown::clean(&self.message);
        match (self.file_name().map(shown::one_line), self.span) {
            (Some(name), Some(span)) => {
                write!(f, "{name}:{}:{}: {message}", span.line, span.col)
            }
            (Some(name), None) => write!(f, "{name}: {message}"),
            _ => f.write_str(&message),
        }
    }
}

impl std::error::Error for InputError {}

impl miette::Diagnostic for InputError {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("rollguard::input"))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(shown::clean(h).into_owned()) as Box<dyn fmt::Display>)
    }

    /// The file is shown around the error only where that is safe: the message already says
    /// the file, line and column.
    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        let span = self.span?;
        self.file
            .as_ref()
            .filter(|f| shown::snippet_is_safe(&f.text, span.start))
            .map(|f| f.as_ref() as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = self.span?;
        let text = &self.file.as_ref()?.text;
        // The first line only: a span over a whole document would print all of it.
        let first_line_end = text
            .get(span.start..)
            .and_then(|rest| rest.find('\n'))
            .map_or(text.len(), |i| span.start + i);
        let len = span
            .end
            .min(first_line_end)
            .saturating_sub(span.start)
            .max(1);
        Some(Box::new(std::iter::once(miette::LabeledSpan::new(
            Some("here".into()),
            span.start,
            len,
        ))))
    }
}
