//! rollguard: can this Helm release be rolled back safely?

pub mod yaml;
