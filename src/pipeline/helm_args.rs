//! From shell commands to helm invocations: finds `helm upgrade|install|rollback` (also behind
//! `helm secrets`, `sudo`, `env`, `timeout`), reads its flags in every spelling Helm 3 and 4
//! accept, and keeps the variables the script sets on the way so that `$CHART` or
//! `HELM_MAX_HISTORY` resolve where they can.

use super::embed::Script;
use super::{ChartArg, HelmCommand, Invocation, Setting, Tool, Wait, parse_go_duration};
use crate::shell::{self, Command, Env, Expanded, Word};
use source::Span;

/// Every helm invocation of a script, in order.
pub fn invocations(script: &Script) -> Vec<Invocation> {
    let mut env = script.env.clone();
    let mut found = Vec::new();
    for command in shell::parse(&script.text, script.dialect) {
        if command.array {
            // A known array's elements: read where it is expanded (`helm "${args[@]}"`).
            continue;
        }
        let (prefix, rest) = split_assignments(&command, &env);
        let Some(first) = rest.first() else {
            // `NAME=value` on its own sets a shell variable for the lines below.
            env.extend(prefix);
            continue;
        };
        match first.expand(&env).text.as_str() {
            "export" | "declare" | "local" | "readonly" | "typeset" => {
                for word in &rest[1..] {
                    if let Some((name, value)) = word.assignment() {
                        env.insert(name, known(value.expand(&env)));
                    }
                }
                continue;
            }
            "unset" => {
                for word in &rest[1..] {
                    env.remove(&word.expand(&env).text);
                }
                continue;
            }
            "cd" | "pushd" => {
                let target = rest.get(1).map(|w| w.expand(&env));
                // Absent: where the job starts; set to nothing known: unknown.
                let current = env.get(PWD).cloned().unwrap_or(Some(String::new()));
                let pwd = match (current, target) {
                    (Some(pwd), Some(t)) if t.unknown.is_none() => Some(join_path(&pwd, &t.text)),
                    // `cd` alone goes home; `cd $DIR` goes where rollguard cannot see.
                    _ => None,
                };
                env.insert(PWD.to_string(), pwd);
                continue;
            }
            _ => {}
        }
        let mut local = env.clone();
        local.extend(prefix);
        if let Some(inner) = inline_script(script, rest, &local) {
            found.extend(invocations(&inner));
        } else if let Some(inv) = helm_invocation(script, rest, &local) {
            found.push(inv);
        }
    }
    found
}

/// `bash -c 'helm upgrade …'` (also `sh -ec "…"`, `bash -o pipefail -c …`): the string is a
/// script of its own, read as written so its variables expand with what is known here.
fn inline_script<'a>(script: &Script<'a>, words: &[Word], env: &Env) -> Option<Script<'a>> {
    let program = words.first()?.expand(env).text;
    let name = program.rsplit('/').next().unwrap_or("");
    if !matches!(name, "sh" | "bash" | "zsh" | "dash" | "ash" | "ksh") {
        return None;
    }
    let mut i = 1;
    loop {
        let option = words.get(i)?.expand(env).text;
        // Without `-c` the shell runs a script file, which is not here.
        if !(option.starts_with('-') || option.starts_with('+')) {
            return None;
        }
        i += 1;
        if option == "-o" || option == "+o" {
            i += 1;
        } else if !option.starts_with("--") && option.contains('c') {
            break;
        }
    }
    let body = words.get(i)?;
    let raw = &script.text[body.start..body.end];
    let quoted = raw.len() >= 2
        && (raw.starts_with('\'') && raw.ends_with('\'')
            || raw.starts_with('"') && raw.ends_with('"'));
    let (start, end) = if quoted {
        (body.start + 1, body.end - 1)
    } else {
        (body.start, body.end)
    };
    Some(Script {
        file: script.file,
        text: script.text[start..end].to_string(),
        map: script.map.shifted(start),
        dialect: script.dialect,
        env: env.clone(),
        place: script.place.clone(),
    })
}

/// The working directory, relative to where the job starts (the repository root); set by
/// `working-directory:` keys and followed through `cd`. Absent: where the job starts.
pub const PWD: &str = "PWD";

/// `base/rel` with `.` and `..` folded: `charts` + `../charts/app` → `charts/app`.
pub(super) fn join_path(base: &str, rel: &str) -> String {
    let mut parts: Vec<&str> = if rel.starts_with('/') {
        Vec::new()
    } else {
        base.split('/')
            .filter(|p| !p.is_empty() && *p != ".")
            .collect()
    };
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.pop().is_none() {
                    parts.push("..");
                }
            }
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (rel.starts_with('/'), joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_string(),
        (false, false) => joined,
    }
}

