//! What a statement does to the schema or the data, as far as rollbacks care, and which of
//! those changes are hazards.

/// One schema or data change. Names are normalised: lower case, unquoted, schema dropped
/// (a migration rarely names the schema, and a templated one often cannot be read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// DROP TABLE / SCHEMA / DATABASE.
    Drop {
        what: &'static str,
        name: String,
    },
    DropColumn {
        table: String,
        column: String,
    },
    Truncate {
        table: String,
    },
    /// DELETE or UPDATE without WHERE; `columns` are the ones an UPDATE sets.
    UnboundedWrite {
        verb: &'static str,
        table: String,
        columns: Vec<String>,
    },
    RenameTable {
        from: String,
        to: String,
    },
    RenameColumn {
        table: String,
        from: String,
        to: String,
    },
    /// `has_default` also covers serial, identity, generated and AUTO_INCREMENT columns.
    AddColumn {
        table: String,
        column: String,
        not_null: bool,
        has_default: bool,
    },
    SetNotNull {
        table: String,
        column: String,
    },
    SetDefault {
        table: String,
        column: String,
    },
    AlterType {
        table: String,
        column: String,
    },
    AddConstraint {
        table: String,
        kind: &'static str,
    },
    /// `if_not_exists`: the table may exist from an earlier release, so it is not new.
    CreateTable {
        name: String,
        if_not_exists: bool,
    },
}

/// The hazards, one per SQL rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Hazard {
    DropTable,
    DropColumn,
    Truncate,
    UnboundedWrite,
    Rename,
    AddNotNullColumn,
    SetNotNull,
    AlterColumnType,
    AddConstraint,
}

impl Hazard {
    /// Destroys data (DESIGN.md "Destructive SQL"), so a backup should run first.
    pub fn destructive(self) -> bool {
        matches!(
            self,
            Hazard::DropTable | Hazard::DropColumn | Hazard::Truncate | Hazard::UnboundedWrite
        )
    }
}

impl Change {
    /// The hazard this change is, before the file's own schema is taken into account.
    pub fn hazard(&self) -> Option<Hazard> {
        Some(match self {
            Change::Drop { .. } => Hazard::DropTable,
            Change::DropColumn { .. } => Hazard::DropColumn,
            Change::Truncate { .. } => Hazard::Truncate,
            Change::UnboundedWrite { .. } => Hazard::UnboundedWrite,
            Change::RenameTable { .. } | Change::RenameColumn { .. } => Hazard::Rename,
            Change::AddColumn {
                not_null: true,
                has_default: false,
                ..
            } => Hazard::AddNotNullColumn,
            Change::SetNotNull { .. } => Hazard::SetNotNull,
            Change::AlterType { .. } => Hazard::AlterColumnType,
            Change::AddConstraint { .. } => Hazard::AddConstraint,
            Change::AddColumn { .. } | Change::SetDefault { .. } | Change::CreateTable { .. } => {
                return None;
            }
        })
    }

    /// What it does, for a finding's message.
    pub fn describe(&self) -> String {
        match self {
            Change::Drop { what, name } => format!("drops {what} `{name}`"),
            Change::DropColumn { table, column } => format!("drops column `{table}.{column}`"),
            Change::Truncate { table } => format!("truncates table `{table}`"),
            Change::UnboundedWrite { verb, table, .. } => {
                format!("runs {verb} on every row of `{table}` (no WHERE)")
            }
            Change::RenameTable { from, to } => format!("renames table `{from}` to `{to}`"),
            Change::RenameColumn { table, from, to } => {
                format!("renames column `{table}.{from}` to `{to}`")
            }
            Change::AddColumn { table, column, .. } => {
                format!("adds column `{table}.{column}` NOT NULL without a DEFAULT")
            }
            Change::SetNotNull { table, column } => {
                format!("sets `{table}.{column}` NOT NULL")
            }
            Change::SetDefault { table, column } => format!("sets a default on `{table}.{column}`"),
            Change::AlterType { table, column } => {
                format!("changes the type of `{table}.{column}`")
            }
            Change::AddConstraint { table, kind } => {
                format!("adds a {kind} constraint on `{table}`")
            }
            Change::CreateTable { name, .. } => format!("creates table `{name}`"),
        }
    }
}

/// A name as the rules compare it: last dotted part, unquoted, lower case.
pub fn normalise(name: &str) -> String {
    let last = split_dotted(name).pop().unwrap_or_default();
    last.trim_matches(|c| c == '"' || c == '`' || c == '[' || c == ']')
        .to_lowercase()
}

/// Splits `a."b.c".d` on the dots outside quotes.
fn split_dotted(name: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut quote = None;
    for c in name.chars() {
        match (quote, c) {
            (None, '"' | '`') => quote = Some(c),
            (Some(q), _) if q == c => quote = None,
            (None, '.') => {
                parts.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(c);
    }
    parts.push(current);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_normalised() {
        assert_eq!(normalise("public.\"Users\""), "users");
        assert_eq!(normalise("`db`.`a.b`"), "a.b");
        assert_eq!(normalise("plain"), "plain");
    }

    #[test]
    fn not_null_with_default_is_no_hazard() {
        let add = |not_null, has_default| Change::AddColumn {
            table: "t".into(),
            column: "c".into(),
            not_null,
            has_default,
        };
        assert_eq!(add(true, false).hazard(), Some(Hazard::AddNotNullColumn));
        assert_eq!(add(true, true).hazard(), None);
        assert_eq!(add(false, false).hazard(), None);
    }
}
