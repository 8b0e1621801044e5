//! Task runners: Makefile recipes, justfile recipes and Taskfile `cmds`. Their own variables
//! (`NAME := value`, `vars:`) become the scripts' environment; their placeholders (`$(NAME)`,
//! `{{name}}`, `{{.NAME}}`) are variables of the shell tokenizer's dialect.

use std::sync::Arc;

use regex::Regex;

use super::Invocation;
use super::ci_yaml::{Place, Shape, walk};
use super::embed::{OffsetMap, Script, add_env, parse_yaml};
use super::helm_args::invocations;
use crate::shell::{Dialect, Env};
use source::SourceFile;

/// Makefiles: recipe lines start with a tab and follow a `target:` line.
pub fn makefile(file: &Arc<SourceFile>) -> Vec<Invocation> {
    let assignment = Regex::new(
        r"^(?:export\s+|override\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*(?::{1,3}=|\?=|=)\s*(.*)$",
    );
    let target = Regex::new(r"^([^\s:=#][^:=#]*?)\s*::?(?:[^=]|$)");
    let (Ok(assignment), Ok(target)) = (assignment, target) else {
        return Vec::new();
    };
    recipes(file, Dialect::Make, |line| {
        if line.starts_with('\t') {
            return Line::Recipe;
        }
        if let Some(c) = assignment.captures(line) {
            return Line::Variable(c[1].to_string(), c[2].trim().to_string());
        }
        match target.captures(line) {
            Some(c) => Line::Header(c[1].trim().to_string()),
            None => Line::Other,
        }
    })
}

/// justfiles: a recipe is a `name args:` line and the indented lines under it.
pub fn justfile(file: &Arc<SourceFile>) -> Vec<Invocation> {
    let assignment =
        Regex::new(r#"^(?:export\s+)?([A-Za-z_][A-Za-z0-9_-]*)\s*:=\s*["']?([^"']*)["']?\s*$"#);
    let header = Regex::new(r"^@?([A-Za-z_][A-Za-z0-9_-]*)[^:]*:(?:[^=]|$)");
    let (Ok(assignment), Ok(header)) = (assignment, header) else {
        return Vec::new();
    };
    recipes(file, Dialect::Braces, |line| {
        if line.starts_with([' ', '\t']) {
            return Line::Recipe;
        }
        if let Some(c) = assignment.captures(line) {
            return Line::Variable(c[1].to_string(), c[2].trim().to_string());
        }
        match header.captures(line) {
            Some(c) => Line::Header(c[1].to_string()),
            None => Line::Other,
        }
    })
}

enum Line {
    Header(String),
    Recipe,
    Variable(String, String),
    Other,
}

/// Shared by Makefile and justfile: groups recipe lines under their header. Recipe prefixes
/// (`@`, `-`, `+`) are blanked out in place, so offsets stay those of the file.
fn recipes(
    file: &Arc<SourceFile>,
    dialect: Dialect,
    classify: impl Fn(&str) -> Line,
) -> Vec<Invocation> {
    let text = file.text.as_str();
    let mut env = Env::new();
    let mut blocks: Vec<(String, usize, usize)> = Vec::new();
    let mut current: Option<(String, usize, usize)> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let continued = current
            .as_ref()
            .is_some_and(|(_, _, end)| *end == offset && text[..offset].trim_end().ends_with('\\'));
        match classify(content) {
            Line::Recipe => {
                if let Some(block) = current.as_mut() {
                    block.2 = offset + line.len();
                }
            }
            _ if continued => {
                if let Some(block) = current.as_mut() {
                    block.2 = offset + line.len();
                }
            }
            Line::Header(name) => {
                blocks.extend(current.take());
                current = Some((name, offset + line.len(), offset + line.len()));
            }
            Line::Variable(name, value) => {
                env.insert(name, Some(value));
            }
            Line::Other => {
                if !content.trim().is_empty() && !content.trim_start().starts_with('#') {
                    blocks.extend(current.take());
                }
            }
        }
        offset += line.len();
    }
    blocks.extend(current);
    let mut out = Vec::new();
    for (name, start, end) in blocks {
        let mut body = String::new();
        let mut continued = false;
        for line in text[start..end].split_inclusive('\n') {
            // A continued line is the same shell line: its leading `-` is an option.
            body.push_str(&if continued {
                line.to_string()
            } else {
                blank_prefix(line)
            });
            continued = line.trim_end().ends_with('\\');
        }
        let throwaway = super::throwaway::cluster_command(&body, dialect)
            .map(|command| format!("recipe `{name}` runs {command}"));
        let script = Script {
            file,
            text: body,
            map: OffsetMap::identity(start),
            dialect,
            env: env.clone(),
            place: format!("recipe `{name}`"),
        };
        out.extend(invocations(&script).into_iter().map(|inv| Invocation {
            throwaway_cluster: throwaway.clone(),
            ..inv
        }));
    }
    out
}

/// `\t@-helm …` → `\t  helm …`: the prefixes tell make how to run the line, not the shell.
fn blank_prefix(line: &str) -> String {
    let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
    let rest = &line[indent..];
    let prefix = rest.len() - rest.trim_start_matches(['@', '-', '+']).len();
    format!(
        "{}{}{}",
        &line[..indent],
        " ".repeat(prefix),
        &rest[prefix..]
    )
}

const TASKFILE: Shape = Shape {
    scripts: &["cmds", "cmd"],
    env: &["vars", "env"],
    groups: &["tasks"],
    job_names: &[],
    unit: "task",
    skip: &[],
    task: None,
    template: None,
    workdir: &[],
    dialect: Dialect::Braces,
};

/// Taskfile.yml: `tasks: NAME: cmds: [ "…" | {cmd: "…"} ]` with `vars:` and `env:`.
pub fn taskfile(file: &Arc<SourceFile>) -> Result<Vec<Invocation>, String> {
    let docs = parse_yaml(file)?;
    let mut out = Vec::new();
    for doc in &docs {
        let mut env = Env::new();
        add_env(&mut env, doc.get("vars"), Dialect::Braces);
        add_env(&mut env, doc.get("env"), Dialect::Braces);
        walk(file, doc, &TASKFILE, &env, &Place::default(), &mut out);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn make_recipes_with_variables_and_continuations() {
        let text = "CHART := ./charts/app\nHISTORY = 7\n\n.PHONY: deploy\ndeploy: build\n\t@echo deploying\n\t-helm upgrade --install app $(CHART) \\\n\t  --history-max $(HISTORY) --atomic\n\nbuild:\n\tdocker build .\n";
        let invs = makefile(&SourceFile::new("Makefile", text));
        assert_eq!(invs.len(), 1);
        assert_eq!(invs[0].place, "recipe `deploy`");
        assert_eq!(invs[0].history_max.value(), Some(7));
        assert_eq!((invs[0].span.line, invs[0].span.col), (7, 3));
    }

    #[test]
    fn just_recipes() {
        let text = "chart := \"charts/app\"\n\ndeploy env:\n    helm upgrade app {{chart}} --wait --timeout 10m\n";
        let invs = justfile(&SourceFile::new("justfile", text));
        assert_eq!(invs.len(), 1);
        assert_eq!(invs[0].timeout.value(), Some(600));
        assert_eq!(
            invs[0].chart,
            super::super::ChartArg::Known("charts/app".into())
        );
    }
}
