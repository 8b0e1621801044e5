//! Just enough POSIX shell to find SQL in a container's script: words with quotes, pipelines,
//! command separators and heredocs. Nothing is expanded or run.

/// A word with its text unquoted and where its content sits in the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub text: String,
    /// Offset in the script of the word's first content character.
    pub at: usize,
    /// The content is the script's text from `at` unchanged (unquoted without escapes, or
    /// single-quoted, or a heredoc body), so offsets map one to one.
    pub verbatim: bool,
}

/// A simple command of a pipeline, and the heredoc fed to it, if any.
#[derive(Debug, Clone, Default)]
pub struct Command {
    pub words: Vec<Word>,
    pub heredoc: Option<Word>,
}

/// Pipelines of the script (commands joined by `|`), in order.
pub fn pipelines(script: &str) -> Vec<Vec<Command>> {
    let bytes = script.as_bytes();
    let mut out: Vec<Vec<Command>> = Vec::new();
    let mut pipeline: Vec<Command> = Vec::new();
    let mut command = Command::default();
    // Heredocs whose bodies start after the current line: (delimiter, strip tabs, target).
    let mut pending: Vec<(String, bool, (usize, usize))> = Vec::new();
    let mut i = 0;
    let end_command = |pipeline: &mut Vec<Command>, command: &mut Command| {
        if !command.words.is_empty() || command.heredoc.is_some() {
            pipeline.push(std::mem::take(command));
        }
    };
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'\n' => {
                i += 1;
                for (delim, strip, (p, k)) in pending.drain(..) {
                    let (body, next) = heredoc_body(script, i, &delim, strip);
                    let target = if p == out.len() {
                        pipeline.get_mut(k).unwrap_or(&mut command)
                    } else {
                        match out.get_mut(p).and_then(|pl| pl.get_mut(k)) {
                            Some(cmd) => cmd,
                            None => continue,
                        }
                    };
                    target.heredoc = Some(body);
                    i = next;
                }
                end_command(&mut pipeline, &mut command);
                if !pipeline.is_empty() {
                    out.push(std::mem::take(&mut pipeline));
                }
            }
            b' ' | b'\t' | b'\r' => i += 1,
            b'\\' if bytes.get(i + 1) == Some(&b'\n') => i += 2,
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b';' | b'&' | b'(' | b')' => {
                // Each ends the pipeline (`&&` twice, harmlessly).
                i += 1;
                end_command(&mut pipeline, &mut command);
                if !pipeline.is_empty() {
                    out.push(std::mem::take(&mut pipeline));
                }
            }
            b'|' => {
                i += 1;
                if bytes.get(i) == Some(&b'|') {
                    i += 1;
                    end_command(&mut pipeline, &mut command);
                    if !pipeline.is_empty() {
                        out.push(std::mem::take(&mut pipeline));
                    }
                } else {
                    end_command(&mut pipeline, &mut command);
                }
            }
            b'<' if bytes.get(i + 1) == Some(&b'<') && bytes.get(i + 2) != Some(&b'<') => {
                i += 2;
                let strip = bytes.get(i) == Some(&b'-');
                if strip {
                    i += 1;
                }
                while bytes.get(i) == Some(&b' ') {
                    i += 1;
                }
                let (word, next) = word(script, i);
                i = next;
                let index = pipeline.len();
                pending.push((word.text, strip, (out.len(), index)));
                // The command the heredoc feeds is the one being read.
                if command.words.is_empty() {
                    command.words.push(Word {
                        text: String::new(),
                        at: i,
                        verbatim: false,
                    });
                }
            }
            _ => {
                let (w, next) = word(script, i);
                i = next.max(i + 1);
                command.words.push(w);
            }
        }
    }
    for (delim, strip, (_, k)) in pending.drain(..) {
        let (body, _) = heredoc_body(script, bytes.len(), &delim, strip);
        if let Some(cmd) = pipeline.get_mut(k) {
            cmd.heredoc = Some(body);
        } else {
            command.heredoc = Some(body);
        }
    }
    end_command(&mut pipeline, &mut command);
    if !pipeline.is_empty() {
        out.push(pipeline);
    }
    for pl in &mut out {
        for cmd in pl.iter_mut() {
            cmd.words.retain(|w| !w.text.is_empty() || w.verbatim);
        }
    }
    // Reserved words start compound commands (`for f in …; do psql -f "$f"; done`): the
    // command proper is what follows them.
    for command in out.iter_mut().flatten() {
        while command.words.first().is_some_and(|w| {
            matches!(
                w.text.as_str(),
                "do" | "then" | "else" | "elif" | "!" | "{" | "time"
            )
        }) {
            command.words.remove(0);
        }
    }
    out
}

