//! Accepted findings: a file of today's findings (`--write-accepted`) that later runs leave out
//! of the verdict (`--accepted`), so a repository can adopt rollguard before fixing every old
//! finding. Findings are matched by fingerprint (rule, resource, message), never by line.

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::finding::{Finding, Suppression};
use source::bounded;
use source::{InputError, Result};

const SCHEMA: &str = "rollguard/accepted/v1";

#[derive(Serialize, Deserialize)]
struct File {
    schema: String,
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
struct Entry {
    rule: String,
    resource: String,
    fingerprint: String,
    /// For the reader of the file; not used for matching.
    message: String,
}

/// Marks the findings listed in `path` as accepted.
pub fn apply(path: &Path, findings: &mut [Finding]) -> Result<()> {
    let name = path.display().to_string();
    let text = bounded::read_text_file(path, bounded::MAX_FILE_BYTES)
        .map_err(|e| InputError::in_path(&name, format!("accepted findings: {e}")))?;
    let file: File = serde_json::from_str(&text).map_err(|e| {
        InputError::in_path(
            &name,
            format!("line {}: not an accepted-findings file: {e}", e.line()),
        )
    })?;
    if file.schema != SCHEMA {
        return Err(InputError::in_path(
            &name,
            format!("schema is `{}`, expected `{SCHEMA}`", file.schema),
        ));
    }
    let accepted: BTreeSet<String> = file.findings.into_iter().map(|e| e.fingerprint).collect();
    for f in findings.iter_mut().filter(|f| f.counts()) {
        if accepted.contains(&f.fingerprint()) {
            f.suppressed = Some(Suppression::Accepted);
        }
    }
    Ok(())
}

/// Writes every finding that counts today.
pub fn write(path: &Path, findings: &[Finding]) -> Result<()> {
    let mut entries: Vec<Entry> = findings
        .iter()
        .filter(|f| f.counts())
        .map(|f| Entry {
            rule: f.rule.id.to_string(),
            resource: f
                .resource
                .as_ref()
                .map(|r| r.to_string())
                .unwrap_or_default(),
            fingerprint: f.fingerprint(),
            message: f.message.clone(),
        })
        .collect();
    entries.sort();
    entries.dedup();
    let file = File {
        schema: SCHEMA.to_string(),
        findings: entries,
    };
    let mut text = serde_json::to_string_pretty(&file).unwrap_or_default();
    text.push('\n');
    std::fs::write(path, text).map_err(|e| {
        InputError::in_path(
            path.display().to_string(),
            format!("cannot write the accepted findings: {e}"),
        )
    })
}
