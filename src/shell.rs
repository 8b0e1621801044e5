//! A small shell tokenizer that keeps byte offsets, shared by every CI kind and by the SQL
//! extraction of container scripts: commands made of words, each word a list of literal and
//! variable segments, grouped in pipelines, with the here-document each is fed. It understands
//! what decides which words a command receives (quoting, escapes, line continuations, comments,
//! separators, redirections, here-documents) and the placeholder syntaxes CI systems substitute
//! before the shell runs (`${{ … }}`, `$(…)` macros, `{{ … }}`, `<< … >>`). It does not run
//! anything: command substitutions stay opaque.

use std::collections::BTreeMap;
use std::ops::Range;

/// Which placeholder syntax the host substitutes before the shell sees the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// Plain POSIX shell (GitLab, Bitbucket, shell scripts, Jenkins `sh`).
    Shell,
    /// GitHub Actions: `${{ env.X }}` expressions.
    GitHub,
    /// `$(NAME)` is a variable (Make, Azure macros, Tekton params) and, in Make, `$$` is `$`.
    Make,
    /// Azure Pipelines and Tekton: `$(NAME)` macros, no `$$` escape.
    Macro,
    /// `{{ name }}` / `{{.NAME}}` interpolation (justfile, Taskfile).
    Braces,
    /// CircleCI `<< parameters.x >>`.
    CircleCi,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Lit(String),
    /// A variable or placeholder; `quoted` when inside double quotes (it cannot split into words).
    Var {
        name: String,
        quoted: bool,
        /// `${X:-default}`: the default, read as the word around it reads it.
        fallback: Option<Vec<Segment>>,
    },
    /// Command substitution or arithmetic: never known.
    Subst {
        quoted: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    pub segments: Vec<Segment>,
    /// Byte offsets in the tokenized text.
    pub start: usize,
    pub end: usize,
    /// The word with quotes and escapes removed but expansions left as written (`$URL`,
    /// `$(date)`): the text a program takes as is, like the SQL of `psql -c "… $T"`, when
    /// nothing is known of the variables.
    pub written: String,
    /// Offset in the text of the word's first content character (past an opening quote).
    pub at: usize,
    /// `written` is the text from `at` unchanged (one unquoted, single- or double-quoted part
    /// without escapes), so that offsets in one are offsets in the other.
    pub verbatim: bool,
}

/// One simple command: its words in order, leading assignments included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub words: Vec<Word>,
    /// It reads the previous command's output (`a | b`).
    pub piped: bool,
    /// Where in the text the body of the here-document fed to it is (the last one when there
    /// are several); the body is not expanded.
    pub heredoc: Option<Range<usize>>,
    /// The words are the elements of an array assignment (`args=( … )`) whose value is known
    /// (see [`Word::assignment`]): they run nothing here, and where the array is expanded
    /// (`"${args[@]}"`) its elements are known. Kept for readers that look for a command
    /// written into an array whatever it holds.
    pub array: bool,
}

/// Variables known at a point of a script: `None` when set to something rollguard cannot see.
pub type Env = BTreeMap<String, Option<String>>;

/// A word after expansion with the variables known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expanded {
    pub text: String,
    /// The first variable (or substitution) whose value is unknown, as written.
    pub unknown: Option<String>,
    /// An unknown, unquoted expansion: it may become any number of words (`$HELM_OPTS`).
    pub may_split: bool,
    /// A known, unquoted expansion holding blanks: the shell splits the word there
    /// (`HELM_OPTS="--atomic --wait"; helm upgrade … $HELM_OPTS`).
    pub splits: bool,
}

/// Longest text one expansion may produce. Values are themselves expansions, so without a
/// bound `A1=$A0$A0`, `A2=$A1$A1`, … doubles forty times in a file of a few hundred bytes;
/// past the bound a value is unknown, as one rollguard cannot see.
pub const MAX_EXPANDED_BYTES: usize = 64 * 1024;

impl Word {
    pub fn expand(&self, env: &Env) -> Expanded {
        let mut out = Expanded {
            text: String::new(),
            unknown: None,
            may_split: false,
            splits: false,
        };
        expand_into(&self.segments, env, &mut out);
        out
    }

    /// The text when the word holds no expansion at all.
    pub fn literal(&self) -> Option<String> {
        let mut text = String::new();
        for seg in &self.segments {
            match seg {
                Segment::Lit(s) => text.push_str(s),
                _ => return None,
            }
        }
        Some(text)
    }

