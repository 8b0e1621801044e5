//! Realistic pipeline files, one or more per CI system (fixtures/pipelines/repo): what each is
//! understood to run, and what rollguard reports when the chart `app` is checked with them.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use common::{Run, check_json, rollguard};
use rollguard::pipeline::read::{Sources, load};
use rollguard::pipeline::{ChartArg, HelmCommand, Invocation, Setting, Tool, Wait};

const REPO: &str = "fixtures/pipelines/repo";

fn invocations() -> (BTreeMap<String, Vec<Invocation>>, Vec<String>) {
    let paths = [PathBuf::from(REPO)];
    let loaded = load(Sources::Given(&paths)).expect("the fixture repo loads");
    let mut by_file: BTreeMap<String, Vec<Invocation>> = BTreeMap::new();
    for inv in loaded.invocations {
        let name = inv
            .file
            .name
            .trim_start_matches(REPO)
            .trim_start_matches('/')
            .to_string();
        by_file.entry(name).or_default().push(inv);
    }
    (by_file, loaded.notes)
}

#[test]
fn every_ci_system_yields_its_helm_invocations() {
    let (by_file, notes) = invocations();
    let counts: Vec<(&str, usize)> = by_file.iter().map(|(f, v)| (f.as_str(), v.len())).collect();
    assert_eq!(
        counts,
        vec![
            (".circleci/config.yml", 1),
            // staging and production: lint and `helm diff upgrade` are not upgrades.
            (".github/workflows/deploy.yml", 2),
            // review, the `.deploy` script (reached by an anchor and by `extends`: once), rollback.
            (".gitlab-ci.yml", 3),
            ("Jenkinsfile", 1),
            ("Makefile", 1),
            ("Taskfile.yml", 1),
            ("argocd/app.yaml", 1),
            // a `bash:` step and a HelmDeploy task.
            ("azure-pipelines.yml", 2),
            // a step template the pipeline pulls in (with its variables).
            ("azure/deploy-steps.yml", 1),
            // the anchored definition is reported once, where the pipeline uses it.
            ("bitbucket-pipelines.yml", 1),
            // from a local include: the template a GitLab job extends, and a job of its own
            // (counted once, with the including file's variables).
            ("ci/templates/helm.yml", 2),
            ("clusters/prod/app-helmrelease.yaml", 1),
            ("helmfile.yaml", 2),
            ("justfile", 1),
            ("scripts/deploy.sh", 1),
            // a `script:` step and an `args:` step of an image whose entrypoint is helm.
            ("tekton/helm-deploy-task.yaml", 2),
        ]
    );
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].contains(".github/workflows/broken.yml:6:6: not valid YAML"),
        "{notes:?}"
    );
}

