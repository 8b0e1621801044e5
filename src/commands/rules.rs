//! `rollguard rules` and `rollguard explain RULE`: the catalog, as a table or one rule's page.

use crate::finding::{Category, Severity};
use crate::rules;
use source::{InputError, Result};

/// `rollguard rules`: the catalog as a table.
pub fn rules_table() -> String {
    let mut out = format!(
        "{:<32} {:<8} {:<17} {}\n",
        "RULE", "SEVERITY", "EFFECT", "SUMMARY"
    );
    for m in rules::catalog() {
        out.push_str(&format!(
            "{:<32} {:<8} {:<17} {}\n",
            m.id,
            m.severity.as_str(),
            m.effect.as_str(),
            m.summary
        ));
    }
    out
}

/// `rollguard explain RULE`: the rule's documentation, as text or Markdown.
pub fn explain(id: &str, markdown: bool) -> Result<String> {
    let m = rules::find(id).ok_or_else(|| {
        InputError::new(format!("unknown rule `{id}`"))
            .with_help("`rollguard rules` lists the rule ids")
    })?;
    let blocks = if m.severity == Severity::Error {
        "blocks the release (NO-GO)"
    } else {
        "does not block by default (`--fail-on warning` makes it)"
    };
    let sql_comment = if m.category == Category::Migrations {
        format!(", put `-- rollguard-ignore {id}` on the SQL statement or the line before it")
    } else {
        String::new()
    };
    // Pipeline findings have no resource to annotate: a comment on the invocation instead.
    let suppress = if m.category == Category::Pipeline {
        format!(
            "put `# rollguard-ignore {id}` on the helm command's line or just above it, or disable the rule in .rollguard.yaml (`disable: [{id}]`)"
        )
    } else {
        format!(
            "annotate the resource with `rollguard.dev/ignore: {id}`{sql_comment}, or disable the rule in .rollguard.yaml (`disable: [{id}]`)"
        )
    };
    Ok(if markdown {
        format!(
            "# `{id}`\n\n{}\n\n| severity | effect on a rollback | category |\n|---|---|---|\n| {} — {blocks} | `{}`: {} | {} |\n\n## What it finds\n\n{}\n\n## The fix\n\n{}\n\n## Suppressing it\n\nTo accept the risk, {suppress}.\n",
            m.summary,
            m.severity.as_str(),
            m.effect.as_str(),
            m.effect.describe(),
            m.category.as_str(),
            m.doc,
            m.fix
        )
    } else {
        format!(
            "{id}\n\nseverity: {} ({blocks})\neffect:   {} — {}\ncategory: {}\n\n{}\n\nFix: {}\n\nSuppress: {suppress}.\n",
            m.severity.as_str(),
            m.effect.as_str(),
            m.effect.describe(),
            m.category.as_str(),
            m.doc,
            m.fix
        )
    })
}
