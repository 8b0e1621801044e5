//! Reads `rules/migration-tools.yaml`, the table people edit. build.rs runs this reader and
//! compiles the table into Rust (see [`tools`](super::tools)), so a bad edit fails the build
//! with the line and the reason.

use source::yaml::{Node, Origin, parse_single};

/// One entry of the table, in file order.
pub(super) struct Entry {
    pub name: String,
    pub commands: Vec<Vec<String>>,
    pub images: Vec<String>,
}

pub(super) fn parse_table(text: &str) -> Result<Vec<Entry>, String> {
    let root = parse_single(text, Origin::default())
        .map_err(|e| e.to_string())?
        .ok_or("empty table")?;
    root.items("tools")
        .iter()
        .map(|entry| {
            let line = entry.span.line;
            let name = entry
                .str_at(&["tool"])
                .ok_or(format!("line {line}: no tool"))?;
            let commands: Vec<Vec<String>> =
                entry.items("commands").iter().map(Node::strings).collect();
            let images = entry.get("images").map(Node::strings).unwrap_or_default();
            if commands.iter().any(Vec::is_empty) || (commands.is_empty() && images.is_empty()) {
                return Err(format!("line {line}: {name}: an empty command"));
            }
            Ok(Entry {
                name: name.to_string(),
                commands,
                images,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_parses_and_an_empty_command_is_refused() {
        let shipped = include_str!("../../rules/migration-tools.yaml");
        let tools = parse_table(shipped).unwrap_or_else(|e| panic!("{e}"));
        assert!(tools.len() > 20);
        let django = &tools[0];
        assert_eq!(django.name, "django");
        assert_eq!(django.commands[0], ["manage.py", "migrate"]);
        assert!(tools.iter().any(|t| t.images.iter().any(|i| i == "flyway")));
        let bad = "tools:\n  - tool: x\n    commands: [[]]\n";
        assert_eq!(
            parse_table(bad).err().as_deref(),
            Some("line 2: x: an empty command")
        );
    }
}
