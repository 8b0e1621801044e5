//! The token-level classifier: reads the changes of a statement sqlparser rejects (vendor
//! syntax, templated names, …) from its keywords, so a `DROP TABLE` is still seen. It also
//! locates the actions of an `ALTER TABLE` for both paths.

use std::ops::Range;

use super::ast::implicit_default;
use super::change::{Change, normalise};
use super::lex::{TokKind, Token, depth_zero_positions};

/// Statement heads the classifier knows. A statement starting with anything else, that
/// sqlparser did not parse either, is reported as not understood.
const KNOWN_VERBS: &[&str] = &[
    "ABORT",
    "ALTER",
    "ANALYSE",
    "ANALYZE",
    "BEGIN",
    "CALL",
    "CHANGE",
    "CHECKPOINT",
    "CLOSE",
    "CLUSTER",
    "COMMENT",
    "COMMIT",
    "COPY",
    "CREATE",
    "DEALLOCATE",
    "DECLARE",
    "DELETE",
    "DESC",
    "DESCRIBE",
    "DISCARD",
    "DO",
    "DROP",
    "END",
    "EXEC",
    "EXECUTE",
    "EXPLAIN",
    "FETCH",
    "FLUSH",
    "GRANT",
    "IMPORT",
    "INSERT",
    "KILL",
    "LISTEN",
    "LOAD",
    "LOCK",
    "MERGE",
    "NOTIFY",
    "OPTIMIZE",
    "PERFORM",
    "PRAGMA",
    "PREPARE",
    "PURGE",
    "REFRESH",
    "REINDEX",
    "RELEASE",
    "RENAME",
    "REPLACE",
    "RESET",
    "REVOKE",
    "ROLLBACK",
    "SAVEPOINT",
    "SECURITY",
    "SELECT",
    "SET",
    "SHOW",
    "START",
    "STOP",
    "TABLE",
    "TRUNCATE",
    "UNLISTEN",
    "UNLOCK",
    "UPDATE",
    "UPSERT",
    "USE",
    "VACUUM",
    "VALUES",
    "WITH",
];

/// Statement heads that only read, steer the session or administer the server (replication
/// control such as `STOP SLAVE` and `CHANGE MASTER TO`, log and cache flushes): none of them
/// changes the schema or the data a migration owns.
const READ_ONLY_VERBS: &[&str] = &[
    "BEGIN",
    "CHANGE",
    "COMMIT",
    "DESC",
    "DESCRIBE",
    "END",
    "EXPLAIN",
    "FLUSH",
    "KILL",
    "PURGE",
    "RELEASE",
    "RESET",
    "ROLLBACK",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "SHOW",
    "START",
    "STOP",
    "USE",
    "VALUES",
];

/// The changes a statement makes, each with the token where it is written; `None` when the
/// statement's head is not one the classifier knows.
pub fn changes(src: &str, toks: &[Token]) -> Option<Vec<(Change, usize)>> {
    let w = Words { src, toks };
    let verb = w.upper(0)?;
    if !KNOWN_VERBS.contains(&verb.as_str()) {
        return None;
    }
    let start = toks.first().map_or(0, |t| t.start);
    let at_start = |c: Change| (c, start);
    Some(match verb.as_str() {
        "DROP" => drop(&w).into_iter().map(at_start).collect(),
        "TRUNCATE" => {
            let i = w.skip(1, &["TABLE", "ONLY"]);
            w.names(i)
                .into_iter()
                .map(|table| at_start(Change::Truncate { table }))
                .collect()
        }
        "WITH" => {
            // The CTEs are in parentheses: the statement proper starts at the first top-level
            // DELETE or UPDATE.
            let body = depth_zero_positions(src, toks)
                .find(|(_, t)| t.is_word(src, "DELETE") || t.is_word(src, "UPDATE"));
            match body {
                Some((i, _)) => changes(src, &toks[i..]).unwrap_or_default(),
                None => Vec::new(),
            }
        }
        "DELETE" => delete(&w).into_iter().map(at_start).collect(),
        "UPDATE" => update(&w).into_iter().map(at_start).collect(),
        "RENAME" => rename_tables(&w).into_iter().map(at_start).collect(),
        "CREATE" => create(&w).into_iter().map(at_start).collect(),
        "ALTER" => match alter_table(src, toks) {
            Some(alter) => alter
                .actions
                .iter()
                .flat_map(|r| {
                    let at = toks.get(r.start).map_or(start, |t| t.start);
                    alter_action(&w, r.clone(), &alter.table)
                        .into_iter()
                        .map(move |c| (c, at))
                })
                .collect(),
            None => Vec::new(),
        },
        _ => Vec::new(),
    })
}

