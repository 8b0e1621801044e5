//! `--format json`: the `rollguard/report/v1` schema (`schema/report-v1.json`).

use serde::Serialize;

use super::{Report, Summary};
use crate::manifest::ResourceId;
use crate::model::ChartInfo;

#[derive(Serialize)]
struct Doc<'a> {
    schema: &'static str,
    verdict: &'static str,
    summary: Summary,
    charts: &'a [ChartInfo],
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    notes: &'a [String],
    findings: Vec<JsonFinding<'a>>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    rule: &'static str,
    category: &'static str,
    severity: &'static str,
    effect: &'static str,
    message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    help: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resource: Option<&'a ResourceId>,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<JsonLocation<'a>>,
    suppressed: bool,
}

#[derive(Serialize)]
struct JsonLocation<'a> {
    file: &'a str,
    line: u32,
    column: u32,
    /// The chart template behind a rendered stream's line (`# Source:`).
    #[serde(skip_serializing_if = "Option::is_none")]
    template: Option<&'a str>,
}

pub fn render(report: &Report) -> String {
    let doc = Doc {
        schema: "rollguard/report/v1",
        verdict: report.verdict().as_str(),
        summary: report.summary(),
        charts: &report.charts,
        notes: &report.notes,
        findings: report
            .findings
            .iter()
            .map(|f| JsonFinding {
                rule: f.rule.id,
                category: f.rule.category.as_str(),
                severity: f.severity.as_str(),
                effect: f.effect.as_str(),
                message: &f.message,
                help: f.help.as_deref(),
                resource: f.resource.as_ref(),
                location: f.location.as_ref().map(|l| JsonLocation {
                    file: &l.file.name,
                    line: l.span.line,
                    column: l.span.col,
                    template: l.template.as_deref(),
                }),
                suppressed: !f.counts(),
            })
            .collect(),
    };
    // Serialising plain structs of strings and numbers cannot fail.
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