fn known(e: Expanded) -> Option<String> {
    e.unknown.is_none().then_some(e.text)
}

/// Leading `NAME=value` words and the rest of the command.
fn split_assignments<'c>(command: &'c Command, env: &Env) -> (Env, &'c [Word]) {
    let mut prefix = Env::new();
    let mut i = 0;
    while let Some((name, value)) = command.words.get(i).and_then(Word::assignment) {
        let mut scope = env.clone();
        scope.extend(prefix.clone());
        prefix.insert(name, known(value.expand(&scope)));
        i += 1;
    }
    (prefix, &command.words[i..])
}

/// Words that run the command after them.
const WRAPPERS: &[&str] = &[
    "sudo", "exec", "command", "time", "nohup", "if", "then", "else", "elif", "do", "while",
    "until", "!", "{", "}",
];

/// helm's global flags that take a value.
const GLOBAL_VALUE_FLAGS: &[&str] = &[
    "--kube-context",
    "--kubeconfig",
    "-n",
    "--namespace",
    "--registry-config",
    "--repository-config",
    "--repository-cache",
    "--kube-apiserver",
    "--kube-as-user",
    "--kube-as-group",
    "--kube-token",
    "--kube-ca-file",
    "--kube-tls-server-name",
    "--burst-limit",
    "--qps",
    "--content-cache",
];

/// Flags of upgrade/install/rollback that take a value (besides the globals). Everything else
/// is boolean, which matters only for telling positional arguments from flag values.
const VALUE_FLAGS: &[&str] = &[
    "--history-max",
    "--timeout",
    "-f",
    "--values",
    "--set",
    "--set-string",
    "--set-file",
    "--set-json",
    "--set-literal",
    "--version",
    "--repo",
    "--username",
    "--password",
    "--post-renderer",
    "--post-renderer-args",
    "--description",
    "--ca-file",
    "--cert-file",
    "--key-file",
    "--keyring",
    "--labels",
    "-o",
    "--output",
    "--name-template",
    "--nameTemplate",
];

struct Arg<'w> {
    word: &'w Word,
    value: Expanded,
}

fn helm_invocation(script: &Script, words: &[Word], env: &Env) -> Option<Invocation> {
    let args = expand_args(words, env);
    let helm_at = skip_wrappers(&args)?;
    let helm = &args[helm_at];
    let program = helm.value.text.rsplit('/').next().unwrap_or("");
    if !matches!(program, "helm" | "helm3" | "helm4") {
        return None;
    }
    let mut i = skip_globals(&args, helm_at + 1);
    // Plugin wrappers that pass the rest to helm: `helm secrets [--flags] upgrade …`.
    if args.get(i).map(|a| a.value.text.as_str()) == Some("secrets") {
        i += 1;
        while let Some(a) = args.get(i).filter(|a| a.value.text.starts_with('-')) {
            let takes_value = matches!(
                a.value.text.as_str(),
                "-d" | "--driver" | "-b" | "--backend"
            );
            i += if takes_value { 2 } else { 1 };
        }
    }
    let sub = args.get(i)?;
    if sub.value.unknown.is_some() {
        // `helm "${args[@]}"`: the command line is in a variable or array rollguard cannot see.
        let span = script.span(helm.word.start, sub.word.end);
        let mut inv = Invocation::new(
            script.file,
            span,
            Tool::Helm(HelmCommand::Upgrade),
            script.place.clone(),
        );
        inv.command_hidden = Some(sub.word.written.clone());
        return Some(inv);
    }
    let command = match sub.value.text.as_str() {
        "upgrade" => HelmCommand::Upgrade,
        "install" => HelmCommand::Install,
        "rollback" => HelmCommand::Rollback,
        // `helm diff upgrade` and everything else change nothing.
        _ => return None,
    };
    let span = script.span(helm.word.start, sub.word.end);
    let mut inv = Invocation::new(script.file, span, Tool::Helm(command), script.place.clone());
    if !read_arguments(script, &mut inv, &args[i + 1..], Some(command), env) {
        return None;
    }
    if let Some(last) = args.last() {
        inv.extent = (span.start, script.span(last.word.start, last.word.end).end);
    }
    Some(inv)
}

