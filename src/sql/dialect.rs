//! Which SQL dialect a script is written in, and how we tell.

use serde::Serialize;
use sqlparser::dialect::{
    Dialect as ParserDialect, GenericDialect, MySqlDialect, PostgreSqlDialect,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Postgres,
    Mysql,
    Generic,
}

impl Dialect {
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Postgres => "postgres",
            Dialect::Mysql => "mysql",
            Dialect::Generic => "generic",
        }
    }

    pub fn parse(text: &str) -> Option<Dialect> {
        match text.trim().to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" | "pg" => Some(Dialect::Postgres),
            "mysql" | "mariadb" => Some(Dialect::Mysql),
            "generic" => Some(Dialect::Generic),
            _ => None,
        }
    }

    pub fn parser(self) -> Box<dyn ParserDialect> {
        match self {
            Dialect::Postgres => Box::new(PostgreSqlDialect {}),
            Dialect::Mysql => Box::new(MySqlDialect {}),
            Dialect::Generic => Box::new(GenericDialect {}),
        }
    }

    /// The dialect a command-line client or an image name implies (`psql`, `bitnami/mysql`,
    /// `postgres://…`).
    pub fn from_hint(text: &str) -> Option<Dialect> {
        let t = text.to_ascii_lowercase();
        const PG: [&str; 5] = ["psql", "postgres", "pg_", "cockroach", "timescale"];
        const MY: [&str; 4] = ["mysql", "mariadb", "percona", "tidb"];
        let pg = PG.iter().filter_map(|w| t.find(w)).min();
        let my = MY.iter().filter_map(|w| t.find(w)).min();
        match (pg, my) {
            (Some(p), Some(m)) => Some(if p <= m {
                Dialect::Postgres
            } else {
                Dialect::Mysql
            }),
            (Some(_), None) => Some(Dialect::Postgres),
            (None, Some(_)) => Some(Dialect::Mysql),
            (None, None) => None,
        }
    }

    /// A guess from the text itself: syntax only one of the two accepts. `None` when the
    /// text shows neither.
    pub fn from_syntax(text: &str) -> Option<Dialect> {
        let upper = text.to_ascii_uppercase();
        const PG: [&str; 10] = [
            "$$",
            "::",
            "SERIAL",
            "JSONB",
            "TIMESTAMPTZ",
            "PLPGSQL",
            "CREATE EXTENSION",
            "CONCURRENTLY",
            "USING BTREE (",
            "BYTEA",
        ];
        const MY: [&str; 8] = [
            "`",
            "ENGINE=",
            "ENGINE =",
            "AUTO_INCREMENT",
            "DELIMITER",
            "UNSIGNED",
            "CHARSET",
            "MODIFY COLUMN",
        ];
        let pg = PG.iter().filter(|w| upper.contains(*w)).count();
        let my = MY.iter().filter(|w| upper.contains(*w)).count();
        match pg.cmp(&my) {
            std::cmp::Ordering::Greater => Some(Dialect::Postgres),
            std::cmp::Ordering::Less => Some(Dialect::Mysql),
            std::cmp::Ordering::Equal => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_and_syntax() {
        assert_eq!(
            Dialect::from_hint("bitnami/postgresql:16"),
            Some(Dialect::Postgres)
        );
        assert_eq!(Dialect::from_hint("mysql"), Some(Dialect::Mysql));
        assert_eq!(Dialect::from_hint("busybox"), None);
        assert_eq!(
            Dialect::from_syntax("CREATE TABLE `a` (id int AUTO_INCREMENT)"),
            Some(Dialect::Mysql)
        );
        assert_eq!(
            Dialect::from_syntax("ALTER TABLE a ADD b jsonb"),
            Some(Dialect::Postgres)
        );
        assert_eq!(Dialect::from_syntax("DROP TABLE a"), None);
    }
}
