//! The subcommands: `check` ([`check`]), `render` ([`render`]), and `rules`/`explain`
//! ([`rules`]). Each reads its inputs, runs, and returns what `main` prints.

pub mod check;
pub mod render;
pub mod rules;