/// Whether a statement changes what a migration owns (not a SELECT, SET, transaction control,
/// server administration, …).
pub fn modifies(src: &str, toks: &[Token]) -> bool {
    Words { src, toks }
        .upper(0)
        .is_none_or(|v| !READ_ONLY_VERBS.contains(&v.as_str()))
}

/// An `ALTER TABLE`: the table and the token ranges of its comma-separated actions.
pub struct AlterTable {
    pub table: String,
    pub actions: Vec<Range<usize>>,
}

pub fn alter_table(src: &str, toks: &[Token]) -> Option<AlterTable> {
    let w = Words { src, toks };
    if w.upper(0)? != "ALTER" {
        return None;
    }
    // MySQL's `ALTER ONLINE|IGNORE TABLE`.
    let table_at = (1..4).find(|i| w.is(*i, "TABLE"))?;
    let i = w.skip(table_at + 1, &["IF", "EXISTS", "ONLY"]);
    let (table, mut i) = w.name(i)?;
    if toks.get(i).is_some_and(|t| t.is_punct(src, '*')) {
        i += 1;
    }
    let mut actions = Vec::new();
    let mut begin = i;
    for (idx, t) in depth_zero_positions(src, toks).filter(|(idx, _)| *idx >= i) {
        if t.is_punct(src, ',') {
            actions.push(begin..idx);
            begin = idx + 1;
        }
    }
    if begin < toks.len() {
        actions.push(begin..toks.len());
    }
    Some(AlterTable { table, actions })
}

fn alter_action(w: &Words, r: Range<usize>, table: &str) -> Vec<Change> {
    let table = table.to_string();
    let i = r.start;
    let Some(head) = w.upper(i) else {
        return Vec::new();
    };
    let upper_in = |word: &str| (r.start..r.end).any(|k| w.is(k, word));
    match head.as_str() {
        "DROP" => {
            let j = w.skip(i + 1, &["COLUMN"]);
            let structural = [
                "CONSTRAINT",
                "INDEX",
                "KEY",
                "PRIMARY",
                "FOREIGN",
                "CHECK",
                "DEFAULT",
                "PARTITION",
                "TRIGGER",
                "NOT",
            ];
            if w.upper(j).is_some_and(|x| structural.contains(&x.as_str())) {
                return Vec::new();
            }
            let j = w.skip(j, &["IF", "EXISTS"]);
            w.name(j)
                .map(|(column, _)| vec![Change::DropColumn { table, column }])
                .unwrap_or_default()
        }
        "RENAME" => {
            if w.is(i + 1, "TO") || w.is(i + 1, "AS") {
                return w
                    .name(i + 2)
                    .map(|(to, _)| vec![Change::RenameTable { from: table, to }])
                    .unwrap_or_default();
            }
            if ["INDEX", "KEY", "CONSTRAINT"]
                .iter()
                .any(|k| w.is(i + 1, k))
            {
                return Vec::new();
            }
            let j = w.skip(i + 1, &["COLUMN"]);
            match w.name(j) {
                Some((from, k)) if w.is(k, "TO") => w
                    .name(k + 1)
                    .map(|(to, _)| vec![Change::RenameColumn { table, from, to }])
                    .unwrap_or_default(),
                _ => Vec::new(),
            }
        }
        "ADD" => {
            let j = w.skip(i + 1, &["COLUMN", "IF", "NOT", "EXISTS"]);
            let next = w.upper(j).unwrap_or_default();
            let constraint_kind = |k: usize| match w.upper(k).as_deref() {
                Some("UNIQUE") => Some("UNIQUE"),
                Some("FOREIGN") => Some("FOREIGN KEY"),
                Some("CHECK") => Some("CHECK"),
                _ => None,
            };
            match next.as_str() {
                "CONSTRAINT" => {
                    // `CONSTRAINT name KIND` or MySQL's `CONSTRAINT KIND`.
                    let kind = constraint_kind(j + 2).or_else(|| constraint_kind(j + 1));
                    kind.map(|kind| vec![Change::AddConstraint { table, kind }])
                        .unwrap_or_default()
                }
                "UNIQUE" | "FOREIGN" | "CHECK" => constraint_kind(j)
                    .map(|kind| vec![Change::AddConstraint { table, kind }])
                    .unwrap_or_default(),
                "PRIMARY" | "INDEX" | "KEY" | "FULLTEXT" | "SPATIAL" | "PARTITION" | "EXCLUDE" => {
                    Vec::new()
                }
                _ => match w.name(j) {
                    Some((column, k)) => {
                        let ty = w.toks.get(k).map_or("", |t| t.text(w.src));
                        let not_null = (k..r.end).any(|x| w.is(x, "NOT") && w.is(x + 1, "NULL"))
                            || upper_in("PRIMARY");
                        let has_default = implicit_default(ty)
                            || ["DEFAULT", "GENERATED", "AUTO_INCREMENT", "IDENTITY"]
                                .iter()
                                .any(|k| upper_in(k));
                        vec![Change::AddColumn {
                            table,
                            column,
                            not_null,
                            has_default,
                        }]
                    }
                    None => Vec::new(),
                },
            }
        }
        "ALTER" => {
            let j = w.skip(i + 1, &["COLUMN"]);
            let Some((column, k)) = w.name(j) else {
                return Vec::new();
            };
            if w.is(k, "SET") && w.is(k + 1, "NOT") && w.is(k + 2, "NULL") {
                vec![Change::SetNotNull { table, column }]
            } else if w.is(k, "TYPE") || (w.is(k, "SET") && w.is(k + 1, "DATA")) {
                vec![Change::AlterType { table, column }]
            } else if w.is(k, "SET") && w.is(k + 1, "DEFAULT") {
                vec![Change::SetDefault { table, column }]
            } else {
                Vec::new()
            }
        }
        "MODIFY" => w
            .name(w.skip(i + 1, &["COLUMN"]))
            .map(|(column, _)| vec![Change::AlterType { table, column }])
            .unwrap_or_default(),
        "CHANGE" => {
            let j = w.skip(i + 1, &["COLUMN"]);
            let Some((from, k)) = w.name(j) else {
                return Vec::new();
            };
            let mut out = Vec::new();
            if let Some((to, _)) = w.name(k).filter(|(to, _)| *to != from) {
                out.push(Change::RenameColumn {
                    table: table.clone(),
                    from: from.clone(),
                    to,
                });
            }
            out.push(Change::AlterType {
                table,
                column: from,
            });
            out
        }
        _ => Vec::new(),
    }
}

