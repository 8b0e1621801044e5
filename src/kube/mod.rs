//! Facts about built-in Kubernetes APIs: which group/version/kinds each Kubernetes release serves,
//! deprecates and has removed.
//!
//! The facts live in `rules/kubernetes-apis.yaml` (sources are listed in its header); this module
//! loads them ([`ApiTable::builtin`]) and answers the questions of the rules `api-removed`,
//! `api-deprecated` and `rollback-target-api-removed` ([`ApiTable::status`]) and of the
//! renderer's `.Capabilities.APIVersions` ([`ApiTable::served`]).

mod entry;
mod parse;
mod table;
mod version;

pub use entry::{ApiEntry, ApiStatus};
pub use table::ApiTable;
pub use version::KubeVersion;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_table;
