//! Jenkinsfiles: the shell of `sh` steps (`sh '…'`, `sh """…"""`, `sh(script: '''…''')`,
//! `sh label: …, script: …`), with the variables of `environment { NAME = 'value' }` blocks and
//! `withEnv(['NAME=value'])`. Groovy is not parsed: the steps are found by their shape, and all
//! variables found in the file apply to every step.

use std::sync::Arc;

use regex::Regex;

use super::Invocation;
use super::embed::{OffsetMap, Script, floor_char_boundary};
use super::helm_args::invocations;
use crate::shell::{Dialect, Env};
use source::SourceFile;

pub fn load(file: &Arc<SourceFile>) -> Vec<Invocation> {
    let text = file.text.as_str();
    let env = variables(text);
    let stages = stages(text);
    let on_failure = failure_blocks(text);
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = find_sh(text, from) {
        from = at + 2;
        let Some(literal) = script_literal(text, at + 2) else {
            continue;
        };
        from = literal.end;
        let (body, map) = unescape(text, literal.start, literal.body_end);
        let script = Script {
            file,
            text: body,
            map,
            dialect: Dialect::Shell,
            env: env.clone(),
            place: stages
                .iter()
                .rfind(|(start, _)| *start < at)
                .map(|(_, name)| format!("stage `{name}`"))
                .unwrap_or_default(),
        };
        let failing = on_failure.iter().any(|block| block.contains(&at));
        out.extend(invocations(&script).into_iter().map(|inv| Invocation {
            on_failure: failing,
            ..inv
        }));
    }
    out
}

/// The bodies of `post { failure { … } }` / `unsuccessful { … }` conditions and of `catch (…)
/// { … }` blocks: what runs only when the build failed. Braces are counted without reading
/// Groovy strings; `${…}` in them is balanced.
fn failure_blocks(text: &str) -> Vec<std::ops::Range<usize>> {
    let Ok(opening) = Regex::new(r"\b(?:failure|unsuccessful|catch\s*\([^)]*\))\s*\{") else {
        return Vec::new();
    };
    opening
        .find_iter(text)
        .map(|m| {
            let mut depth = 0usize;
            let end = text[m.end()..]
                .bytes()
                .position(|b| {
                    match b {
                        b'{' => depth += 1,
                        b'}' if depth == 0 => return true,
                        b'}' => depth -= 1,
                        _ => {}
                    }
                    false
                })
                .map_or(text.len(), |i| m.end() + i);
            m.end()..end
        })
        .collect()
}

/// Where the next `sh` step word starts.
fn find_sh(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    while let Some(rel) = text.get(i..)?.find("sh") {
        let at = i + rel;
        let before_ok = at == 0 || !is_ident(bytes[at - 1]);
        let after = bytes.get(at + 2).copied();
        let after_ok = matches!(after, Some(b' ' | b'\t' | b'('));
        if before_ok && after_ok {
            return Some(at);
        }
        i = at + 2;
    }
    None
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'.'
}

struct Literal {
    /// First byte of the string's content.
    start: usize,
    /// Byte after the content.
    body_end: usize,
    /// Byte after the closing quote.
    end: usize,
}

/// The script string of an `sh` step starting at `i`: the first string literal, or the one
/// after `script:` when the step uses named arguments.
fn script_literal(text: &str, i: usize) -> Option<Literal> {
    let rest = &text[i..];
    let trimmed = rest.trim_start_matches([' ', '\t', '\r', '\n', '(']);
    let mut at = i + (rest.len() - trimmed.len());
    if starts_with_named_argument(trimmed) {
        // Named arguments: `script:` is among them, within a step's length (bounded, so a
        // file of many steps stays linear).
        let window = floor_char_boundary(text, (at + NAMED_ARGUMENTS_WINDOW).min(text.len()));
        let key = text[at..window].find("script:").map(|k| at + k)?;
        at = key + "script:".len();
        at += text[at..].len() - text[at..].trim_start().len();
    }
    string_at(text, at)
}

const NAMED_ARGUMENTS_WINDOW: usize = 2000;

/// `label: …`, `script: …`: Groovy named arguments.
fn starts_with_named_argument(text: &str) -> bool {
    let name_len = text
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(text.len());
    name_len > 0
        && text[name_len..]
            .trim_start_matches([' ', '\t'])
            .starts_with(':')
}

