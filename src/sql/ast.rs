//! Changes read from a statement sqlparser understood.

use sqlparser::ast::{
    AlterColumnOperation, AlterTableOperation, AssignmentTarget, ColumnDef, ColumnOption,
    FromTable, ObjectName, ObjectType, RenameTableNameKind, SetExpr, Statement, TableConstraint,
    TableFactor, TableWithJoins,
};

use super::change::{Change, normalise};

/// A change and, for `ALTER TABLE`, the index of the action that made it (so the finding can
/// point at that action's line).
pub type Indexed = (Change, Option<usize>);

pub fn changes(statement: &Statement) -> Vec<Indexed> {
    let mut out = Vec::new();
    match statement {
        Statement::Drop {
            object_type, names, ..
        } => {
            let what = match object_type {
                ObjectType::Table => "table",
                ObjectType::Schema => "schema",
                ObjectType::Database => "database",
                _ => return out,
            };
            for name in names {
                out.push((
                    Change::Drop {
                        what,
                        name: object(name),
                    },
                    None,
                ));
            }
        }
        Statement::Truncate(t) => {
            for target in &t.table_names {
                let table = object(&target.name);
                out.push((Change::Truncate { table }, None));
            }
        }
        Statement::Delete(d) if d.selection.is_none() && d.limit.is_none() => {
            let from = match &d.from {
                FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
            };
            let table = d
                .tables
                .first()
                .map(object)
                .or_else(|| from.first().and_then(relation))
                .unwrap_or_default();
            out.push((
                Change::UnboundedWrite {
                    verb: "DELETE",
                    table,
                    columns: Vec::new(),
                },
                None,
            ));
        }
        Statement::Update(u) if u.selection.is_none() && u.limit.is_none() => {
            let columns = u
                .assignments
                .iter()
                .flat_map(|a| match &a.target {
                    AssignmentTarget::ColumnName(n) => vec![object(n)],
                    AssignmentTarget::Tuple(ns) => ns.iter().map(object).collect(),
                })
                .collect();
            out.push((
                Change::UnboundedWrite {
                    verb: "UPDATE",
                    table: relation(&u.table).unwrap_or_default(),
                    columns,
                },
                None,
            ));
        }
        Statement::AlterTable(a) => {
            let table = object(&a.name);
            for (i, op) in a.operations.iter().enumerate() {
                for change in alter_action(&table, op) {
                    out.push((change, Some(i)));
                }
            }
        }
        Statement::RenameTable(renames) => {
            for r in renames {
                let (from, to) = (object(&r.old_name), object(&r.new_name));
                out.push((Change::RenameTable { from, to }, None));
            }
        }
        Statement::CreateTable(c) => {
            out.push((
                Change::CreateTable {
                    name: object(&c.name),
                    if_not_exists: c.if_not_exists,
                },
                None,
            ));
        }
        Statement::CreateIndex(c) if c.unique => {
            let table = object(&c.table_name);
            out.push((
                Change::AddConstraint {
                    table,
                    kind: "UNIQUE INDEX",
                },
                None,
            ));
        }
        // `WITH … DELETE` / `WITH … UPDATE`: the write is the query's body.
        Statement::Query(q) => {
            if let SetExpr::Update(inner) | SetExpr::Delete(inner) = q.body.as_ref() {
                out = changes(inner);
            }
        }
        _ => {}
    }
    out
}