/// Expands every word; a known unquoted value with blanks is split into words, as the shell
/// does, each located at the whole word.
fn expand_args<'w>(words: &'w [Word], env: &Env) -> Vec<Arg<'w>> {
    let mut args = Vec::new();
    for word in words {
        let value = word.expand(env);
        if value.splits {
            // Field splitting: each part is a word of its own, located at the whole word.
            for part in value.text.split_whitespace() {
                args.push(Arg {
                    word,
                    value: Expanded {
                        text: part.to_string(),
                        ..value.clone()
                    },
                });
            }
        } else {
            args.push(Arg { word, value });
        }
    }
    args
}

/// The options a CI task passes to helm besides its own inputs (Azure `HelmDeploy`'s
/// `arguments`): flags only, release and chart come from the task. `None` for a dry run.
pub fn task_arguments(script: &Script, mut inv: Invocation) -> Option<Invocation> {
    let words: Vec<Word> = shell::parse(&script.text, script.dialect)
        .into_iter()
        .flat_map(|c| c.words)
        .collect();
    let args = expand_args(&words, &script.env);
    read_arguments(script, &mut inv, &args, None, &script.env).then_some(inv)
}

/// Reads a subcommand's arguments into `inv`; `command` assigns the positional ones (release,
/// chart). `false` for a dry run, which changes nothing.
fn read_arguments(
    script: &Script,
    inv: &mut Invocation,
    args: &[Arg],
    command: Option<HelmCommand>,
    env: &Env,
) -> bool {
    let mut reader = Reader {
        script,
        inv,
        positionals: Vec::new(),
        opaque: None,
        dry_run: false,
    };
    reader.read(args);
    if reader.dry_run {
        return false;
    }
    reader.finish(command, env);
    true
}

fn skip_wrappers(args: &[Arg]) -> Option<usize> {
    let mut i = 0;
    loop {
        let text = args.get(i)?.value.text.as_str();
        if WRAPPERS.contains(&text) {
            let sudo = text == "sudo";
            i += 1;
            // `sudo -E -u deploy helm …`: the wrapper's own switches, and sudo's values.
            while let Some(a) = args.get(i).filter(|a| a.value.text.starts_with('-')) {
                let takes_value = sudo
                    && matches!(
                        a.value.text.as_str(),
                        "-u" | "-g" | "-C" | "-D" | "-h" | "-p" | "-r" | "-t" | "-U"
                    );
                i += if takes_value { 2 } else { 1 };
            }
        } else if text == "env" {
            i += 1;
            while args
                .get(i)
                .is_some_and(|a| a.word.assignment().is_some() || a.value.text.starts_with('-'))
            {
                i += 1;
            }
        } else if text == "timeout" {
            // GNU timeout: `timeout [-s SIG] [-k T] DURATION helm …`.
            i += 1;
            while let Some(a) = args.get(i).filter(|a| a.value.text.starts_with('-')) {
                let takes_value = matches!(
                    a.value.text.as_str(),
                    "-s" | "--signal" | "-k" | "--kill-after"
                );
                i += if takes_value { 2 } else { 1 };
            }
            i += 1;
        } else {
            return Some(i);
        }
    }
}

fn skip_globals(args: &[Arg], mut i: usize) -> usize {
    while let Some(a) = args.get(i) {
        let text = a.value.text.as_str();
        if !text.starts_with('-') {
            break;
        }
        i += if GLOBAL_VALUE_FLAGS.contains(&text) {
            2
        } else {
            1
        };
    }
    i
}

struct Reader<'s, 'i, 'w> {
    script: &'s Script<'s>,
    inv: &'i mut Invocation,
    /// Positional arguments: their expansion and their word.
    positionals: Vec<(Expanded, &'w Word)>,
    /// The first word that may expand to flags rollguard cannot see.
    opaque: Option<(String, Span)>,
    dry_run: bool,
}

impl<'w> Reader<'_, '_, 'w> {
    fn span(&self, word: &Word) -> Span {
        self.script.span(word.start, word.end)
    }

