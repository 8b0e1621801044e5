//! Finds the SQL a rendered release runs: pods (hook Jobs, plain Jobs, workloads' init
//! containers) that run a SQL client or a migration tool, the SQL in their commands (`psql -c`,
//! `mysql -e`, heredocs, `echo … | psql`), and the ConfigMaps and Secrets mounted into them.

use std::collections::HashMap;
use std::sync::Arc;

use super::migration::{DbJob, Direction, Migrations, Origin, Script};
use super::position::Placement;
use super::tools::{self, base};
use super::{Dialect, Parse, analyse};
use crate::manifest::Object;
use crate::manifest::pod::pod_template;
use crate::manifest::refs::RefKind;
use crate::shell;
use source::line_starts;
use source::yaml::Node;

const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh"];
/// Reserved words that start compound commands (`for f in …; do psql -f "$f"; done`): the
/// command proper is what follows them.
const RESERVED: &[&str] = &["do", "then", "else", "elif", "!", "{", "time"];
const BACKUPS: &[&str] = &[
    "pg_dump",
    "pg_dumpall",
    "mysqldump",
    "mariadb-dump",
    "mongodump",
];

/// A word of a command, with where its text is in the file.
#[derive(Clone)]
struct Arg {
    text: String,
    place: Placement,
}

pub fn extract(objects: &[Object], default: Option<Dialect>) -> Migrations {
    let mut out = Migrations::default();
    let mut carried: HashMap<(usize, String), usize> = HashMap::new();
    let mut lines: HashMap<*const source::SourceFile, Arc<Vec<usize>>> = HashMap::new();
    for (index, object) in objects.iter().enumerate() {
        let Some(direction) = direction(object) else {
            continue;
        };
        let Some(pod) = pod_template(object).filter(|_| object.id.kind != "CronJob") else {
            continue;
        };
        let file_lines = lines
            .entry(Arc::as_ptr(&object.file))
            .or_insert_with(|| Arc::new(line_starts(&object.file.text).collect()))
            .clone();
        let mut job = DbJob {
            object: index,
            span: object.span(),
            tool: None,
            client: false,
            backup: false,
        };
        let mut sql: Vec<(String, Arg, Option<Dialect>)> = Vec::new();
        let mut hints: Vec<String> = Vec::new();
        for container in pod.all_containers() {
            let image = container.node.str_at(&["image"]).unwrap_or("");
            hints.push(image.to_string());
            let words: Vec<(&str, &Node)> = ["command", "args"]
                .iter()
                .flat_map(|k| container.node.items(k))
                .filter_map(|n| Some((n.as_str()?, n)))
                .collect();
            let place = |n: &Node| Placement::scalar(object.file.clone(), n, file_lines.clone());
            // Point at the first command that could be the database work.
            if let Some((_, first)) = words.first().filter(|_| job.span == object.span()) {
                job.span = first.span;
            }
            job.tool = job.tool.or_else(|| tools::image_tool(image_name(image)));
            for pipeline in commands(&words, &place) {
                for (k, cmd) in pipeline.iter().enumerate() {
                    scan(
                        &mut job,
                        &mut sql,
                        cmd,
                        k.checked_sub(1).map(|p| &pipeline[p]),
                        container.name(),
                    );
                }
            }
        }
        if !(job.client || job.tool.is_some() || job.backup) {
            continue;
        }
        let dialect = sql
            .iter()
            .find_map(|(_, _, d)| *d)
            .or_else(|| hints.iter().find_map(|h| Dialect::from_hint(h)))
            .or(default);
        let job_index = out.jobs.len();
        for (name, arg, client_dialect) in sql {
            let origin = Origin {
                name: format!("{} {name}", object.id),
                placement: arg.place,
                template: object.template.clone(),
                resource: Some(object.id.clone()),
                direction,
                has_down: None,
            };
            let d = client_dialect.or(dialect).unwrap_or(Dialect::Generic);
            let mut script = Script::new(origin, &arg.text, d);
            script.jobs.push(job_index);
            out.scripts.push(script);
        }
        if job.client || job.tool.is_some() {
            for r in pod
                .config_refs()
                .iter()
                .filter(|r| r.via.contains("volume"))
            {
                let Some((ci, carrier)) = objects.iter().enumerate().find(|(_, o)| {
                    o.id.kind == r.kind.as_str()
                        && o.id.name == r.name
                        && o.id.namespace == object.id.namespace
                }) else {
                    continue;
                };
                for (key, text, node, decoded) in carried_sql(carrier, r.kind) {
                    let slot = *carried.entry((ci, key.clone())).or_insert_with(|| {
                        let mut placement =
                            Placement::scalar(carrier.file.clone(), node, file_lines.clone());
                        if decoded {
                            placement = placement.inner(0, false);
                        }
                        let origin = Origin {
                            name: format!("{} key {key}", carrier.id),
                            placement,
                            template: carrier.template.clone(),
                            resource: Some(carrier.id.clone()),
                            direction,
                            has_down: None,
                        };
                        let d = dialect
                            .or_else(|| Dialect::from_syntax(&text))
                            .unwrap_or(Dialect::Generic);
                        out.scripts.push(Script::new(origin, &text, d));
                        out.scripts.len() - 1
                    });
                    if !out.scripts[slot].jobs.contains(&job_index) {
                        out.scripts[slot].jobs.push(job_index);
                    }
                }
            }
        }
        out.jobs.push(job);
    }
    out
}

