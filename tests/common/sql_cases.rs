//! The SQL and migration rules' fixture cases: a hazard (rule, severity, file, line) and a
//! safe twin each. `tests/rules.rs` checks, with its own table, that every catalog rule has one.

pub struct SqlCase {
    pub rule: &'static str,
    pub severity: &'static str,
    /// The hazard fixture and its safe twin, with the flag that reads them.
    pub flag: &'static str,
    pub hazard: &'static str,
    pub safe: &'static str,
    /// The file a finding points at, and the line.
    pub file: &'static str,
    pub line: u64,
}

const M: &str = "--manifest";
const DIR: &str = "--migrations";

pub const SQL_CASES: &[SqlCase] = &[
    SqlCase {
        rule: "sql-drop-table",
        severity: "error",
        flag: M,
        hazard: "fixtures/sql/sql-drop-table.yaml",
        safe: "fixtures/sql/sql-drop-table.safe.yaml",
        file: "fixtures/sql/sql-drop-table.yaml",
        line: 11,
    },
    SqlCase {
        rule: "sql-drop-column",
        severity: "error",
        flag: M,
        hazard: "fixtures/sql/sql-drop-column.yaml",
        safe: "fixtures/sql/sql-drop-column.safe.yaml",
        file: "fixtures/sql/sql-drop-column.yaml",
        line: 17,
    },
    SqlCase {
        rule: "sql-truncate",
        severity: "error",
        flag: M,
        hazard: "fixtures/sql/sql-truncate.yaml",
        safe: "fixtures/sql/sql-truncate.safe.yaml",
        file: "fixtures/sql/sql-truncate.yaml",
        line: 24,
    },
    SqlCase {
        rule: "sql-unbounded-write",
        severity: "error",
        flag: M,
        hazard: "fixtures/sql/sql-unbounded-write.yaml",
        safe: "fixtures/sql/sql-unbounded-write.safe.yaml",
        file: "fixtures/sql/sql-unbounded-write.yaml",
        line: 20,
    },
    SqlCase {
        rule: "sql-rename",
        severity: "error",
        flag: M,
        hazard: "fixtures/sql/sql-rename.yaml",
        safe: "fixtures/sql/sql-rename.safe.yaml",
        file: "fixtures/sql/sql-rename.yaml",
        line: 10,
    },
    SqlCase {
        rule: "sql-add-not-null-column",
        severity: "error",
        flag: DIR,
        hazard: "fixtures/sql/migrations/sql-add-not-null-column",
        safe: "fixtures/sql/migrations/sql-add-not-null-column.safe",
        file: "fixtures/sql/migrations/sql-add-not-null-column/V2__plan.sql",
        line: 3,
    },
    SqlCase {
        rule: "sql-set-not-null",
        severity: "warning",
        flag: DIR,
        hazard: "fixtures/sql/migrations/sql-set-not-null",
        safe: "fixtures/sql/migrations/sql-set-not-null.safe",
        file: "fixtures/sql/migrations/sql-set-not-null/000002_email.up.sql",
        line: 2,
    },
    SqlCase {
        rule: "sql-alter-column-type",
        severity: "warning",
        flag: M,
        hazard: "fixtures/sql/sql-alter-column-type.yaml",
        safe: "fixtures/sql/sql-alter-column-type.safe.yaml",
        file: "fixtures/sql/sql-alter-column-type.yaml",
        line: 17,
    },
    SqlCase {
        rule: "sql-add-constraint",
        severity: "warning",
        flag: DIR,
        hazard: "fixtures/sql/migrations/sql-add-constraint",
        safe: "fixtures/sql/migrations/sql-add-constraint.safe",
        file: "fixtures/sql/migrations/sql-add-constraint/001_fk.sql",
        line: 3,
    },
    SqlCase {
        rule: "sql-unparsed",
        severity: "warning",
        flag: M,
        hazard: "fixtures/sql/sql-unparsed.yaml",
        safe: "fixtures/sql/sql-unparsed.safe.yaml",
        file: "fixtures/sql/sql-unparsed.yaml",
        line: 17,
    },
    SqlCase {
        rule: "migration-opaque",
        severity: "info",
        flag: M,
        hazard: "fixtures/sql/migration-opaque.yaml",
        safe: "fixtures/sql/migration-opaque.safe.yaml",
        file: "fixtures/sql/migration-opaque.yaml",
        line: 17,
    },
    SqlCase {
        rule: "migration-not-pre-upgrade",
        severity: "warning",
        flag: M,
        hazard: "fixtures/sql/migration-not-pre-upgrade.yaml",
        safe: "fixtures/sql/migration-not-pre-upgrade.safe.yaml",
        file: "fixtures/sql/migration-not-pre-upgrade.yaml",
        line: 17,
    },
    SqlCase {
        rule: "migration-without-backup",
        severity: "info",
        flag: M,
        hazard: "fixtures/sql/migration-without-backup.yaml",
        safe: "fixtures/sql/migration-without-backup.safe.yaml",
        file: "fixtures/sql/migration-without-backup.yaml",
        line: 17,
    },
];

/// Shapes of real migrations a rule must see through, each modelled on a file of
/// `../shared/corpus/sql`, with a safe twin that differs only in what makes it safe.
pub const SQL_SHAPES: &[SqlCase] = &[
    // mattermost 000014: `CREATE TABLE IF NOT EXISTS` may meet a table of an earlier release.
    SqlCase {
        rule: "sql-drop-column",
        severity: "error",
        flag: DIR,
        hazard: "fixtures/sql/migrations/create-if-not-exists",
        safe: "fixtures/sql/migrations/create-if-not-exists.safe",
        file: "fixtures/sql/migrations/create-if-not-exists/000014_create_outgoing_webhooks.up.sql",
        line: 10,
    },
    // mattermost-mysql 000121: the SQL is a literal run by PREPARE … FROM @var.
    SqlCase {
        rule: "sql-drop-column",
        severity: "error",
        flag: DIR,
        hazard: "fixtures/sql/migrations/prepared-statement",
        safe: "fixtures/sql/migrations/prepared-statement.safe",
        file: "fixtures/sql/migrations/prepared-statement/000121_drop_threads_teamid.up.sql",
        line: 8,
    },
    // A parenthesis never closed: the database rejects the file when the release runs it.
    SqlCase {
        rule: "sql-unparsed",
        severity: "warning",
        flag: DIR,
        hazard: "fixtures/sql/migrations/unclosed",
        safe: "fixtures/sql/migrations/unclosed.safe",
        file: "fixtures/sql/migrations/unclosed/000042_add_channel_bookmarks.up.sql",
        line: 1,
    },
];