fn alter_action(table: &str, op: &AlterTableOperation) -> Vec<Change> {
    let table = table.to_string();
    let column = |name: &sqlparser::ast::Ident| name.value.to_lowercase();
    match op {
        AlterTableOperation::DropColumn { column_names, .. } => column_names
            .iter()
            .map(|c| Change::DropColumn {
                table: table.clone(),
                column: column(c),
            })
            .collect(),
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => vec![Change::RenameColumn {
            table,
            from: column(old_column_name),
            to: column(new_column_name),
        }],
        AlterTableOperation::RenameTable { table_name } => {
            let (RenameTableNameKind::As(to) | RenameTableNameKind::To(to)) = table_name;
            vec![Change::RenameTable {
                from: table,
                to: object(to),
            }]
        }
        AlterTableOperation::ChangeColumn {
            old_name, new_name, ..
        } => {
            let mut out = vec![Change::AlterType {
                table: table.clone(),
                column: column(old_name),
            }];
            if column(old_name) != column(new_name) {
                out.insert(
                    0,
                    Change::RenameColumn {
                        table,
                        from: column(old_name),
                        to: column(new_name),
                    },
                );
            }
            out
        }
        AlterTableOperation::ModifyColumn { col_name, .. } => vec![Change::AlterType {
            table,
            column: column(col_name),
        }],
        AlterTableOperation::AlterColumn { column_name, op } => {
            let column = column(column_name);
            match op {
                AlterColumnOperation::SetNotNull => vec![Change::SetNotNull { table, column }],
                AlterColumnOperation::SetDataType { .. } => {
                    vec![Change::AlterType { table, column }]
                }
                AlterColumnOperation::SetDefault { .. } => {
                    vec![Change::SetDefault { table, column }]
                }
                _ => Vec::new(),
            }
        }
        AlterTableOperation::AddColumn { column_def, .. } => vec![add_column(table, column_def)],
        AlterTableOperation::AddConstraint { constraint, .. } => {
            let kind = match constraint {
                TableConstraint::Unique(_) => "UNIQUE",
                TableConstraint::ForeignKey(_) => "FOREIGN KEY",
                TableConstraint::Check(_) => "CHECK",
                _ => return Vec::new(),
            };
            vec![Change::AddConstraint { table, kind }]
        }
        _ => Vec::new(),
    }
}

fn add_column(table: String, def: &ColumnDef) -> Change {
    let mut not_null = false;
    let mut has_default = implicit_default(&def.data_type.to_string());
    for option in &def.options {
        match &option.option {
            ColumnOption::NotNull | ColumnOption::PrimaryKey(_) => not_null = true,
            ColumnOption::Default(_)
            | ColumnOption::Generated { .. }
            | ColumnOption::Identity(_)
            | ColumnOption::Materialized(_)
            | ColumnOption::Alias(_) => has_default = true,
            ColumnOption::DialectSpecific(tokens) => {
                let text = tokens
                    .iter()
                    .map(ToString::to_string)
                    .collect::<String>()
                    .to_ascii_uppercase();
                has_default |= text.contains("AUTO_INCREMENT") || text.contains("AUTOINCREMENT");
            }
            _ => {}
        }
    }
    Change::AddColumn {
        table,
        column: def.name.value.to_lowercase(),
        not_null,
        has_default,
    }
}

/// Types that fill themselves in: PostgreSQL's serial family.
pub fn implicit_default(data_type: &str) -> bool {
    let t = data_type.trim().to_ascii_uppercase();
    matches!(
        t.as_str(),
        "SERIAL" | "BIGSERIAL" | "SMALLSERIAL" | "SERIAL4" | "SERIAL8" | "SERIAL2"
    )
}

fn object(name: &ObjectName) -> String {
    normalise(&name.to_string())
}

fn relation(t: &TableWithJoins) -> Option<String> {
    match &t.relation {
        TableFactor::Table { name, .. } => Some(object(name)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::PostgreSqlDialect;
    use sqlparser::parser::Parser;

    fn of(sql: &str) -> Vec<Indexed> {
        let stmts = Parser::parse_sql(&PostgreSqlDialect {}, sql).unwrap_or_default();
        stmts.iter().flat_map(changes).collect()
    }

    #[test]
    fn reads_the_changes() {
        assert_eq!(
            of("DROP TABLE IF EXISTS public.users, b"),
            [
                (
                    Change::Drop {
                        what: "table",
                        name: "users".into()
                    },
                    None
                ),
                (
                    Change::Drop {
                        what: "table",
                        name: "b".into()
                    },
                    None
                )
            ]
        );
        let alter = of(
            "ALTER TABLE t ADD COLUMN a int NOT NULL DEFAULT 0, ADD COLUMN b int NOT NULL, ADD COLUMN c bigserial NOT NULL, DROP COLUMN d",
        );
        let hazards: Vec<_> = alter.iter().map(|(c, i)| (c.hazard(), *i)).collect();
        use super::super::change::Hazard;
        assert_eq!(
            hazards,
            [
                (None, Some(0)),
                (Some(Hazard::AddNotNullColumn), Some(1)),
                (None, Some(2)),
                (Some(Hazard::DropColumn), Some(3))
            ]
        );
        assert!(of("DELETE FROM t WHERE id = 1").is_empty());
        assert_eq!(of("UPDATE t SET a = 1").len(), 1);
        assert_eq!(of("WITH x AS (SELECT 1) DELETE FROM t").len(), 1);
    }
}
