//! Code actions where the fix is mechanical, computed from a diagnostic (its rule, message and
//! line) and the text of its file: keep a PVC on deletion, roll pods when their ConfigMap
//! changes, give a probe the declared startup time, or suppress the finding where rollguard
//! reads suppressions.

use std::collections::HashMap;
use std::path::Path;

use lsp_types::{
    CodeAction, CodeActionKind, Diagnostic, NumberOrString, TextEdit, Uri, WorkspaceEdit,
};

use super::text::{path_to_uri, range};
use super::yaml_lines::{Edit, Lines, annotate, set_child};

/// What a diagnostic says about its finding: the rule and its category (from the diagnostic's
/// `data`), and the declared startup time its message names.
struct Subject<'a> {
    diagnostic: &'a Diagnostic,
    rule: &'a str,
    category: &'a str,
    line: usize,
}

/// The actions for `diagnostics` (those the editor sent for a range of `path`, whose text is
/// `text`). Templates elsewhere in the chart are read from `chart_file` (open documents first).
pub fn actions(
    path: &Path,
    text: &str,
    diagnostics: &[Diagnostic],
    chart_file: &dyn Fn(&Path) -> Option<String>,
) -> Vec<CodeAction> {
    let Some(uri) = path_to_uri(path) else {
        return Vec::new();
    };
    let lines = Lines::new(text);
    let mut out = Vec::new();
    for diagnostic in diagnostics {
        let Some(subject) = subject(diagnostic) else {
            continue;
        };
        let mut add = |title: String, edits: Vec<(Uri, String, Edit)>, preferred: bool| {
            out.push(action(title, subject.diagnostic, edits, preferred));
        };
        let local = |edit: Edit| vec![(uri.clone(), text.to_string(), edit)];
        match subject.rule {
            "pvc-no-keep-policy" | "rollback-deletes-pvc" => {
                if let Some(edit) = annotate(
                    &lines,
                    subject.line,
                    &["metadata"],
                    "helm.sh/resource-policy",
                    "keep",
                    false,
                ) {
                    add(
                        "Keep the claim when the release drops it (helm.sh/resource-policy: keep)"
                            .into(),
                        local(edit),
                        true,
                    );
                }
            }
            "config-change-without-rollout" => {
                for (title, edit) in checksum_actions(path, chart_file) {
                    add(title, vec![edit], true);
                }
            }
            "liveness-kills-before-startup" | "readiness-delay-below-startup" => {
                for (title, edit) in probe_actions(&lines, &subject) {
                    add(title, local(edit), false);
                }
            }
            _ => {}
        }
        if let Some((title, edit)) = suppression(&lines, &subject) {
            add(title, local(edit), false);
        }
    }
    out
}

fn subject(diagnostic: &Diagnostic) -> Option<Subject<'_>> {
    let Some(NumberOrString::String(rule)) = &diagnostic.code else {
        return None;
    };
    let category = diagnostic.data.as_ref()?.get("category")?.as_str()?;
    Some(Subject {
        diagnostic,
        rule,
        category,
        line: diagnostic.range.start.line as usize,
    })
}

fn action(
    title: String,
    diagnostic: &Diagnostic,
    edits: Vec<(Uri, String, Edit)>,
    preferred: bool,
) -> CodeAction {
    // lsp-types keys `WorkspaceEdit::changes` by `Uri`, which hashes and compares its text
    // only: clippy's worry about interior mutability does not apply.
    #[allow(clippy::mutable_key_type)]
    let mut changes: HashMap<Uri, Vec<TextEdit>> = HashMap::new();
    for (uri, text, edit) in edits {
        changes.entry(uri).or_default().push(TextEdit {
            range: range(&text, edit.start, edit.end),
            new_text: edit.text,
        });
    }
    CodeAction {
        title,
        kind: Some(CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![diagnostic.clone()]),
        edit: Some(WorkspaceEdit {
            changes: Some(changes),
            ..WorkspaceEdit::default()
        }),
        is_preferred: Some(preferred),
        ..CodeAction::default()
    }
}

/// Suppression where rollguard reads it: a `-- rollguard-ignore` comment above a SQL statement,
/// a `# rollguard-ignore` comment above a pipeline's helm command, else the resource's
/// `rollguard.dev/ignore` annotation.
fn suppression(lines: &Lines, subject: &Subject) -> Option<(String, Edit)> {
    let rule = subject.rule;
    let comment = match subject.category {
        "migrations" if rule.starts_with("sql-") => Some("--"),
        "pipeline" => Some(if lines.text.contains("pipeline {") {
            "//"
        } else {
            "#"
        }),
        _ => None,
    };
    if let Some(mark) = comment {
        let pad = " ".repeat(lines.indent(subject.line));
        let at = lines.start(subject.line);
        let edit = Edit {
            start: at,
            end: at,
            text: format!("{pad}{mark} rollguard-ignore {rule}\n"),
        };
        return Some((
            format!("Suppress {rule} here ({mark} rollguard-ignore)"),
            edit,
        ));
    }
    let edit = annotate(
        lines,
        subject.line,
        &["metadata"],
        "rollguard.dev/ignore",
        rule,
        true,
    )?;
    Some((
        format!("Suppress {rule} for this resource (rollguard.dev/ignore)"),
        edit,
    ))
}

