use super::*;
use source::SourceFile;

fn parse(text: &str) -> Vec<Invocation> {
    let file = SourceFile::new("deploy.sh", text);
    invocations(&Script::whole(&file, shell::Dialect::Shell))
}

fn one(text: &str) -> Invocation {
    let mut all = parse(text);
    assert_eq!(all.len(), 1, "{text}");
    all.remove(0)
}

#[test]
fn flags_in_both_forms_and_on_continued_lines() {
    let inv = one(
        "helm upgrade --install app ./charts/app \\\n  --timeout=10m \\\n  --history-max 5 --atomic --cleanup-on-fail\n",
    );
    assert_eq!(inv.tool, Tool::Helm(HelmCommand::Upgrade));
    assert_eq!(inv.release.as_deref(), Some("app"));
    assert_eq!(inv.chart, ChartArg::Known("./charts/app".into()));
    assert_eq!(inv.timeout.value(), Some(600));
    assert_eq!(inv.history_max.value(), Some(5));
    assert_eq!(inv.atomic.value(), Some(true));
    assert_eq!(inv.cleanup_on_fail.value(), Some(true));
    let Setting::Set { span, .. } = inv.timeout else {
        panic!("timeout set")
    };
    assert_eq!((span.line, span.col), (2, 3));
}

#[test]
fn helm4_spellings() {
    let inv = one("helm upgrade app ./c --rollback-on-failure --force-replace --wait=hookOnly");
    assert_eq!(inv.atomic.value(), Some(true));
    assert_eq!(inv.force.value(), Some(true));
    assert_eq!(inv.wait.value(), Some(Wait::HookOnly));
    let inv = one("helm upgrade app ./c --wait=watcher --atomic=false");
    assert_eq!(inv.wait.value(), Some(Wait::Workloads));
    assert_eq!(inv.atomic.value(), Some(false));
}

#[test]
fn hidden_options_are_unknown_not_missing() {
    let inv = one("helm upgrade \"$RELEASE\" ./charts/app $HELM_OPTS");
    assert!(matches!(inv.atomic, Setting::Unknown { .. }));
    assert!(matches!(inv.history_max, Setting::Unknown { .. }));
    assert_eq!(inv.chart, ChartArg::Known("./charts/app".into()));
    let inv = one("helm upgrade app ./c --timeout \"$TIMEOUT\"");
    assert!(matches!(inv.timeout, Setting::Unknown { .. }));
    assert_eq!(inv.atomic, Setting::Absent);
    let inv = one("helm upgrade $HELM_ARGS app ./charts/app");
    assert_eq!(inv.release.as_deref(), Some("app"));
    assert!(matches!(inv.wait, Setting::Unknown { .. }));
}

#[test]
fn variables_set_in_the_script_resolve() {
    let inv = one("CHART=charts/app\nexport HELM_MAX_HISTORY=3\nhelm upgrade -i app \"$CHART\"");
    assert_eq!(inv.chart, ChartArg::Known("charts/app".into()));
    assert_eq!(inv.history_max.value(), Some(3));
    let inv = one("HELM_MAX_HISTORY=0 helm upgrade app ./c");
    assert_eq!(inv.history_max.value(), Some(0));
    let inv = one("helm upgrade app $CHART_DIR/app");
    assert_eq!(inv.chart, ChartArg::Unresolved("$CHART_DIR/app".into()));
}

#[test]
fn wrappers_plugins_and_non_upgrades() {
    assert_eq!(
        parse("helm diff upgrade app ./c\nhelm template app ./c\nhelm upgrade app ./c --dry-run")
            .len(),
        0
    );
    let inv =
        one("sudo -E -u deploy env KUBECONFIG=x helm --kube-context prod secrets upgrade app ./c");
    assert_eq!(inv.release.as_deref(), Some("app"));
    let inv = one("if ! timeout 20m helm -n prod install app ./c --wait; then exit 1; fi");
    assert_eq!(inv.tool, Tool::Helm(HelmCommand::Install));
    assert_eq!(inv.wait.value(), Some(Wait::Workloads));
    let inv = one("helm rollback app 3 --force");
    assert_eq!(inv.tool, Tool::Helm(HelmCommand::Rollback));
    assert_eq!(inv.force.value(), Some(true));
}

#[test]
fn shell_dash_c_strings_are_scripts() {
    let text = "CHART=./charts/app\nbash -o pipefail -ec \"helm upgrade app $CHART --atomic\"\n";
    let inv = one(text);
    assert_eq!(inv.chart, ChartArg::Known("./charts/app".into()));
    assert_eq!(inv.atomic.value(), Some(true));
    assert_eq!((inv.span.line, inv.span.col), (2, 23));
    assert_eq!(parse("bash deploy.sh\nsh -c 'echo helm upgrade'").len(), 0);
}

#[test]
fn charts_follow_the_working_directory() {
    let inv = one("cd deploy\ncd ../charts/app && helm upgrade app . --atomic");
    assert_eq!(inv.chart, ChartArg::Known("charts/app".into()));
    let inv = one("cd \"$CHART_DIR\"\nhelm upgrade app ./ --atomic");
    assert_eq!(inv.chart, ChartArg::Unresolved("$PWD/./".into()));
    let inv = one("cd \"$CHART_DIR\"\nhelm upgrade app bitnami/nginx");
    assert_eq!(inv.chart, ChartArg::Known("bitnami/nginx".into()));
    assert_eq!(join_path("a/b", "../../.."), "..");
}