fn string_at(text: &str, at: usize) -> Option<Literal> {
    let rest = &text[at..];
    let quote = ["'''", "\"\"\"", "'", "\""]
        .into_iter()
        .find(|q| rest.starts_with(q))?;
    let start = at + quote.len();
    let bytes = text.as_bytes();
    let mut i = start;
    while i < text.len() {
        if bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        // Bytes, not `&str`: after an escape `i` may sit inside a multi-byte character.
        if bytes[i..].starts_with(quote.as_bytes()) {
            return Some(Literal {
                start,
                body_end: i,
                end: i + quote.len(),
            });
        }
        if quote.len() == 1 && bytes[i] == b'\n' {
            return None;
        }
        i += 1;
    }
    None
}

/// Groovy string escapes: `\\` is one backslash, `\'` `\"` `\$` the character, and a
/// backslash before a newline joins the lines. The map keeps positions pointing at the file.
fn unescape(text: &str, start: usize, end: usize) -> (String, OffsetMap) {
    let mut out = String::new();
    let mut pieces = vec![(0, start)];
    let bytes = text.as_bytes();
    let mut i = start;
    while i < end {
        if bytes[i] == b'\\' && i + 1 < end {
            let Some(c) = text[i + 1..].chars().next() else {
                break;
            };
            match c {
                '\n' => {}
                '\\' | '\'' | '"' | '$' => out.push(c),
                _ => {
                    out.push('\\');
                    out.push(c);
                }
            }
            i += 1 + c.len_utf8();
            pieces.push((out.len(), i));
            continue;
        }
        let next = text[i..end].find('\\').map_or(end, |n| i + n.max(1));
        out.push_str(&text[i..next]);
        i = next;
    }
    (out, OffsetMap::from_pieces(pieces))
}

/// Where each `stage('Name')` starts: a step belongs to the last one before it.
fn stages(text: &str) -> Vec<(usize, String)> {
    let Ok(stage) = Regex::new(r#"\bstage\s*\(\s*['"]([^'"\n]+)['"]"#) else {
        return Vec::new();
    };
    stage
        .captures_iter(text)
        .filter_map(|c| Some((c.get(0)?.start(), c[1].to_string())))
        .collect()
}

/// `NAME = 'value'` lines (inside `environment {}`) and `withEnv(['NAME=value'])` entries.
fn variables(text: &str) -> Env {
    let mut env = Env::new();
    let assignment =
        Regex::new(r#"(?m)^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(['"])([^'"\n]*)['"]\s*$"#);
    let with_env = Regex::new(r#"['"]([A-Za-z_][A-Za-z0-9_]*)=([^'"\n]*)['"]"#);
    let (Ok(assignment), Ok(with_env)) = (assignment, with_env) else {
        return env;
    };
    for c in assignment.captures_iter(text) {
        env.insert(c[1].to_string(), Some(c[3].to_string()));
    }
    for block in text.match_indices("withEnv(") {
        let tail = &text[block.0..];
        let close = tail.find(')').unwrap_or(tail.len());
        for c in with_env.captures_iter(&tail[..close]) {
            env.insert(c[1].to_string(), Some(c[2].to_string()));
        }
    }
    env
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sh_steps_in_every_spelling() {
        let text = "pipeline {\n  environment {\n    HELM_MAX_HISTORY = '5'\n    RELEASE = 'app'\n  }\n  stages {\n    stage('d') { steps {\n      sh '''\n        helm upgrade app ./charts/app \\\\\n          --atomic\n      '''\n      sh(script: \"helm upgrade --install b ./b --wait\", label: 'x')\n      sh label: 'y', script: 'helm rollback ${env.RELEASE}'\n      sh 'helm diff upgrade app ./charts/app'\n    } }\n  }\n}\n";
        let invs = load(&SourceFile::new("Jenkinsfile", text));
        assert_eq!(invs.len(), 3);
        assert_eq!(invs[0].atomic.value(), Some(true));
        assert_eq!(invs[0].history_max.value(), Some(5));
        assert_eq!((invs[0].span.line, invs[0].span.col), (9, 9));
        assert_eq!(invs[1].span.line, 12);
        assert_eq!(invs[2].release.as_deref(), Some("app"));
    }

    #[test]
    fn steps_that_run_when_the_build_failed() {
        let text = "pipeline {\n  stages { stage('d') { steps { sh 'helm upgrade app ./app --wait' } } }\n  post {\n    failure {\n      sh \"helm rollback ${APP}\"\n    }\n    always { sh 'helm history app' }\n    success { sh 'helm rollback app' }\n  }\n}\nnode { try { sh 'helm upgrade b ./b' } catch (err) { sh 'helm rollback b'; throw err } }\n";
        let invs = load(&SourceFile::new("Jenkinsfile", text));
        let failing: Vec<bool> = invs.iter().map(|i| i.on_failure).collect();
        assert_eq!(failing, [false, true, false, false, true]);
    }
}
