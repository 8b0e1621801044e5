//! SQL hazard rules: one per kind of statement a rollback cannot undo. They only read the
//! hazards [`crate::sql`] put in the model; all of them share one check.

use super::framework::{Context, Emitter, Rule};
use crate::finding::{Category, Effect, Location, RuleMeta, Severity};
use crate::sql::{Direction, Hazard, Parse, Script};

/// A rule reporting every forward statement with one hazard.
pub struct HazardRule {
    meta: &'static RuleMeta,
    hazard: Hazard,
    /// What it means for the previous version, appended to the message.
    consequence: &'static str,
}

/// A [`HazardRule`] static: its metadata, the hazard it reports and the consequence.
macro_rules! hazard_rule {
    ($name:ident, $id:literal, $sev:ident, $effect:ident, $hazard:ident,
     summary: $summary:expr, doc: $doc:expr, fix: $fix:expr, consequence: $cons:expr $(,)?) => {
        pub static $name: HazardRule = HazardRule {
            meta: &RuleMeta {
                id: $id,
                category: Category::Migrations,
                severity: Severity::$sev,
                effect: Effect::$effect,
                summary: $summary,
                doc: $doc,
                fix: $fix,
            },
            hazard: Hazard::$hazard,
            consequence: $cons,
        };
    };
}

const EXPAND_CONTRACT: &str = "Expand and contract: ship the code that stops using it first, and drop it in a later release, once no version you may roll back to needs it.";

hazard_rule!(
    DROP_TABLE, "sql-drop-table", Error, DataLoss, DropTable,
    summary: "DROP TABLE / SCHEMA / DATABASE in a migration the release runs",
    doc: "A migration the release runs forward drops a table, schema or database. A rollback restores the previous code, not the data: the previous version fails on the missing table and the rows are gone. `IF EXISTS` changes nothing. Tables the same file created are not reported.",
    fix: EXPAND_CONTRACT,
    consequence: "the previous version still uses it and a rollback cannot bring the data back",
);

hazard_rule!(
    DROP_COLUMN, "sql-drop-column", Error, DataLoss, DropColumn,
    summary: "ALTER TABLE … DROP COLUMN",
    doc: "A migration drops a column. The previous version still reads or writes it, so after a rollback it fails, and the column's data cannot be restored.",
    fix: EXPAND_CONTRACT,
    consequence: "the previous version still reads it and a rollback cannot restore its data",
);

hazard_rule!(
    TRUNCATE, "sql-truncate", Error, DataLoss, Truncate,
    summary: "TRUNCATE",
    doc: "A migration empties a table. No rollback brings the rows back.",
    fix: "Delete only what must go, with a WHERE clause, after a backup; or move the data aside first.",
    consequence: "a rollback cannot bring the rows back",
);

hazard_rule!(
    UNBOUNDED_WRITE, "sql-unbounded-write", Error, DataLoss, UnboundedWrite,
    summary: "DELETE or UPDATE without WHERE",
    doc: "A DELETE or UPDATE without WHERE (or LIMIT) touches every row; the old values are lost for good. A backfill of a column the same file added is not reported.",
    fix: "Add a WHERE clause that names the rows meant, or write the old values aside first.",
    consequence: "the old values are lost for good",
);

hazard_rule!(
    RENAME, "sql-rename", Error, OldCodeBreaks, Rename,
    summary: "RENAME of a table or column",
    doc: "A migration renames a table or column. The previous version uses the old name, so after a rollback its queries fail.",
    fix: "Add the new name (a new column kept in sync, or a view), move the code over, and drop the old name in a later release.",
    consequence: "the previous version uses the old name",
);

hazard_rule!(
    ADD_NOT_NULL_COLUMN, "sql-add-not-null-column", Error, OldCodeBreaks, AddNotNullColumn,
    summary: "ADD COLUMN … NOT NULL without DEFAULT: old code's INSERTs fail after rollback",
    doc: "A new column is NOT NULL and has no DEFAULT (nor serial, identity or generated value). The previous version does not know the column, so its INSERTs leave it out and fail after a rollback. With a DEFAULT it is safe.",
    fix: "Give the column a DEFAULT, or add it nullable and set NOT NULL in a later release.",
    consequence: "the previous version's INSERTs leave it out and fail",
);

hazard_rule!(
    SET_NOT_NULL, "sql-set-not-null", Warning, OldCodeBreaks, SetNotNull,
    summary: "ALTER COLUMN SET NOT NULL",
    doc: "A column becomes NOT NULL. The previous version may still write NULL there (or leave the column out), and its writes fail after a rollback.",
    fix: "Set a DEFAULT first, or wait until no version you may roll back to writes NULL.",
    consequence: "the previous version may still write NULL there",
);

