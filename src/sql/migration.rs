//! The model the migration rules read: SQL scripts placed in their files, and the pods that run
//! database work.

use std::sync::Arc;

use super::position::Placement;
use super::{Change, Dialect, Hazard, Parse, analyse};
use crate::manifest::ResourceId;
use source::SourceFile;
use source::Span;

/// Everything a release (or a migrations folder) runs against its database.
#[derive(Debug, Clone, Default)]
pub struct Migrations {
    pub scripts: Vec<Script>,
    pub jobs: Vec<DbJob>,
    /// Forward scripts left out because the baseline already shipped them.
    pub already_shipped: usize,
}

impl Migrations {
    /// Leaves out the forward scripts whose text the baseline already shipped: they have run,
    /// and re-running them is the tool's business (migration tools skip what they applied).
    pub fn drop_shipped(&mut self, baseline: &Migrations) {
        let shipped: std::collections::HashSet<&str> = baseline
            .scripts
            .iter()
            .map(|s| s.text_key.as_str())
            .collect();
        let before = self.scripts.len();
        self.scripts.retain(|s| {
            s.origin.direction != Direction::Up || !shipped.contains(s.text_key.as_str())
        });
        self.already_shipped += before - self.scripts.len();
    }
}

impl Migrations {
    /// Scripts whose text is one of `files` (a chart's `files/…sql` put into a ConfigMap by
    /// `.Files.Get` or `.Files.Glob … AsConfig`) are read from that file: findings point at
    /// its lines, and its `-- rollguard-ignore` comments apply there, as in a migrations folder.
    pub fn locate_in(&mut self, files: &[Arc<SourceFile>]) {
        if files.is_empty() {
            return;
        }
        let keyed: Vec<(String, &Arc<SourceFile>)> =
            files.iter().map(|f| (collapse(&f.text), f)).collect();
        for script in &mut self.scripts {
            let Some((_, file)) = keyed
                .iter()
                .find(|(key, _)| !key.is_empty() && *key == script.text_key)
            else {
                continue;
            };
            let mut origin = script.origin.clone();
            origin.placement = Placement::whole((*file).clone());
            origin.template = None;
            let jobs = std::mem::take(&mut script.jobs);
            *script = Script::new(origin, &file.text, script.dialect);
            script.jobs = jobs;
        }
    }
}

/// Text with white space collapsed: how a script is recognised wherever it is embedded.
fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether a script runs when the release moves forward, or only on the way back
/// (`.down.sql`, Flyway `U__`, sqitch `revert/`, rollback-only hooks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Up,
    Down,
}

/// Where a script comes from, for messages and locations.
#[derive(Debug, Clone)]
pub struct Origin {
    /// e.g. `ConfigMap/db-migrations key 002_drop.sql`, `migrations/V2__drop.sql`.
    pub name: String,
    pub placement: Placement,
    pub template: Option<String>,
    /// The object carrying the SQL, when it comes from the release.
    pub resource: Option<ResourceId>,
    pub direction: Direction,
    /// For migration folders: whether a down/undo/revert counterpart exists.
    pub has_down: Option<bool>,
}

#[derive(Debug, Clone)]
pub struct Script {
    pub origin: Origin,
    pub dialect: Dialect,
    pub statements: Vec<Statement>,
    pub ignores: Vec<Ignore>,
    /// Indexes into [`Migrations::jobs`] of the pods that run it; empty for `--migrations`.
    pub jobs: Vec<usize>,
    /// The script's text with whitespace collapsed: a migration the baseline already shipped
    /// has run, and is recognised by it.
    pub text_key: String,
}

#[derive(Debug, Clone)]
pub struct Statement {
    pub span: Span,
    pub parse: Parse,
    pub modifies: bool,
    pub hazards: Vec<HazardAt>,
    /// Why the database cannot read it at all ("unclosed quote"), if it cannot.
    pub broken: Option<&'static str>,
}

#[derive(Debug, Clone)]
pub struct HazardAt {
    pub hazard: Hazard,
    pub change: Change,
    pub span: Span,
}

/// `-- rollguard-ignore rule-id`: one rule id, and the statement it applies to, if any.
#[derive(Debug, Clone)]
pub struct Ignore {
    pub rule: String,
    pub span: Span,
    pub statement: Option<usize>,
}

/// A pod of the release that does database work.
#[derive(Debug, Clone)]
pub struct DbJob {
    /// Index into the chart's objects.
    pub object: usize,
    /// The command (or container) that does it.
    pub span: Span,
    /// A migration tool whose SQL lives outside the manifest (flyway, alembic, …).
    pub tool: Option<&'static str>,
    /// Runs a SQL client (psql, mysql, …).
    pub client: bool,
    /// Takes a backup (pg_dump, mysqldump, velero backup, …).
    pub backup: bool,
}

