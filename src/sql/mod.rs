//! Finding the SQL a release runs and what it does to a rollback.
//!
//! Text → statements ([`lex`], `template`) → changes (`ast` for what sqlparser parses,
//! `fallback` for the rest, `procedural` for DO blocks, functions and dynamic SQL) →
//! hazards the file's own schema does not explain (`schema`). [`extract`] finds the SQL in
//! rendered objects and [`migrations_dir`] in `--migrations` paths; both build the
//! [`Migrations`] model the rules read.

mod analyse;
mod ast;
mod change;
mod dialect;
mod extract;
mod fallback;
pub mod lex;
mod migration;
pub mod migrations_dir;
mod position;
mod procedural;
mod schema;
mod template;
mod tools;
#[cfg(test)]
mod tools_table;

pub use analyse::{Analysis, Parse, Stmt, analyse};
pub use change::{Change, Hazard};
pub use dialect::Dialect;
pub use extract::extract;
pub use migration::{DbJob, Direction, HazardAt, Ignore, Migrations, Origin, Script, Statement};
pub use position::Placement;
pub use schema::Found;
