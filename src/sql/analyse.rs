//! Analysis of one SQL text: split into statements, parse each with sqlparser, fall back to
//! the token classifier, look into procedural code and dynamic SQL, and keep the hazards the
//! file's own schema does not explain.

use std::collections::HashMap;
use std::ops::Range;

use sqlparser::parser::Parser;

use super::change::Change;
use super::fallback::{self, Words};
use super::lex::{self, Piece, TokKind};
use super::procedural::{self, Dynamic};
use super::schema::{Found, Schema};
use super::{Dialect, template};

/// Nesting of DO blocks, function calls and dynamic SQL we follow.
const MAX_DEPTH: usize = 4;
/// Function bodies and dynamic SQL texts expanded per file: a bound on the work one file causes.
const MAX_EXPANSIONS: usize = 256;

/// Who understood a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Parse {
    Sqlparser,
    Fallback,
    Unparsed,
    /// A client command (`\set`, `DELIMITER`), or shell text a script's here-document
    /// substitutes (`$(<file)`): not SQL.
    Meta,
}

#[derive(Debug, Clone)]
pub struct Stmt {
    pub range: Range<usize>,
    pub parse: Parse,
    /// Not a read, session or server administration command, nor shell text.
    pub modifies: bool,
    pub found: Vec<Found>,
    /// Text the database cannot even read (an unclosed parenthesis, quote or comment): the
    /// migration fails when it runs, whatever was understood of it.
    pub broken: Option<&'static str>,
}

#[derive(Debug, Default)]
pub struct Analysis {
    pub statements: Vec<Stmt>,
    pub comments: Vec<Range<usize>>,
}

pub fn analyse(text: &str, dialect: Dialect) -> Analysis {
    let masked = template::mask(text);
    let lexed = lex::split(&masked, dialect);
    let mut budget = MAX_EXPANSIONS;
    let mut cx = Cx::new(&masked, dialect, &mut budget);
    let mut schema = Schema::default();
    let mut statements: Vec<Stmt> = lexed
        .pieces
        .iter()
        .map(|piece| {
            if piece.meta {
                return Stmt {
                    range: piece.range.clone(),
                    parse: Parse::Meta,
                    modifies: false,
                    found: Vec::new(),
                    broken: None,
                };
            }
            let (parse, changes) = cx.piece(piece, 0);
            Stmt {
                range: piece.range.clone(),
                parse,
                modifies: parse != Parse::Meta && fallback::modifies(&masked, &piece.tokens),
                found: schema.filter(changes),
                broken: unbalanced(&masked, &piece.tokens),
            }
        })
        .collect();
    if let Some((at, what)) = lexed.unclosed {
        mark_unclosed(&mut statements, at, masked.len(), what);
    }
    Analysis {
        statements,
        comments: lexed.comments,
    }
}

/// `$(` outside strings: a shell command substitution in a here-document, whose output only
/// the running script knows.
fn shell_substitution(src: &str, toks: &[lex::Token]) -> bool {
    toks.windows(2).any(|w| {
        w[0].kind == TokKind::Punct
            && w[0].text(src) == "$"
            && w[1].start == w[0].end
            && w[1].text(src) == "("
    })
}

/// Parentheses that do not pair up in one statement.
fn unbalanced(src: &str, toks: &[lex::Token]) -> Option<&'static str> {
    let mut depth = 0usize;
    for t in toks {
        if t.is_punct(src, '(') {
            depth += 1;
        } else if t.is_punct(src, ')') {
            match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return Some("unmatched parenthesis"),
            }
        }
    }
    (depth > 0).then_some("unclosed parenthesis")
}

/// The statement an unclosed quote or comment opens in (a comment may open between
/// statements: it then is one of its own, to the end of the text).
fn mark_unclosed(statements: &mut Vec<Stmt>, at: usize, end: usize, what: &'static str) {
    match statements
        .iter_mut()
        .find(|s| s.range.start <= at && at < s.range.end.max(s.range.start + 1))
    {
        Some(s) => s.broken = Some(what),
        None => statements.push(Stmt {
            range: at..end,
            parse: Parse::Unparsed,
            modifies: false,
            found: Vec::new(),
            broken: Some(what),
        }),
    }
}

struct Cx<'a> {
    src: &'a str,
    dialect: Dialect,
    /// Functions and procedures defined so far: their bodies run only when called.
    functions: HashMap<String, Range<usize>>,
    /// Variables holding SQL text (`SET @sql = …`, `v := '…'`).
    vars: HashMap<String, Dynamic>,
    budget: &'a mut usize,
}

impl<'a> Cx<'a> {
    fn new(src: &'a str, dialect: Dialect, budget: &'a mut usize) -> Self {
        Cx {
            src,
            dialect,
            functions: HashMap::new(),
            vars: HashMap::new(),
            budget,
        }
    }

