//! What each Helm 3 / Helm 4 spelling means for the pipeline rules: one command per row, checked
//! with the chart `app` (fixtures/pipelines/app.yaml: its slowest workload needs 2m).

mod common;

use common::check_json;

/// (the pipeline file's text, its name, and the findings expected as `rule:severity`, in any
/// order).
const ROWS: &[(&str, &str, &[&str])] = &[
    (
        "helm upgrade app ./charts/app",
        "deploy.sh",
        &[
            "missing-history-max:info",
            "missing-atomic:warning",
            "missing-wait:info",
        ],
    ),
    (
        "helm upgrade -i app ./charts/app --rollback-on-failure --cleanup-on-fail --history-max 10",
        "deploy.sh",
        &[],
    ),
    (
        // --atomic raises Helm 4's wait strategy to watcher.
        "helm upgrade app ./charts/app --atomic --wait=hookOnly --cleanup-on-fail --history-max=5",
        "deploy.sh",
        &[],
    ),
    (
        "helm upgrade app ./charts/app --atomic --history-max 5",
        "deploy.sh",
        &["missing-cleanup-on-fail:info"],
    ),
    (
        "helm upgrade app ./charts/app --atomic=false --wait=false --history-max 5",
        "deploy.sh",
        &["missing-atomic:warning", "missing-wait:info"],
    ),
    (
        "helm upgrade app ./charts/app --wait=legacy --force-replace --history-max 5 --atomic --cleanup-on-fail",
        "deploy.sh",
        &["force-upgrade:warning"],
    ),
    (
        "HELM_MAX_HISTORY=0 helm upgrade app ./charts/app --atomic --cleanup-on-fail",
        "deploy.sh",
        &["missing-history-max:warning"],
    ),
    (
        // helm install writes the first revision: no --history-max, no --cleanup-on-fail.
        "helm install app ./charts/app --atomic",
        "deploy.sh",
        &[],
    ),
    (
        "helm upgrade app ./charts/app --atomic --cleanup-on-fail $HELM_OPTS",
        "deploy.sh",
        &["missing-history-max:info"],
    ),
    (
        "helm upgrade app ./charts/app --atomic --cleanup-on-fail --history-max 5 --timeout 1m",
        "deploy.sh",
        &["timeout-below-startup:error"],
    ),
    (
        // Without --wait, Helm does not wait for workloads: the timeout covers hooks only.
        "helm upgrade app ./charts/app --history-max 5 --timeout 1m",
        "deploy.sh",
        &["missing-atomic:warning", "missing-wait:info"],
    ),
    (
        "helm upgrade other ./charts/other --force\nhelm diff upgrade app ./charts/app\nhelm upgrade app ./charts/app --dry-run",
        "deploy.sh",
        &[],
    ),
    (
        // `.` is wherever the job stands: assumed to be this chart, and the message says so.
        "cd charts/app && helm upgrade web . --history-max 5",
        "deploy.sh",
        &["missing-atomic:warning", "missing-wait:info"],
    ),
    (
        // A default that names another variable: the release is `app`, so the package whose
        // path rollguard cannot see is assumed to be this chart.
        "APP_NAME=\"${APP_NAME:-app}\"\nRELEASE=\"${RELEASE:-${APP_NAME}}\"\nhelm upgrade --install \"$RELEASE\" \"$CHART_PACKAGE\" --history-max 5",
        "deploy.sh",
        &["missing-atomic:warning", "missing-wait:info"],
    ),
    (
        // The same script for the release `other`: another chart's.
        "APP_NAME=\"${APP_NAME:-other}\"\nRELEASE=\"${RELEASE:-${APP_NAME}}\"\nhelm upgrade --install \"$RELEASE\" \"$CHART_PACKAGE\" --history-max 5",
        "deploy.sh",
        &[],
    ),
    (
        // The script rolls a failed upgrade back itself: as good as --atomic.
        "helm upgrade app ./charts/app --wait --history-max 5 \\\n  || helm rollback app --wait --history-max 5",
        "deploy.sh",
        &[],
    ),
    (
        // A rollback that runs whatever the upgrade did is not one on failure.
        "helm upgrade app ./charts/app --wait --history-max 5\nhelm rollback app --wait --history-max 5",
        "deploy.sh",
        &["missing-atomic:warning"],
    ),
    (
        // A GitLab job that runs when the deployment failed rolls it back.
        "deploy:\n  script:\n    - helm upgrade --install app ./charts/app --wait --history-max 5\nrollback:\n  when: on_failure\n  script:\n    - helm rollback app --history-max 5\n",
        ".gitlab-ci.yml",
        &[],
    ),
    (
        // A manual rollback job is someone's button, not a rollback on failure.
        "deploy:\n  script:\n    - helm upgrade --install app ./charts/app --wait --history-max 5\nrollback:\n  when: manual\n  script:\n    - helm rollback app --history-max 5\n",
        ".gitlab-ci.yml",
        &["missing-atomic:warning"],
    ),
    (
        // CircleCI: a step that runs only when an earlier one failed.
        "version: 2.1\njobs:\n  deploy:\n    docker: [{image: alpine/helm}]\n    steps:\n      - run: helm upgrade --install app ./charts/app --wait --history-max 5\n      - run:\n          name: Roll back\n          command: helm rollback app --wait --history-max 5\n          when: on_fail\n",
        ".circleci/config.yml",
        &[],
    ),
    (
        // … `when: always` runs after a good upgrade too.
        "version: 2.1\njobs:\n  deploy:\n    docker: [{image: alpine/helm}]\n    steps:\n      - run: helm upgrade --install app ./charts/app --wait --history-max 5\n      - run:\n          name: Roll back\n          command: helm rollback app --wait --history-max 5\n          when: always\n",
        ".circleci/config.yml",
        &["missing-atomic:warning"],
    ),
    (
        // Jenkins rolls back in `post { failure { … } }`.
        "pipeline {\n  agent any\n  stages {\n    stage('Deploy') {\n      steps {\n        sh 'helm upgrade --install app ./charts/app --wait --history-max 5'\n      }\n    }\n  }\n  post {\n    failure {\n      sh 'helm rollback app --wait --history-max 5'\n    }\n  }\n}\n",
        "Jenkinsfile",
        &[],
    ),
    (
        // … but `post { always { … } }` runs after a good upgrade too.
        "pipeline {\n  agent any\n  stages {\n    stage('Deploy') {\n      steps {\n        sh 'helm upgrade --install app ./charts/app --wait --history-max 5'\n      }\n    }\n  }\n  post {\n    always {\n      sh 'helm rollback app --wait --history-max 5'\n    }\n  }\n}\n",
        "Jenkinsfile",
        &["missing-atomic:warning"],
    ),
    (
        "helmDefaults:\n  wait: true\n  timeout: 60\nreleases:\n  - name: app\n    chart: ./charts/app\n",
        "helmfile.yaml",
        &["timeout-below-startup:error", "missing-atomic:warning"],
    ),
    (
        "releases:\n  - name: app\n    chart: ./charts/app\n    atomic: true\n    cleanupOnFail: true\n    historyMax: 0\n",
        "helmfile.yaml",
        &["missing-history-max:warning"],
    ),
    (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: app}\nspec:\n  chart: {spec: {chart: app}}\n  timeout: 1m\n",
        "release.yaml",
        &["timeout-below-startup:error", "missing-atomic:warning"],
    ),
    (
        "apiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nmetadata: {name: app}\nspec:\n  chart: {spec: {chart: app}}\n  upgrade:\n    cleanupOnFail: true\n    remediation: {retries: 3, strategy: uninstall}\n",
        "release.yaml",
        &["missing-atomic:warning"],
    ),
];

#[test]
fn each_spelling_means_what_helm_does() {
    for (text, name, expected) in ROWS {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join(name);
        if let Some(parent) = file.parent() {
            std::fs::create_dir_all(parent).expect("directories");
        }
        std::fs::write(&file, text).expect("write");
        let run = check_json(
            "fixtures/pipelines/app.yaml",
            &["--pipeline", file.to_str().unwrap_or_default()],
        );
        assert!(run.code == 0 || run.code == 1, "{text}: {}", run.stderr);
        let mut found: Vec<String> = run.json()["findings"]
            .as_array()
            .expect("findings")
            .iter()
            .filter(|f| {
                f["location"]["file"]
                    .as_str()
                    .is_some_and(|p| p.ends_with(name))
            })
            .map(|f| {
                format!(
                    "{}:{}",
                    f["rule"].as_str().unwrap_or(""),
                    f["severity"].as_str().unwrap_or("")
                )
            })
            .collect();
        found.sort();
        let mut expected = expected.to_vec();
        expected.sort();
        assert_eq!(found, expected, "{text}");
    }
}
