//! `docs/rules/<id>.md`: one page per rule, generated from the rule metadata
//! (`rollguard explain --markdown`) and the rule's fixtures (the hazard and its safe twin), so the
//! pages cannot drift. `UPDATE_DOCS=1 cargo test --test docs` rewrites them.

mod common;

use std::path::{Path, PathBuf};

use common::rollguard;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn rule_ids() -> Vec<String> {
    rollguard(&["rules"])
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// The fixture named `name` (a file `name.*` or a directory `name/`) anywhere under fixtures/.
fn fixture(name: &str) -> Option<PathBuf> {
    walkdir::WalkDir::new(root().join("fixtures"))
        .sort_by_file_name()
        .into_iter()
        .filter_map(Result::ok)
        .find(|e| {
            let file = e.file_name().to_string_lossy();
            file == name
                || file
                    .strip_prefix(name)
                    .is_some_and(|ext| matches!(ext, ".yaml" | ".yml" | ".sql" | ".json" | ".sh"))
        })
        .map(|e| e.into_path())
}

fn show(path: &Path) -> String {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(path)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    // The old revision before the new one.
    files.sort_by_key(|p| (!p.ends_with("old.yaml"), p.clone()));
    files
        .iter()
        .map(|f| {
            let rel = f.strip_prefix(root()).unwrap().display().to_string();
            let lang = match f.extension().and_then(|e| e.to_str()) {
                Some("yaml" | "yml") => "yaml",
                Some("sql") => "sql",
                Some("sh") => "sh",
                _ => "",
            };
            format!(
                "`{rel}`:\n\n```{lang}\n{}```\n",
                std::fs::read_to_string(f).unwrap()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn page(id: &str) -> String {
    let mut page = rollguard(&["explain", id, "--markdown"]).stdout;
    if let Some(hazard) = fixture(id) {
        page.push_str(&format!("\n## A hazardous example\n\n{}", show(&hazard)));
    }
    if let Some(safe) = fixture(&format!("{id}.safe")) {
        page.push_str(&format!("\n## The safe version\n\n{}", show(&safe)));
    }
    page
}

#[test]
fn docs_rules_cover_exactly_the_catalog_and_match_the_metadata() {
    let dir = root().join("docs/rules");
    let update = std::env::var_os("UPDATE_DOCS").is_some();
    if update {
        std::fs::create_dir_all(&dir).unwrap();
    }
    let ids = rule_ids();
    for id in &ids {
        let path = dir.join(format!("{id}.md"));
        let want = page(id);
        if update {
            std::fs::write(&path, &want).unwrap();
            continue;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "docs/rules/{id}.md is stale or missing: UPDATE_DOCS=1 cargo test --test docs"
        );
    }
    let mut pages: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| {
            e.unwrap()
                .file_name()
                .to_string_lossy()
                .trim_end_matches(".md")
                .to_string()
        })
        .collect();
    pages.sort();
    let mut ids = ids;
    ids.sort();
    assert_eq!(
        pages, ids,
        "docs/rules/ has a page for every rule and nothing else"
    );
}
