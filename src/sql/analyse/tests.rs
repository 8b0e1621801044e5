use super::*;
use crate::sql::Hazard;

/// Hazards found, with the 1-based line each is reported at.
fn hazards(sql: &str, dialect: Dialect) -> Vec<(Hazard, usize)> {
    analyse(sql, dialect)
        .statements
        .iter()
        .flat_map(|s| s.found.iter())
        .map(|f| {
            (
                f.hazard,
                sql[..f.at.min(sql.len())].matches('\n').count() + 1,
            )
        })
        .collect()
}

#[test]
fn comments_and_strings_never_count() {
    let sql = "-- DROP TABLE a;\n/* TRUNCATE b; */\nINSERT INTO log VALUES ('DROP TABLE c; DELETE FROM d');\n";
    assert!(hazards(sql, Dialect::Postgres).is_empty());
}

#[test]
fn each_alter_action_at_its_line() {
    let sql = "ALTER TABLE users\n  ADD COLUMN a int NOT NULL DEFAULT 0,\n  DROP COLUMN legacy,\n  ADD COLUMN b text NOT NULL;\n";
    assert_eq!(
        hazards(sql, Dialect::Postgres),
        [(Hazard::DropColumn, 3), (Hazard::AddNotNullColumn, 4)]
    );
}

#[test]
fn the_file_schema_explains_backfills_and_serials() {
    let sql = "ALTER TABLE t ADD COLUMN c int;\nUPDATE t SET c = 0;\nALTER TABLE t ADD COLUMN id bigserial NOT NULL;\nALTER TABLE t ALTER COLUMN id SET NOT NULL;\nUPDATE t SET other = 1;\nCREATE TABLE n (x int);\nALTER TABLE n ADD COLUMN y int NOT NULL;\nDROP TABLE n;\n";
    assert_eq!(
        hazards(sql, Dialect::Postgres),
        [(Hazard::UnboundedWrite, 5)]
    );
}

#[test]
fn do_blocks_and_dynamic_sql_are_read() {
    let sql = "DO $$\nDECLARE r record;\nBEGIN\n  IF EXISTS (SELECT 1) THEN\n    ALTER TABLE a DROP COLUMN b;\n  END IF;\n  EXECUTE format('DROP TABLE %I', 'x');\nEND $$;\n";
    assert_eq!(
        hazards(sql, Dialect::Postgres),
        [(Hazard::DropColumn, 5), (Hazard::DropTable, 7)]
    );
}

#[test]
fn function_bodies_run_only_when_called() {
    let def = "CREATE FUNCTION purge() RETURNS void AS $$\nBEGIN\n  TRUNCATE events;\nEND $$ LANGUAGE plpgsql;\n";
    assert!(hazards(def, Dialect::Postgres).is_empty());
    let called = format!("{def}SELECT purge();\n");
    assert_eq!(hazards(&called, Dialect::Postgres), [(Hazard::Truncate, 3)]);
}

#[test]
fn mysql_prepared_statements_are_read_at_their_sql_text() {
    // The mattermost shape: the SQL is a literal of an IF() inside SET, run by PREPARE/EXECUTE.
    let sql = "SET @s = (SELECT IF(\n  (SELECT COUNT(*) FROM information_schema.columns WHERE column_name = 'c') > 0,\n  'ALTER TABLE t DROP COLUMN c',\n  'SELECT 1'\n));\nPREPARE st FROM @s;\nEXECUTE st;\n";
    assert_eq!(hazards(sql, Dialect::Mysql), [(Hazard::DropColumn, 3)]);
    let sql = "DELIMITER //\nCREATE PROCEDURE p() BEGIN\n  DELETE FROM sessions;\nEND//\nDELIMITER ;\nCALL p();\n";
    assert_eq!(hazards(sql, Dialect::Mysql), [(Hazard::UnboundedWrite, 3)]);
}

#[test]
fn plpgsql_execute_is_read_at_its_sql_text() {
    let sql = "DO $$\nBEGIN\n  EXECUTE\n    'ALTER TABLE a DROP COLUMN b';\n  EXECUTE 'ALTER TABLE ' || quote_ident(t)\n    || ' RENAME COLUMN x TO y';\nEND $$;\n";
    assert_eq!(
        hazards(sql, Dialect::Postgres),
        [(Hazard::DropColumn, 4), (Hazard::Rename, 6)]
    );
}

#[test]
fn create_table_if_not_exists_does_not_make_a_table_new() {
    // mattermost and kestra write every migration this way: the table may hold an earlier
    // release's rows, so what follows on it still counts.
    let sql = "CREATE TABLE IF NOT EXISTS hooks (id text);\nALTER TABLE hooks DROP COLUMN legacy;\nCREATE TABLE fresh (id text);\nALTER TABLE fresh DROP COLUMN id;\n";
    assert_eq!(hazards(sql, Dialect::Postgres), [(Hazard::DropColumn, 2)]);
}

