//! Comparing two revisions as Helm and the API server see them: resources paired by identity,
//! fields compared after server defaults.

mod changes;
mod normalize;
mod pair;
mod show;

pub use changes::{Change, changes};
pub use normalize::{normalized, storage_bytes};
pub use pair::{Pair, RevisionDiff, identity_group, pair};
pub use show::{render_changes, unified};
