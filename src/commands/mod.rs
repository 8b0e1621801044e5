//! The subcommands: `check` ([`check`]), `render` ([`render`]), and `rules`/`explain`
//! ([`rules`]). Each reads its inputs, runs, and returns what `main` prints.

pub mod check;
pub mod output_dir;
pub mod render;
pub mod rules;

use std::io::Write;

use source::{InputError, Result};

/// Writes `text` to standard output. A reader that closed the pipe (`| head`) wants no more,
/// which is no error; any other failure (a full disk) is one.
pub fn print(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(InputError::in_path(
            "<stdout>",
            format!("cannot write the output: {e}"),
        )),
        _ => Ok(()),
    }
}
