//! The SQL and migration rules over the binary: each hazard fixture fires at its file and line,
//! each safe twin stays quiet, suppression comments work, and the carriers of SQL are found.

mod common;

use common::rollguard;
use common::sql_cases::{SQL_CASES, SQL_SHAPES};

fn check(flag: &str, path: &str, extra: &[&str]) -> common::Run {
    let mut args = vec!["check", flag, path, "--format", "json"];
    args.extend_from_slice(extra);
    rollguard(&args)
}

#[test]
fn every_sql_rule_fires_on_its_fixture_at_the_right_place() {
    for case in SQL_CASES.iter().chain(SQL_SHAPES) {
        let run = check(case.flag, case.hazard, &[]);
        let found = run.findings(case.rule);
        assert!(
            !found.is_empty(),
            "{} did not fire on {}:\n{}{}",
            case.rule,
            case.hazard,
            run.stdout,
            run.stderr
        );
        let f = &found[0];
        assert_eq!(f["severity"], case.severity, "{}", case.rule);
        assert_eq!(f["category"], "migrations", "{}", case.rule);
        assert_eq!(f["location"]["file"], case.file, "{}", case.rule);
        assert_eq!(f["location"]["line"], case.line, "{}: {f}", case.rule);
        assert_eq!(f["suppressed"], false, "{}", case.rule);
        let expected = if case.severity == "error" {
            1
        } else {
            run.code.min(1)
        };
        assert_eq!(run.code, expected, "{}: {}", case.rule, run.stderr);
    }
}

#[test]
fn no_sql_rule_fires_on_its_safe_twin() {
    for case in SQL_CASES.iter().chain(SQL_SHAPES) {
        let run = check(case.flag, case.safe, &[]);
        assert!(
            run.code == 0 || run.code == 1,
            "{}: {}",
            case.safe,
            run.stderr
        );
        assert_eq!(
            run.findings(case.rule),
            Vec::<serde_json::Value>::new(),
            "{} fired on {}",
            case.rule,
            case.safe
        );
    }
}

#[test]
fn down_migrations_are_the_rollback_path() {
    let run = check("--migrations", "fixtures/sql/migrations/down-only", &[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(
        run.json()["findings"]
            .as_array()
            .is_some_and(|f| f.is_empty()),
        "{}",
        run.stdout
    );
}

#[test]
fn destructive_up_without_down_says_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("000002_drop.up.sql"),
        "DROP TABLE orders;\n",
    )
    .expect("write");
    let path = dir.path().display().to_string();
    let run = check("--migrations", &path, &[]);
    let msg = run.findings("sql-drop-table")[0]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(msg.contains("no down migration"), "{msg}");
    std::fs::write(
        dir.path().join("000002_drop.down.sql"),
        "CREATE TABLE orders (id int);\n",
    )
    .expect("write");
    let run = check("--migrations", &path, &[]);
    let msg = run.findings("sql-drop-table")[0]["message"]
        .as_str()
        .unwrap_or("")
        .to_string();
    assert!(msg.contains("down migration cannot restore"), "{msg}");
}

#[test]
fn comments_suppress_and_stale_ones_are_reported() {
    let run = check("--migrations", "fixtures/sql/migrations/suppressed", &[]);
    let json = run.json();
    for rule in ["sql-drop-table", "migration-without-backup", "sql-truncate"] {
        let found = run.findings(rule);
        assert!(
            !found.is_empty() && found.iter().all(|f| f["suppressed"] == true),
            "{rule}: {found:?}"
        );
    }
    let unused: Vec<String> = run
        .findings("unused-suppression")
        .iter()
        .map(|f| format!("{}:{}", f["location"]["line"], f["message"]))
        .collect();
    assert_eq!(unused.len(), 2, "{unused:?}");
    assert!(
        unused[0].starts_with("4:") && unused[0].contains("sql-rename"),
        "{unused:?}"
    );
    assert!(
        unused[1].starts_with("6:") && unused[1].contains("unknown rule `no-such-rule`"),
        "{unused:?}"
    );
    assert_eq!(json["verdict"], "go", "{}", run.stdout);
}

#[test]
fn migrations_combine_with_a_manifest() {
    // The tool's SQL given with --migrations makes migration-opaque quiet.
    let run = check(
        "--manifest",
        "fixtures/sql/migration-opaque.yaml",
        &[
            "--migrations",
            "fixtures/sql/migrations/sql-add-not-null-column",
        ],
    );
    assert!(
        run.findings("migration-opaque").is_empty(),
        "{}",
        run.stdout
    );
    assert_eq!(run.findings("sql-add-not-null-column").len(), 1);
    assert_eq!(run.json()["charts"].as_array().map(Vec::len), Some(1));
}

