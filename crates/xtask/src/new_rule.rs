//! Scaffolding a rule: the places a new rule needs, written at once.
//!
//! - `src/rules/<id>.rs`: the rule type, its metadata and a unit test over the fixture pair;
//! - `src/rules/mod.rs`: its `mod` line and its entry in the catalog (`all()`, last);
//! - `fixtures/rules/<id>.yaml` and `<id>.safe.yaml`: the hazard and its safe twin;
//! - `tests/rules.rs`: the end-to-end case that runs the binary on that pair;
//! - `docs/rules/<id>.md`: a stub until `UPDATE_DOCS=1 cargo test --test docs` writes the page.
//!
//! The rule reports nothing yet, so its tests fail until its `check` finds the hazard.

use std::path::{Path, PathBuf};

/// What the command line asked for.
#[derive(Debug, PartialEq)]
pub struct Spec {
    pub id: String,
    pub category: String,
    pub severity: String,
    pub effect: String,
}

const CATEGORIES: &[&str] = &[
    "migrations",
    "apis",
    "storage",
    "probes",
    "configuration",
    "pipeline",
];
const SEVERITIES: &[&str] = &["error", "warning", "info"];
const EFFECTS: &[&str] = &[
    "upgrade-fails",
    "rollback-fails",
    "data-loss",
    "old-code-breaks",
    "not-reverted",
    "false-rollback",
    "no-auto-rollback",
    "history-bloat",
];

impl Spec {
    pub fn parse(args: &[String]) -> Result<Spec, String> {
        let (id, mut rest) = args
            .split_first()
            .ok_or("new-rule: give the rule id, e.g. `cargo xtask new-rule pvc-mount-changed`")?;
        let valid_id = id
            .split('-')
            .all(|w| !w.is_empty() && w.bytes().all(|b| b.is_ascii_lowercase()));
        if !valid_id {
            return Err(format!(
                "new-rule: `{id}` is not a rule id (lowercase words joined by `-`)"
            ));
        }
        let mut spec = Spec {
            id: id.clone(),
            category: "configuration".into(),
            severity: "warning".into(),
            effect: "rollback-fails".into(),
        };
        while let [flag, value, tail @ ..] = rest {
            let (slot, allowed) = match flag.as_str() {
                "--category" => (&mut spec.category, CATEGORIES),
                "--severity" => (&mut spec.severity, SEVERITIES),
                "--effect" => (&mut spec.effect, EFFECTS),
                _ => return Err(format!("new-rule: unknown option `{flag}`")),
            };
            if !allowed.contains(&value.as_str()) {
                return Err(format!(
                    "new-rule: {flag} {value}: expected one of {}",
                    allowed.join(", ")
                ));
            }
            *slot = value.clone();
            rest = tail;
        }
        if let [flag] = rest {
            return Err(format!("new-rule: `{flag}` needs a value"));
        }
        Ok(spec)
    }

    /// `pvc-mount-changed` → `pvc_mount_changed`: the module.
    fn module(&self) -> String {
        self.id.replace('-', "_")
    }