    /// `NAME=value` at the start of a command: the name and the value's segments. An array
    /// assignment `NAME=( … )` is `NAME[@]` set to its elements joined by spaces, known only
    /// when each is a plain literal (see [`ARRAY_MARK`]).
    pub fn assignment(&self) -> Option<(String, Word)> {
        let Some(Segment::Lit(first)) = self.segments.first() else {
            return None;
        };
        let eq = first.find('=')?;
        let name = &first[..eq];
        let base = name.strip_suffix(ARRAY_MARK).unwrap_or(name);
        let valid = !base.is_empty()
            && !base.starts_with(|c: char| c.is_ascii_digit())
            && base.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return None;
        }
        let mut segments = vec![Segment::Lit(first[eq + 1..].to_string())];
        segments.extend(self.segments[1..].iter().cloned());
        Some((
            name.to_string(),
            Word {
                segments,
                // An array's `NAME[@]=` is longer than the `NAME=` written.
                start: (self.start + eq + 1).min(self.end),
                end: self.end,
                // The first literal is also how `written` starts.
                written: self.written.get(eq + 1..).unwrap_or_default().to_string(),
                at: (self.at + eq + 1).min(self.end),
                verbatim: self.verbatim,
            },
        ))
    }
}

/// The suffix of an array's name as a variable: `${args[@]}` reads `args[@]`, which no
/// scalar assignment can set.
pub const ARRAY_MARK: &str = "[@]";

/// Appends the expansion of `segments` to `out`.
fn expand_into(segments: &[Segment], env: &Env, out: &mut Expanded) {
    for seg in segments {
        match seg {
            Segment::Lit(s) => out.text.push_str(s),
            Segment::Var {
                name,
                quoted,
                fallback,
            } => match (env.get(name), fallback) {
                (Some(Some(value)), _) if out.text.len() + value.len() <= MAX_EXPANDED_BYTES => {
                    // `"${args[@]}"` is a word per element, none for an empty array.
                    let array = name.ends_with(ARRAY_MARK);
                    out.splits |= !quoted && (array || value.contains(char::is_whitespace));
                    out.text.push_str(value);
                }
                // `${X:-default}`: the default only when X is not set at all.
                (None, Some(default)) => expand_into(default, env, out),
                // Unknown, or too long to follow.
                _ => {
                    out.unknown
                        .get_or_insert_with(|| match name.strip_suffix(ARRAY_MARK) {
                            Some(array) => format!("${{{array}[@]}}"),
                            None => format!("${name}"),
                        });
                    out.may_split |= !quoted;
                }
            },
            Segment::Subst { quoted } => {
                out.unknown.get_or_insert_with(|| "$(…)".to_string());
                out.may_split |= !quoted;
            }
        }
    }
}

/// How deep `${A:-${B:-…}}` defaults are followed; deeper ones are unknown (a file of nested
/// defaults must not exhaust the stack).
const MAX_DEFAULT_DEPTH: usize = 8;

/// Splits a script into simple commands. Never fails: what it cannot follow (an unclosed quote)
/// ends the word at the end of the text.
pub fn parse(text: &str, dialect: Dialect) -> Vec<Command> {
    let mut commands = lex(text, dialect);
    // A command that is only a here-document (`<<EOF` alone) runs nothing.
    commands.retain(|c| !c.words.is_empty());
    commands
}

/// The script's pipelines (commands joined by `|`) in order, as [`parse`] reads them but with
/// the commands that are only a here-document.
pub fn pipelines(text: &str, dialect: Dialect) -> Vec<Vec<Command>> {
    let mut out: Vec<Vec<Command>> = Vec::new();
    for command in lex(text, dialect) {
        match out.last_mut() {
            Some(pipeline) if command.piped => pipeline.push(command),
            _ => out.push(vec![command]),
        }
    }
    out
}

fn lex(text: &str, dialect: Dialect) -> Vec<Command> {
    let mut lexer = Lexer {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        dialect,
        commands: Vec::new(),
        current: Vec::new(),
        piped: false,
        heredocs: Vec::new(),
        depth: 0,
        array: None,
    };
    lexer.run();
    lexer.commands
}