hazard_rule!(
    ALTER_COLUMN_TYPE, "sql-alter-column-type", Warning, OldCodeBreaks, AlterColumnType,
    summary: "ALTER COLUMN TYPE / MODIFY COLUMN type change",
    doc: "A column changes type (ALTER COLUMN … TYPE, MySQL MODIFY/CHANGE). The previous version may read or write values of the old type, and the conversion may lose precision that a rollback cannot restore.",
    fix: "Add a column of the new type, write both, move the readers, then drop the old one in a later release.",
    consequence: "the previous version expects the old type",
);

hazard_rule!(
    ADD_CONSTRAINT, "sql-add-constraint", Warning, OldCodeBreaks, AddConstraint,
    summary: "new UNIQUE / CHECK / FOREIGN KEY that old code may violate",
    doc: "A UNIQUE, CHECK or FOREIGN KEY constraint (or a unique index) is added to an existing table. The previous version never had to respect it, so after a rollback its writes may be rejected.",
    fix: "Make sure the previous version already writes only rows that satisfy the constraint, then add it.",
    consequence: "the previous version's writes may violate it",
);

impl Rule for HazardRule {
    fn meta(&self) -> &'static RuleMeta {
        self.meta
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        for script in forward(cx) {
            for statement in &script.statements {
                for h in statement.hazards.iter().filter(|h| h.hazard == self.hazard) {
                    let mut message = format!(
                        "{} {}: {}",
                        script.name(),
                        h.change.describe(),
                        self.consequence
                    );
                    if self.hazard.destructive() {
                        match script.origin.has_down {
                            Some(false) => message.push_str("; there is no down migration either"),
                            Some(true) => {
                                message.push_str(" (its down migration cannot restore data)")
                            }
                            None => {}
                        }
                    }
                    out.at(
                        Location::in_script(script, h.span),
                        script.origin.resource.clone(),
                        message,
                    )
                    .help(self.meta.fix);
                }
            }
        }
    }
}

/// Scripts the release runs forward: not down/undo files, not rollback-only hooks.
pub(super) fn forward<'a>(cx: &'a Context) -> impl Iterator<Item = &'a Script> {
    cx.chart
        .migrations
        .scripts
        .iter()
        .filter(|s| s.origin.direction == Direction::Up)
}

pub struct Unparsed;

static UNPARSED: RuleMeta = RuleMeta {
    id: "sql-unparsed",
    category: Category::Migrations,
    severity: Severity::Warning,
    effect: Effect::NoAutoRollback,
    summary: "SQL found but not understood: safety unknown",
    doc: "Neither sqlparser nor rollguard's keyword classifier understood a statement of a migration the release runs, so nothing can be said about what it does to a rollback. A file whose text cannot even be read as SQL (an unclosed parenthesis, quote or comment) is reported too: the database rejects it, so the migration fails when the release runs it. Client commands (psql `\\…`, `DELIMITER`) are not SQL and are not reported.",
    fix: "Check the statement by hand and suppress it with `-- rollguard-ignore sql-unparsed`, or set `--sql-dialect` if the dialect was guessed wrong.",
};

impl Rule for Unparsed {
    fn meta(&self) -> &'static RuleMeta {
        &UNPARSED
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        for script in forward(cx) {
            for statement in script
                .statements
                .iter()
                .filter(|s| s.parse == Parse::Unparsed || s.broken.is_some())
            {
                let text = &script.file().text;
                let head: String = text
                    .get(statement.span.start..)
                    .unwrap_or("")
                    .lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(60)
                    .collect();
                out.at(
                    Location::in_script(script, statement.span),
                    script.origin.resource.clone(),
                    match statement.broken {
                        Some(why) => format!(
                            "{}: {why} (`{}`): the database cannot read this file, so the migration fails when it runs",
                            script.name(),
                            head.trim()
                        ),
                        None => format!(
                            "{}: a statement is not understood as {} SQL (`{}`)",
                            script.name(),
                            script.dialect.as_str(),
                            head.trim()
                        ),
                    },
                )
                .help(UNPARSED.fix);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_utils::{NONE, manifest};

    fn migration(sql: &str) -> String {
        format!(
            "\
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-migrations
data:
  002.sql: |
    {sql}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: app-migrate
  annotations:
    helm.sh/hook: pre-upgrade
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: run
          image: postgres:16
          command: [sh, -c, 'psql -f /sql/*.sql']
          volumeMounts:
            - name: sql
              mountPath: /sql
      volumes:
        - name: sql
          configMap:
            name: app-migrations
"
        )
    }

    #[test]
    fn dropping_a_table_is_an_error_at_the_statement() {
        assert_eq!(
            manifest(migration("DROP TABLE orders;")).findings(&DROP_TABLE),
            [("sql-drop-table", Severity::Error, 7)]
        );
        assert_eq!(
            manifest(migration("CREATE TABLE audit (id serial);")).findings(&DROP_TABLE),
            NONE
        );
    }
}
