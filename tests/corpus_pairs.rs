//! Real consecutive revisions of public charts (`../shared/corpus/pairs`):
//! `rollguard check NEW --base-chart OLD` renders both natively (one seed and clock, so
//! generated secrets do not look like changes). Every pair must complete; the findings that the
//! INDEX's description makes certain are asserted, and a table of what fired is printed.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn shared() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    dir.join("corpus/pairs/INDEX.tsv").is_file().then_some(dir)
}

/// What the INDEX's description of each pair makes certain (rule → count at least 1), and what
/// it rules out.
fn expectations() -> BTreeMap<&'static str, (&'static [&'static str], &'static [&'static str])> {
    BTreeMap::from([
        (
            "alertmanager-pvc-size",
            (&["sts-volume-claim-templates-changed"][..], &[][..]),
        ),
        (
            "bitnami-mysql-servicename",
            (&["immutable-field-changed"][..], &[][..]),
        ),
        // "no-op values on immutable fields": nothing may fire.
        (
            "bitnami-mysql-standardised",
            (
                &[][..],
                &[
                    "immutable-field-changed",
                    "sts-volume-claim-templates-changed",
                ][..],
            ),
        ),
        (
            "bitnami-zookeeper-vct-kind",
            (&[][..], &["sts-volume-claim-templates-changed"][..]),
        ),
        (
            "kube-state-metrics-labels",
            (&["immutable-field-changed"][..], &[][..]),
        ),
        (
            "prometheus-node-exporter-labels",
            (&["immutable-field-changed"][..], &[][..]),
        ),
        (
            "pushgateway-statefulset",
            (&["pvc-removed", "immutable-field-changed"][..], &[][..]),
        ),
        (
            "stable-mysql-apps-v1",
            (&["immutable-field-changed"][..], &[][..]),
        ),
        (
            "stable-redis-major-v7",
            (&["immutable-field-changed"][..], &[][..]),
        ),
        (
            "mattermost-te-plugins-pvc",
            (&["rollback-deletes-pvc"][..], &[][..]),
        ),
        ("stable-minio-pvc-size", (&["pvc-shrunk"][..], &[][..])),
        (
            "kibana-token-hooks",
            (&["resource-becomes-hook"][..], &[][..]),
        ),
        // The schema Job runs `temporal-sql-tool update-schema` (rules/migration-tools.yaml),
        // now as a pre-install,pre-upgrade hook.
        (
            "temporal-schema-hooks",
            (
                &["resource-becomes-hook", "migration-opaque"][..],
                &["migration-not-pre-upgrade"][..],
            ),
        ),
        // The one-off `db upgrade` Job became a Deployment running `db_migrations.py`: it
        // migrates next to the new pods.
        (
            "airflow-db-migrations-deployment",
            (
                &["migration-opaque", "migration-not-pre-upgrade"][..],
                &[][..],
            ),
        ),
        // Certificates and passwords are regenerated per render: with one seed and clock for
        // both revisions they are not configuration changes.
        (
            "elasticsearch-cert-hook",
            (&[][..], &["config-change-without-rollout"][..]),
        ),
        (
            "elasticsearch-pdb-policy-v1",
            (&[][..], &["config-change-without-rollout"][..]),
        ),
        (
            "jenkins-backup-cronjob-batch-v1",
            (&[][..], &["config-change-without-rollout"][..]),
        ),
        // `harbor_core -mode=migrate` as a pre-upgrade hook: hidden SQL, but run at the right time.
        (
            "harbor-migrate-hook",
            (
                &["migration-opaque"][..],
                &["config-change-without-rollout", "migration-not-pre-upgrade"][..],
            ),
        ),
        // chartmuseum's PVC carries helm.sh/resource-policy: keep.
        ("harbor-remove-chartmuseum", (&[][..], &["pvc-removed"][..])),
    ])
}

#[test]
fn every_corpus_pair_checks_and_known_hazards_are_found() {
    let Some(shared) = shared() else {
        println!("skipped: ../shared/corpus/pairs is not here");
        return;
    };
    let pairs_dir = shared.join("corpus/pairs");
    let index = std::fs::read_to_string(pairs_dir.join("INDEX.tsv")).unwrap();
    let expected = expectations();
    let mut table = Vec::new();
    let mut checked = 0;
    for line in index.lines().skip(1) {
        let name = line.split('\t').next().unwrap();
        let dir = pairs_dir.join(name);
        let (old, new) = (dir.join("old"), dir.join("new"));
        let values = dir.join("values.yaml");
        let mut args = vec![
            "check",
            new.to_str().unwrap(),
            "--base-chart",
            old.to_str().unwrap(),
            "--no-pipelines",
            "--format",
            "json",
            // The version these 2019-era pairs were written for; later pairs are judged there too.
            "--kube-version",
            "1.16",
        ];
        if values.is_file() {
            args.extend(["-f", values.to_str().unwrap()]);
        }
        let run = common::rollguard(&args);
        assert!(
            run.code == 0 || run.code == 1,
            "{name}: exit {}: {}",
            run.code,
            run.stderr
        );
        let mut fired: BTreeMap<String, usize> = BTreeMap::new();
        for f in run.json()["findings"].as_array().unwrap() {
            *fired
                .entry(f["rule"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
        if let Some((must, must_not)) = expected.get(name) {
            for rule in *must {
                assert!(
                    fired.contains_key(*rule),
                    "{name}: expected {rule}, fired {fired:?}"
                );
            }
            for rule in *must_not {
                assert!(
                    !fired.contains_key(*rule),
                    "{name}: {rule} must not fire: {}",
                    run.stdout
                );
            }
        }
        table.push(format!("{name:40} {fired:?}"));
        checked += 1;
    }
    println!("{checked} pairs checked:\n{}", table.join("\n"));
    assert!(
        checked >= expected.len(),
        "only {checked} pairs could be rendered"
    );
}
