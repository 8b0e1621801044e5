//! The table of built-in APIs and the questions rules ask of it.

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use super::parse::parse_table;
use super::{ApiEntry, ApiStatus, KubeVersion};

/// `rules/kubernetes-apis.yaml`, read and checked at build time by `build.rs` with
/// [`parse_table`]: `NEWEST` and `entries()`.
mod compiled {
    use super::{ApiEntry, KubeVersion};
    include!(concat!(env!("OUT_DIR"), "/kubernetes_apis.rs"));
}

/// Built-in Kubernetes APIs with the releases that introduced, deprecated and removed them.
#[derive(Debug, Clone)]
pub struct ApiTable {
    newest: KubeVersion,
    entries: Vec<ApiEntry>,
    /// apiVersion -> indexes into `entries`. A group/version holds a handful of kinds, so a
    /// scan within it is cheaper than building an owned (apiVersion, kind) key per lookup.
    by_group_version: HashMap<String, Vec<usize>>,
}

impl ApiTable {
    /// The table shipped in `rules/kubernetes-apis.yaml`, compiled into the binary (a table
    /// that does not read fails the build) and indexed on first use.
    pub fn builtin() -> &'static ApiTable {
        static TABLE: OnceLock<ApiTable> = OnceLock::new();
        TABLE.get_or_init(|| ApiTable::new(compiled::NEWEST, compiled::entries()))
    }

    /// Parses a table in the format of `rules/kubernetes-apis.yaml`; errors name the line.
    pub fn parse(text: &str) -> Result<ApiTable, String> {
        let parsed = parse_table(text)?;
        Ok(ApiTable::new(parsed.newest, parsed.entries))
    }

    fn new(newest: KubeVersion, entries: Vec<ApiEntry>) -> ApiTable {
        let mut by_group_version: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            by_group_version
                .entry(e.api_version.clone())
                .or_default()
                .push(i);
        }
        ApiTable {
            newest,
            entries,
            by_group_version,
        }
    }

    /// The newest Kubernetes release the table covers (its `newest` key).
    pub fn newest(&self) -> KubeVersion {
        self.newest
    }

    /// Every entry, in file order.
    pub fn entries(&self) -> &[ApiEntry] {
        &self.entries
    }

    pub fn lookup(&self, api_version: &str, kind: &str) -> Option<&ApiEntry> {
        self.in_group_version(api_version).find(|e| e.kind == kind)
    }

    /// What `apiVersion`/`kind` means for a cluster at release `at`.
    ///
    /// For a kind the table does not list under a group/version it does know, the answer follows
    /// the group/version as a whole, because the API server rejects every kind of a group/version
    /// it does not serve:
    /// - some listed kind is served at `at`: `Unknown` (the kind may be a subresource kind, a
    ///   typo, or simply missing from the table; rollguard does not guess);
    /// - none is served and some were removed by `at`: `Removed` since the latest such removal,
    ///   with the replacement those last-removed kinds agree on;
    /// - none is served and none removed yet: `NotYetServed` from the first introduction.
    ///
    /// A group/version the table does not know at all (CRDs such as `cert-manager.io/v1`,
    /// aggregated APIs such as `metrics.k8s.io/v1beta1`) is always `Unknown`.
    pub fn status(&self, api_version: &str, kind: &str, at: KubeVersion) -> ApiStatus {
        if let Some(entry) = self.lookup(api_version, kind) {
            return entry.status_at(at);
        }
        let siblings: Vec<&ApiEntry> = self.in_group_version(api_version).collect();
        if siblings.is_empty() || siblings.iter().any(|e| e.served_at(at)) {
            return ApiStatus::Unknown;
        }
        let last_removal = siblings
            .iter()
            .filter_map(|e| e.removed)
            .filter(|&r| r <= at)
            .max();
        if let Some(since) = last_removal {
            let mut replacements = siblings
                .iter()
                .filter(|e| e.removed == Some(since))
                .map(|e| e.replacement.as_deref());
            let first = replacements.next().flatten();
            let agreed = replacements.all(|r| r == first);
            return ApiStatus::Removed {
                since,
                replacement: first.filter(|_| agreed).map(str::to_owned),
            };
        }
        match siblings.iter().filter_map(|e| e.introduced).min() {
            Some(from) if at < from => ApiStatus::NotYetServed { from },
            // Unreachable for a valid table (an entry neither introduced later nor removed is
            // served), kept total rather than asserted.
            _ => ApiStatus::Unknown,
        }
    }

    /// What discovery reports at release `at` with default API server settings, sorted: every
    /// served `group/version` and `group/version/Kind` (core group: `v1` and `v1/Pod`), which is
    /// the shape of Helm's `.Capabilities.APIVersions`. APIs off by default are left out.
    pub fn served(&self, at: KubeVersion) -> Vec<String> {
        let mut out = BTreeSet::new();
        for e in self
            .entries
            .iter()
            .filter(|e| !e.default_off && e.served_at(at))
        {
            out.insert(e.api_version.clone());
            out.insert(format!("{}/{}", e.api_version, e.kind));
        }
        out.into_iter().collect()
    }

    fn in_group_version<'a>(&'a self, api_version: &str) -> impl Iterator<Item = &'a ApiEntry> {
        self.by_group_version
            .get(api_version)
            .map(Vec::as_slice)
            .unwrap_or_default()
            .iter()
            .filter_map(|&i| self.entries.get(i))
    }
}