/// The declared startup time a probe finding's message names (`… a startup time of 60s`).
fn startup_seconds(message: &str) -> Option<u64> {
    let (_, rest) = message.split_once("startup time of ")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// For a probe that starts or gives up before the declared startup time S: a startupProbe that
/// covers S (liveness and readiness wait for it), or the probe's own initialDelaySeconds at S.
fn probe_actions(lines: &Lines, subject: &Subject) -> Vec<(String, Edit)> {
    let line = subject.line;
    let probe = lines.get(line).trim().trim_end_matches(':');
    let Some(startup) = startup_seconds(&subject.diagnostic.message) else {
        return Vec::new();
    };
    if !matches!(probe, "livenessProbe" | "readinessProbe") {
        return Vec::new();
    }
    let mut out = Vec::new();
    if let Some(edit) = startup_probe(lines, line, startup) {
        out.push((
            format!("Add a startupProbe covering the declared {startup}s"),
            edit,
        ));
    }
    let edit = set_child(lines, line, "initialDelaySeconds", &startup.to_string());
    out.push((
        format!("Set {probe}.initialDelaySeconds to {startup}"),
        edit,
    ));
    out
}

/// Timing fields of a probe; the rest (its handler) is what a startupProbe copies.
const TIMING: [&str; 5] = [
    "initialDelaySeconds",
    "periodSeconds",
    "failureThreshold",
    "timeoutSeconds",
    "successThreshold",
];

/// A startupProbe before the probe at `line`, with its handler, checking every 10 s for `startup`
/// seconds. `None` when the container already has one.
fn startup_probe(lines: &Lines, line: usize, startup: u64) -> Option<Edit> {
    let (_, end) = lines.document(line);
    let block_end = lines.block_end(line, end);
    let indent = lines.indent(line);
    let container_start = (0..line)
        .rev()
        .find(|&j| !lines.is_neutral(j) && lines.indent(j) < indent)
        .map_or(0, |j| j + 1);
    let container_end = lines.block_end(container_start.saturating_sub(1), end);
    if (container_start..container_end).any(|j| {
        lines.indent(j) == indent && lines.get(j).trim_start().starts_with("startupProbe:")
    }) {
        return None;
    }
    let child = lines.child_indent(line, end);
    let mut handler = String::new();
    let mut copying = false;
    for j in line + 1..block_end {
        let text = lines.get(j);
        if lines.indent(j) == child && !text.trim().is_empty() {
            let key = text.trim_start().split(':').next().unwrap_or("");
            copying = !TIMING.contains(&key);
        }
        if copying {
            handler.push_str(text);
            handler.push('\n');
        }
    }
    if handler.is_empty() {
        return None;
    }
    let pad = " ".repeat(indent);
    let inner = " ".repeat(child);
    let checks = startup.div_ceil(10).max(1);
    let text = format!(
        "{pad}startupProbe:\n{handler}{inner}periodSeconds: 10\n{inner}failureThreshold: {checks}\n"
    );
    let at = lines.start(line);
    Some(Edit {
        start: at,
        end: at,
        text,
    })
}

/// `checksum/config` on the pods of every workload template of the chart that reads a
/// ConfigMap and has no such annotation yet: a change to the ConfigMap's template (the
/// diagnostic's file) then rolls the pods, and a rollback rolls them back.
fn checksum_actions(
    config: &Path,
    chart_file: &dyn Fn(&Path) -> Option<String>,
) -> Vec<(String, (Uri, String, Edit))> {
    let Some(templates) = config
        .ancestors()
        .find(|d| d.file_name().is_some_and(|n| n == "templates"))
    else {
        return Vec::new();
    };
    let Ok(relative) = config.strip_prefix(templates) else {
        return Vec::new();
    };
    let value = format!(
        "{{{{ include (print $.Template.BasePath \"/{}\") . | sha256sum }}}}",
        relative.display()
    );
    let Ok(entries) = std::fs::read_dir(templates) else {
        return Vec::new();
    };
    let mut files: Vec<_> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    files.sort();
    let mut out = Vec::new();
    for file in files
        .into_iter()
        .filter(|f| f != config && f.extension().is_some_and(|e| e == "yaml" || e == "yml"))
    {
        let Some(text) = chart_file(&file) else {
            continue;
        };
        let is_workload = ["Deployment", "StatefulSet", "DaemonSet"]
            .iter()
            .any(|k| text.contains(&format!("kind: {k}")));
        if !is_workload || !text.contains("configMap") || text.contains("checksum/config") {
            continue;
        }
        let lines = Lines::new(&text);
        let Some(kind) = (0..lines.len()).find(|&j| lines.get(j).starts_with("kind: ")) else {
            continue;
        };
        let Some(edit) = annotate(
            &lines,
            kind,
            &["spec", "template", "metadata"],
            "checksum/config",
            &value,
            false,
        ) else {
            continue;
        };
        let Some(uri) = path_to_uri(&file) else {
            continue;
        };
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let title =
            format!("Roll the pods of {name} when this ConfigMap changes (checksum/config)");
        out.push((title, (uri, text.clone(), edit)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_startup_time_from_the_message() {
        let message = "livenessProbe of container `api` gives up after 40s, but Deployment default/x declares a startup time of 60s: the container is restarted";
        assert_eq!(startup_seconds(message), Some(60));
        assert_eq!(startup_seconds("no time here"), None);
    }

    #[test]
    fn a_startup_probe_copies_the_handler_and_covers_the_startup_time() {
        let text = "\
kind: Deployment
spec:
  template:
    spec:
      containers:
        - name: api
          livenessProbe:
            httpGet:
              path: /healthz
              port: 8080
            initialDelaySeconds: 10
          readinessProbe:
            tcpSocket: {port: 8080}
";
        let lines = Lines::new(text);
        let edit = startup_probe(&lines, 6, 65).unwrap();
        assert_eq!(
            edit.text,
            "          startupProbe:\n            httpGet:\n              path: /healthz\n              port: 8080\n            periodSeconds: 10\n            failureThreshold: 7\n"
        );
        assert_eq!(edit.start, lines.start(6));
    }
}
