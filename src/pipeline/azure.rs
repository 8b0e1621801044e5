//! Azure Pipelines' `HelmDeploy@0/@1` task, the usual way Azure runs helm without a script. Its
//! inputs become flags the way the task builds its command line: `waitForExecution` (default
//! true) adds `--wait`, `force` adds `--force`, and `arguments` is appended as written.

use std::sync::Arc;

use super::embed::{Script, expand_value};
use super::helm_args::task_arguments;
use super::{ChartArg, HelmCommand, Invocation, OffsetMap, Setting, Tool, Wait};
use crate::shell::{Dialect, Env};
use source::SourceFile;
use source::yaml::Node;

pub fn helm_deploy(
    file: &Arc<SourceFile>,
    step: &Node,
    env: &Env,
    place: &str,
) -> Option<Invocation> {
    let (task_key, task) = step.entry("task")?;
    if !task.as_str()?.starts_with("HelmDeploy@") {
        return None;
    }
    let inputs = step.get("inputs")?;
    let input = |key: &str| inputs.get(key).and_then(Node::as_str);
    let command = match input("command").unwrap_or("ls") {
        "upgrade" => HelmCommand::Upgrade,
        "install" => HelmCommand::Install,
        "rollback" => HelmCommand::Rollback,
        _ => return None,
    };
    let mut inv = Invocation::new(file, task_key.span, Tool::Helm(command), place.to_string());
    inv.extent = (step.span.start, step.span.end);
    if let Some(release) = input("releaseName") {
        inv.set_release(expand_value(release, Dialect::Macro, env));
    }
    let chart = match input("chartType").unwrap_or("Name") {
        "FilePath" => input("chartPath"),
        _ => input("chartName"),
    };
    inv.chart = match chart.map(|c| expand_value(c, Dialect::Macro, env)) {
        Some(Ok(c)) => ChartArg::Known(c),
        Some(Err(written)) => ChartArg::Unresolved(written),
        None => ChartArg::Missing,
    };
    let bool_input = |key: &str, default: bool| match inputs.entry(key) {
        Some((k, v)) => (v.as_bool().unwrap_or(default), k.span),
        None => (default, task_key.span),
    };
    let (wait, wait_span) = bool_input("waitForExecution", true);
    if wait && command != HelmCommand::Rollback {
        inv.wait = Setting::Set {
            value: Wait::Workloads,
            span: wait_span,
        };
    }
    if let (true, span) = bool_input("force", false) {
        inv.force = Setting::Set { value: true, span };
    }
    let script = inputs
        .get("arguments")
        .and_then(|node| Script::in_yaml(file, node, Dialect::Macro, env, place))
        .unwrap_or_else(|| Script {
            file,
            text: String::new(),
            map: OffsetMap::identity(0),
            dialect: Dialect::Macro,
            env: env.clone(),
            place: place.to_string(),
        });
    task_arguments(&script, inv)
}