#[test]
fn settings_are_read_through_variables_and_layers() {
    let (by_file, _) = invocations();
    let get = |file: &str, i: usize| &by_file[file][i];

    // GitHub: `${{ env.CHART }}` in a folded block; the production timeout comes from an input.
    let staging = get(".github/workflows/deploy.yml", 0);
    assert_eq!(staging.chart, ChartArg::Known("./charts/app".into()));
    assert_eq!(staging.wait.value(), Some(Wait::Workloads));
    assert_eq!(staging.history_max.value(), Some(5));
    assert_eq!(staging.place, "job `staging`, step `Deploy to staging`");
    let production = get(".github/workflows/deploy.yml", 1);
    assert!(matches!(production.timeout, Setting::Unknown { .. }));

    // GitLab: a job extending a template from a local include points into that file.
    let canary = get("ci/templates/helm.yml", 0);
    assert_eq!(canary.place, "job `canary`");
    assert_eq!(canary.release.as_deref(), Some("app-canary"));
    assert_eq!(canary.chart, ChartArg::Known("charts/app".into()));
    let smoke = get("ci/templates/helm.yml", 1);
    assert_eq!(smoke.place, "job `smoke-deploy`");
    assert_eq!(smoke.chart, ChartArg::Known("charts/app".into()));

    // Azure: a step template runs with the variables of the pipeline that uses it.
    let eu = get("azure/deploy-steps.yml", 0);
    assert_eq!(
        eu.place,
        "job `DeployEu`, step `Deploy ${{ parameters.release }}`"
    );
    assert_eq!(eu.history_max.value(), Some(0));

    // GitLab: `helm secrets upgrade` in a template job, global variables.
    let deploy = get(".gitlab-ci.yml", 1);
    assert_eq!(deploy.place, "job `staging`");
    assert_eq!(deploy.chart, ChartArg::Known("charts/app".into()));
    assert_eq!(deploy.atomic.value(), Some(true));
    assert_eq!(deploy.history_max.value(), Some(10));
    assert_eq!(
        get(".gitlab-ci.yml", 2).tool,
        Tool::Helm(HelmCommand::Rollback)
    );

    // Make: `$(HELM_FLAGS)` splits into three options.
    let make = get("Makefile", 0);
    assert_eq!(make.atomic.value(), Some(true));
    assert_eq!(make.history_max.value(), Some(10));
    assert_eq!(make.release.as_deref(), Some("app"));

    // A script: `$HELM_OPTS` is known and split, `"$@"` may add anything.
    let script = get("scripts/deploy.sh", 0);
    assert_eq!(script.atomic.value(), Some(true));
    assert!(matches!(script.wait, Setting::Unknown { .. }));
    assert_eq!(script.release.as_deref(), Some("app-$ENV"));

    // Azure variables as a list; CircleCI parameters and Tekton params are unknown.
    assert_eq!(get("azure-pipelines.yml", 0).history_max.value(), Some(0));
    assert_eq!(
        get("azure-pipelines.yml", 0).chart,
        ChartArg::Known("charts/app".into())
    );
    let task = get("azure-pipelines.yml", 1);
    assert_eq!(task.release.as_deref(), Some("app-canary"));
    assert_eq!(
        task.wait.value(),
        Some(Wait::Workloads),
        "waitForExecution defaults to true"
    );
    assert_eq!(task.timeout.value(), Some(180));
    assert_eq!(task.history_max.value(), Some(10));
    assert!(matches!(
        get(".circleci/config.yml", 0).timeout,
        Setting::Unknown { .. }
    ));
    assert_eq!(
        get("tekton/helm-deploy-task.yaml", 0).chart,
        ChartArg::Unresolved("$(params.chart)".into())
    );

    let argv = get("tekton/helm-deploy-task.yaml", 1);
    assert_eq!(argv.place, "step `upgrade-canary`");
    assert_eq!(argv.timeout.value(), Some(180));
    assert_eq!((argv.span.line, argv.span.col), (23, 7));

    // Declarative: helmfile defaults under a release, Flux's own keys.
    let helmfile = get("helmfile.yaml", 0);
    assert_eq!(helmfile.wait.value(), Some(Wait::Workloads));
    assert_eq!(helmfile.timeout.value(), Some(600));
    assert_eq!(
        get("helmfile.yaml", 1).chart,
        ChartArg::Known("bitnami/postgresql".into())
    );
    let flux = get("clusters/prod/app-helmrelease.yaml", 0);
    assert_eq!(flux.wait.value(), Some(Wait::No));
    assert_eq!(flux.history_max.value(), Some(0));
    assert_eq!(get("argocd/app.yaml", 0).tool, Tool::ArgoCd);
}

