//! One built-in API (group/version/kind) and what its lifecycle means at a given release.

use super::KubeVersion;

/// Lifecycle facts for one group/version/kind, as written in `rules/kubernetes-apis.yaml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiEntry {
    /// `group/version`, or `v1` for the core group.
    pub api_version: String,
    pub kind: String,
    /// First release that served it; `None` means "before anything rollguard cares about".
    pub introduced: Option<KubeVersion>,
    /// First release whose API server warns about it.
    pub deprecated: Option<KubeVersion>,
    /// First release that no longer serves it (may be after the table's newest release when the
    /// removal is already announced).
    pub removed: Option<KubeVersion>,
    /// `group/version`, or `group/version Kind` when the kind changes.
    pub replacement: Option<String>,
    pub note: Option<String>,
    /// Not served unless enabled with `--runtime-config`: alpha APIs, and betas added since 1.24.
    pub default_off: bool,
}

/// What a manifest's apiVersion/kind means for a cluster at a given release.
///
/// `Served` and `Deprecated` describe the API's lifecycle; for APIs that are off by default
/// ([`ApiEntry::default_off`]) the cluster only serves them when an administrator enabled them,
/// so callers that care look at the entry too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiStatus {
    /// Not a built-in API (a CRD, an aggregated API, a typo): rollguard knows nothing about it.
    Unknown,
    Served,
    Deprecated {
        since: KubeVersion,
        removed_in: Option<KubeVersion>,
        replacement: Option<String>,
    },
    Removed {
        since: KubeVersion,
        replacement: Option<String>,
    },
    NotYetServed {
        from: KubeVersion,
    },
}

impl ApiEntry {
    /// Whether a cluster at `at` has this API (ignoring `default_off`).
    pub fn served_at(&self, at: KubeVersion) -> bool {
        self.introduced.is_none_or(|v| v <= at) && self.removed.is_none_or(|v| at < v)
    }

    /// The lifecycle state at `at`; never [`ApiStatus::Unknown`].
    pub fn status_at(&self, at: KubeVersion) -> ApiStatus {
        if let Some(from) = self.introduced.filter(|&v| at < v) {
            return ApiStatus::NotYetServed { from };
        }
        if let Some(since) = self.removed.filter(|&v| v <= at) {
            return ApiStatus::Removed {
                since,
                replacement: self.replacement.clone(),
            };
        }
        match self.deprecated.filter(|&v| v <= at) {
            Some(since) => ApiStatus::Deprecated {
                since,
                removed_in: self.removed,
                replacement: self.replacement.clone(),
            },
            None => ApiStatus::Served,
        }
    }
}

/// Alpha versions (`v1alpha1`, `v2alpha1`) are never served without `--runtime-config`.
pub(super) fn is_alpha(api_version: &str) -> bool {
    version_of(api_version).contains("alpha")
}

/// The version part of `group/version` (all of it for the core group's `v1`).
pub(super) fn version_of(api_version: &str) -> &str {
    api_version.rsplit('/').next().unwrap_or(api_version)
}
