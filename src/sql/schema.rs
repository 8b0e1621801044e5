//! The schema as one file builds it, so that what the same file just created is not a hazard:
//! a backfill of a column it added, a NOT NULL on a serial column it added, a rename or drop of
//! a table it created. Old code cannot depend on what did not exist before the file ran.

use std::collections::{HashMap, HashSet};

use super::change::{Change, Hazard};

#[derive(Debug, Default)]
pub struct Schema {
    tables: HashSet<String>,
    /// Columns added by the file, with whether they fill themselves in (default, serial, …).
    columns: HashMap<(String, String), bool>,
}

/// A hazard the file's statements really carry, at a byte offset of the analysed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    pub hazard: Hazard,
    pub change: Change,
    pub at: usize,
}

impl Schema {
    /// Keeps the hazards among `changes` (in order) and learns what they create.
    pub fn filter(&mut self, changes: Vec<(Change, usize)>) -> Vec<Found> {
        let mut out = Vec::new();
        for (change, at) in changes {
            if let Some(hazard) = change.hazard().filter(|_| !self.explains(&change)) {
                out.push(Found {
                    hazard,
                    change: change.clone(),
                    at,
                });
            }
            self.learn(&change);
        }
        out
    }

    fn new_table(&self, table: &str) -> bool {
        self.tables.contains(table)
    }

    fn new_column(&self, table: &str, column: &str) -> Option<bool> {
        self.columns
            .get(&(table.to_string(), column.to_string()))
            .copied()
    }

    fn explains(&self, change: &Change) -> bool {
        match change {
            Change::Drop { name, .. } => self.new_table(name),
            Change::Truncate { table } | Change::AddConstraint { table, .. } => {
                self.new_table(table)
            }
            Change::UnboundedWrite { table, columns, .. } => {
                self.new_table(table)
                    || (!columns.is_empty()
                        && columns.iter().all(|c| self.new_column(table, c).is_some()))
            }
            Change::RenameTable { from, .. } => self.new_table(from),
            Change::AddColumn { table, .. } => self.new_table(table),
            Change::DropColumn { table, column }
            | Change::AlterType { table, column }
            | Change::RenameColumn {
                table,
                from: column,
                ..
            } => self.new_table(table) || self.new_column(table, column).is_some(),
            // Old code omits a column it does not know: fine only if the column fills itself.
            Change::SetNotNull { table, column } => {
                self.new_table(table) || self.new_column(table, column) == Some(true)
            }
            Change::SetDefault { .. } | Change::CreateTable { .. } => true,
        }
    }

    fn learn(&mut self, change: &Change) {
        match change {
            // `IF NOT EXISTS` is how migrations that re-run safely are written (mattermost,
            // kestra): the table may hold an earlier release's rows, so it stays "old".
            Change::CreateTable {
                name,
                if_not_exists: false,
            } => {
                self.tables.insert(name.clone());
            }
            Change::AddColumn {
                table,
                column,
                has_default,
                ..
            } => {
                self.columns
                    .insert((table.clone(), column.clone()), *has_default);
            }
            Change::SetDefault { table, column } => {
                if let Some(d) = self.columns.get_mut(&(table.clone(), column.clone())) {
                    *d = true;
                }
            }
            Change::RenameTable { from, to } if self.new_table(from) => {
                self.tables.insert(to.clone());
            }
            _ => {}
        }
    }
}
