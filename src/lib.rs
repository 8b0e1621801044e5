//! rollguard: can this Helm release be rolled back safely?

pub mod render;
pub mod yaml;
