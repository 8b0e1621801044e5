//! Kubernetes versions at the granularity rollguard reasons about: major.minor.

use std::fmt;
use std::str::FromStr;

/// A Kubernetes minor release. Patch levels and vendor suffixes are dropped on parse: API
/// availability only changes between minor releases.
///
/// Field order matters: the derived `Ord` compares `major`, then `minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KubeVersion {
    pub major: u32,
    pub minor: u32,
}

impl KubeVersion {
    pub const fn new(major: u32, minor: u32) -> Self {
        KubeVersion { major, minor }
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// Accepts what users and tools write for a cluster version: `1.29`, `v1.29`, `1.29.3`,
/// `v1.29.0-gke.1`, `v1.30.2+k3s1`, and EKS-style `1.29+`.
impl FromStr for KubeVersion {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let bad = |why: &str| {
            format!(
                "invalid Kubernetes version {s:?}: {why} (expected MAJOR.MINOR[.PATCH], e.g. \"1.29\" or \"v1.29.3\")"
            )
        };
        let text = s.trim();
        let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
        // Pre-release and build suffixes ("-gke.1", "+k3s1", EKS's "29+") say nothing about
        // which APIs are served.
        let core = text.split(['-', '+']).next().unwrap_or_default();
        if core.is_empty() {
            return Err(bad("no version number"));
        }
        let mut parts = core.split('.');
        let major = number(parts.next(), "major").map_err(|w| bad(&w))?;
        let minor = number(parts.next(), "minor").map_err(|w| bad(&w))?;
        if let Some(patch) = parts.next() {
            number(Some(patch), "patch").map_err(|w| bad(&w))?;
        }
        if parts.next().is_some() {
            return Err(bad("too many components"));
        }
        Ok(KubeVersion { major, minor })
    }
}

fn number(part: Option<&str>, what: &str) -> Result<u32, String> {
    match part {
        None | Some("") => Err(format!("missing {what} number")),
        Some(p) if !p.bytes().all(|b| b.is_ascii_digit()) => {
            Err(format!("{what} {p:?} is not a number"))
        }
        Some(p) => p.parse().map_err(|_| format!("{what} {p:?} is too large")),
    }
}
