//! Migration tools, as listed in `rules/migration-tools.yaml`: which command or image runs one.

/// An entry of `rules/migration-tools.yaml`. build.rs compiles the table into `TOOLS`: reading
/// its YAML and compiling its globs at run time cost every `check` that met a container
/// command ~1.5 M instructions (2.6% of bitnami-minio's).
struct Tool {
    name: &'static str,
    /// Alternatives, each a list of words (see [`word_matches`]).
    commands: &'static [&'static [&'static str]],
    images: &'static [&'static str],
}

include!(concat!(env!("OUT_DIR"), "/migration_tools.rs"));

/// A pattern word of the table against a word of a command, compared by file name: `*` matches
/// any text (`*-sql-tool`); a word without `*` also matches a word that continues with `:`
/// (`migrate` matches `migrate:latest`).
fn word_matches(pattern: &str, word: &str) -> bool {
    let word = base(word);
    match pattern.split_once('*') {
        None => {
            word == pattern
                || word
                    .strip_prefix(pattern)
                    .is_some_and(|r| r.starts_with(':'))
        }
        Some((head, tail)) => {
            let Some(mut rest) = word.strip_prefix(head) else {
                return false;
            };
            let (middle, last) = tail.rsplit_once('*').unwrap_or(("", tail));
            // The leftmost place of each middle part leaves the most text to the rest.
            for part in middle.split('*').filter(|p| !p.is_empty()) {
                match rest.find(part) {
                    Some(at) => rest = &rest[at + part.len()..],
                    None => return false,
                }
            }
            rest.ends_with(last)
        }
    }
}

/// The migration tool a command (its words, program first) runs.
pub fn command_tool(words: &[&str]) -> Option<&'static str> {
    TOOLS
        .iter()
        .find(|t| t.commands.iter().any(|c| in_order(words, c)))
        .map(|t| t.name)
}

/// The migration tool an image runs by default (`flyway/flyway:10`).
pub fn image_tool(image_name: &str) -> Option<&'static str> {
    TOOLS
        .iter()
        .find(|t| t.images.iter().any(|i| image_name.contains(i)))
        .map(|t| t.name)
}

/// `pattern`'s words appear among `words` in order.
fn in_order(words: &[&str], pattern: &[&str]) -> bool {
    let mut it = words.iter();
    pattern.iter().all(|p| it.any(|w| word_matches(p, w)))
}

pub fn base(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `*` matches as a glob does (globset, which the table's words were compiled with before).
    #[test]
    fn a_star_matches_any_text_like_a_glob() {
        let patterns = [
            "*-sql-tool",
            "*migrat*.sh",
            "a*b*c",
            "*",
            "**x",
            "x*",
            "a*a",
        ];
        let words = [
            "",
            "a",
            "aa",
            "aba",
            "abc",
            "abcbc",
            "acb",
            "x",
            "xx",
            "temporal-sql-tool",
            "-sql-tool",
            "sql-tool",
            "db_migrations.sh",
            "migrat.sh",
            "migrat.sh.bak",
            "/opt/run-migration.sh",
            "migrate",
            "a:b",
            "ab:c",
        ];
        for pattern in patterns {
            let glob = globset::Glob::new(pattern)
                .unwrap_or_else(|e| panic!("{e}"))
                .compile_matcher();
            for word in words {
                assert_eq!(
                    word_matches(pattern, word),
                    glob.is_match(base(word)),
                    "{pattern} {word}"
                );
            }
        }
        assert!(word_matches("migrate", "migrate:latest"));
        assert!(!word_matches("migrate", "migrates"));
    }

    #[test]
    fn commands_of_real_charts_name_their_tool() {
        let cases: &[(&[&str], Option<&str>)] = &[
            (
                &["python", "manage.py", "migrate", "--noinput"],
                Some("django"),
            ),
            (&["bundle", "exec", "rake", "db:migrate"], Some("rails")),
            (&["npx", "knex", "migrate:latest"], Some("knex")),
            (&["npx", "prisma", "migrate", "deploy"], Some("prisma")),
            (&["sentry", "upgrade", "--noinput"], Some("sentry")),
            (&["airflow", "db", "migrate"], Some("airflow")),
            (
                &["/harbor/harbor_core", "-mode=migrate"],
                Some("harbor migrate mode"),
            ),
            (
                &[
                    "temporal-sql-tool",
                    "update-schema",
                    "--schema-dir",
                    "/x/versioned",
                ],
                Some("temporal-sql-tool"),
            ),
            (
                &["python", "-u", "/mnt/scripts/db_migrations.py"],
                Some("a migration script"),
            ),
            (
                &["migrate", "-path", "/m", "-database", "$DB", "up"],
                Some("migrate"),
            ),
            (
                &["goose", "-dir", "/m", "postgres", "$DB", "up"],
                Some("goose"),
            ),
            (
                &["atlas", "migrate", "apply", "--url", "$DB"],
                Some("atlas"),
            ),
            (&["sqitch", "deploy"], Some("sqitch")),
            (&["liquibase", "update"], Some("liquibase")),
            (&["flyway", "migrate"], Some("flyway")),
            // Waiting for, or checking, migrations changes nothing.
            (&["airflow", "db", "check-migrations", "-t", "60"], None),
            (&["manage.py", "showmigrations"], None),
            (&["sentry", "run", "web"], None),
        ];
        for (words, tool) in cases {
            assert_eq!(command_tool(words), *tool, "{words:?}");
        }
        assert_eq!(image_tool("docker.io/flyway/flyway"), Some("flyway"));
        assert_eq!(image_tool("migrate/migrate"), Some("golang-migrate"));
        assert_eq!(image_tool("ghcr.io/acme/app"), None);
    }
}