/// Forward for install/upgrade hooks and plain objects; rollback-only hooks are the way back;
/// test and delete hooks do not run on an upgrade at all.
fn direction(object: &Object) -> Option<Direction> {
    let Some(hook) = &object.hook else {
        return Some(Direction::Up);
    };
    let has = |p: &str| hook.events.iter().any(|e| e.starts_with(p));
    if has("pre-install") || has("post-install") || has("pre-upgrade") || has("post-upgrade") {
        Some(Direction::Up)
    } else if has("pre-rollback") || has("post-rollback") {
        Some(Direction::Down)
    } else {
        None
    }
}

/// The container's command as shell pipelines: a `sh -c` script is parsed, anything else is
/// one command.
fn commands(
    words: &[(&str, &Node)],
    place: &dyn Fn(&Node) -> Placement,
) -> Vec<Vec<(Vec<Arg>, Option<Arg>)>> {
    let shell = words
        .first()
        .is_some_and(|(w, _)| SHELLS.contains(&base(w)));
    let script_at = words
        .iter()
        .position(|(w, _)| w.starts_with('-') && !w.starts_with("--") && w.contains('c'))
        .filter(|_| shell)
        .map(|i| i + 1);
    if let Some((script, node)) = script_at.and_then(|i| words.get(i)) {
        let outer = place(node);
        let arg = |text: &str, at: usize, verbatim: bool| Arg {
            text: text.to_string(),
            place: outer.inner(at, verbatim),
        };
        return shell::pipelines(script, shell::Dialect::Shell)
            .into_iter()
            .map(|pipeline| {
                pipeline
                    .into_iter()
                    .map(|c| {
                        let words = proper(&c)
                            .iter()
                            .map(|w| arg(&w.written, w.at, w.verbatim))
                            .collect();
                        // A body is the script's text as is: SQL is not expanded by the shell
                        // when its delimiter is quoted, and is read as written otherwise.
                        let heredoc = c.heredoc.and_then(|body| {
                            Some(arg(script.get(body.clone())?, body.start, true))
                        });
                        (words, heredoc)
                    })
                    .collect()
            })
            .collect();
    }
    let args = words
        .iter()
        .map(|(w, n)| Arg {
            text: w.to_string(),
            place: place(n),
        })
        .collect();
    vec![vec![(args, None)]]
}

/// The words of a command after the reserved words that lead it.
fn proper(command: &shell::Command) -> &[shell::Word] {
    let skip = command
        .words
        .iter()
        .take_while(|w| RESERVED.contains(&w.written.as_str()))
        .count();
    &command.words[skip..]
}

