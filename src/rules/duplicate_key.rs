//! `duplicate-key`: a mapping of a rendered object repeats a key, so the object applied (the
//! last value wins) is not the one a reviewer reads first.

use std::collections::HashSet;

use super::framework::{Context, Emitter, Rule};
use crate::finding::{Category, Effect, RuleMeta, Severity};
use source::yaml::{Kind, Node};

pub struct DuplicateKey;

static DUPLICATE_KEY: RuleMeta = RuleMeta {
    id: "duplicate-key",
    category: Category::Configuration,
    severity: Severity::Warning,
    effect: Effect::None,
    summary: "a manifest mapping repeats a key: the API server keeps the last one, so what is reviewed is not what is applied",
    doc: "YAML forbids a key twice in one mapping, but Helm, kubectl and the API server's decoder \
          accept it and keep the last value. rollguard reads the object the same way, so its \
          other rules judge what would be applied; this rule says that the text holds two \
          values. A `kind: ConfigMap` followed by `kind: PersistentVolumeClaim` is a volume, \
          and a reviewer who stops at the first line never sees it. Repeated keys are almost \
          always a templating slip (a block included twice, a value written both inline and by \
          a helper).",
    fix: "Write each key once: remove the earlier value, or merge the two blocks the template \
          writes.",
};

/// Findings one object may produce: a template that repeats a block in a loop repeats its keys
/// with it, and one finding per key says all there is to say.
const MAX_PER_OBJECT: usize = 10;

impl Rule for DuplicateKey {
    fn meta(&self) -> &'static RuleMeta {
        &DUPLICATE_KEY
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        for object in &cx.chart.objects {
            let mut repeated = Vec::new();
            repeated_keys(&object.root, &mut Vec::new(), &mut repeated);
            let mut reported = HashSet::new();
            for (path, key) in repeated {
                if reported.len() == MAX_PER_OBJECT || !reported.insert(path.clone()) {
                    continue;
                }
                out.object(
                    object,
                    key.span,
                    format!(
                        "{} writes `{path}` more than once: the API server keeps the last value, the one here",
                        object.id
                    ),
                )
                .help("write the key once; the earlier value is ignored".to_string());
            }
        }
    }
}

/// A step from an object's root to a node: a mapping key or a sequence index.
enum Step<'n> {
    Key(&'n str),
    Index(usize),
}

/// `spec.containers.[0].env`: the steps as the finding names them.
fn joined(path: &[Step]) -> String {
    let parts: Vec<String> = path
        .iter()
        .map(|step| match step {
            Step::Key(key) => (*key).to_string(),
            Step::Index(i) => format!("[{i}]"),
        })
        .collect();
    parts.join(".")
}

/// Mappings up to this size compare each key with the ones before it; larger ones (a long
/// ConfigMap) keep a set, so a huge mapping costs no more than its length.
const SMALL_MAP: usize = 16;

/// Every key that repeats an earlier key of its mapping, with its path from the root.
fn repeated_keys<'n>(node: &'n Node, path: &mut Vec<Step<'n>>, out: &mut Vec<(String, &'n Node)>) {
    match &node.kind {
        Kind::Map(entries) => {
            let mut seen = HashSet::new();
            for (i, (key, value)) in entries.iter().enumerate() {
                let Some(text) = key.as_str() else { continue };
                path.push(Step::Key(text));
                let repeated = if entries.len() <= SMALL_MAP {
                    entries[..i].iter().any(|(k, _)| k.as_str() == Some(text))
                } else {
                    !seen.insert(text)
                };
                if repeated {
                    out.push((joined(path), key));
                }
                repeated_keys(value, path, out);
                path.pop();
            }
        }
        Kind::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                repeated_keys(item, path, out);
                path.pop();
            }
        }
        Kind::Scalar(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_utils::{NONE, manifest};

    #[test]
    fn fires_on_the_hazard_and_not_on_its_safe_twin() {
        let hazard = include_str!("../../fixtures/rules/duplicate-key.yaml");
        let safe = include_str!("../../fixtures/rules/duplicate-key.safe.yaml");
        assert_eq!(
            manifest(hazard).findings(&DuplicateKey),
            [("duplicate-key", Severity::Warning, 5)]
        );
        assert_eq!(manifest(safe).findings(&DuplicateKey), NONE);
    }

    #[test]
    fn a_key_repeated_in_a_loop_is_reported_once_per_path() {
        let text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n  a: \"1\"\n  a: \"2\"\n  a: \"3\"\n";
        assert_eq!(
            manifest(text).findings(&DuplicateKey),
            [("duplicate-key", Severity::Warning, 7)]
        );
    }

    #[test]
    fn a_long_mapping_is_checked_like_a_short_one() {
        let mut text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\ndata:\n".to_string();
        for i in 0..30 {
            text.push_str(&format!("  k{i}: \"{i}\"\n"));
        }
        assert_eq!(manifest(text.as_str()).findings(&DuplicateKey), NONE);
        // Line 36: `k3` again, after the 30 keys from line 6 on.
        text.push_str("  k3: \"again\"\n");
        assert_eq!(
            manifest(text).findings(&DuplicateKey),
            [("duplicate-key", Severity::Warning, 36)]
        );
    }
}