    /// Changes of one statement, each at a byte offset of `self.src`.
    fn piece(&mut self, piece: &Piece, depth: usize) -> (Parse, Vec<(Change, usize)>) {
        let src = self.src;
        let toks = &piece.tokens;
        let start = piece.range.start;
        let text = src.get(piece.range.clone()).unwrap_or("");
        let parsed = Parser::new(&*self.dialect.parser())
            .try_with_sql(text)
            .and_then(|mut p| p.parse_statements());
        let (parse, mut changes) = match parsed {
            Ok(statements) if !statements.is_empty() => {
                let actions = fallback::alter_table(src, toks).map(|a| a.actions);
                let at = |i: Option<usize>| {
                    i.and_then(|i| actions.as_ref()?.get(i))
                        .and_then(|r| toks.get(r.start))
                        .map_or(start, |t| t.start)
                };
                let changes = statements
                    .iter()
                    .flat_map(super::ast::changes)
                    .map(|(c, i)| (c, at(i)))
                    .collect();
                (Parse::Sqlparser, changes)
            }
            _ => match fallback::changes(src, toks) {
                Some(changes) => (Parse::Fallback, changes),
                None if shell_substitution(src, toks) => (Parse::Meta, Vec::new()),
                None => (Parse::Unparsed, Vec::new()),
            },
        };
        if depth < MAX_DEPTH {
            changes.extend(self.procedural(piece, depth));
        }
        (parse, changes)
    }

    /// What runs inside a statement: a DO body, called functions, dynamic SQL.
    fn procedural(&mut self, piece: &Piece, depth: usize) -> Vec<(Change, usize)> {
        let (src, toks) = (self.src, piece.tokens.as_slice());
        let w = Words { src, toks };
        if let Some((name, body)) = procedural::function_def(src, toks) {
            self.functions.insert(name, body);
            return Vec::new();
        }
        if let Some(body) = procedural::do_body(src, toks) {
            return self.block(body, depth + 1);
        }
        // `SET @v = …` (MySQL) and `v := …` (PL/pgSQL) keep SQL for a later EXECUTE.
        let declared = w.is(0, "SET") || w.is(0, "DECLARE");
        let assign = if declared {
            toks.iter().take(6).position(|t| t.is_punct(src, '='))
        } else {
            (toks.get(1).is_some_and(|t| t.is_punct(src, ':'))
                && toks.get(2).is_some_and(|t| t.is_punct(src, '=')))
            .then_some(2)
        };
        if let Some(eq) = assign {
            let name = toks.get(usize::from(declared));
            if let (Some(t), Some(d)) = (name, procedural::dynamic(src, &toks[eq + 1..])) {
                self.vars.insert(t.text(src).to_ascii_lowercase(), d);
            }
            return Vec::new();
        }
        let executed = if w.is(0, "EXECUTE") && self.dialect != Dialect::Mysql {
            self.dynamic_of(&toks[1..])
        } else if w.is(0, "PREPARE") {
            toks.iter()
                .position(|t| t.is_word(src, "FROM"))
                .and_then(|i| self.dynamic_of(&toks[i + 1..]))
        } else {
            None
        };
        if let Some(d) = executed {
            return self.run_dynamic(&d, depth + 1);
        }
        let mut out = Vec::new();
        for name in procedural::calls(src, toks) {
            if let Some(body) = self.functions.get(&name).cloned() {
                out.extend(self.block(body, depth + 1));
            }
        }
        out
    }

    /// A literal, a `format(…)` or a variable holding SQL.
    fn dynamic_of(&self, toks: &[lex::Token]) -> Option<Dynamic> {
        let first = toks.first()?;
        if first.kind == TokKind::Word && toks.len() <= 2 {
            return self
                .vars
                .get(&first.text(self.src).to_ascii_lowercase())
                .cloned();
        }
        procedural::dynamic(self.src, toks)
    }

    fn spend(&mut self) -> bool {
        if *self.budget == 0 {
            return false;
        }
        *self.budget -= 1;
        true
    }

    /// The statements of a procedural body (a range of `self.src`).
    fn block(&mut self, body: Range<usize>, depth: usize) -> Vec<(Change, usize)> {
        if depth > MAX_DEPTH || !self.spend() {
            return Vec::new();
        }
        let mut out = Vec::new();
        for piece in lex::split_range(self.src, body, self.dialect).pieces {
            let toks = procedural::strip_control(self.src, &piece.tokens);
            let (Some(first), Some(last)) = (toks.first(), toks.last()) else {
                continue;
            };
            let inner = Piece {
                range: first.start..last.end,
                tokens: toks.to_vec(),
                meta: false,
            };
            out.extend(self.piece(&inner, depth).1);
        }
        out
    }

    /// SQL built at run time, analysed on its own; its changes are placed at the literal of
    /// `self.src` that holds their text.
    fn run_dynamic(&mut self, d: &Dynamic, depth: usize) -> Vec<(Change, usize)> {
        if depth > MAX_DEPTH || !self.spend() {
            return Vec::new();
        }
        let lexed = lex::split(&d.text, self.dialect);
        let mut sub = Cx::new(&d.text, self.dialect, self.budget);
        let mut out = Vec::new();
        for piece in lexed.pieces.iter().filter(|p| !p.meta) {
            for (change, off) in sub.piece(piece, depth).1 {
                out.push((change, d.source_offset(off)));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests;
