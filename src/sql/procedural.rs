//! Reading procedural SQL: `DO` blocks, function and procedure bodies, and the SQL they build
//! at run time (`EXECUTE format('DROP TABLE %I', …)`, MySQL `PREPARE … FROM @sql`). These are
//! pure token readings; `analyse` decides what runs.

use std::ops::Range;

use super::fallback::Words;
use super::lex::{TokKind, Token, depth_zero_positions};

/// The byte range of a `DO` block's body.
pub fn do_body(src: &str, toks: &[Token]) -> Option<Range<usize>> {
    if !toks.first()?.is_word(src, "DO") {
        return None;
    }
    let body = toks.iter().find(|t| t.kind == TokKind::Str)?;
    Some(body.inner.0..body.inner.1)
}

/// A function or procedure a statement defines: its name and the byte range of its body.
pub fn function_def(src: &str, toks: &[Token]) -> Option<(String, Range<usize>)> {
    let w = Words { src, toks };
    if !w.is(0, "CREATE") {
        return None;
    }
    let k = (1..toks.len().min(12)).find(|i| w.is(*i, "FUNCTION") || w.is(*i, "PROCEDURE"))?;
    let (name, after) = w.name(k + 1)?;
    // PostgreSQL: a dollar-quoted (or `AS '…'`) body. MySQL: BEGIN … to the end.
    let quoted = toks[after..].iter().enumerate().find(|(i, t)| {
        t.kind == TokKind::Str && (t.text(src).starts_with('$') || w.is(after + i - 1, "AS"))
    });
    if let Some((_, t)) = quoted {
        return Some((name, t.inner.0..t.inner.1));
    }
    let begin = depth_zero_positions(src, toks)
        .find(|(i, t)| *i > after && t.is_word(src, "BEGIN"))?
        .1;
    Some((name, begin.start..toks.last()?.end))
}

/// Drops the control flow in front of a statement inside a procedural body (`IF … THEN`,
/// `BEGIN`, `ELSE`, `<<label>>`, …). Empty when what is left is not a statement that can
/// change anything (`END IF`, `RAISE`, `RETURN`, …).
pub fn strip_control<'t>(src: &str, mut toks: &'t [Token]) -> &'t [Token] {
    loop {
        let Some(first) = toks.first() else {
            return toks;
        };
        if first.is_punct(src, '<') {
            // `<<label>>`
            let end = toks
                .iter()
                .position(|t| t.is_punct(src, '>'))
                .map_or(toks.len(), |i| i + 2);
            toks = toks.get(end..).unwrap_or(&[]);
            continue;
        }
        if first.kind == TokKind::Word
            && toks.get(1).is_some_and(|t| t.is_punct(src, ':'))
            && !toks.get(2).is_some_and(|t| t.is_punct(src, '='))
        {
            // MySQL `label: LOOP`
            toks = &toks[2..];
            continue;
        }
        let head = first.text(src).to_ascii_uppercase();
        match head.as_str() {
            "IF" | "ELSIF" | "ELSEIF" | "WHILE" | "FOR" | "FOREACH" | "WHEN" | "EXCEPTION" => {
                let body = depth_zero_positions(src, toks).find(|(i, t)| {
                    *i > 0 && ["THEN", "LOOP", "DO"].iter().any(|k| t.is_word(src, k))
                });
                match body {
                    Some((i, _)) => toks = &toks[i + 1..],
                    None => return &[],
                }
            }
            "ELSE" | "BEGIN" | "LOOP" | "REPEAT" | "THEN" | "DECLARE" => toks = &toks[1..],
            "END" | "RAISE" | "RETURN" | "NULL" | "GET" | "CONTINUE" | "EXIT" | "OPEN"
            | "FETCH" | "CLOSE" | "ASSERT" | "LEAVE" | "ITERATE" | "SIGNAL" | "RESIGNAL" => {
                return &[];
            }
            _ => return toks,
        }
    }
}

/// SQL built from string literals: what `EXECUTE`, `PREPARE … FROM` or a variable holds.
#[derive(Debug, Clone)]
pub struct Dynamic {
    pub text: String,
    /// (offset in `text`, offset in the source) where each literal's content starts, ascending:
    /// a statement built at run time is located at the literal that holds its text, not at the
    /// `EXECUTE` that runs it.
    parts: Vec<(usize, usize, usize)>,
}

