//! Helm commands that deploy to a cluster their own job or script creates (kind, k3d, minikube,
//! k3s in CI): end-to-end tests of the chart, not the release that reaches users. What a failed
//! upgrade does there is nobody's rollback, so they are left out of the check with a note.
//!
//! Seen at the level where the cluster is certainly the one helm talks to: a CI job (one
//! runner), a Makefile or justfile recipe, a Taskfile task and a whole shell script. A
//! cluster made by another target a recipe depends on (`e2e: kind-up`) is not followed.

use crate::shell::{self, Dialect};
use source::yaml::{Kind, Node};

/// Actions that start a cluster on the runner, by the start of their `uses:` reference.
const CLUSTER_ACTIONS: &[&str] = &[
    "helm/kind-action@",
    "engineerd/setup-kind@",
    "container-tools/kind-action@",
    "AbsaOSS/k3d-action@",
    "nolar/setup-k3d-k3s@",
    "debianmaster/actions-k3s@",
    "jupyterhub/action-k3s-helm@",
    "medyagh/setup-minikube@",
    "manusa/actions-setup-minikube@",
];

/// Commands that create a local cluster, by their first words.
const CLUSTER_COMMANDS: &[&[&str]] = &[
    &["kind", "create", "cluster"],
    &["k3d", "cluster", "create"],
    &["minikube", "start"],
];

/// The command in `script` that creates a local cluster (`kind create cluster`, …).
pub fn cluster_command(script: &str, dialect: Dialect) -> Option<String> {
    shell::parse(script, dialect).iter().find_map(|command| {
        let creates = CLUSTER_COMMANDS.iter().find(|words| {
            words.len() <= command.words.len()
                && words
                    .iter()
                    .zip(&command.words)
                    .all(|(w, word)| word.literal().as_deref() == Some(*w))
        })?;
        Some(format!("`{}`", creates.join(" ")))
    })
}

/// What in a CI job creates the cluster its helm commands deploy to: a known action in a
/// `uses:` step, or a cluster-creating command in one of its scripts (`script_keys`).
pub fn job_cluster(job: &Node, script_keys: &[&str], dialect: Dialect) -> Option<String> {
    let Kind::Map(entries) = &job.kind else {
        return match &job.kind {
            Kind::Seq(items) => items
                .iter()
                .find_map(|item| job_cluster(item, script_keys, dialect)),
            _ => None,
        };
    };
    entries.iter().find_map(|(key, value)| {
        let key = key.as_str().unwrap_or("");
        if key == "uses" {
            let action = value.as_str()?;
            return CLUSTER_ACTIONS
                .iter()
                .any(|a| action.starts_with(a))
                .then(|| format!("`{}`", action.split('@').next().unwrap_or(action)));
        }
        if script_keys.contains(&key) {
            return super::embed::script_nodes(value)
                .into_iter()
                .filter_map(Node::as_str)
                .find_map(|text| cluster_command(text, dialect));
        }
        job_cluster(value, script_keys, dialect)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use source::yaml::{Origin, parse_single};

    #[test]
    fn commands_that_create_a_cluster() {
        let shell = |s| cluster_command(s, Dialect::Shell);
        assert_eq!(
            shell("set -e\nkind create cluster --name ci\n").as_deref(),
            Some("`kind create cluster`")
        );
        assert_eq!(
            shell("minikube start --driver=docker").as_deref(),
            Some("`minikube start`")
        );
        // Using or deleting a cluster, or only naming the command, creates none.
        assert_eq!(
            shell("kind load docker-image app:ci\nk3d cluster delete ci"),
            None
        );
        assert_eq!(shell("echo 'kind create cluster'"), None);
    }

    #[test]
    fn a_job_that_starts_a_cluster() {
        let job = |yaml: &str| {
            let node = parse_single(yaml, Origin::default()).ok().flatten();
            node.and_then(|n| job_cluster(&n, &["run"], Dialect::GitHub))
        };
        assert_eq!(
            job("steps:\n  - uses: helm/kind-action@v1.10.0\n  - run: helm upgrade app ./app\n")
                .as_deref(),
            Some("`helm/kind-action`")
        );
        assert_eq!(
            job("steps:\n  - run: |\n      k3d cluster create ci\n      helm upgrade app ./app\n")
                .as_deref(),
            Some("`k3d cluster create`")
        );
        assert_eq!(
            job("steps:\n  - uses: azure/setup-helm@v4\n  - run: helm upgrade app ./app\n"),
            None
        );
    }
}