    /// `pvc-mount-changed` → `PvcMountChanged`: the rule type.
    fn type_name(&self) -> String {
        self.id.split('-').map(capitalized).collect()
    }
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// `rollback-fails` → `RollbackFails`: the enum variant.
fn variant(kebab: &str) -> String {
    kebab.split('-').map(capitalized).collect()
}

/// Writes every piece under `root` (the repository); says what it wrote and what is next.
/// Nothing is written when a piece already exists or a file to edit has changed shape.
pub fn write(root: &Path, spec: &Spec) -> Result<String, String> {
    let rule_file = root.join(format!("src/rules/{}.rs", spec.module()));
    let hazard = root.join(format!("fixtures/rules/{}.yaml", spec.id));
    let safe = root.join(format!("fixtures/rules/{}.safe.yaml", spec.id));
    let doc = root.join(format!("docs/rules/{}.md", spec.id));
    let new_files = [
        (rule_file, rule_source(spec)),
        (hazard, fixture(spec, true)),
        (safe, fixture(spec, false)),
        (doc, doc_stub(spec)),
    ];
    if let Some((path, _)) = new_files.iter().find(|(p, _)| p.exists()) {
        return Err(format!("new-rule: {} exists already", path.display()));
    }
    let catalog_path = root.join("src/rules/mod.rs");
    let catalog = with_catalog_entry(&read(&catalog_path)?, spec)?;
    let cases_path = root.join("tests/rules.rs");
    let cases = with_end_to_end_case(&read(&cases_path)?, spec)?;
    let mut written: Vec<PathBuf> = Vec::new();
    for (path, text) in new_files
        .into_iter()
        .chain([(catalog_path, catalog), (cases_path, cases)])
    {
        std::fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    let mut report = String::new();
    for path in written {
        let shown = path.strip_prefix(root).unwrap_or(&path);
        report.push_str(&format!("wrote {}\n", shown.display()));
    }
    report.push_str(&format!(
        "next: make the fixtures show the hazard and its safe twin, write the check in \
         src/rules/{}.rs with its metadata, set the line in tests/rules.rs, then \
         `cargo test --lib rules::{}`, `cargo test --test rules` and \
         `UPDATE_DOCS=1 cargo test --test docs` (and `UPDATE_README=1 cargo test --test rules` \
         for the README's table)\n",
        spec.module(),
        spec.module()
    ));
    Ok(report)
}

fn read(path: &Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// The catalog with the rule's `mod` line in order among the others and its entry last in
/// `all()`.
fn with_catalog_entry(catalog: &str, spec: &Spec) -> Result<String, String> {
    let module = spec.module();
    let declaration = format!("mod {module};\n");
    // Every `mod x;` and `pub mod x;` line, in file order (rustfmt keeps them sorted).
    let mut mods: Vec<(usize, &str)> = ["\nmod ", "\npub mod "]
        .iter()
        .flat_map(|prefix| {
            catalog.match_indices(prefix).map(|(at, p)| {
                let name = catalog[at + p.len()..]
                    .split(';')
                    .next()
                    .unwrap_or_default();
                (at + 1, name)
            })
        })
        .collect();
    mods.sort();
    if mods.iter().any(|(_, name)| *name == module) {
        return Err(format!(
            "new-rule: src/rules/mod.rs already has `mod {module};`"
        ));
    }
    let insert_mod = match mods.iter().find(|(_, name)| *name > module.as_str()) {
        // Before the next module in order, and before the attributes on it (`#[cfg(test)]`).
        Some(&(at, _)) => attributes_start(catalog, at),
        None => mods
            .last()
            .and_then(|&(at, _)| catalog[at..].find('\n').map(|end| at + end + 1))
            .ok_or("new-rule: src/rules/mod.rs declares no rule modules")?,
    };
    let all_start = catalog
        .find("static ALL: &[&dyn Rule] = &[")
        .ok_or("new-rule: src/rules/mod.rs has no `static ALL` list")?;
    let insert_entry = catalog[all_start..]
        .find("\n    ];")
        .map(|at| all_start + at + 1)
        .ok_or("new-rule: the `static ALL` list in src/rules/mod.rs has no end")?;
    let entry = format!("        &{module}::{},\n", spec.type_name());
    let mut out = String::with_capacity(catalog.len() + declaration.len() + entry.len());
    out.push_str(&catalog[..insert_mod]);
    out.push_str(&declaration);
    out.push_str(&catalog[insert_mod..insert_entry]);
    out.push_str(&entry);
    out.push_str(&catalog[insert_entry..]);
    Ok(out)
}

/// Where the line starting at `at` begins together with the attribute lines above it.
fn attributes_start(text: &str, mut at: usize) -> usize {
    while let Some(previous) = text[..at.saturating_sub(1)].rfind('\n').map(|i| i + 1) {
        if !text[previous..at].starts_with("#[") {
            break;
        }
        at = previous;
    }
    at
}

/// tests/rules.rs with an end-to-end case for the rule at the end of `CASES`.
fn with_end_to_end_case(tests: &str, spec: &Spec) -> Result<String, String> {
    let start = tests
        .find("const CASES: &[Case] = &[")
        .ok_or("new-rule: tests/rules.rs has no `CASES` list")?;
    let end = tests[start..]
        .find("\n];")
        .map(|at| start + at + 1)
        .ok_or("new-rule: the `CASES` list in tests/rules.rs has no end")?;
    let case = format!(
        "    Case {{\n        rule: \"{}\",\n        severity: \"{}\",\n        line: 1,\n        extra: &[],\n    }},\n",
        spec.id, spec.severity
    );
    Ok(format!("{}{case}{}", &tests[..end], &tests[end..]))
}

fn rule_source(spec: &Spec) -> String {
    let (id, ty) = (&spec.id, spec.type_name());
    let meta = spec.module().to_uppercase();
    let category = variant(&spec.category);
    let severity = variant(&spec.severity);
    let effect = variant(&spec.effect);
    format!(
        r#"//! `{id}`: what it finds, in one sentence.

use super::framework::{{Context, Emitter, Rule}};
use crate::finding::{{Category, Effect, RuleMeta, Severity}};

pub struct {ty};

static {meta}: RuleMeta = RuleMeta {{
    id: "{id}",
    category: Category::{category},
    severity: Severity::{severity},
    effect: Effect::{effect},
    summary: "one line for `rollguard rules` and SARIF",
    doc: "What the rule looks for, and why it breaks a rollback.",
    fix: "How to fix it.",
}};

impl Rule for {ty} {{
    fn meta(&self) -> &'static RuleMeta {{
        &{meta}
    }}

    /// Reports each object with the hazard at the line that causes it, e.g.
    /// `out.object(object, object.span_at(&["spec", "field"]), "what is wrong")`; the tests
    /// below fail until it does.
    fn check(&self, _cx: &Context, _out: &mut Emitter) {{}}
}}

#[cfg(test)]
mod tests {{
    use super::*;
    use crate::rules::test_utils::{{NONE, manifest}};

    #[test]
    fn fires_on_the_hazard_and_not_on_its_safe_twin() {{
        let hazard = include_str!("../../fixtures/rules/{id}.yaml");
        let safe = include_str!("../../fixtures/rules/{id}.safe.yaml");
        assert_eq!(
            manifest(hazard).findings(&{ty}),
            [("{id}", Severity::{severity}, 1)]
        );
        assert_eq!(manifest(safe).findings(&{ty}), NONE);
    }}
}}
"#
    )
}

fn fixture(spec: &Spec, hazard: bool) -> String {
    let what = if hazard {
        format!("the hazard `{}` must report", spec.id)
    } else {
        format!("its safe twin, on which `{}` must stay silent", spec.id)
    };
    format!(
        "---\n# Source: app/templates/deployment.yaml\n# Replace with {what}.\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: app:1.0\n"
    )
}

fn doc_stub(spec: &Spec) -> String {
    format!(
        "# `{}`\n\nThis page is generated from the rule's metadata and fixtures: \
         `UPDATE_DOCS=1 cargo test --test docs` writes it.\n",
        spec.id
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    fn spec(id: &str) -> Spec {
        Spec::parse(&args(&[id, "--category", "storage", "--severity", "error"])).unwrap()
    }

    /// A scratch repository holding the real catalog and end-to-end cases.
    fn scratch() -> tempfile::TempDir {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let dir = tempfile::tempdir().unwrap();
        for sub in ["src/rules", "fixtures/rules", "docs/rules", "tests"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        for file in ["src/rules/mod.rs", "tests/rules.rs"] {
            std::fs::copy(repo.join(file), dir.path().join(file)).unwrap();
        }
        dir
    }

    #[test]
    fn options_are_checked() {
        assert_eq!(
            Spec::parse(&args(&["pvc-mount-changed"])).unwrap(),
            Spec {
                id: "pvc-mount-changed".into(),
                category: "configuration".into(),
                severity: "warning".into(),
                effect: "rollback-fails".into(),
            }
        );
        for bad in [
            &["PvcMount"][..],
            &["pvc--mount"],
            &[],
            &["x", "--severity", "fatal"],
            &["x", "--colour", "red"],
            &["x", "--effect"],
        ] {
            assert!(Spec::parse(&args(bad)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn writes_every_piece_and_wires_the_rule_in() {
        let dir = scratch();
        let root = dir.path();
        let report = write(root, &spec("volume-mode-changed")).unwrap();
        assert!(
            report.contains("wrote src/rules/volume_mode_changed.rs"),
            "{report}"
        );

        let rule = std::fs::read_to_string(root.join("src/rules/volume_mode_changed.rs")).unwrap();
        assert!(rule.contains("pub struct VolumeModeChanged;"), "{rule}");
        assert!(
            rule.contains("static VOLUME_MODE_CHANGED: RuleMeta"),
            "{rule}"
        );
        assert!(rule.contains("    id: \"volume-mode-changed\",\n    category: Category::Storage,\n    severity: Severity::Error,\n    effect: Effect::RollbackFails,"), "{rule}");
        assert!(
            rule.contains("include_str!(\"../../fixtures/rules/volume-mode-changed.safe.yaml\")"),
            "{rule}"
        );

        let catalog = std::fs::read_to_string(root.join("src/rules/mod.rs")).unwrap();
        let mods: Vec<&str> = catalog
            .lines()
            .filter_map(|l| {
                l.strip_prefix("mod ")
                    .or_else(|| l.strip_prefix("pub mod "))
            })
            .collect();
        let at = mods
            .iter()
            .position(|m| *m == "volume_mode_changed;")
            .unwrap();
        assert!(mods[at - 1] < "volume_mode_changed;", "{mods:?}");
        let all = &catalog[catalog.find("static ALL").unwrap()..];
        let end = all.find("\n    ];").unwrap();
        assert!(
            all[..end].ends_with("\n        &volume_mode_changed::VolumeModeChanged,"),
            "{all}"
        );

        let cases = std::fs::read_to_string(root.join("tests/rules.rs")).unwrap();
        assert!(
            cases.contains("        rule: \"volume-mode-changed\",\n        severity: \"error\",")
        );
        for fixture in ["volume-mode-changed.yaml", "volume-mode-changed.safe.yaml"] {
            let text = std::fs::read_to_string(root.join("fixtures/rules").join(fixture)).unwrap();
            assert!(text.starts_with("---\n# Source: app/templates/"), "{text}");
        }
        assert!(root.join("docs/rules/volume-mode-changed.md").is_file());
    }

    #[test]
    fn a_module_goes_above_the_attributes_of_the_next_one() {
        let catalog = "mod sql;\n#[cfg(test)]\nmod test_utils;\nmod timeout;\n\nstatic ALL: &[&dyn Rule] = &[\n        &sql::X,\n    ];\n";
        let out = with_catalog_entry(catalog, &spec("strange-rule")).unwrap();
        assert!(
            out.starts_with("mod sql;\nmod strange_rule;\n#[cfg(test)]\nmod test_utils;\n"),
            "{out}"
        );
        assert!(out.contains("        &sql::X,\n        &strange_rule::StrangeRule,\n    ];"));
    }

    #[test]
    fn refuses_a_rule_that_exists() {
        let dir = scratch();
        let before = std::fs::read_to_string(dir.path().join("src/rules/mod.rs")).unwrap();
        // `pvc` is a rule module already: nothing is written.
        let err = write(dir.path(), &spec("pvc")).unwrap_err();
        assert!(err.contains("already has `mod pvc;`"), "{err}");
        assert!(!dir.path().join("fixtures/rules/pvc.yaml").exists());
        write(dir.path(), &spec("new-thing")).unwrap();
        let err = write(dir.path(), &spec("new-thing")).unwrap_err();
        assert!(err.contains("exists already"), "{err}");
        let after = std::fs::read_to_string(dir.path().join("src/rules/mod.rs")).unwrap();
        assert_eq!(after.matches("mod new_thing;").count(), 1);
        assert_ne!(before, after);
    }
}