impl Dynamic {
    /// The source offset of `offset` in [`Dynamic::text`], inside the literal that wrote it.
    pub fn source_offset(&self, offset: usize) -> usize {
        let i = self
            .parts
            .partition_point(|(t, _, _)| *t <= offset)
            .saturating_sub(1);
        self.parts.get(i).map_or(0, |(t, anchor, len)| {
            anchor + offset.saturating_sub(*t).min(*len)
        })
    }
}

/// Reads the SQL an expression builds from its literals. `format('… %I …', x)` keeps the
/// format string, with placeholders as names; concatenations join their literals around a
/// placeholder name; literals in any other shape (`IF(c, 'a', 'b')`) are taken as separate
/// statements. `USING …` arguments are not part of the SQL.
pub fn dynamic(src: &str, toks: &[Token]) -> Option<Dynamic> {
    let end = toks
        .iter()
        .position(|t| t.is_word(src, "USING"))
        .unwrap_or(toks.len());
    let toks = &toks[..end];
    let literals: Vec<&Token> = toks.iter().filter(|t| t.kind == TokKind::Str).collect();
    let first = literals.first()?;
    let unescape = |t: &Token| t.inner(src).replace("''", "'");
    if toks.iter().any(|t| t.is_word(src, "format")) {
        let text = unescape(first)
            .replace("%I", "x_")
            .replace("%s", "x_")
            .replace("%L", "''");
        return Some(Dynamic {
            parts: vec![(0, first.inner.0, text.len())],
            text,
        });
    }
    let concat = toks
        .windows(2)
        .any(|p| p[0].is_punct(src, '|') && p[1].is_punct(src, '|'))
        || toks.iter().any(|t| t.is_word(src, "CONCAT"));
    let sep = if concat { " x_ " } else { ";\n" };
    let mut d = Dynamic {
        text: String::new(),
        parts: Vec::with_capacity(literals.len()),
    };
    for (i, t) in literals.iter().enumerate() {
        if i > 0 {
            d.text.push_str(sep);
        }
        let content = unescape(t);
        d.parts.push((d.text.len(), t.inner.0, content.len()));
        d.text.push_str(&content);
    }
    Some(d)
}

/// Names called as functions in a statement (`SELECT f(…)`, `CALL p`, `PERFORM f(…)`).
pub fn calls(src: &str, toks: &[Token]) -> Vec<String> {
    let w = Words { src, toks };
    let mut out = Vec::new();
    if w.is(0, "CALL") {
        if let Some((name, _)) = w.name(1) {
            out.push(name);
        }
        return out;
    }
    if !(w.is(0, "SELECT") || w.is(0, "PERFORM")) {
        return out;
    }
    for i in 1..toks.len() {
        let called = toks[i].is_punct(src, '(') && toks[i - 1].kind == TokKind::Word;
        if let Some((name, _)) = w.name(i - 1).filter(|_| called) {
            out.push(name);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::Dialect;
    use super::super::lex::split;
    use super::*;

    fn toks(sql: &str) -> Vec<Token> {
        split(sql, Dialect::Postgres).pieces.remove(0).tokens
    }

    #[test]
    fn bodies_and_dynamic_sql() {
        let sql = "CREATE OR REPLACE FUNCTION f() RETURNS void AS $$ BEGIN DROP TABLE a; END $$ LANGUAGE plpgsql";
        let (name, body) = function_def(sql, &toks(sql)).expect("function");
        assert_eq!(name, "f");
        assert_eq!(&sql[body], " BEGIN DROP TABLE a; END ");

        let sql = "EXECUTE format('DROP TABLE %I', t) USING 'x'";
        let d = dynamic(sql, &toks(sql)).expect("dynamic");
        assert_eq!(d.text, "DROP TABLE x_");

        let sql = "IF NOT EXISTS (SELECT 1 FROM x WHERE a THEN) THEN ALTER TABLE t DROP COLUMN c";
        let t = toks(sql);
        assert_eq!(strip_control(sql, &t)[0].text(sql), "ALTER");
        let sql = "END IF";
        assert!(strip_control(sql, &toks(sql)).is_empty());
        assert_eq!(
            calls("SELECT f(1), g()", &toks("SELECT f(1), g()")),
            ["f", "g"]
        );
    }
}