    fn read(&mut self, args: &[Arg<'w>]) {
        let mut i = 0;
        let mut flags_done = false;
        while i < args.len() {
            let arg = &args[i];
            let text = arg.value.text.as_str();
            i += 1;
            if flags_done || !text.starts_with('-') || text == "-" {
                if is_all_args(arg.word) {
                    self.note_opaque(arg);
                } else {
                    self.positionals.push((arg.value.clone(), arg.word));
                }
                continue;
            }
            if text == "--" {
                flags_done = true;
                continue;
            }
            let (name, inline) = match text.split_once('=') {
                Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
                _ => (text, None),
            };
            let span = self.span(arg.word);
            let takes_value = VALUE_FLAGS.contains(&name) || GLOBAL_VALUE_FLAGS.contains(&name);
            // The flag's value: inline, or the next word; unknown when a variable hides it.
            let (value, value_unknown) = match (&inline, takes_value) {
                (Some(v), _) => (Some(v.clone()), arg.value.unknown.clone()),
                (None, true) => {
                    let next = args.get(i);
                    i += 1;
                    (
                        next.map(|a| a.value.text.clone()),
                        next.and_then(|a| a.value.unknown.clone()),
                    )
                }
                (None, false) => (None, None),
            };
            self.flag(name, value, value_unknown, span);
        }
    }

    fn note_opaque(&mut self, arg: &Arg) {
        if self.opaque.is_none() {
            // An array's expansion is shown as written, not as an opaque substitution.
            let written = if is_all_args(arg.word) {
                arg.word.written.clone()
            } else {
                arg.value.unknown.clone().unwrap_or_default()
            };
            self.opaque = Some((written, self.span(arg.word)));
        }
    }

    fn flag(&mut self, name: &str, value: Option<String>, unknown: Option<String>, span: Span) {
        let hidden = format!(
            "`{name}` takes its value from `{}`, which rollguard cannot see",
            unknown.clone().unwrap_or_default()
        );
        let bool_setting = |default: bool| match (&unknown, value.as_deref()) {
            (Some(_), _) => unknown_setting(&hidden, span),
            (None, None) => Setting::Set {
                value: default,
                span,
            },
            (None, Some(v)) => match parse_bool(v) {
                Some(b) => Setting::Set { value: b, span },
                None => Setting::Unknown {
                    because: format!("`{name}={v}` is not a boolean"),
                    span,
                },
            },
        };
        match name {
            "--atomic" | "--rollback-on-failure" => self.inv.atomic = bool_setting(true),
            "--force" | "--force-replace" => self.inv.force = bool_setting(true),
            "--cleanup-on-fail" => self.inv.cleanup_on_fail = bool_setting(true),
            "--dry-run" => {
                self.dry_run = !matches!(value.as_deref(), Some("false" | "none"));
            }
            "--wait" => {
                self.inv.wait = match (&unknown, value.as_deref()) {
                    (Some(_), _) => unknown_setting(&hidden, span),
                    (None, None | Some("true" | "watcher" | "legacy")) => Setting::Set {
                        value: Wait::Workloads,
                        span,
                    },
                    (None, Some("hookOnly")) => Setting::Set {
                        value: Wait::HookOnly,
                        span,
                    },
                    (None, Some("false")) => Setting::Set {
                        value: Wait::No,
                        span,
                    },
                    (None, Some(v)) => Setting::Unknown {
                        because: format!("`--wait={v}` is not a wait strategy Helm knows"),
                        span,
                    },
                }
            }
            "--timeout" => {
                self.inv.timeout = match (&unknown, value) {
                    (Some(_), _) => unknown_setting(&hidden, span),
                    (None, Some(v)) => match parse_go_duration(&v) {
                        Some(seconds) => Setting::Set {
                            value: seconds,
                            span,
                        },
                        None => Setting::Unknown {
                            because: format!(
                                "`--timeout {v}` is not a Go duration like `10m` (Helm rejects it)"
                            ),
                            span,
                        },
                    },
                    (None, None) => Setting::Absent,
                }
            }
            "--history-max" => {
                self.inv.history_max = match (&unknown, value) {
                    (Some(_), _) => unknown_setting(&hidden, span),
                    (None, Some(v)) => int_setting(name, &v, span),
                    (None, None) => Setting::Absent,
                }
            }
            _ => {}
        }
    }

    /// Assigns release and chart (`command` is `None` when they come from elsewhere), then
    /// what the environment and hidden options say.
    fn finish(mut self, command: Option<HelmCommand>, env: &Env) {
        let needed = match command {
            None => 0,
            Some(HelmCommand::Upgrade) => 2,
            Some(HelmCommand::Install) => {
                if self.positionals.len() >= 2 {
                    2
                } else {
                    1
                }
            }
            Some(HelmCommand::Rollback) => 2,
        };
        // Unquoted unknown variables beyond the positional arguments helm takes are options:
        // `helm upgrade app ./chart $HELM_OPTS`. Drop them from the end.
        while self.positionals.len() > needed {
            let Some(i) = self.positionals.iter().rposition(|(e, _)| e.may_split) else {
                break;
            };
            let (e, word) = self.positionals.remove(i);
            if self.opaque.is_none() {
                self.opaque = Some((e.unknown.unwrap_or_default(), self.span(word)));
            }
        }
        let script = self.script;
        let mut pos = self.positionals.into_iter();
        // Unknown parts are shown as written: `review-$CI_COMMIT_REF_SLUG`.
        let text_of = |(e, w): (Expanded, &Word)| match e.unknown {
            None => Ok(e.text),
            Some(_) => Err(script.text[w.start..w.end]
                .trim_matches(|c| c == '"' || c == '\'')
                .to_string()),
        };
        // A local chart path is relative to the working directory the script is in.
        let pwd = env.get(PWD).cloned();
        let chart_of = |p| match (text_of(p), pwd.clone()) {
            (Ok(text), None | Some(Some(_))) if text.contains("://") || text.starts_with('/') => {
                ChartArg::Known(text)
            }
            (Ok(text), Some(Some(pwd))) => ChartArg::Known(join_path(&pwd, &text)),
            (Ok(text), None) => ChartArg::Known(text),
            // After `cd $DIR`, only a chart name that is not a relative path still tells.
            (Ok(text), Some(None))
                if text == "." || text.starts_with("./") || text.starts_with("../") =>
            {
                ChartArg::Unresolved(format!("$PWD/{text}"))
            }
            (Ok(text), Some(None)) => ChartArg::Known(text),
            (Err(written), _) => ChartArg::Unresolved(written),
        };
        match command {
            None => {}
            Some(command @ (HelmCommand::Upgrade | HelmCommand::Rollback)) => {
                if let Some(release) = pos.next() {
                    self.inv.set_release(text_of(release));
                }
                if command == HelmCommand::Upgrade {
                    self.inv.chart = pos.next().map_or(ChartArg::Missing, chart_of);
                }
            }
            Some(HelmCommand::Install) => {
                let first = pos.next();
                match pos.next() {
                    Some(chart) => {
                        if let Some(release) = first {
                            self.inv.set_release(text_of(release));
                        }
                        self.inv.chart = chart_of(chart);
                    }
                    None => self.inv.chart = first.map_or(ChartArg::Missing, chart_of),
                }
            }
        }
        if matches!(self.inv.history_max, Setting::Absent) {
            self.inv.history_max = match env.get("HELM_MAX_HISTORY") {
                Some(Some(v)) => int_setting("HELM_MAX_HISTORY", v, self.inv.span),
                Some(None) => Setting::Unknown {
                    because: "HELM_MAX_HISTORY is set to a value rollguard cannot see".into(),
                    span: self.inv.span,
                },
                None => Setting::Absent,
            };
        }
        if let Some((written, span)) = self.opaque {
            let inv = &mut *self.inv;
            let because = format!("`{written}` may pass it and rollguard cannot see its value");
            mark_unknown(&mut inv.history_max, &because, span);
            mark_unknown(&mut inv.atomic, &because, span);
            mark_unknown(&mut inv.wait, &because, span);
            mark_unknown(&mut inv.timeout, &because, span);
            mark_unknown(&mut inv.force, &because, span);
            mark_unknown(&mut inv.cleanup_on_fail, &because, span);
        }
    }
}

fn unknown_setting<T>(because: &str, span: Span) -> Setting<T> {
    Setting::Unknown {
        because: because.to_string(),
        span,
    }
}

fn mark_unknown<T>(setting: &mut Setting<T>, because: &str, span: Span) {
    if matches!(setting, Setting::Absent) {
        *setting = Setting::Unknown {
            because: because.to_string(),
            span,
        };
    }
}

/// `"$@"`, `$*`: the script's own arguments, and `"${NAME[@]}"`, `${NAME[*]}`: every element of
/// an array (`extra+=(--set a=b)`), each of which may hold any flag.
fn is_all_args(word: &Word) -> bool {
    match word.segments.as_slice() {
        [shell::Segment::Var { name, .. }] => {
            name == "@" || name == "*" || name.ends_with(shell::ARRAY_MARK)
        }
        [shell::Segment::Subst { .. }] => {
            word.written.starts_with("${")
                && (word.written.ends_with("[@]}") || word.written.ends_with("[*]}"))
        }
        _ => false,
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    // Go's strconv.ParseBool, which cobra uses.
    match v {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

fn int_setting(name: &str, v: &str, span: Span) -> Setting<i64> {
    match v.trim().parse() {
        Ok(value) => Setting::Set { value, span },
        Err(_) => Setting::Unknown {
            because: format!("`{name}` is `{v}`, not a number"),
            span,
        },
    }
}

#[cfg(test)]
mod tests;
