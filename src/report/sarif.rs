//! `--format sarif`: SARIF 2.1.0 for code-scanning upload. Suppressed findings stay in the log
//! with a `suppressions` entry, as the standard intends.

use serde_json::{Value, json};

use super::{REPOSITORY, Report, rule_docs_url};
use crate::finding::Severity;
use crate::finding::Suppression;
use crate::rules::catalog;

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

pub fn render(report: &Report) -> String {
    let rules: Vec<_> = catalog().collect();
    let descriptors: Vec<Value> = rules
        .iter()
        .map(|m| {
            json!({
                "id": m.id,
                "name": m.id,
                "shortDescription": {"text": m.summary},
                "fullDescription": {"text": m.doc},
                "help": {"text": format!(
                    "{}\n\nFix: {}\n\nDocumentation: `rollguard explain {}`, or {}",
                    m.doc, m.fix, m.id, rule_docs_url(m.id)
                )},
                "helpUri": rule_docs_url(m.id),
                "defaultConfiguration": {"level": level(m.severity)},
                "properties": {"category": m.category.as_str(), "effect": m.effect.as_str()},
            })
        })
        .collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|f| {
            let mut message = f.message.clone();
            if let Some(help) = &f.help {
                message.push_str(&format!(" Help: {help}."));
            }
            let mut result = json!({
                "ruleId": f.rule.id,
                "ruleIndex": rules.iter().position(|m| m.id == f.rule.id),
                "level": level(f.severity),
                "message": {"text": message},
                "properties": {"effect": f.effect.as_str()},
            });
            if let Some(l) = &f.location {
                let mut region = json!({
                    "startLine": l.span.line,
                    "startColumn": l.span.col,
                });
                if l.span.end > l.span.start {
                    region["charOffset"] = json!(char_offset(&l.file.text, l.span.start));
                    region["charLength"] =
                        json!(l.file.text.get(l.span.start..l.span.end).map_or(0, |t| t.chars().count()));
                }
                let mut location = json!({
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&l.file.name)},
                        "region": region,
                    }
                });
                if let Some(r) = &f.resource {
                    location["logicalLocations"] = json!([{
                        "name": r.name,
                        "fullyQualifiedName": format!("{}/{}/{}/{}", r.api_version, r.kind, r.namespace, r.name),
                        "kind": "resource",
                    }]);
                }
                result["locations"] = json!([location]);
            }
            if let Some(s) = &f.suppressed {
                let (kind, justification) = match s {
                    Suppression::Annotation => ("inSource", "rollguard.dev/ignore annotation"),
                    Suppression::Comment => ("inSource", "rollguard-ignore comment"),
                    Suppression::Accepted => ("external", "accepted findings file"),
                };
                result["suppressions"] = json!([{"kind": kind, "justification": justification}]);
            }
            result
        })
        .collect();
    let mut run = json!({
        "tool": {"driver": {
            "name": "rollguard",
            "version": env!("CARGO_PKG_VERSION"),
            "informationUri": REPOSITORY,
            "rules": descriptors,
        }},
        "results": results,
    });
    if !report.unchecked.is_empty() {
        // A chart that could not be checked is a failed run, not a clean one: SARIF's own way
        // of saying so, one error notification per chart.
        let notifications: Vec<Value> = report
            .unchecked
            .iter()
            .map(|e| json!({"level": "error", "message": {"text": format!("not checked: {e}")}}))
            .collect();
        run["invocations"] = json!([{
            "executionSuccessful": false,
            "toolExecutionNotifications": notifications,
        }]);
    }
    let log = json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [run],
    });
    let mut text = serde_json::to_string_pretty(&log).unwrap_or_default();
    text.push('\n');
    text
}

fn char_offset(text: &str, byte: usize) -> usize {
    text.get(..byte).map_or(0, |t| t.chars().count())
}

/// A relative URI for the artifact: forward slashes, spaces and `%` escaped.
fn uri(path: &str) -> String {
    path.replace('\\', "/")
        .replace('%', "%25")
        .replace(' ', "%20")
}
