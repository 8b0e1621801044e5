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

/// Every key that repeats an earlier key of its mapping, with its path from the root.
fn repeated_keys<'n>(node: &'n Node, path: &mut Vec<String>, out: &mut Vec<(String, &'n Node)>) {
    match &node.kind {
        Kind::Map(entries) => {
            let mut seen = HashSet::new();
            for (key, value) in entries {
                let Some(text) = key.as_str() else { continue };
                path.push(text.to_string());
                if !seen.insert(text) {
                    out.push((path.join("."), key));
                }
                repeated_keys(value, path, out);
                path.pop();
            }
        }
        Kind::Seq(items) => {
            for (i, item) in items.iter().enumerate() {
                path.push(format!("[{i}]"));
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
}
