//! Migration tools, as listed in `rules/migration-tools.yaml`: which command or image runs one.

use std::sync::OnceLock;

use globset::{Glob, GlobMatcher};
use source::yaml::{Node, Origin, parse_single};

const TABLE: &str = include_str!("../../rules/migration-tools.yaml");

struct Tool {
    name: &'static str,
    commands: Vec<Vec<Word>>,
    images: Vec<String>,
}

/// A word of a command pattern: a name, or a glob when it holds `*`.
enum Word {
    Exact(String),
    Glob(GlobMatcher),
}

impl Word {
    fn matches(&self, word: &str) -> bool {
        let word = base(word);
        match self {
            Word::Exact(p) => {
                word == p
                    || word
                        .strip_prefix(p.as_str())
                        .is_some_and(|r| r.starts_with(':'))
            }
            Word::Glob(g) => g.is_match(word),
        }
    }
}

/// The shipped table; a unit test proves it parses, so a parse failure cannot reach users.
fn table() -> &'static [Tool] {
    static TOOLS: OnceLock<Vec<Tool>> = OnceLock::new();
    TOOLS.get_or_init(|| parse_table(TABLE).unwrap_or_default())
}

fn parse_table(text: &'static str) -> Result<Vec<Tool>, String> {
    let root = parse_single(text, Origin::default())
        .map_err(|e| e.to_string())?
        .ok_or("empty table")?;
    root.items("tools")
        .iter()
        .map(|entry| {
            let line = entry.span.line;
            let name = entry
                .str_at(&["tool"])
                .ok_or(format!("line {line}: no tool"))?;
            let commands = entry
                .items("commands")
                .iter()
                .map(|c| c.strings().iter().map(|w| word(w)).collect())
                .collect::<Result<Vec<Vec<Word>>, String>>()?;
            let images = entry.get("images").map(Node::strings).unwrap_or_default();
            if commands.iter().any(Vec::is_empty) || (commands.is_empty() && images.is_empty()) {
                return Err(format!("line {line}: {name}: an empty command"));
            }
            Ok(Tool {
                // The table lives as long as the program: its names are 'static.
                name: Box::leak(name.to_string().into_boxed_str()),
                commands,
                images,
            })
        })
        .collect()
}

fn word(pattern: &str) -> Result<Word, String> {
    if !pattern.contains('*') {
        return Ok(Word::Exact(pattern.to_string()));
    }
    Glob::new(pattern)
        .map(|g| Word::Glob(g.compile_matcher()))
        .map_err(|e| format!("{pattern}: {e}"))
}

/// The migration tool a command (its words, program first) runs.
pub fn command_tool(words: &[&str]) -> Option<&'static str> {
    table()
        .iter()
        .find(|t| t.commands.iter().any(|c| in_order(words, c)))
        .map(|t| t.name)
}

/// The migration tool an image runs by default (`flyway/flyway:10`).
pub fn image_tool(image_name: &str) -> Option<&'static str> {
    table()
        .iter()
        .find(|t| t.images.iter().any(|i| image_name.contains(i.as_str())))
        .map(|t| t.name)
}

/// `pattern`'s words appear among `words` in order.
fn in_order(words: &[&str], pattern: &[Word]) -> bool {
    let mut it = words.iter();
    pattern.iter().all(|p| it.any(|w| p.matches(w)))
}

pub fn base(word: &str) -> &str {
    word.rsplit('/').next().unwrap_or(word)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_parses() {
        let tools = parse_table(TABLE).unwrap_or_else(|e| panic!("{e}"));
        assert!(tools.len() > 20);
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