#[test]
fn bad_inputs_are_clear_errors() {
    let run = check("--migrations", "fixtures/sql/no-such-dir", &[]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("fixtures/sql/no-such-dir"),
        "{}",
        run.stderr
    );
    let run = rollguard(&["check", "--format", "json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let run = check(
        "--migrations",
        "fixtures/sql/migrations/sql-add-not-null-column",
        &["--sql-dialect", "oracle"],
    );
    assert_eq!(run.code, 2);
}

#[test]
fn the_dialect_flag_and_config_change_the_reading() {
    // `#` starts a comment only in MySQL: there the DROP is commented out.
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path().join("001.sql"),
        "SELECT 1 # x; DROP TABLE y\n;\n",
    )
    .expect("write");
    let path = dir.path().display().to_string();
    let drops = |extra: &[&str]| {
        check("--migrations", &path, extra)
            .findings("sql-drop-table")
            .len()
    };
    assert_eq!(drops(&["--sql-dialect", "mysql"]), 0);
    assert_eq!(drops(&["--sql-dialect", "postgres"]), 1);
    // The config's sqlDialect applies when the flag is absent; the flag wins over it.
    std::fs::write(dir.path().join(".rollguard.yaml"), "sqlDialect: mysql\n").expect("write");
    assert_eq!(drops(&[]), 0);
    assert_eq!(drops(&["--sql-dialect", "generic"]), 1);
    std::fs::write(dir.path().join(".rollguard.yaml"), "sqlDialect: oracle\n").expect("write");
    let bad = check("--migrations", &path, &[]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("sqlDialect"), "{}", bad.stderr);
}

#[test]
fn every_carrier_of_sql_is_read() {
    // psql --command, --command=, sqlcmd -Q, sqlplus heredoc, printf | psql, Secret data
    // (base64), a ConfigMap key without .sql whose content is SQL.
    let run = check("--manifest", "fixtures/sql/carriers.yaml", &[]);
    let lines: Vec<u64> = run
        .findings("sql-drop-table")
        .iter()
        .filter_map(|f| f["location"]["line"].as_u64())
        .collect();
    assert_eq!(lines, [16, 32, 48, 69, 86, 94, 128], "{}", run.stdout);
}

#[test]
fn sql_from_chart_files_is_located_and_suppressed_in_them() {
    // `.Files.Glob "files/migrations/*.sql" | AsConfig` into a ConfigMap a hook Job runs.
    let run = rollguard(&[
        "check",
        "fixtures/charts/sql-files",
        "--format",
        "json",
        "--no-pipelines",
    ]);
    let at = |rule: &str| -> Vec<(String, u64, bool)> {
        run.findings(rule)
            .iter()
            .map(|f| {
                (
                    f["location"]["file"].as_str().unwrap_or("").to_string(),
                    f["location"]["line"].as_u64().unwrap_or(0),
                    f["suppressed"] == true,
                )
            })
            .collect()
    };
    let file = "fixtures/charts/sql-files/files/migrations/002_cleanup.sql".to_string();
    assert_eq!(
        at("sql-drop-column"),
        [(file.clone(), 3, true)],
        "{}",
        run.stdout
    );
    assert_eq!(at("sql-rename"), [(file, 5, false)], "{}", run.stdout);
    assert!(
        run.findings("unused-suppression").is_empty(),
        "{}",
        run.stdout
    );
}

#[test]
fn migration_tools_of_real_charts_are_recognised() {
    // rules/migration-tools.yaml: harbor's -mode=migrate, `sentry upgrade` as a post-upgrade
    // hook, temporal's schema tool in a plain Job; airflow's wait-for-migrations is no migration.
    let run = check(
        "--manifest",
        "fixtures/sql/migration-tools.yaml",
        &["--no-pipelines"],
    );
    let lines = |rule: &str| -> Vec<u64> {
        run.findings(rule)
            .iter()
            .filter_map(|f| f["location"]["line"].as_u64())
            .collect()
    };
    assert_eq!(lines("migration-opaque"), [18, 35, 49], "{}", run.stdout);
    assert_eq!(
        lines("migration-not-pre-upgrade"),
        [35, 49],
        "{}",
        run.stdout
    );
}
