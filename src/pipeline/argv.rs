//! Steps that run helm as a container's argument vector (Tekton `command:`/`args:` lists, with
//! an image whose entrypoint is helm when `command` is absent). Each list item is one word: the
//! items are written as single-quoted shell words into a script whose offsets map back to each
//! item, so the shared reader parses them like any command.

use std::sync::Arc;

use super::Invocation;
use super::embed::{OffsetMap, Script};
use super::helm_args::invocations;
use crate::shell::{Dialect, Env};
use source::SourceFile;
use source::yaml::Node;

pub fn container_step(
    file: &Arc<SourceFile>,
    step: &Node,
    env: &Env,
    place: &str,
) -> Option<Invocation> {
    if step.get("script").is_some() {
        return None;
    }
    let command = step.items("command");
    let runs_helm = match command.first().and_then(Node::as_str) {
        Some(program) => program.rsplit('/').next() == Some("helm"),
        // `alpine/helm`, `dtzar/helm-kubectl`: images whose entrypoint is helm.
        None => step
            .str_at(&["image"])
            .is_some_and(|i| i.rsplit('/').next().is_some_and(|n| n.starts_with("helm"))),
    };
    if !runs_helm {
        return None;
    }
    let mut text = String::new();
    let mut pieces = Vec::new();
    if command.is_empty() {
        // The entrypoint: located at the `image:` key.
        pieces.push((
            0,
            step.entry("image")
                .map_or(step.span.start, |(k, _)| k.span.start),
        ));
        text.push_str("helm ");
    }
    for item in command.iter().chain(step.items("args")) {
        let Some(value) = item.as_str() else { continue };
        // The word's opening quote stands for the item's first character (or its own quote).
        pieces.push((text.len(), item.span.start));
        text.push('\'');
        text.push_str(&value.replace('\'', "'\\''"));
        text.push_str("' ");
    }
    let script = Script {
        file,
        text,
        map: OffsetMap::from_pieces(pieces),
        dialect: Dialect::Macro,
        env: env.clone(),
        place: place.to_string(),
    };
    invocations(&script).into_iter().next()
}