/// One shell word from `i`: quotes removed, backslash escapes applied.
fn word(script: &str, mut i: usize) -> (Word, usize) {
    let bytes = script.as_bytes();
    let mut text = String::new();
    let mut at = None;
    let mut verbatim = true;
    let mut pieces = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b' ' | b'\t' | b'\n' | b'\r' | b';' | b'|' | b'&' | b'<' | b'>' | b'(' | b')' => break,
            b'\'' => {
                let end = script[i + 1..]
                    .find('\'')
                    .map_or(script.len(), |k| i + 1 + k);
                at.get_or_insert(i + 1);
                text.push_str(&script[i + 1..end]);
                pieces += 1;
                i = (end + 1).min(script.len());
            }
            b'"' => {
                at.get_or_insert(i + 1);
                pieces += 1;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\'
                        && matches!(bytes.get(i + 1), Some(b'"' | b'\\' | b'$' | b'`' | b'\n'))
                    {
                        verbatim = false;
                        i += 1;
                    }
                    let ch = script[i..].chars().next().unwrap_or(' ');
                    text.push(ch);
                    i += ch.len_utf8();
                }
                i = (i + 1).min(script.len());
            }
            b'\\' => {
                verbatim = false;
                i += 1;
                if let Some(ch) = script[i..].chars().next() {
                    text.push(ch);
                    i += ch.len_utf8();
                }
            }
            _ => {
                at.get_or_insert(i);
                let ch = script[i..].chars().next().unwrap_or(' ');
                text.push(ch);
                i += ch.len_utf8();
                pieces += usize::from(pieces == 0);
            }
        }
    }
    let start = at.unwrap_or(i);
    (
        Word {
            text,
            at: start,
            verbatim: verbatim && pieces <= 1,
        },
        i,
    )
}

/// The body of a heredoc starting at `from`, and where the script goes on after it.
fn heredoc_body(script: &str, from: usize, delim: &str, strip_tabs: bool) -> (Word, usize) {
    let mut pos = from;
    while pos < script.len() {
        let end = script[pos..].find('\n').map_or(script.len(), |k| pos + k);
        let line = &script[pos..end];
        let line = if strip_tabs {
            line.trim_start_matches('\t')
        } else {
            line
        };
        if line.trim_end() == delim {
            let body = Word {
                text: script[from..pos].to_string(),
                at: from,
                verbatim: true,
            };
            return (body, (end + 1).min(script.len()));
        }
        pos = end + 1;
    }
    let body = Word {
        text: script.get(from..).unwrap_or("").to_string(),
        at: from,
        verbatim: true,
    };
    (body, script.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(script: &str) -> Vec<Vec<Vec<String>>> {
        pipelines(script)
            .into_iter()
            .map(|pl| {
                pl.into_iter()
                    .map(|c| c.words.into_iter().map(|w| w.text).collect())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn words_pipelines_and_heredocs() {
        assert_eq!(
            texts("set -e; psql -c 'DROP TABLE a' && echo \"x y\" | psql\n"),
            vec![
                vec![vec!["set", "-e"]],
                vec![vec!["psql", "-c", "DROP TABLE a"]],
                vec![vec!["echo", "x y"], vec!["psql"]]
            ]
        );
        let script = "psql \"$URL\" <<'SQL'\nDELETE FROM t;\nSQL\necho done\n";
        let pls = pipelines(script);
        let body = pls[0][0].heredoc.clone().expect("heredoc");
        assert_eq!(body.text, "DELETE FROM t;\n");
        assert_eq!(&script[body.at..body.at + 6], "DELETE");
        assert_eq!(pls[1][0].words[0].text, "echo");
    }

    #[test]
    fn odd_scripts_do_not_panic() {
        for s in [
            "'",
            "\"",
            "<<",
            "<<EOF",
            "a\\",
            "é'é",
            "x <<- E\n\tE\n",
            "|||;;&&",
        ] {
            let _ = pipelines(s);
        }
    }
}

#[cfg(test)]
mod reserved_words {
    #[test]
    fn commands_inside_loops_and_conditions_are_found() {
        let p = super::pipelines(
            "for f in /m/*.sql; do psql -f \"$f\"; done\nif true; then mysql -e 'x'; fi",
        );
        let firsts: Vec<&str> = p
            .iter()
            .flatten()
            .filter_map(|c| c.words.first())
            .map(|w| w.text.as_str())
            .collect();
        assert!(
            firsts.contains(&"psql") && firsts.contains(&"mysql"),
            "{firsts:?}"
        );
    }
}
