//! Compiles `rules/kubernetes-apis.yaml`, the table people edit, into Rust: every `check` needs
//! the table, and reading its YAML took a tenth of a median chart's check. The file is read
//! and checked here by the same reader [`ApiTable::parse`](src/kube/table.rs) uses, so a bad
//! edit fails the build with the reader's message (line and reason).

use std::fmt::Write as _;

#[allow(dead_code)]
#[path = "src/kube/entry.rs"]
mod entry;
#[allow(dead_code)]
#[path = "src/kube/parse.rs"]
mod parse;
#[path = "src/sql/tools_table.rs"]
mod tools_table;
#[allow(dead_code)]
#[path = "src/kube/version.rs"]
mod version;

use entry::ApiEntry;
use version::KubeVersion;

const TABLE: &str = "rules/kubernetes-apis.yaml";
const TOOLS: &str = "rules/migration-tools.yaml";

fn main() {
    for input in [
        TABLE,
        "src/kube/entry.rs",
        "src/kube/parse.rs",
        "src/kube/version.rs",
        TOOLS,
        "src/sql/tools_table.rs",
    ] {
        println!("cargo::rerun-if-changed={input}");
    }
    let text = std::fs::read_to_string(TABLE).unwrap_or_else(|e| panic!("{TABLE}: {e}"));
    let parsed = parse::parse_table(&text).unwrap_or_else(|e| panic!("{TABLE}: {e}"));
    let out = std::path::PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out.join("kubernetes_apis.rs"), rust(&parsed))
        .unwrap_or_else(|e| panic!("writing the compiled table: {e}"));
    let text = std::fs::read_to_string(TOOLS).unwrap_or_else(|e| panic!("{TOOLS}: {e}"));
    let tools = tools_table::parse_table(&text).unwrap_or_else(|e| panic!("{TOOLS}: {e}"));
    std::fs::write(out.join("migration_tools.rs"), tools_rust(&tools))
        .unwrap_or_else(|e| panic!("writing the compiled migration tools: {e}"));
}

/// `TOOLS`, the migration tools as a Rust constant (`{:?}` of a list of strings is a Rust
/// array of string literals).
fn tools_rust(tools: &[tools_table::Entry]) -> String {
    let mut out = format!(
        "// Compiled by build.rs from {TOOLS}: edit that file.\nconst TOOLS: &[Tool] = &[\n"
    );
    for tool in tools {
        let commands: Vec<String> = tool.commands.iter().map(|c| format!("&{c:?}")).collect();
        let _ = writeln!(
            out,
            "    Tool {{ name: {:?}, commands: &[{}], images: &{:?} }},",
            tool.name,
            commands.join(", "),
            tool.images,
        );
    }
    out.push_str("];\n");
    out
}

/// `NEWEST` and `entries()`, the table as Rust expressions (`{:?}` of a string is a Rust
/// string literal).
fn rust(parsed: &parse::Parsed) -> String {
    let version = |v: KubeVersion| format!("KubeVersion::new({}, {})", v.major, v.minor);
    let optional =
        |v: Option<KubeVersion>| v.map_or("None".to_string(), |v| format!("Some({})", version(v)));
    let text = |t: &Option<String>| {
        t.as_ref()
            .map_or("None".to_string(), |t| format!("Some({t:?}.into())"))
    };
    let mut out = format!(
        "// Compiled by build.rs from {TABLE}: edit that file.\n\
         pub(super) const NEWEST: KubeVersion = {};\n\n\
         pub(super) fn entries() -> Vec<ApiEntry> {{\n    vec![\n",
        version(parsed.newest)
    );
    for ApiEntry {
        api_version,
        kind,
        introduced,
        deprecated,
        removed,
        replacement,
        note,
        default_off,
    } in &parsed.entries
    {
        let _ = writeln!(
            out,
            "        ApiEntry {{ api_version: {api_version:?}.into(), kind: {kind:?}.into(), \
             introduced: {}, deprecated: {}, removed: {}, replacement: {}, note: {}, \
             default_off: {default_off} }},",
            optional(*introduced),
            optional(*deprecated),
            optional(*removed),
            text(replacement),
            text(note),
        );
    }
    out.push_str("    ]\n}\n");
    out
}
