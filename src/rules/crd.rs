//! CustomResourceDefinitions: Helm never upgrades or rolls back `crds/`, and CRD templates
//! change cluster-wide state.

use super::framework::{Context, Emitter, Rule};
use crate::diff::{changes, normalized, render_changes};
use std::sync::Arc;

use crate::finding::{Category, Effect, Location, RuleMeta, Severity};
use source::{SourceFile, Span, line_starts};

pub struct CrdChanged;

static CRD_CHANGED: RuleMeta = RuleMeta {
    id: "crd-changed",
    category: Category::Apis,
    severity: Severity::Warning,
    effect: Effect::NotReverted,
    summary: "CRDs changed; Helm never upgrades or rolls back `crds/`, and CRD templates change cluster-wide state",
    doc: "A CustomResourceDefinition rendered by the chart changed, appeared or disappeared. CRDs \
          are cluster-wide: other releases' custom resources depend on them, a rollback of this \
          release re-applies the old schema under everyone's objects (a removed version or field \
          can make stored resources unreadable), and a CRD dropped from the chart is deleted with \
          every custom resource of its kind. CRDs in `crds/` are never upgraded or rolled back at \
          all: when the baseline is a chart (`--base`, `--base-chart`), a `crds/` file added, \
          changed or removed is reported at its first changed line, since the upgrade will not \
          apply it (a new CRD is not created, a changed one keeps its old schema, a removed one \
          stays).",
    fix: "Ship CRD changes separately from the application (a CRD chart or `kubectl apply`), keep \
          old versions served, and annotate CRD templates with `helm.sh/resource-policy: keep`.",
};

fn is_crd(o: &crate::manifest::Object) -> bool {
    o.id.kind == "CustomResourceDefinition" && o.id.group() == "apiextensions.k8s.io"
}

impl Rule for CrdChanged {
    fn meta(&self) -> &'static RuleMeta {
        &CRD_CHANGED
    }

    fn check(&self, cx: &Context, out: &mut Emitter) {
        crds_dir(cx, out);
        let Some(diff) = &cx.diff else { return };
        for p in diff.pairs.iter().filter(|p| is_crd(p.new)) {
            let (old, new) = (normalized(p.old), normalized(p.new));
            let mut found = changes(old.get("spec"), new.get("spec"));
            found
                .iter_mut()
                .for_each(|c| c.path = format!("spec.{}", c.path));
            if !found.is_empty() {
                out.object(
                    p.new,
                    p.new.span_at(&["spec"]),
                    format!("{} changes its spec: a rollback re-applies the old definition under every release's custom resources", p.new.id),
                )
                .help("ship CRD changes separately, keeping old versions served")
                .diff(render_changes(&found, 5));
            }
        }
        for new in diff.added.iter().filter(|o| is_crd(o)) {
            out.object(new, new.span_at(&["metadata", "name"]), format!("{} is new: a rollback deletes it together with every custom resource of its kind", new.id))
                .help("annotate it with `helm.sh/resource-policy: keep`, or install CRDs separately");
        }
        for old in diff.removed.iter().filter(|o| is_crd(o) && !o.kept()) {
            out.object(old, old.span_at(&["metadata", "name"]), format!("{} is no longer rendered: the upgrade deletes it and every custom resource of its kind", old.id))
                .help("keep rendering it with `helm.sh/resource-policy: keep`, or move it out of the chart first");
        }
    }
}

/// `crds/` files added, removed or changed between the baseline chart and the new one: Helm
/// creates `crds/` only on first install, and never upgrades, deletes or rolls them back.
fn crds_dir(cx: &Context, out: &mut Emitter) {
    let (Some(source), Some(old)) = (
        &cx.chart.source,
        cx.chart
            .base
            .as_ref()
            .and_then(|b| b.current().crds.as_ref()),
    ) else {
        return;
    };
    let help = "apply CRD changes yourself (`kubectl apply -f crds/`, or a separate CRD chart) before upgrading";
    for (path, new) in &source.crds {
        let message = match old.iter().find(|(p, _)| p == path) {
            None => format!(
                "{path} is new, but Helm installs `crds/` only with the first install: this upgrade does not create the CRD, and objects of its kind fail"
            ),
            Some((_, before)) if before.text != new.text => format!(
                "{path} changed, but Helm never upgrades `crds/`: the cluster keeps the old definition, and a rollback would not revert it either"
            ),
            Some(_) => continue,
        };
        let line = old
            .iter()
            .find(|(p, _)| p == path)
            .map_or(1, |(_, before)| first_difference(&before.text, &new.text));
        out.at(at_line(new, line), None, message).help(help);
    }
    for (path, before) in old {
        if !source.crds.iter().any(|(p, _)| p == path) {
            out.at(
                at_line(before, 1),
                None,
                format!("{path} was removed, but Helm never deletes `crds/`: the CRD and every custom resource of its kind stay in the cluster"),
            )
            .help("delete the CRD yourself once nothing uses it, or keep the file");
        }
    }
}

/// The 1-based line where two texts first differ.
fn first_difference(a: &str, b: &str) -> u32 {
    let same = a.lines().zip(b.lines()).take_while(|(x, y)| x == y).count();
    u32::try_from(same).unwrap_or(u32::MAX - 1) + 1
}

/// The whole of line `line` of `file` (its last line when the file is shorter).
fn at_line(file: &Arc<SourceFile>, line: u32) -> Location {
    let starts: Vec<usize> = line_starts(&file.text).collect();
    let index = (line as usize).saturating_sub(1).min(starts.len() - 1);
    let start = starts[index];
    let end = file.text[start..]
        .find('\n')
        .map_or(file.text.len(), |i| start + i);
    Location {
        file: file.clone(),
        span: Span {
            start,
            end,
            line: index as u32 + 1,
            col: 1,
        },
        template: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::test_utils::{NONE, manifest};

    fn crd(version: &str) -> String {
        format!(
            "\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  versions:
    - name: {version}
"
        )
    }

    #[test]
    fn a_changed_crd_is_reported_and_an_unchanged_one_is_not() {
        let found = manifest(crd("v2")).base(crd("v1")).findings(&CrdChanged);
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "crd-changed");
        assert_eq!(
            manifest(crd("v1")).base(crd("v1")).findings(&CrdChanged),
            NONE
        );
    }

    #[test]
    fn a_change_to_the_crds_directory_is_reported_at_its_first_changed_line() {
        let (v1, v2) = (crd("v1"), crd("v2"));
        let found = manifest("")
            .base("")
            .crds(
                &[("crds/widgets.yaml", &v2), ("crds/gadgets.yaml", &v1)],
                &[("crds/widgets.yaml", &v1), ("crds/gizmos.yaml", &v1)],
            )
            .findings(&CrdChanged);
        // changed at line 8 (the version), added, removed.
        assert_eq!(
            found,
            [
                ("crd-changed", Severity::Warning, 8),
                ("crd-changed", Severity::Warning, 1),
                ("crd-changed", Severity::Warning, 1),
            ]
        );
        let same = manifest("")
            .base("")
            .crds(&[("crds/widgets.yaml", &v1)], &[("crds/widgets.yaml", &v1)])
            .findings(&CrdChanged);
        assert_eq!(same, NONE);
    }
}