#[test]
fn the_report_for_the_whole_repository() {
    let run = check_json("fixtures/pipelines/app.yaml", &["--pipeline", REPO]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // Every invocation but helmfile's `db` release (bitnami/postgresql) deploys `app`.
    let notes = run.json()["notes"].to_string();
    assert!(
        notes.contains("app: checked with 22 helm invocations from"),
        "{notes}"
    );
    let found: Vec<String> = run.json()["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{}:{} {} {}",
                f["location"]["file"]
                    .as_str()
                    .unwrap_or("")
                    .trim_start_matches(REPO),
                f["location"]["line"],
                f["rule"].as_str().unwrap_or(""),
                f["severity"].as_str().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        found,
        vec![
            "/.github/workflows/deploy.yml:33 missing-atomic warning",
            "/.gitlab-ci.yml:35 missing-atomic info",
            "/.gitlab-ci.yml:35 missing-wait info",
            "/.gitlab-ci.yml:50 force-upgrade warning",
            "/Jenkinsfile:20 missing-atomic warning",
            "/Jenkinsfile:20 missing-history-max info",
            "/Taskfile.yml:11 missing-cleanup-on-fail info",
            "/azure-pipelines.yml:27 missing-history-max warning",
            "/azure-pipelines.yml:40 missing-atomic warning",
            "/azure/deploy-steps.yml:8 missing-history-max warning",
            "/azure/deploy-steps.yml:9 missing-cleanup-on-fail info",
            "/bitbucket-pipelines.yml:9 force-upgrade warning",
            "/ci/templates/helm.yml:7 missing-atomic warning",
            "/clusters/prod/app-helmrelease.yaml:15 missing-atomic warning",
            "/clusters/prod/app-helmrelease.yaml:17 missing-history-max warning",
            "/clusters/prod/app-helmrelease.yaml:26 missing-wait info",
            "/justfile:5 missing-atomic warning",
            "/tekton/helm-deploy-task.yaml:20 missing-atomic warning",
            "/tekton/helm-deploy-task.yaml:23 missing-history-max info",
            "/tekton/helm-deploy-task.yaml:29 missing-cleanup-on-fail info",
        ]
    );
}

#[test]
fn hook_jobs_are_compared_on_their_own() {
    // The script waits 10m; the pre-upgrade Job may run 15m.
    let run = check_json(
        "fixtures/pipelines/app-with-hook.yaml",
        &["--pipeline", "fixtures/pipelines/rules/missing-atomic.safe"],
    );
    let found = run.findings("timeout-below-startup");
    assert_eq!(found.len(), 1, "{}", run.stdout);
    assert_eq!(found[0]["resource"]["kind"], "Job");
    assert_eq!(found[0]["location"]["line"], 10);
    assert!(
        found[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("activeDeadlineSeconds 900")
    );
    assert_eq!(run.code, 1);

    // A rollback runs rollback hooks, not this pre-upgrade one.
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("rollback.sh");
    std::fs::write(&script, "helm rollback app --wait --timeout 1m\n").expect("write");
    let run = check_json(
        "fixtures/pipelines/app-with-hook.yaml",
        &["--pipeline", script.to_str().unwrap_or_default()],
    );
    assert_eq!(
        run.findings("timeout-below-startup").len(),
        0,
        "{}",
        run.stdout
    );
}

#[test]
fn an_invisible_timeout_is_unknown_not_missing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("deploy.sh");
    std::fs::write(&script, "helm upgrade app ./charts/app --atomic --cleanup-on-fail --history-max 5 --timeout \"$T\"\n").expect("write");
    let run = check_json(
        "fixtures/pipelines/app-with-hook.yaml",
        &["--pipeline", script.to_str().unwrap_or_default()],
    );
    let found = run.findings("timeout-below-startup");
    assert_eq!(found.len(), 1, "{}", run.stdout);
    assert_eq!(found[0]["severity"], "info");
    assert!(
        found[0]["message"]
            .as_str()
            .unwrap_or("")
            .starts_with("cannot tell")
    );
    assert_eq!(run.code, 0);
}

#[test]
fn invocations_relate_to_their_chart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("deploy.sh");
    std::fs::write(
        &script,
        "helm upgrade db bitnami/postgresql\nhelm upgrade app \"$CHART_PATH\" --atomic --cleanup-on-fail --history-max 5\n",
    )
    .expect("write");
    let run = check_json(
        "fixtures/pipelines/app.yaml",
        &["--pipeline", script.to_str().unwrap_or_default()],
    );
    let pipeline: Vec<serde_json::Value> = run.json()["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter(|f| f["category"] == "pipeline")
        .cloned()
        .collect();
    // The postgresql upgrade is another chart's; the other one's chart cannot be resolved, and
    // its release is named as the chart: assumed to deploy this chart, and it says so.
    assert_eq!(pipeline.len(), 0, "{pipeline:?}");
    std::fs::write(&script, "helm upgrade app \"$CHART_PATH\"\n").expect("write");
    let run = check_json(
        "fixtures/pipelines/app.yaml",
        &["--pipeline", script.to_str().unwrap_or_default()],
    );
    let atomic = run.findings("missing-atomic");
    assert_eq!(atomic.len(), 1);
    assert!(
        atomic[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("chart `$CHART_PATH` not resolvable: assumed to deploy chart `app` because release name `app` is the chart's name"),
        "{}",
        atomic[0]
    );
}

/// A repository of two charts whose scripts deploy packages (`$(ls dist/*.tgz)`: the chart
/// cannot be resolved): the release name decides which chart a script is assumed to deploy.
#[test]
fn an_unresolved_chart_is_assumed_only_when_its_release_could_be_the_charts() {
    const REPO: &str = "fixtures/pipelines/release-names";
    let check = |script: &str| {
        let run = rollguard(&[
            "check",
            &format!("{REPO}/charts/mine"),
            "--kube-version",
            "1.33",
            "--format",
            "json",
            "--pipeline",
            &format!("{REPO}/scripts/{script}"),
        ]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run
    };
    // Release `mine`: the chart's own name.
    let hazard = check("deploy-mine.sh");
    assert_eq!(
        hazard.located(),
        ["missing-atomic warning fixtures/pipelines/release-names/scripts/deploy-mine.sh:5"]
    );
    let findings = hazard.findings("missing-atomic");
    assert!(
        findings[0]["message"].as_str().unwrap_or("").contains(
            "chart `$CHART_PACKAGE` not resolvable: assumed to deploy chart `mine` because release name `mine` is the chart's name"
        ),
        "{}",
        findings[0]
    );
    // Release `other`, upgraded and rolled back: the other chart's, whatever its package is.
    let safe = check("deploy-other.sh");
    assert_eq!(
        safe.json()["findings"],
        serde_json::json!([]),
        "{}",
        safe.stdout
    );
    assert!(!safe.stdout.contains("checked with"), "{}", safe.stdout);
}

/// `helm upgrade shop .` in a chart's own Makefile deploys that chart, whatever the release is
/// called; the same line in a Makefile elsewhere tells nothing, and `shop` is not the chart's
/// name.
#[test]
fn the_working_directory_of_a_file_inside_the_chart_is_the_chart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let chart = dir.path().join("charts/web");
    std::fs::create_dir_all(chart.join("templates")).expect("chart dir");
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: web\nversion: 1.0.0\n",
    )
    .expect("Chart.yaml");
    std::fs::write(
        chart.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n",
    )
    .expect("template");
    let makefile = "deploy:\n\thelm upgrade --install shop . --history-max 10 --wait\n";
    let check = |pipeline: &std::path::Path| {
        std::fs::write(pipeline, makefile).expect("Makefile");
        let run = rollguard(&[
            "check",
            chart.to_str().unwrap_or_default(),
            "--kube-version",
            "1.33",
            "--format",
            "json",
            "--pipeline",
            pipeline.to_str().unwrap_or_default(),
        ]);
        assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
        run.findings("missing-atomic")
    };
    let inside = check(&chart.join("Makefile"));
    assert_eq!(inside.len(), 1, "{inside:?}");
    assert!(
        inside[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("assumed to be the file's own: this chart"),
        "{}",
        inside[0]
    );
    std::fs::remove_file(chart.join("Makefile")).expect("remove");
    assert_eq!(
        check(&dir.path().join("Makefile")),
        Vec::<serde_json::Value>::new()
    );
}

/// A job (or script) that creates its own kind/k3d cluster tests the chart there: its helm
/// commands are left out with a note; the same command in the release job is checked.
#[test]
fn a_cluster_made_for_the_job_is_not_the_release() {
    const DIR: &str = "fixtures/pipelines/throwaway-cluster";
    let run = check_json("fixtures/pipelines/app.yaml", &["--pipeline", DIR]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.located(),
        [
            "missing-atomic warning fixtures/pipelines/throwaway-cluster/.github/workflows/chart.yml:31",
            "missing-atomic warning fixtures/pipelines/throwaway-cluster/Makefile:12",
        ]
    );
    let notes = run.json()["notes"].to_string();
    for note in [
        "chart.yml: 2 helm invocations not checked: job `e2e` creates its cluster with `helm/kind-action`",
        "Makefile: 1 helm invocation not checked: recipe `e2e` runs `kind create cluster`",
        "e2e.sh: 2 helm invocations not checked: the script runs `k3d cluster create`",
    ] {
        assert!(notes.contains(note), "{notes}");
    }
}

/// A rollback step that runs on failure rolls the failed upgrade back as `--atomic` would;
/// the job without one is reported.
#[test]
fn a_rollback_on_failure_is_as_good_as_atomic() {
    let dir = "fixtures/pipelines/rollback-on-failure";
    let run = check_json("fixtures/pipelines/app.yaml", &["--pipeline", dir]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let atomic: Vec<String> = run
        .located()
        .into_iter()
        .filter(|f| f.starts_with("missing-atomic "))
        .collect();
    assert_eq!(
        atomic,
        [
            "missing-atomic warning fixtures/pipelines/rollback-on-failure/.github/workflows/deploy.yml:34"
        ]
    );
}

#[test]
fn a_manifest_that_names_no_chart_takes_every_invocation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = dir.path().join("plain.yaml");
    let text = std::fs::read_to_string("fixtures/pipelines/app.yaml").expect("fixture");
    std::fs::write(
        &manifest,
        text.replace("# Source: app/templates/deployment.yaml\n", ""),
    )
    .expect("write");
    let run = check_json(
        manifest.to_str().unwrap_or_default(),
        &[
            "--pipeline",
            "fixtures/pipelines/rules/missing-atomic/deploy.sh",
        ],
    );
    let atomic = run.findings("missing-atomic");
    assert_eq!(atomic.len(), 1, "{}", run.stdout);
    assert!(
        atomic[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("chart `./charts/app` assumed to be this one: the manifest names no chart"),
        "{}",
        atomic[0]
    );
}

#[test]
fn the_config_lists_pipeline_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(dir.path().join("ci")).expect("ci dir");
    std::fs::write(
        dir.path().join("ci/release.sh"),
        "helm upgrade app ./charts/app --force --atomic --cleanup-on-fail --history-max 5\n",
    )
    .expect("script");
    std::fs::write(
        dir.path().join(".rollguard.yaml"),
        "pipelines: [ci/release.sh]\n",
    )
    .expect("config");
    let manifest = dir.path().join("app.yaml");
    std::fs::copy("fixtures/pipelines/app.yaml", &manifest).expect("manifest");
    let run = check_json(manifest.to_str().unwrap_or_default(), &[]);
    let force = run.findings("force-upgrade");
    assert_eq!(force.len(), 1, "{}{}", run.stdout, run.stderr);
    assert!(
        force[0]["location"]["file"]
            .as_str()
            .unwrap_or("")
            .ends_with("ci/release.sh")
    );
}

#[test]
fn discovery_from_the_repository_root() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path();
    std::fs::create_dir_all(root.join(".git")).expect("git dir");
    std::fs::create_dir_all(root.join(".github/workflows")).expect("workflows");
    std::fs::create_dir_all(root.join("deploy/rendered")).expect("deploy dir");
    std::fs::create_dir_all(root.join("node_modules/x")).expect("node_modules");
    let manifest = root.join("deploy/rendered/app.yaml");
    std::fs::copy("fixtures/pipelines/app.yaml", &manifest).expect("manifest");
    std::fs::write(
        root.join(".github/workflows/cd.yml"),
        "on: push\njobs:\n  cd:\n    runs-on: ubuntu-latest\n    steps:\n      - run: helm upgrade --install app ./charts/app --wait\n",
    )
    .expect("workflow");
    std::fs::write(
        root.join("node_modules/x/deploy.sh"),
        "helm upgrade app ./charts/app\n",
    )
    .expect("vendored script");
    let m = manifest.to_str().unwrap_or_default();

    let run = check_json(m, &[]);
    let atomic = run.findings("missing-atomic");
    assert_eq!(atomic.len(), 1, "{}", run.stdout);
    let file = atomic[0]["location"]["file"].as_str().unwrap_or("");
    assert!(file.ends_with(".github/workflows/cd.yml"), "{file}");

    let off = check_json(m, &["--no-pipelines"]);
    assert_eq!(off.findings("missing-atomic").len(), 0);
}

#[test]
fn a_missing_pipeline_path_is_an_input_error() {
    let run = rollguard(&[
        "check",
        "--manifest",
        "fixtures/pipelines/app.yaml",
        "--pipeline",
        "no/such/dir",
    ]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("no/such/dir"), "{}", run.stderr);
    assert!(
        run.stderr.contains("pipeline file or directory not found"),
        "{}",
        run.stderr
    );
}

#[test]
fn pipeline_findings_fit_the_report_formats() {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string("schema/report-v1.json").expect("schema"))
            .expect("schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let run = check_json("fixtures/pipelines/app.yaml", &["--pipeline", REPO]);
    let doc = run.json();
    let errors: Vec<String> = validator.iter_errors(&doc).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");

    let sarif = rollguard(&[
        "check",
        "--manifest",
        "fixtures/pipelines/app.yaml",
        "--pipeline",
        "fixtures/pipelines/rules/timeout-below-startup",
        "--format",
        "sarif",
    ]);
    let doc: serde_json::Value = serde_json::from_str(&sarif.stdout).expect("SARIF is JSON");
    let location = &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(
        location["artifactLocation"]["uri"],
        "fixtures/pipelines/rules/timeout-below-startup/deploy.yml"
    );
    assert_eq!(location["region"]["startLine"], 17);
}

/// GitOps: a Flux HelmRelease runs Helm, and without `upgrade.remediation` a failed upgrade
/// stays (its safe twin remediates). An Argo CD Application never runs `helm upgrade`: with
/// automated sync rolling back is reverting the commit, with manual sync `argocd app rollback`;
/// no Helm CLI setting is reported on either, nor on an ApplicationSet's template.
#[test]
fn gitops_flux_runs_helm_argo_cd_rolls_back_its_own_way() {
    const DIR: &str = "fixtures/pipelines/gitops";
    let check = |file: &str| {
        let run = check_json(
            "fixtures/pipelines/app.yaml",
            &["--pipeline", &format!("{DIR}/{file}")],
        );
        assert_eq!(run.code, 0, "{file}: {}", run.stderr);
        run.located()
    };
    assert_eq!(
        check("flux-helmrelease.yaml"),
        ["missing-atomic warning fixtures/pipelines/gitops/flux-helmrelease.yaml:6"]
    );
    for safe in [
        "flux-helmrelease-remediated.yaml",
        "argocd-automated.yaml",
        "argocd-manual.yaml",
        "argocd-applicationset.yaml",
    ] {
        assert_eq!(check(safe), Vec::<String>::new(), "{safe}");
    }
}

#[test]
fn inline_comments_suppress_pipeline_findings() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("deploy.sh");
    std::fs::write(
        &script,
        "# Blue/green switch happens elsewhere; a failed release stays for debugging.\n\
         # rollguard-ignore: missing-atomic, force-upgrade\n\
         helm upgrade app ./charts/app --wait --history-max 5 \\\n  --timeout 10m\n",
    )
    .expect("write");
    let run = check_json(
        "fixtures/pipelines/app.yaml",
        &["--pipeline", script.to_str().unwrap_or_default()],
    );
    let atomic = run.findings("missing-atomic");
    assert_eq!(atomic.len(), 1, "{}", run.stdout);
    assert_eq!(atomic[0]["suppressed"], true);
    let unused = run.findings("unused-suppression");
    assert_eq!(unused.len(), 1, "{}", run.stdout);
    assert_eq!(unused[0]["location"]["line"], 2);
    assert_eq!(unused[0]["location"]["column"], 37);
    assert!(
        unused[0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("`rollguard-ignore force-upgrade`"),
        "{}",
        unused[0]
    );
    assert_eq!(run.json()["summary"]["suppressed"], 1);
}

#[test]
fn huge_numbers_in_the_chart_do_not_overflow() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = dir.path().join("big.yaml");
    let text = std::fs::read_to_string("fixtures/pipelines/app.yaml")
        .expect("fixture")
        .replace("replicas: 4", "replicas: 9223372036854775807")
        .replace("maxSurge: 1", "maxSurge: \"90%\"")
        .replace(
            "initialDelaySeconds: 20",
            "initialDelaySeconds: 9223372036854775800",
        );
    std::fs::write(&manifest, text).expect("write");
    let run = check_json(
        manifest.to_str().unwrap_or_default(),
        &["--pipeline", "fixtures/pipelines/rules/missing-atomic.safe"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.findings("timeout-below-startup").len(), 1);
}

#[test]
fn statefulset_rollout_waves_follow_the_update_strategy() {
    let sts = |extra: &str| {
        format!(
            "---\n# Source: app/templates/db.yaml\napiVersion: apps/v1\nkind: StatefulSet\nmetadata:\n  name: db\nspec:\n  replicas: 10\n{extra}  serviceName: db\n  selector:\n    matchLabels: {{app: db}}\n  template:\n    metadata:\n      labels: {{app: db}}\n    spec:\n      containers:\n        - name: db\n          image: postgres:16\n          readinessProbe:\n            exec: {{command: [pg_isready]}}\n            initialDelaySeconds: 20\n"
        )
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("deploy.sh");
    std::fs::write(
        &script,
        "helm upgrade app ./charts/app --atomic --cleanup-on-fail --history-max 5 --timeout 4m\n",
    )
    .expect("script");
    for (extra, fires) in [
        // OrderedReady: one pod after the other, 30s each.
        ("", true),
        ("  podManagementPolicy: Parallel\n", false),
        ("  updateStrategy: {type: OnDelete}\n", false),
    ] {
        let manifest = dir.path().join("db.yaml");
        std::fs::write(&manifest, sts(extra)).expect("manifest");
        let run = check_json(
            manifest.to_str().unwrap_or_default(),
            &["--pipeline", script.to_str().unwrap_or_default()],
        );
        let found = run.findings("timeout-below-startup");
        assert_eq!(found.len(), usize::from(fires), "{extra}: {}", run.stdout);
        if fires {
            let message = found[0]["message"].as_str().unwrap_or("");
            assert!(message.contains("× 10 rollout waves"), "{message}");
            assert!(message.contains("may need 5m"), "{message}");
        }
    }
}

/// The manifest checked with `script` as its pipeline (exit 0), and the report's notes.
fn checked_script(script: &str) -> (Run, String) {
    let run = check_json("fixtures/pipelines/app.yaml", &["--pipeline", script]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let notes = run.json()["notes"].to_string();
    (run, notes)
}

/// `helm "${args[@]}"` with the command line built in a bash array: which command runs and
/// with which flags is not something rollguard reads, so the invocation is named in a note
/// (not understood, not checked) instead of passing in silence; written out, it is checked.
/// Flags from an array after the command (`"${extra[@]}"`) may be any flag: unknown, not
/// missing.
#[test]
fn a_helm_command_line_in_an_array_is_reported_not_understood() {
    const DIR: &str = "fixtures/pipelines/command-in-array";
    let run = |script: &str| checked_script(&format!("{DIR}/{script}"));
    let (hidden, notes) = run("deploy.sh");
    assert!(
        notes.contains(&format!(
            "{DIR}/deploy.sh:8: a helm command not understood, not checked: its command line comes from `${{args[@]}}`"
        )),
        "{notes}"
    );
    assert!(!notes.contains("checked with"), "{notes}");
    assert_eq!(hidden.located(), Vec::<String>::new());

    let (safe, notes) = run("deploy.safe.sh");
    assert!(
        notes.contains("app: checked with 1 helm invocation"),
        "{notes}"
    );
    assert!(!notes.contains("not understood"), "{notes}");
    assert_eq!(safe.located(), Vec::<String>::new());

    let (extra, _) = run("extra-flags.sh");
    assert_eq!(
        extra.located(),
        [format!("missing-atomic info {DIR}/extra-flags.sh:9")]
    );
    let message = extra.json()["findings"][0]["message"].to_string();
    assert!(
        message.contains("cannot tell") && message.contains("`${extra[@]}` may pass it"),
        "{message}"
    );
}

/// A bash array assigned plain words (`helm_flags=( --install … )`, continued over lines,
/// comments between) is read where it is expanded, as if the words were written there: a
/// missing `--atomic` is a warning at the helm command, not an unknown; the whole command line
/// in such an array is checked, and with `--atomic` it passes.
#[test]
fn flags_in_a_literal_bash_array_are_read() {
    const DIR: &str = "fixtures/pipelines/flags-in-array";
    let run = |script: &str| {
        let (run, notes) = checked_script(&format!("{DIR}/{script}"));
        assert!(
            notes.contains(&format!(
                "app: checked with 1 helm invocation from {DIR}/{script}"
            )),
            "{notes}"
        );
        run
    };
    let hazard = run("deploy.sh");
    assert_eq!(
        hazard.located(),
        [format!("missing-atomic warning {DIR}/deploy.sh:11")]
    );
    let message = hazard.json()["findings"][0]["message"].to_string();
    assert!(!message.contains("cannot tell"), "{message}");
    assert_eq!(run("deploy.safe.sh").located(), Vec::<String>::new());
}

/// A step's `if: failure()` runs when an earlier step of its own job failed: it rolls back that
/// job's upgrade, not the same release's upgrade in another job. A job with `if: failure()`
/// runs when a job it needs failed, so it answers for those.
#[test]
fn a_rollback_step_answers_for_its_own_job_only() {
    let atomic = |dir: &str| -> Vec<String> {
        let run = check_json("fixtures/pipelines/app.yaml", &["--pipeline", dir]);
        assert_eq!(run.code, 0, "{}", run.stderr);
        run.located()
            .into_iter()
            .filter(|f| f.starts_with("missing-atomic "))
            .collect()
    };
    assert_eq!(
        atomic("fixtures/pipelines/rollback-per-job"),
        [
            "missing-atomic warning fixtures/pipelines/rollback-per-job/.github/workflows/deploy.yml:26"
        ]
    );
    assert_eq!(
        atomic("fixtures/pipelines/rollback-per-job.safe"),
        Vec::<String>::new()
    );
}
