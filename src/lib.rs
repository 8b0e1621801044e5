//! rollguard: can this Helm release be rolled back safely?
//!
//! Data flows one way: a command ([`commands`]) reads its [`inputs`] (charts rendered with the
//! `helm` crate, baselines, migrations, pipelines) into the [`model`] ([`manifest`] objects and
//! the [`config`]'s settings); [`rules`] read the model and produce [`finding`]s; [`suppress`]
//! marks the ones the user accepted; [`report`] renders them. [`server`] runs the same check
//! for an editor, as a language server.

pub mod accepted;
pub mod baseline;
pub mod cli;
pub mod commands;
pub mod config;
pub mod diff;
pub mod finding;
pub mod generated;
pub mod inputs;
pub mod kube;
pub mod manifest;
pub mod model;
pub mod paths;
pub mod pipeline;
pub mod progress;
pub mod report;
pub mod rules;
pub mod server;
pub mod shell;
pub mod sql;
pub mod suppress;
