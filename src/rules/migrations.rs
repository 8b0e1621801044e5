//! Rules about how migrations are run: tools whose SQL is hidden, migrations that run next to
//! the new pods, destructive migrations without a backup first.

use super::framework::{Context, Emitter, Rule};
use super::sql::forward;
use crate::finding::{Category, Effect, Location, RuleMeta, Severity};
use crate::manifest::Object;
use crate::sql::DbJob;

pub struct MigrationOpaque;

static MIGRATION_OPAQUE: RuleMeta = RuleMeta {
    id: "migration-opaque",
    category: Category::Migrations,
    severity: Severity::Info,
    effect: Effect::NoAutoRollback,
    summary: "a hook runs a migration tool whose SQL is not visible; point --migrations at it",
    doc: "A hook, Job, init container or workload runs a migration tool (Rails `db:migrate`, Django `manage.py migrate`, Alembic `upgrade`, Flyway, Liquibase `update`, golang-migrate, goose, Prisma `migrate deploy`, Knex `migrate:latest`, sqitch `deploy`, Atlas `migrate apply`, Airflow `db upgrade`/`db migrate`, `sentry upgrade`, harbor's `-mode=migrate`, temporal's `*-sql-tool update-schema`, a script named for migrating, …; the list is data, `rules/migration-tools.yaml`) and the SQL it applies is neither mounted from a ConfigMap or Secret of the chart nor given with `--migrations`, so rollguard cannot tell whether a rollback survives it. Such a pod is a migration for `migration-not-pre-upgrade` and `migration-without-backup` too.",
    fix: "Run `rollguard check --migrations PATH` on the application's migration folder, or mount the SQL from a ConfigMap the chart renders.",
};

impl Rule for MigrationOpaque {
    fn meta(&self) -> &'static RuleMeta {
        &MIGRATION_OPAQUE
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        let migrations = &cx.chart.migrations;
        let given = migrations
            .scripts
            .iter()
            .any(|s| s.origin.resource.is_none());
        for (index, job) in migrations.jobs.iter().enumerate() {
            let Some(tool) = job.tool else { continue };
            let mounted = migrations.scripts.iter().any(|s| s.jobs.contains(&index));
            if given || mounted {
                continue;
            }
            let object = object(cx, job);
            out.object(
                object,
                job.span,
                format!(
                    "{} runs {tool}, but the SQL it applies is not visible to rollguard",
                    object.id
                ),
            )
            .help(MIGRATION_OPAQUE.fix);
        }
    }
}

pub struct MigrationNotPreUpgrade;

static MIGRATION_NOT_PRE_UPGRADE: RuleMeta = RuleMeta {
    id: "migration-not-pre-upgrade",
    category: Category::Migrations,
    severity: Severity::Warning,
    effect: Effect::OldCodeBreaks,
    summary: "a migration runs as post-upgrade hook or plain Job, alongside new pods, instead of pre-upgrade",
    doc: "A pod that changes the database runs as a post-upgrade hook, a plain Job or a workload's container. The new pods start before (or while) the schema changes, and a failed migration leaves the release half upgraded: `--atomic` rolls back the pods but not what the migration already did.",
    fix: "Run migrations as a `pre-upgrade` (and `pre-install`) hook, so the release only proceeds once they succeeded.",
};

impl Rule for MigrationNotPreUpgrade {
    fn meta(&self) -> &'static RuleMeta {
        &MIGRATION_NOT_PRE_UPGRADE
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        for (index, job) in cx.chart.migrations.jobs.iter().enumerate() {
            let writes = forward(cx)
                .filter(|s| s.jobs.contains(&index))
                .any(|s| s.statements.iter().any(|st| st.modifies));
            if job.tool.is_none() && !writes {
                continue;
            }
            let object = object(cx, job);
            let when = match &object.hook {
                None => format!("as a plain {}", object.id.kind),
                Some(hook) if has(hook, "pre-upgrade") || !has(hook, "post-upgrade") => continue,
                Some(hook) => format!("as a `{}` hook", hook.events.join(",")),
            };
            out.object(
                object,
                job.span,
                format!("{} migrates the database {when}: the new pods run before the migration finished, and a failed migration is not rolled back", object.id),
            )
            .help(MIGRATION_NOT_PRE_UPGRADE.fix);
        }
    }
}