const IGNORE_MARK: &str = "rollguard-ignore";

impl Script {
    pub fn new(origin: Origin, text: &str, dialect: Dialect) -> Script {
        let analysis = analyse(text, dialect);
        let place = &origin.placement;
        let statements: Vec<Statement> = analysis
            .statements
            .iter()
            .map(|s| Statement {
                span: place.span(s.range.start, s.range.end),
                parse: s.parse,
                modifies: s.modifies,
                broken: s.broken,
                hazards: s
                    .found
                    .iter()
                    .map(|f| HazardAt {
                        hazard: f.hazard,
                        change: f.change.clone(),
                        span: place.span(f.at, f.at + word_len(text, f.at)),
                    })
                    .collect(),
            })
            .collect();
        // Each statement's range with its first and last line.
        let lines: Vec<_> = analysis
            .statements
            .iter()
            .map(|s| {
                let (first, last) = (
                    place.span(s.range.start, s.range.start),
                    place.span(s.range.end, s.range.end),
                );
                (s.range.clone(), first.line, last.line)
            })
            .collect();
        let mut ignores = Vec::new();
        for c in &analysis.comments {
            let comment = text.get(c.clone()).unwrap_or("");
            let Some(at) = comment.find(IGNORE_MARK) else {
                continue;
            };
            let span = place.span(c.start, c.end);
            let end_line = place.span(c.end, c.end).line;
            let statement = attach(&lines, c.clone(), span.line, end_line);
            for rule in rule_ids(&comment[at + IGNORE_MARK.len()..]) {
                ignores.push(Ignore {
                    rule,
                    span,
                    statement,
                });
            }
        }
        Script {
            origin,
            dialect,
            statements,
            ignores,
            jobs: Vec::new(),
            text_key: collapse(text),
        }
    }

    pub fn name(&self) -> &str {
        &self.origin.name
    }

    pub fn file(&self) -> &Arc<SourceFile> {
        &self.origin.placement.file
    }
}

/// Length of the keyword at `at`, so a finding underlines it.
fn word_len(text: &str, at: usize) -> usize {
    let rest = text.get(at..).unwrap_or("");
    rest.find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len())
}

/// The statement a suppression comment applies to: the one it is in, the one it trails on the
/// same line, or the one starting on the next line.
fn attach(
    statements: &[(std::ops::Range<usize>, u32, u32)],
    comment: std::ops::Range<usize>,
    line: u32,
    end_line: u32,
) -> Option<usize> {
    let inside = statements
        .iter()
        .position(|(r, _, _)| r.start <= comment.start && comment.start < r.end);
    let trailing = || {
        statements
            .iter()
            .rposition(|(r, _, last)| r.end <= comment.start && *last == line)
    };
    let next = || {
        statements
            .iter()
            .position(|(r, first, _)| r.start >= comment.end && *first <= end_line + 1)
    };
    inside.or_else(trailing).or_else(next)
}

/// `sql-drop-table, sql-truncate — reason`: ids separated by commas, up to the first word
/// that does not follow a comma.
fn rule_ids(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = text.trim_start_matches([':', ' ', '\t']);
    loop {
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
            .unwrap_or(rest.len());
        if end == 0 {
            break;
        }
        out.push(rest[..end].to_string());
        let after = rest[end..].trim_start();
        match after.strip_prefix(',') {
            Some(more) => rest = more.trim_start(),
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignore_comments_name_rules() {
        assert_eq!(
            rule_ids(" sql-drop-table, sql-truncate backup taken"),
            ["sql-drop-table", "sql-truncate"]
        );
        assert_eq!(rule_ids(": sql-rename"), ["sql-rename"]);
    }

    #[test]
    fn ignores_attach_to_their_statement() {
        let text = "-- rollguard-ignore sql-drop-table\nDROP TABLE a;\nDROP TABLE b; -- rollguard-ignore sql-drop-table\n-- rollguard-ignore sql-truncate\n\nTRUNCATE c;\n";
        let file = SourceFile::new("m.sql", text);
        let origin = Origin {
            name: "m.sql".into(),
            placement: Placement::whole(file),
            template: None,
            resource: None,
            direction: Direction::Up,
            has_down: None,
        };
        let script = Script::new(origin, text, Dialect::Postgres);
        let attached: Vec<Option<usize>> = script.ignores.iter().map(|i| i.statement).collect();
        assert_eq!(attached, [Some(0), Some(1), None]);
    }
}