fn drop(w: &Words) -> Vec<Change> {
    let i = w.skip(1, &["TEMPORARY"]);
    let what = match w.upper(i).as_deref() {
        Some("TABLE") => "table",
        Some("SCHEMA") => "schema",
        Some("DATABASE") => "database",
        _ => return Vec::new(),
    };
    let i = w.skip(i + 1, &["IF", "EXISTS"]);
    w.names(i)
        .into_iter()
        .map(|name| Change::Drop { what, name })
        .collect()
}

fn delete(w: &Words) -> Vec<Change> {
    if w.top_level_has(&["WHERE", "LIMIT"]) {
        return Vec::new();
    }
    let Some(from) = (1..w.toks.len()).find(|i| w.is(*i, "FROM")) else {
        return Vec::new();
    };
    let i = w.skip(from + 1, &["ONLY"]);
    w.name(i)
        .map(|(table, _)| {
            vec![Change::UnboundedWrite {
                verb: "DELETE",
                table,
                columns: Vec::new(),
            }]
        })
        .unwrap_or_default()
}

fn update(w: &Words) -> Vec<Change> {
    if w.top_level_has(&["WHERE", "LIMIT"]) {
        return Vec::new();
    }
    let i = w.skip(1, &["ONLY", "LOW_PRIORITY", "IGNORE"]);
    let Some((table, _)) = w.name(i) else {
        return Vec::new();
    };
    // Assigned columns: at depth 0 after SET, a name right before `=` (after SET or `,`).
    let top: Vec<usize> = depth_zero_positions(w.src, w.toks)
        .map(|(i, _)| i)
        .collect();
    let set = top.iter().position(|i| w.is(*i, "SET"));
    let mut columns = Vec::new();
    if let Some(set) = set {
        for pair in top[set..].windows(3) {
            let [before, name, eq] = [pair[0], pair[1], pair[2]];
            let starts = w.is(before, "SET") || w.toks[before].is_punct(w.src, ',');
            if starts && w.toks[eq].is_punct(w.src, '=') {
                columns.push(normalise(w.toks[name].text(w.src)));
            }
        }
    }
    vec![Change::UnboundedWrite {
        verb: "UPDATE",
        table,
        columns,
    }]
}

