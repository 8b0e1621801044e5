//! rollguard: can this Helm release be rolled back safely?

pub mod kube;
pub mod yaml;