#[test]
fn text_the_database_cannot_read_is_broken() {
    let broken = |sql: &str| -> Vec<Option<&'static str>> {
        analyse(sql, Dialect::Postgres)
            .statements
            .iter()
            .map(|s| s.broken)
            .collect()
    };
    assert_eq!(
        broken("CREATE TABLE a (id int;\nSELECT 1;\n"),
        [Some("unclosed parenthesis"), None]
    );
    assert_eq!(
        broken("SELECT 1;\nINSERT INTO a VALUES ('x);\nSELECT 2;\n"),
        [None, Some("unclosed quote")]
    );
    assert_eq!(
        broken("SELECT 1;\n/* the rest\nDROP TABLE a;\n"),
        [None, Some("unclosed comment")]
    );
    assert_eq!(broken("SELECT f(1));\n"), [Some("unmatched parenthesis")]);
    assert_eq!(
        broken("SELECT '(' , $$ ) $$, \"a(\" FROM t;\n-- (\n"),
        [None]
    );
}

#[test]
fn an_unparseable_statement_hides_nothing() {
    let sql = "FROBNICATE everything;\nDROP TABLE IF EXISTS old WITH SOME VENDOR THING;\nDELETE FROM t WHERE id = 1;\n";
    let a = analyse(sql, Dialect::Postgres);
    let parses: Vec<Parse> = a.statements.iter().map(|s| s.parse).collect();
    assert_eq!(parses, [Parse::Unparsed, Parse::Fallback, Parse::Sqlparser]);
    assert_eq!(hazards(sql, Dialect::Postgres), [(Hazard::DropTable, 2)]);
}

#[test]
fn replication_setup_and_shell_text_are_not_migrations() {
    // A MySQL replica's bootstrap here-document: `$(<file)` is the shell's, the rest steers
    // replication.
    let sql = "STOP SLAVE IO_THREAD;\n$(<change_master_to.sql.orig),\nMASTER_HOST='db-0.db',\nMASTER_CONNECT_RETRY=10;\nSTART SLAVE;\n";
    let a = analyse(sql, Dialect::Mysql);
    assert!(
        a.statements
            .iter()
            .all(|s| s.parse != Parse::Unparsed && !s.modifies)
    );
    // The same shell text in front of a real change still hides nothing it can read.
    let a = analyse("FROBNICATE $(x);\nDELETE FROM t;\n", Dialect::Mysql);
    let modifies: Vec<bool> = a.statements.iter().map(|s| s.modifies).collect();
    assert_eq!(modifies, [false, true]);
}

#[test]
fn templated_names_keep_lines() {
    let sql = "{{ if .X }}\nALTER TABLE \"{{ index .Options \"Namespace\" }}\".users\n  RENAME COLUMN a TO b;\n{{ end }}\n";
    assert_eq!(hazards(sql, Dialect::Postgres), [(Hazard::Rename, 3)]);
}

/// Random texts made of the fragments the splitter and classifiers care about: nothing may
/// panic, and nesting stays bounded. A fixed-seed generator keeps the test deterministic.
#[test]
fn noise_never_panics() {
    const FRAGMENTS: &[&str] = &[
        "'",
        "\"",
        "`",
        "$$",
        "$a$",
        "--",
        "/*",
        "*/",
        "\n",
        ";",
        " ",
        "DO ",
        "BEGIN ",
        "END ",
        "EXECUTE ",
        "format(",
        "'DROP TABLE x'",
        "(",
        ")",
        "ALTER TABLE t ",
        "DROP COLUMN c",
        ",",
        "DELIMITER //\n",
        "//",
        "\\set x\n",
        "{{",
        "}}",
        "é",
        "CREATE FUNCTION f() AS ",
        "SELECT f()",
        "CALL p",
        "PREPARE s FROM @v",
        "SET @v = ",
        "IF ",
        "THEN ",
        "#",
        "E'\\",
        "UPDATE t SET a = 1",
        "TRUNCATE ",
        "RENAME TABLE a TO ",
        "v := ",
        "<<l>>",
        "ADD COLUMN c int NOT NULL",
        "\u{0}",
        "\r\n",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for _ in 0..3000 {
        let len = (next() % 40) as usize;
        let text: String = (0..len)
            .map(|_| FRAGMENTS[(next() % FRAGMENTS.len() as u64) as usize])
            .collect();
        for dialect in [Dialect::Postgres, Dialect::Mysql, Dialect::Generic] {
            let a = analyse(&text, dialect);
            for s in &a.statements {
                assert!(s.range.end <= text.len());
                assert!(s.found.iter().all(|f| f.at <= text.len() + 2));
            }
        }
        let _ = crate::shell::pipelines(&text, crate::shell::Dialect::Shell);
    }
}

#[test]
fn nesting_is_bounded() {
    // Each level is a DO block whose body runs the next one: deeper than MAX_DEPTH is not read.
    let mut sql = String::from("TRUNCATE deepest;");
    for level in 0..10 {
        sql = format!("DO $l{level}$ BEGIN {sql} END $l{level}$;");
    }
    assert!(hazards(&sql, Dialect::Postgres).is_empty());
    let shallow = "DO $a$ BEGIN DO $b$ BEGIN TRUNCATE t; END $b$; END $a$;";
    assert_eq!(hazards(shallow, Dialect::Postgres), [(Hazard::Truncate, 1)]);
}