fn rename_tables(w: &Words) -> Vec<Change> {
    if !w.is(1, "TABLE") {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut i = 2;
    while let Some((from, k)) = w.name(i) {
        let Some((to, next)) = w.name(k + 1).filter(|_| w.is(k, "TO")) else {
            break;
        };
        out.push(Change::RenameTable { from, to });
        if !w.toks.get(next).is_some_and(|t| t.is_punct(w.src, ',')) {
            break;
        }
        i = next + 1;
    }
    out
}

fn create(w: &Words) -> Vec<Change> {
    let i = w.skip(
        1,
        &[
            "OR",
            "REPLACE",
            "TEMP",
            "TEMPORARY",
            "UNLOGGED",
            "GLOBAL",
            "LOCAL",
        ],
    );
    if w.is(i, "TABLE") {
        let j = w.skip(i + 1, &["IF", "NOT", "EXISTS"]);
        let if_not_exists = j > i + 1;
        return w
            .name(j)
            .map(|(name, _)| {
                vec![Change::CreateTable {
                    name,
                    if_not_exists,
                }]
            })
            .unwrap_or_default();
    }
    if w.is(i, "UNIQUE") {
        let Some(on) = (i..w.toks.len()).find(|k| w.is(*k, "ON")) else {
            return Vec::new();
        };
        let j = w.skip(on + 1, &["ONLY"]);
        return w
            .name(j)
            .map(|(table, _)| {
                vec![Change::AddConstraint {
                    table,
                    kind: "UNIQUE INDEX",
                }]
            })
            .unwrap_or_default();
    }
    Vec::new()
}

/// Keyword-level reading of a token list.
pub struct Words<'a> {
    pub src: &'a str,
    pub toks: &'a [Token],
}

impl Words<'_> {
    pub fn upper(&self, i: usize) -> Option<String> {
        let t = self.toks.get(i)?;
        (t.kind == TokKind::Word).then(|| t.text(self.src).to_ascii_uppercase())
    }

    pub fn is(&self, i: usize, word: &str) -> bool {
        self.toks.get(i).is_some_and(|t| t.is_word(self.src, word))
    }

    /// The first index from `i` on that is not one of `words`.
    pub fn skip(&self, mut i: usize, words: &[&str]) -> usize {
        while words.iter().any(|w| self.is(i, w)) {
            i += 1;
        }
        i
    }

    /// A possibly dotted, possibly quoted name at `i`: its normalised form and the index after.
    pub fn name(&self, i: usize) -> Option<(String, usize)> {
        let is_part = |t: &Token| matches!(t.kind, TokKind::Word | TokKind::QuotedIdent);
        let first = self.toks.get(i).filter(|t| is_part(t))?;
        let mut j = i + 1;
        while self.toks.get(j).is_some_and(|t| t.is_punct(self.src, '.'))
            && self.toks.get(j + 1).is_some_and(is_part)
        {
            j += 2;
        }
        let last = &self.toks[j - 1];
        let text = self.src.get(first.start..last.end)?;
        Some((normalise(text), j))
    }

    /// Comma-separated names from `i`.
    pub fn names(&self, mut i: usize) -> Vec<String> {
        let mut out = Vec::new();
        while let Some((name, next)) = self.name(i) {
            out.push(name);
            if !self
                .toks
                .get(next)
                .is_some_and(|t| t.is_punct(self.src, ','))
            {
                break;
            }
            i = next + 1;
        }
        out
    }

    fn top_level_has(&self, words: &[&str]) -> bool {
        depth_zero_positions(self.src, self.toks)
            .any(|(_, t)| words.iter().any(|w| t.is_word(self.src, w)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::Dialect;
    use super::super::lex::split;
    use super::*;

    fn of(sql: &str) -> Option<Vec<Change>> {
        let lexed = split(sql, Dialect::Generic);
        let piece = lexed.pieces.first()?;
        changes(sql, &piece.tokens).map(|v| v.into_iter().map(|(c, _)| c).collect())
    }

    #[test]
    fn reads_what_sqlparser_may_not() {
        assert_eq!(
            of("DROP TABLE IF EXISTS \"ns\".users CASCADE"),
            Some(vec![Change::Drop {
                what: "table",
                name: "users".into()
            }])
        );
        assert_eq!(
            of("ALTER TABLE ONLY t DROP COLUMN IF EXISTS a, DROP CONSTRAINT c, RENAME COLUMN b TO d")
                .map(|v| v.len()),
            Some(2)
        );
        assert_eq!(
            of("UPDATE t SET a = (SELECT 1 WHERE x), b = 2"),
            Some(vec![Change::UnboundedWrite {
                verb: "UPDATE",
                table: "t".into(),
                columns: vec!["a".into(), "b".into()]
            }])
        );
        assert_eq!(of("DELETE FROM t WHERE a = 1"), Some(vec![]));
        assert_eq!(of("FROBNICATE t"), None);
        assert_eq!(
            of("WITH RECURSIVE x AS (DELETE FROM a WHERE b) DELETE FROM t").map(|v| v.len()),
            Some(1)
        );
        assert_eq!(
            of("ALTER TABLE t ADD COLUMN c int NOT NULL DEFAULT 0").map(|v| v[0].hazard()),
            Some(None)
        );
    }
}