pub struct MigrationWithoutBackup;

static MIGRATION_WITHOUT_BACKUP: RuleMeta = RuleMeta {
    id: "migration-without-backup",
    category: Category::Migrations,
    severity: Severity::Info,
    effect: Effect::DataLoss,
    summary: "a destructive migration with no earlier-weighted backup hook",
    doc: "A migration drops, truncates or rewrites data (sql-drop-table, sql-drop-column, sql-truncate, sql-unbounded-write) and no hook takes a backup before it: a pre-upgrade hook with a lower `helm.sh/hook-weight` running pg_dump, pg_dumpall, mysqldump, mariadb-dump, mongodump or `velero backup`.",
    fix: "Add a pre-upgrade hook with a lower hook-weight that dumps the affected tables.",
};

impl Rule for MigrationWithoutBackup {
    fn meta(&self) -> &'static RuleMeta {
        &MIGRATION_WITHOUT_BACKUP
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        let jobs = &cx.chart.migrations.jobs;
        for script in forward(cx) {
            let Some(first) = script
                .statements
                .iter()
                .flat_map(|s| &s.hazards)
                .find(|h| h.hazard.destructive())
            else {
                continue;
            };
            let runners: Vec<&DbJob> = if script.jobs.is_empty() {
                jobs.iter().filter(|j| j.tool.is_some()).collect()
            } else {
                script.jobs.iter().filter_map(|i| jobs.get(*i)).collect()
            };
            let covered = if runners.is_empty() {
                jobs.iter().any(|b| backup_hook(cx, b).is_some())
            } else {
                runners.iter().all(|r| backed_up(cx, r))
            };
            if covered {
                continue;
            }
            out.at(
                Location::in_script(script, first.span),
                script.origin.resource.clone(),
                format!(
                    "{} {} and no backup hook runs before it",
                    script.name(),
                    first.change.describe()
                ),
            )
            .help(MIGRATION_WITHOUT_BACKUP.fix);
        }
    }
}

fn object<'a>(cx: &Context<'a>, job: &DbJob) -> &'a Object {
    &cx.chart.objects[job.object]
}

fn has(hook: &crate::manifest::Hook, event: &str) -> bool {
    hook.events.iter().any(|e| e == event)
}

/// The weight of a pre-upgrade hook that takes a backup.
fn backup_hook(cx: &Context, job: &DbJob) -> Option<i64> {
    let hook = object(cx, job).hook.as_ref()?;
    (job.backup && has(hook, "pre-upgrade")).then_some(hook.weight)
}

/// A backup runs before `runner`: in the same pod, or as a pre-upgrade hook weighted before
/// it (any weight when the runner itself runs after the pre-upgrade hooks).
fn backed_up(cx: &Context, runner: &DbJob) -> bool {
    if runner.backup {
        return true;
    }
    let runner_weight = object(cx, runner)
        .hook
        .as_ref()
        .filter(|h| has(h, "pre-upgrade"))
        .map(|h| h.weight);
    cx.chart
        .migrations
        .jobs
        .iter()
        .any(|b| backup_hook(cx, b).is_some_and(|w| runner_weight.is_none_or(|rw| w < rw)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_utils::{NONE, manifest};

    const OPAQUE: &str = "\
apiVersion: batch/v1
kind: Job
metadata:
  name: app-migrate
  annotations:
    helm.sh/hook: pre-upgrade
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: run
          image: ghcr.io/acme/app:2.0
          command: [python, manage.py, migrate, --noinput]
";

    #[test]
    fn a_migration_whose_sql_cannot_be_seen_is_reported() {
        let found = manifest(OPAQUE).findings(&MigrationOpaque);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "migration-opaque");
        // The same Job as a plain workload, running no migration command, is no migration.
        let worker = OPAQUE
            .replace("  annotations:\n    helm.sh/hook: pre-upgrade\n", "")
            .replace(
                "[python, manage.py, migrate, --noinput]",
                "[python, report.py]",
            );
        assert_eq!(manifest(worker).findings(&MigrationOpaque), NONE);
    }
}
