//! Reads `rules/kubernetes-apis.yaml` into entries. Every error names the line it is about, and
//! the facts are checked for order and duplicates here, so a bad edit to the table fails loudly.

use std::collections::HashMap;

use super::entry::{is_alpha, version_of};
use super::{ApiEntry, KubeVersion};
use source::yaml::{self, Node};

const ENTRY_KEYS: &[&str] = &[
    "apiVersion",
    "kind",
    "introduced",
    "deprecated",
    "removed",
    "replacement",
    "note",
    "defaultOff",
];

/// The table's contents: its newest release and its entries in file order.
pub(super) struct Parsed {
    pub newest: KubeVersion,
    pub entries: Vec<ApiEntry>,
}

pub(super) fn parse_table(text: &str) -> Result<Parsed, String> {
    let root = yaml::parse_single(text, yaml::Origin::default())
        .map_err(|e| format!("Kubernetes API table: {e}"))?
        .ok_or("Kubernetes API table: the document is empty")?;
    if root.as_map().is_none() {
        return Err(at(&root, "expected a mapping with `newest` and `apis`"));
    }
    check_keys(&root, &["newest", "apis"])?;

    let newest_node = root.get("newest").ok_or_else(|| {
        at(
            &root,
            "missing `newest` (the newest release the table covers)",
        )
    })?;
    let newest = version(newest_node, "newest")?;

    let apis = root
        .get("apis")
        .ok_or_else(|| at(&root, "missing `apis` (the list of entries)"))?;
    let items = apis
        .as_seq()
        .ok_or_else(|| at(apis, "`apis` must be a list of entries"))?;

    let mut entries = Vec::with_capacity(items.len());
    // apiVersion/kind -> line of its first entry, to name both lines of a duplicate.
    let mut seen: HashMap<(String, String), u32> = HashMap::new();
    for item in items {
        let entry = parse_entry(item)?;
        let key = (entry.api_version.clone(), entry.kind.clone());
        if let Some(first) = seen.insert(key, item.span.line) {
            return Err(at(
                item,
                &format!(
                    "{} {} is listed twice (first on line {first})",
                    entry.api_version, entry.kind
                ),
            ));
        }
        entries.push(entry);
    }
    Ok(Parsed { newest, entries })
}

fn parse_entry(item: &Node) -> Result<ApiEntry, String> {
    if item.as_map().is_none() {
        return Err(at(item, "each entry must be a mapping"));
    }
    check_keys(item, ENTRY_KEYS)?;

    let api_version = required_str(item, "apiVersion")?;
    check_api_version(item, &api_version)?;
    let kind = required_str(item, "kind")?;
    if !kind.starts_with(|c: char| c.is_ascii_uppercase())
        || !kind.chars().all(|c| c.is_ascii_alphanumeric())
    {
        return Err(at(
            item,
            &format!("kind {kind:?} is not a Kubernetes kind name"),
        ));
    }

    let introduced = optional_version(item, "introduced")?;
    let deprecated = optional_version(item, "deprecated")?;
    let removed = optional_version(item, "removed")?;
    check_order(
        item,
        "introduced",
        introduced,
        "deprecated",
        deprecated,
        false,
    )?;
    check_order(item, "deprecated", deprecated, "removed", removed, false)?;
    // An API removed in the release that introduced it was never served.
    check_order(item, "introduced", introduced, "removed", removed, true)?;

    let default_off = match item.get("defaultOff") {
        None => false,
        Some(node) => node
            .as_bool()
            .ok_or_else(|| at(node, "`defaultOff` must be true or false"))?,
    };
    Ok(ApiEntry {
        default_off: default_off || is_alpha(&api_version),
        api_version,
        kind,
        introduced,
        deprecated,
        removed,
        replacement: optional_str(item, "replacement")?,
        note: optional_str(item, "note")?,
    })
}

/// `v1` (core) or `group/version`, with a Kubernetes version name (`v2`, `v1beta3`, `v1alpha1`).
fn check_api_version(item: &Node, api_version: &str) -> Result<(), String> {
    let slashes = api_version.matches('/').count();
    let group_ok = match api_version.split_once('/') {
        None => true,
        Some((group, _)) => {
            !group.is_empty()
                && group
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
        }
    };
    if slashes > 1 || !group_ok || !is_version_name(version_of(api_version)) {
        return Err(at(
            item,
            &format!("apiVersion {api_version:?} is not `v1` or `group/version`"),
        ));
    }
    Ok(())
}

fn is_version_name(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('v') else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return false;
    }
    let tail = &rest[digits..];
    tail.is_empty()
        || ["alpha", "beta"].iter().any(|level| {
            tail.strip_prefix(level)
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
        })
}

fn check_order(
    item: &Node,
    earlier_name: &str,
    earlier: Option<KubeVersion>,
    later_name: &str,
    later: Option<KubeVersion>,
    strict: bool,
) -> Result<(), String> {
    if let (Some(a), Some(b)) = (earlier, later)
        && (b < a || (strict && a == b))
    {
        let relation = if strict { "before" } else { "no later than" };
        return Err(at(
            item,
            &format!("`{earlier_name}` ({a}) must be {relation} `{later_name}` ({b})"),
        ));
    }
    Ok(())
}

fn check_keys(map: &Node, allowed: &[&str]) -> Result<(), String> {
    for (key, _) in map.as_map().unwrap_or(&[]) {
        let name = key.as_str().unwrap_or_default();
        if !allowed.contains(&name) {
            return Err(at(
                key,
                &format!(
                    "unknown key {name:?} (expected one of: {})",
                    allowed.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

fn required_str(item: &Node, key: &str) -> Result<String, String> {
    optional_str(item, key)?.ok_or_else(|| at(item, &format!("missing `{key}`")))
}

fn optional_str(item: &Node, key: &str) -> Result<Option<String>, String> {
    match item.get(key) {
        None => Ok(None),
        Some(node) if node.scalar().is_none() => Err(at(node, &format!("`{key}` must be text"))),
        Some(node) => Ok(node
            .as_str()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)),
    }
}

fn optional_version(item: &Node, key: &str) -> Result<Option<KubeVersion>, String> {
    item.get(key).map(|node| version(node, key)).transpose()
}

fn version(node: &Node, key: &str) -> Result<KubeVersion, String> {
    let text = node
        .as_str()
        .ok_or_else(|| at(node, &format!("`{key}` must be a version such as \"1.22\"")))?;
    text.parse()
        .map_err(|e: String| at(node, &format!("`{key}`: {e}")))
}

fn at(node: &Node, message: &str) -> String {
    format!("Kubernetes API table, line {}: {message}", node.span.line)
}