struct Lexer<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
    dialect: Dialect,
    commands: Vec<Command>,
    current: Vec<Word>,
    /// The command being read takes the previous one's output.
    piped: bool,
    /// Here-documents whose bodies start after the current line: (delimiter, strip tabs, index
    /// in `commands` of the command fed).
    heredocs: Vec<(String, bool, usize)>,
    /// How many `${X:-…}` defaults the text is inside (or 1 inside an array's elements).
    depth: usize,
    /// A known array's elements are being read (`Some(true)`), or are next after its `(`
    /// (`Some(false)`).
    array: Option<bool>,
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn rest(&self) -> &str {
        &self.text[self.pos..]
    }

    fn end_command(&mut self) {
        // A command that is only a here-document is kept: its body is read later.
        let fed = self
            .heredocs
            .last()
            .is_some_and(|h| h.2 == self.commands.len());
        if !self.current.is_empty() || fed {
            self.commands.push(Command {
                words: std::mem::take(&mut self.current),
                piped: self.piped,
                heredoc: None,
                array: self.array == Some(true),
            });
        }
    }

    fn end_pipeline(&mut self) {
        self.end_command();
        self.piped = false;
    }

    fn run(&mut self) {
        while let Some(b) = self.peek(0) {
            match b {
                b' ' | b'\t' | b'\r' => self.pos += 1,
                b'\\' if self.peek(1) == Some(b'\n') => self.pos += 2,
                b'\\' if self.peek(1) == Some(b'\r') && self.peek(2) == Some(b'\n') => {
                    self.pos += 3
                }
                b'\n' => {
                    self.pos += 1;
                    self.end_pipeline();
                    self.read_heredocs();
                }
                b'#' => self.skip_line(),
                b'|' if self.peek(1) != Some(b'|') => {
                    self.pos += 1;
                    // A `|` that ends no command (`a; | b`) joins nothing.
                    let before = self.commands.len();
                    self.end_command();
                    self.piped = self.commands.len() > before;
                }
                b'|' => {
                    // `||`
                    self.pos += 2;
                    self.end_pipeline();
                }
                b';' | b'&' => {
                    self.pos += 1;
                    self.end_pipeline();
                }
                b'(' | b')' => {
                    self.pos += 1;
                    self.end_pipeline();
                    // The `(` after `args=` opens a known array's elements, the `)` closes them.
                    self.array = (b == b'(' && self.array.is_some()).then_some(true);
                }
                b'<' if self.dialect == Dialect::CircleCi && self.rest().starts_with("<< ") => {
                    self.word()
                }
                b'<' | b'>' => self.redirection(),
                _ => self.word(),
            }
        }
        self.end_pipeline();
        // Unterminated at the end of the text: the bodies are empty.
        self.read_heredocs();
    }

    fn skip_line(&mut self) {
        while let Some(b) = self.peek(0) {
            if b == b'\n' {
                break;
            }
            self.pos += 1;
        }
    }

    /// Reads the here-document bodies that start after the line just ended, for the commands
    /// they feed.
    fn read_heredocs(&mut self) {
        for (delim, strip, fed) in std::mem::take(&mut self.heredocs) {
            let from = self.pos;
            // Without its delimiter line the body runs to the end of the text.
            let mut body_end = self.bytes.len();
            while self.pos < self.bytes.len() {
                let line_start = self.pos;
                let line_end = self
                    .rest()
                    .find('\n')
                    .map_or(self.bytes.len(), |i| self.pos + i);
                let line = &self.text[self.pos..line_end];
                let line = if strip {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                self.pos = (line_end + 1).min(self.bytes.len());
                if line.trim_end_matches('\r') == delim {
                    body_end = line_start;
                    break;
                }
            }
            if let Some(command) = self.commands.get_mut(fed) {
                command.heredoc = Some(from..body_end);
            }
        }
    }

    /// `>`, `>>`, `<`, `>&2`, `<<EOF`, `<<-EOF`, `<<<word`: drops the operator and its target.
    fn redirection(&mut self) {
        // `2>&1`: the fd number was read as a word of its own.
        if let Some(last) = self.current.last()
            && last.end == self.pos
            && last
                .literal()
                .is_some_and(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
        {
            self.current.pop();
        }
        let heredoc = self.rest().starts_with("<<") && !self.rest().starts_with("<<<");
        let strip = self.rest().starts_with("<<-");
        while matches!(self.peek(0), Some(b'<' | b'>' | b'&' | b'-'))
            || (self.pos > 0 && self.peek(0).is_some_and(|b| b.is_ascii_digit()) && {
                let prev = self.bytes[self.pos - 1];
                prev == b'&'
            })
        {
            self.pos += 1;
        }
        while matches!(self.peek(0), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
        if matches!(self.peek(0), None | Some(b'\n' | b';' | b'|' | b'&')) {
            return;
        }
        let before = self.current.len();
        self.word();
        if self.current.len() > before
            && let Some(target) = self.current.pop()
            && heredoc
        {
            let delim: String = target
                .segments
                .iter()
                .map(|s| match s {
                    Segment::Lit(t) => t.clone(),
                    Segment::Var { name, .. } => format!("${name}"),
                    Segment::Subst { .. } => String::new(),
                })
                .collect();
            self.heredocs.push((delim, strip, self.commands.len()));
        }
    }

    fn word(&mut self) {
        let start = self.pos;
        let mut segs = Segs::default();
        while let Some(b) = self.peek(0) {
            match b {
                b' ' | b'\t' | b'\r' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>' => {
                    if b == b'<'
                        && self.dialect == Dialect::CircleCi
                        && self.rest().starts_with("<<")
                    {
                        segs.bare();
                        self.expansion(&mut segs, |l, s| l.placeholder("<<", ">>", false, s));
                        continue;
                    }
                    if b == b'(' && self.depth == 0 {
                        self.array_assignment(&mut segs);
                    }
                    break;
                }
                b'\\' => {
                    segs.bare();
                    segs.escaped = true;
                    if self.peek(1) == Some(b'\n') {
                        self.pos += 2;
                        continue;
                    }
                    self.pos += 1;
                    if let Some(c) = self.next_char() {
                        segs.lit_char(c);
                    }
                }
                b'\'' => {
                    segs.quoted();
                    self.single_quoted(&mut segs);
                }
                b'"' => {
                    segs.quoted();
                    self.pos += 1;
                    self.double_quoted(&mut segs);
                }
                b'`' => {
                    segs.bare();
                    self.expansion(&mut segs, |l, s| l.backticks(false, s));
                }
                b'$' => {
                    segs.bare();
                    self.expansion(&mut segs, |l, s| l.dollar(false, s));
                }
                b'{' if self.dialect == Dialect::Braces && self.rest().starts_with("{{") => {
                    segs.bare();
                    self.expansion(&mut segs, |l, s| l.placeholder("{{", "}}", false, s));
                }
                _ => {
                    segs.bare();
                    if let Some(c) = self.next_char() {
                        segs.lit_char(c);
                    }
                }
            }
        }
        if self.pos > start {
            let quoted = matches!(self.bytes.get(start), Some(b'\'' | b'"'));
            let (segments, written, verbatim) = segs.done();
            self.current.push(Word {
                segments,
                start,
                end: self.pos,
                written,
                at: start + usize::from(quoted),
                verbatim,
            });
        }
    }

    /// Reads an expansion with `read`, keeping how it was written for [`Word::written`].
    fn expansion(&mut self, segs: &mut Segs, read: impl FnOnce(&mut Self, &mut Segs)) {
        let from = self.pos;
        let before = segs.expansions;
        read(self, segs);
        if segs.expansions > before {
            segs.written
                .push_str(self.text.get(from..self.pos).unwrap_or_default());
        }
    }

    /// `NAME=(` (the `(` next): the word becomes the assignment of `NAME[@]`, its value the
    /// elements joined by spaces when they are all plain literals, else unknown. An append
    /// (`NAME+=( … )`) is unknown too: it is often under a condition, which is not followed.
    fn array_assignment(&mut self, segs: &mut Segs) {
        let [Segment::Lit(text)] = segs.segments.as_slice() else {
            return;
        };
        if segs.expansions > 0 || segs.escaped || segs.parts != 1 || !segs.in_bare {
            return;
        }
        let Some(name) = text.strip_suffix('=') else {
            return;
        };
        let (name, append) = match name.strip_suffix('+') {
            Some(name) => (name, true),
            None => (name, false),
        };
        let valid = !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid {
            return;
        }
        let elements = if append { None } else { self.array_elements() };
        let mut assigned = format!("{name}{ARRAY_MARK}=");
        segs.segments = match elements {
            Some(elements) => {
                assigned.push_str(&elements.join(" "));
                self.array = Some(false);
                vec![Segment::Lit(assigned)]
            }
            None => vec![Segment::Lit(assigned), Segment::Subst { quoted: true }],
        };
    }

    /// The elements of the array whose `(` is next, when each is a plain literal (no blank,
    /// nothing the shell would expand as a pattern, not empty) and the list is closed by `)`
    /// with no operator inside. Read ahead by a lexer of its own at depth 1, which reads no
    /// array inside and stops at the first `(`, operator or `)`: each byte is read ahead once.
    fn array_elements(&self) -> Option<Vec<String>> {
        let mut inner = Lexer {
            text: self.text,
            bytes: self.bytes,
            pos: self.pos + 1,
            dialect: self.dialect,
            commands: Vec::new(),
            current: Vec::new(),
            piped: false,
            heredocs: Vec::new(),
            depth: 1,
            array: None,
        };
        loop {
            match inner.peek(0)? {
                b')' => break,
                b' ' | b'\t' | b'\r' | b'\n' => inner.pos += 1,
                b'\\' if inner.peek(1) == Some(b'\n') => inner.pos += 2,
                b'#' => inner.skip_line(),
                b'(' | b';' | b'&' | b'|' | b'<' | b'>' => return None,
                _ => inner.word(),
            }
        }
        let plain = |text: &str| {
            !text.is_empty()
                && !text.contains(|c: char| c.is_whitespace() || matches!(c, '*' | '?' | '[' | '{'))
        };
        inner
            .current
            .iter()
            .map(|word| word.literal().filter(|t| plain(t)))
            .collect()
    }

    fn next_char(&mut self) -> Option<char> {
        let c = self.rest().chars().next()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    /// From an opening `'` to the closing one (or the end): the text between, as it is.
    fn single_quoted(&mut self, segs: &mut Segs) {
        self.pos += 1;
        let end = self
            .rest()
            .find('\'')
            .map_or(self.bytes.len(), |i| self.pos + i);
        segs.lit(&self.text[self.pos..end]);
        self.pos = (end + 1).min(self.bytes.len());
    }

    fn double_quoted(&mut self, segs: &mut Segs) {
        // An empty "" is still a word.
        segs.lit("");
        while let Some(b) = self.peek(0) {
            match b {
                b'"' => {
                    self.pos += 1;
                    return;
                }
                b'\\' => {
                    self.pos += 1;
                    match self.peek(0) {
                        Some(b'\n') => {
                            segs.escaped = true;
                            self.pos += 1;
                        }
                        Some(b'"' | b'\\' | b'$' | b'`') => {
                            segs.escaped = true;
                            if let Some(c) = self.next_char() {
                                segs.lit_char(c);
                            }
                        }
                        _ => segs.lit_char('\\'),
                    }
                }
                b'$' => self.expansion(segs, |l, s| l.dollar(true, s)),
                b'`' => self.expansion(segs, |l, s| l.backticks(true, s)),
                b'{' if self.dialect == Dialect::Braces && self.rest().starts_with("{{") => {
                    self.expansion(segs, |l, s| l.placeholder("{{", "}}", true, s))
                }
                b'<' if self.dialect == Dialect::CircleCi && self.rest().starts_with("<<") => {
                    self.expansion(segs, |l, s| l.placeholder("<<", ">>", true, s))
                }
                _ => {
                    if let Some(c) = self.next_char() {
                        segs.lit_char(c);
                    }
                }
            }
        }
    }

    /// `{{ .NAME }}`, `<< parameters.x >>`, `${{ env.X }}`: a variable named by its last part.
    fn placeholder(&mut self, open: &str, close: &str, quoted: bool, segs: &mut Segs) {
        self.pos += open.len();
        let end = self
            .rest()
            .find(close)
            .map_or(self.bytes.len(), |i| self.pos + i);
        let expr = self.text[self.pos..end].trim();
        self.pos = (end + close.len()).min(self.bytes.len());
        segs.push(Segment::Var {
            name: placeholder_name(expr),
            quoted,
            fallback: None,
        });
    }

    /// A `` `command` `` substitution: its output cannot be known.
    fn backticks(&mut self, quoted: bool, segs: &mut Segs) {
        self.pos += 1;
        let end = self
            .rest()
            .find('`')
            .map_or(self.bytes.len(), |i| self.pos + i);
        self.pos = (end + 1).min(self.bytes.len());
        segs.push(Segment::Subst { quoted });
    }

    fn dollar(&mut self, quoted: bool, segs: &mut Segs) {
        let rest = self.rest();
        if self.dialect == Dialect::Make && rest.starts_with("$$") {
            // Make's escape for the shell's `$`: what follows is the shell's variable.
            self.pos += 1;
            return self.shell_dollar(quoted, segs);
        }
        if self.dialect == Dialect::GitHub && rest.starts_with("${{") {
            self.pos += 1;
            return self.placeholder("{{", "}}", quoted, segs);
        }
        if matches!(self.dialect, Dialect::Make | Dialect::Macro)
            && rest.starts_with("$(")
            && !rest.starts_with("$((")
        {
            let (inner_end, end) = self.matching(self.pos + 1, b'(', b')');
            let name = self.text[self.pos + 2..inner_end].trim();
            let simple = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
            if simple {
                self.pos = end;
                segs.push(Segment::Var {
                    name: placeholder_name(name),
                    quoted,
                    fallback: None,
                });
                return;
            }
        }
        self.shell_dollar(quoted, segs)
    }

    fn shell_dollar(&mut self, quoted: bool, segs: &mut Segs) {
        self.pos += 1;
        match self.peek(0) {
            Some(b'(') => {
                self.pos = self.matching(self.pos, b'(', b')').1;
                segs.push(Segment::Subst { quoted });
            }
            Some(b'{') => {
                let (inner_end, end) = self.matching(self.pos, b'{', b'}');
                let inner = &self.text[self.pos + 1..inner_end];
                self.pos = end;
                let name_len = inner
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(inner.len());
                let (name, op) = inner.split_at(name_len);
                let fallback = op
                    .strip_prefix(":-")
                    .or_else(|| op.strip_prefix('-'))
                    .map(|d| self.default_segments(d, quoted));
                if !name.is_empty() && matches!(op, "[@]" | "[*]") {
                    // Every element: a word each for `[@]` (and unquoted `[*]`).
                    segs.push(Segment::Var {
                        name: format!("{name}{ARRAY_MARK}"),
                        quoted: quoted && op == "[*]",
                        fallback: None,
                    });
                } else if is_dotted_path(inner) {
                    // `${env.RELEASE}`, `${params.TAG}`: Groovy interpolation in a Jenkins
                    // `sh "…"` step (a shell would reject it).
                    segs.push(Segment::Var {
                        name: placeholder_name(inner),
                        quoted,
                        fallback: None,
                    });
                } else if name.is_empty() || !(op.is_empty() || fallback.is_some()) {
                    segs.push(Segment::Subst { quoted });
                } else {
                    segs.push(Segment::Var {
                        name: name.to_string(),
                        quoted,
                        fallback,
                    });
                }
            }
            Some(b'\'') if !quoted => {
                // `$'…'`: ANSI-C quoting, read as plain text (its escapes are not undone, and
                // the `$'` is not in `written`: not verbatim).
                segs.escaped = true;
                self.single_quoted(segs);
            }
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => {
                let len = self
                    .rest()
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(self.rest().len());
                let name = self.rest()[..len].to_string();
                self.pos += len;
                segs.push(Segment::Var {
                    name,
                    quoted,
                    fallback: None,
                });
            }
            Some(b) if b.is_ascii_digit() || matches!(b, b'@' | b'*' | b'#' | b'?' | b'!') => {
                self.pos += 1;
                segs.push(Segment::Var {
                    name: (b as char).to_string(),
                    quoted,
                    fallback: None,
                });
            }
            _ => segs.lit_char('$'),
        }
    }

    /// The segments of the default in `${X:-default}`: quotes removed, expansions read as in
    /// the word around it.
    fn default_segments(&self, text: &str, quoted: bool) -> Vec<Segment> {
        if self.depth >= MAX_DEFAULT_DEPTH {
            return vec![Segment::Subst { quoted }];
        }
        let mut inner = Lexer {
            text,
            bytes: text.as_bytes(),
            pos: 0,
            dialect: self.dialect,
            commands: Vec::new(),
            current: Vec::new(),
            piped: false,
            heredocs: Vec::new(),
            depth: self.depth + 1,
            array: None,
        };
        let mut segs = Segs::default();
        while let Some(b) = inner.peek(0) {
            match b {
                b'\'' if !quoted => inner.single_quoted(&mut segs),
                b'"' => {
                    inner.pos += 1;
                    inner.double_quoted(&mut segs);
                }
                b'$' => inner.dollar(quoted, &mut segs),
                b'`' => inner.backticks(quoted, &mut segs),
                b'\\' => {
                    inner.pos += 1;
                    if let Some(c) = inner.next_char() {
                        segs.lit_char(c);
                    }
                }
                _ => {
                    if let Some(c) = inner.next_char() {
                        segs.lit_char(c);
                    }
                }
            }
        }
        segs.done().0
    }

    /// The offsets of the bracket closing the one at `open_at` (counting nesting) and just
    /// past it; both the end of the text when it is never closed.
    fn matching(&self, open_at: usize, open: u8, close: u8) -> (usize, usize) {
        let mut depth = 0usize;
        let mut i = open_at;
        while i < self.bytes.len() {
            let b = self.bytes[i];
            if b == open {
                depth += 1;
            } else if b == close {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return (i, i + 1);
                }
            }
            i += 1;
        }
        (self.bytes.len(), self.bytes.len())
    }
}

/// The variable a placeholder expression names: `env.HELM_MAX_HISTORY` and `.HELM_MAX_HISTORY`
/// are `HELM_MAX_HISTORY`; other scopes (`secrets.X`, `params.x`) keep their prefix so that they
/// never match a plain environment variable.
fn placeholder_name(expr: &str) -> String {
    let expr = expr.trim();
    expr.strip_prefix("env.")
        .or_else(|| expr.strip_prefix('.'))
        .unwrap_or(expr)
        .to_string()
}

fn is_dotted_path(text: &str) -> bool {
    let mut parts = text.split('.');
    let ident = |p: &str| {
        p.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
            && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    };
    text.contains('.') && parts.all(ident)
}

/// Word builder: segments with adjacent literals merged, the text as written, and how the
/// content lies in the text (for [`Word::verbatim`]).
#[derive(Default)]
struct Segs {
    segments: Vec<Segment>,
    written: String,
    /// Variables and substitutions pushed: `Lexer::expansion` adds their source to `written`.
    expansions: usize,
    /// Quoted parts and runs of unquoted text read so far.
    parts: usize,
    /// The last part is unquoted text.
    in_bare: bool,
    /// A backslash escape or continuation was undone.
    escaped: bool,
}

impl Segs {
    fn lit(&mut self, s: &str) {
        self.written.push_str(s);
        match self.segments.last_mut() {
            Some(Segment::Lit(t)) => t.push_str(s),
            _ => self.segments.push(Segment::Lit(s.to_string())),
        }
    }

    /// Unquoted text follows.
    fn bare(&mut self) {
        self.parts += usize::from(!self.in_bare);
        self.in_bare = true;
    }

    /// A quoted part follows.
    fn quoted(&mut self) {
        self.parts += 1;
        self.in_bare = false;
    }

    fn lit_char(&mut self, c: char) {
        let mut buf = [0u8; 4];
        self.lit(c.encode_utf8(&mut buf));
    }

    fn push(&mut self, seg: Segment) {
        self.expansions += 1;
        self.segments.push(seg);
    }

    /// The segments (an empty literal, from `""`, only when it is all the word holds), the text
    /// as written and whether it is verbatim.
    fn done(self) -> (Vec<Segment>, String, bool) {
        let verbatim = self.parts <= 1 && !self.escaped;
        let segments = if self.segments.len() <= 1 {
            self.segments
        } else {
            self.segments
                .into_iter()
                .filter(|s| !matches!(s, Segment::Lit(t) if t.is_empty()))
                .collect()
        };
        (segments, self.written, verbatim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<Vec<String>> {
        parse(text, Dialect::Shell)
            .iter()
            .map(|c| c.words.iter().map(|w| w.expand(&Env::new()).text).collect())
            .collect()
    }

    #[test]
    fn quoting_continuations_and_separators() {
        let cmds = words(
            "helm upgrade app \\\n  ./chart --set 'a=b c' \"x\\\"y\" # comment\necho done && ls",
        );
        assert_eq!(
            cmds,
            vec![
                vec![
                    "helm", "upgrade", "app", "./chart", "--set", "a=b c", "x\"y"
                ],
                vec!["echo", "done"],
                vec!["ls"],
            ]
        );
    }

    #[test]
    fn offsets_point_into_the_text() {
        let text = "  helm  upgrade";
        let cmd = &parse(text, Dialect::Shell)[0];
        assert_eq!(&text[cmd.words[1].start..cmd.words[1].end], "upgrade");
    }

    #[test]
    fn variables_expand_or_stay_unknown() {
        let cmd = &parse("helm $OPTS \"${T:-5m}\" ${{ env.H }}", Dialect::GitHub)[0];
        let mut env = Env::new();
        env.insert("H".into(), Some("7".into()));
        let opts = cmd.words[1].expand(&env);
        assert!(opts.may_split && opts.unknown.as_deref() == Some("$OPTS"));
        assert_eq!(cmd.words[2].expand(&env).text, "5m");
        assert_eq!(cmd.words[3].expand(&env).text, "7");
    }

    #[test]
    fn defaults_expand_what_they_hold() {
        let cmd = &parse(
            "helm ${R:-${APP:-app}} \"${T:-\"5m\"}\" ${O:-$OPTS} ${D:-${D:-${D:-${D:-${D:-${D:-${D:-${D:-${D:-x}}}}}}}}}",
            Dialect::Shell,
        )[0];
        let mut env = Env::new();
        assert_eq!(cmd.words[1].expand(&env).text, "app");
        env.insert("APP".into(), Some("shop".into()));
        assert_eq!(cmd.words[1].expand(&env).text, "shop");
        env.insert("APP".into(), None);
        assert_eq!(cmd.words[1].expand(&env).unknown.as_deref(), Some("$APP"));
        assert_eq!(cmd.words[2].expand(&env).text, "5m");
        let opts = cmd.words[3].expand(&env);
        assert!(opts.may_split && opts.unknown.as_deref() == Some("$OPTS"));
        // Nested deeper than followed: unknown, not the innermost text.
        assert!(cmd.words[4].expand(&env).unknown.is_some());
    }

    #[test]
    fn heredocs_and_redirections_are_skipped() {
        let cmds = words("cat <<EOF > out.sh\nhelm upgrade x y\nEOF\nhelm version 2>&1 >/dev/null");
        assert_eq!(cmds, vec![vec!["cat"], vec!["helm", "version"]]);
    }

    #[test]
    fn make_and_macro_placeholders() {
        let cmd = &parse("helm $(HELM_FLAGS) $$HOME $(shell date)", Dialect::Make)[0];
        assert_eq!(
            cmd.words[1].segments,
            vec![Segment::Var {
                name: "HELM_FLAGS".into(),
                quoted: false,
                fallback: None
            }]
        );
        assert!(matches!(&cmd.words[2].segments[0], Segment::Var { name, .. } if name == "HOME"));
        assert!(matches!(cmd.words[3].segments[0], Segment::Subst { .. }));
    }

    fn pipeline_words(script: &str) -> Vec<Vec<Vec<String>>> {
        pipelines(script, Dialect::Shell)
            .into_iter()
            .map(|pl| {
                pl.into_iter()
                    .map(|c| c.words.into_iter().map(|w| w.written).collect())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn pipelines_group_piped_commands() {
        assert_eq!(
            pipeline_words("set -e; psql -c 'DROP TABLE a' && echo \"x y\" | psql\na || b"),
            vec![
                vec![vec!["set", "-e"]],
                vec![vec!["psql", "-c", "DROP TABLE a"]],
                vec![vec!["echo", "x y"], vec!["psql"]],
                vec![vec!["a"]],
                vec![vec!["b"]],
            ]
        );
    }

    #[test]
    fn heredoc_bodies_belong_to_their_command() {
        let script = "cat <<'SQL' | psql \"$URL\"\nDELETE FROM t;\nSQL\necho done\n";
        let pls = pipelines(script, Dialect::Shell);
        let body = pls[0][0].heredoc.clone().expect("a heredoc");
        assert_eq!(&script[body], "DELETE FROM t;\n");
        assert_eq!(pls[0][1].heredoc, None);
        assert_eq!(pls[1][0].words[0].written, "echo");
        // Unterminated: the body runs to the end; a command that is only a heredoc is kept.
        let script = "<<-E\n\tx\n";
        let pls = pipelines(script, Dialect::Shell);
        assert_eq!(pls[0][0].heredoc, Some(5..script.len()));
        assert!(parse(script, Dialect::Shell).is_empty());
        // As in a shell, the delimiter line is the delimiter alone: trailing blanks do not end
        // the body (the SQL reader this replaced accepted them).
        let script = "psql <<SQL\nx\nSQL \nSQL\r\n";
        let body = pipelines(script, Dialect::Shell)[0][0].heredoc.clone();
        assert_eq!(body.map(|b| &script[b]), Some("x\nSQL \n"));
    }

    #[test]
    fn written_text_and_verbatim_offsets() {
        let script = "psql -c \"DELETE FROM $T\" 'a b' \"x\\\"y\" 'q'r ${U} $'z'";
        let words = &parse(script, Dialect::Shell)[0].words;
        let got: Vec<(&str, bool)> = words
            .iter()
            .map(|w| (w.written.as_str(), w.verbatim))
            .collect();
        assert_eq!(
            got,
            vec![
                ("psql", true),
                ("-c", true),
                ("DELETE FROM $T", true),
                ("a b", true),
                ("x\"y", false),
                // Two parts: offsets in the text do not follow the unquoted text.
                ("qr", false),
                ("${U}", true),
                ("z", false),
            ]
        );
        for w in words.iter().filter(|w| w.verbatim) {
            assert_eq!(&script[w.at..w.at + w.written.len()], w.written);
        }
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
            "$(",
            "\"$",
            "`",
            "a=\"",
            "é<<é\né",
            "a=(",
            "a=(b",
            "a=(\"",
            "a=(b=(c))",
            "a=(é)é",
        ] {
            for dialect in [Dialect::Shell, Dialect::Make, Dialect::CircleCi] {
                let _ = pipelines(s, dialect);
            }
        }
    }

    #[test]
    fn assignments() {
        let cmd = &parse("HELM_MAX_HISTORY=5 helm upgrade", Dialect::Shell)[0];
        let (name, value) = cmd.words[0].assignment().expect("an assignment");
        assert_eq!(name, "HELM_MAX_HISTORY");
        assert_eq!(value.expand(&Env::new()).text, "5");
    }

    /// The array assigned by the first command of `script`, with the variables its words set,
    /// and whether the commands after it are its elements.
    fn array_of(script: &str) -> (String, Option<String>, Vec<bool>) {
        let commands = parse(script, Dialect::Shell);
        let (name, value) = commands[0].words[0].assignment().expect("an assignment");
        let known = value.expand(&Env::new());
        let elements = commands[1..].iter().map(|c| c.array).collect();
        (
            name,
            known.unknown.is_none().then_some(known.text),
            elements,
        )
    }

    #[test]
    fn literal_arrays_are_known_and_expand_to_a_word_each() {
        let (name, value, elements) = array_of(
            "args=( --atomic \\\n --history-max 5 # why\n '--wait' )\nhelm \"${args[@]}\"",
        );
        assert_eq!(name, "args[@]");
        assert_eq!(value.as_deref(), Some("--atomic --history-max 5 --wait"));
        // The elements (over two lines) run nothing; `helm` does.
        assert_eq!(elements, [true, true, false]);

        let mut env = Env::new();
        env.insert(name, value);
        env.insert("empty[@]".into(), Some(String::new()));
        let expanded = |word: &str| {
            let e = parse(word, Dialect::Shell)[0].words[0].expand(&env);
            (e.text, e.splits, e.unknown)
        };
        let all = ("--atomic --history-max 5 --wait".to_string(), true, None);
        assert_eq!(expanded("\"${args[@]}\""), all);
        assert_eq!(expanded("${args[*]}"), all);
        // Quoted `[*]` joins the elements into one word.
        assert!(!expanded("\"${args[*]}\"").1);
        // An empty array is no word at all.
        assert_eq!(expanded("\"${empty[@]}\""), (String::new(), true, None));
        assert_eq!(
            expanded("\"${other[@]}\"").2.as_deref(),
            Some("${other[@]}")
        );
    }

    #[test]
    fn arrays_that_are_not_plain_words_are_unknown() {
        for script in [
            "a+=(--atomic)",
            "a=(--set \"x=a b\")",
            "a=(--timeout $T)",
            "a=(*.yaml)",
            "a=(\"\")",
            "a=($(flags))",
            "a=(--atomic; b)",
            "a=(--atomic",
        ] {
            let (name, value, elements) = array_of(script);
            assert_eq!(name, "a[@]", "{script}");
            assert_eq!(value, None, "{script}");
            // Read as before: the elements stay an ordinary command.
            assert!(elements.iter().all(|array| !array), "{script}");
        }
        // Not an array assignment as bash reads them.
        for script in ["a =(b)", "\"a\"=(b)", "a\\=(b)", "$a=(b)"] {
            let commands = parse(script, Dialect::Shell);
            let assigned = commands[0].words[0].assignment().map(|(name, _)| name);
            assert_ne!(assigned.as_deref(), Some("a[@]"), "{script}");
            assert!(commands.iter().all(|c| !c.array), "{script}");
        }
    }

    #[test]
    fn doubling_variables_stop_at_the_expansion_bound() {
        let mut env = Env::new();
        env.insert("A0".into(), Some("x".repeat(1000)));
        for i in 1..40 {
            let word =
                &parse(&format!("${{A{}}}${{A{}}}", i - 1, i - 1), Dialect::Shell)[0].words[0];
            let e = word.expand(&env);
            assert!(e.text.len() <= MAX_EXPANDED_BYTES);
            env.insert(format!("A{i}"), e.unknown.is_none().then_some(e.text));
        }
        assert_eq!(env["A6"].as_ref().map(String::len), Some(64_000));
        assert_eq!(env["A7"], None);
        assert_eq!(env["A39"], None);
    }
}