/// What one command does: a SQL client and the SQL it is given, a migration tool, a backup.
fn scan(
    job: &mut DbJob,
    sql: &mut Vec<(String, Arg, Option<Dialect>)>,
    (args, heredoc): &(Vec<Arg>, Option<Arg>),
    previous: Option<&(Vec<Arg>, Option<Arg>)>,
    container: &str,
) {
    let skip = args
        .iter()
        .position(|a| {
            !(matches!(a.text.as_str(), "exec" | "env" | "time" | "nice") || a.text.contains('='))
        })
        .unwrap_or(args.len());
    let args = &args[skip..];
    let Some(program) = args.first().map(|a| base(&a.text)) else {
        return;
    };
    let texts: Vec<&str> = args.iter().map(|a| a.text.as_str()).collect();
    if BACKUPS.contains(&program) || (program == "velero" && texts.get(1) == Some(&"backup")) {
        job.backup = true;
        return;
    }
    let client = match program {
        "psql" => Some((Dialect::Postgres, &["-c", "--command"][..])),
        "mysql" | "mariadb" => Some((Dialect::Mysql, &["-e", "--execute"][..])),
        "sqlcmd" => Some((Dialect::Generic, &["-Q", "-q"][..])),
        "sqlplus" | "sqlite3" | "clickhouse-client" => Some((Dialect::Generic, &[][..])),
        "cockroach" if texts.get(1) == Some(&"sql") => {
            Some((Dialect::Postgres, &["-e", "--execute"][..]))
        }
        _ => None,
    };
    if let Some((dialect, flags)) = client {
        job.client = true;
        let mut push = |label: String, arg: &Arg| {
            sql.push((
                format!("container {container}: {label}"),
                arg.clone(),
                Some(dialect),
            ))
        };
        for (i, a) in args.iter().enumerate() {
            for flag in flags {
                if a.text == *flag {
                    if let Some(next) = args.get(i + 1) {
                        push(format!("{program} {flag}"), next);
                    }
                } else if let Some(value) = a.text.strip_prefix(&format!("{flag}=")) {
                    let offset = a.text.len() - value.len();
                    let arg = Arg {
                        text: value.to_string(),
                        place: a.place.inner(offset, true),
                    };
                    push(format!("{program} {flag}"), &arg);
                }
            }
        }
        if let Some(body) = heredoc {
            push(format!("{program} heredoc"), body);
        }
        if let Some((prev, prev_heredoc)) = previous {
            match prev.first().map(|a| base(&a.text)) {
                Some("echo" | "printf") => {
                    if let Some(a) = prev.iter().skip(1).find(|a| !a.text.starts_with('-')) {
                        push(format!("piped into {program}"), a);
                    }
                }
                Some("cat") => {
                    if let Some(body) = prev_heredoc {
                        push(format!("piped into {program}"), body);
                    }
                }
                _ => {}
            }
        }
        return;
    }
    if job.tool.is_none() {
        job.tool = tools::command_tool(&texts);
    }
}

fn image_name(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    match no_digest.rsplit_once(':') {
        Some((name, tag)) if !tag.contains('/') => name,
        _ => no_digest,
    }
}

/// The SQL keys of a ConfigMap or Secret: `(key, text, value node, decoded from base64)`.
fn carried_sql(carrier: &Object, kind: RefKind) -> Vec<(String, String, &Node, bool)> {
    let mut out = Vec::new();
    let sections: &[(&str, bool)] = match kind {
        RefKind::ConfigMap => &[("data", false)],
        RefKind::Secret => &[("stringData", false), ("data", true)],
    };
    for (section, base64) in sections {
        for (k, v) in carrier.root.entries(section) {
            let (Some(key), Some(raw)) = (k.as_str(), v.as_str()) else {
                continue;
            };
            let text = if *base64 {
                match decode_base64(raw) {
                    Some(t) => t,
                    None => continue,
                }
            } else {
                raw.to_string()
            };
            if key.ends_with(".sql") || looks_like_sql(&text) {
                out.push((key.to_string(), text, v, *base64));
            }
        }
    }
    out
}

/// Content that is SQL even though its key does not say so: sqlparser reads its first
/// statement, and nothing in it is left unread.
fn looks_like_sql(text: &str) -> bool {
    let analysis = analyse(text, Dialect::Generic);
    let mut parses = analysis
        .statements
        .iter()
        .map(|s| s.parse)
        .filter(|p| *p != Parse::Meta);
    parses.next() == Some(Parse::Sqlparser) && parses.all(|p| p != Parse::Unparsed)
}

fn decode_base64(text: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text
        .bytes()
        .filter(|c| !c.is_ascii_whitespace() && *c != b'=')
    {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            bytes.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    String::from_utf8(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_inside_loops_and_conditions_are_found() {
        let script = "for f in /m/*.sql; do psql -f \"$f\"; done\nif true; then mysql -e 'x'; fi";
        let firsts: Vec<String> = shell::pipelines(script, shell::Dialect::Shell)
            .iter()
            .flatten()
            .filter_map(|c| proper(c).first())
            .map(|w| w.written.clone())
            .collect();
        assert!(
            firsts.contains(&"psql".to_string()) && firsts.contains(&"mysql".to_string()),
            "{firsts:?}"
        );
    }

    #[test]
    fn images_and_base64() {
        assert_eq!(
            decode_base64("RFJPUCBUQUJMRSB0Ow==").as_deref(),
            Some("DROP TABLE t;")
        );
        assert_eq!(
            image_name("registry:5000/flyway/flyway:10"),
            "registry:5000/flyway/flyway"
        );
        assert!(looks_like_sql("CREATE TABLE a (id int);\nDROP TABLE b;"));
        assert!(!looks_like_sql("log_level: debug\nport: 8080\n"));
    }
}
