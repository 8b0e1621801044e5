//! What each fuzz target runs on its input, in one place: the cargo-fuzz targets
//! (`fuzz_targets/*.rs`) call these, and `tests/fuzz_corpus.rs` of the repository runs every
//! file of the committed corpus (`fuzz/corpus/<target>/`) through them on stable Rust, so a
//! crash found once stays fixed. Only the public API of the crates is used, as a user's input
//! would reach it; an error is a fine answer, a panic, an abort or a hang is not.

use std::sync::Arc;

use helm::chart::Values;
use helm::chart::values::strvals::{self, MAX_LIST_ITEMS, Mode};
use rollguard::pipeline::{FileKind, Loaded, load_file};
use rollguard::shell::{self, Dialect as ShellDialect, Env};
use rollguard::sql::{self, Dialect as SqlDialect};
use source::SourceFile;
use source::yaml::{Origin, parse_documents};

/// What a target does with one input.
pub type Target = fn(&[u8]);

/// Every target by name, as its corpus directory is named.
pub const TARGETS: &[(&str, Target)] = &[
    ("sql", sql),
    ("shell", shell),
    ("pipeline", pipeline),
    ("helmignore", helmignore),
    ("chart_archive", chart_archive),
    ("release_record", release_record),
    ("manifest", manifest),
    ("yaml", yaml),
    ("strvals", strvals),
];

fn text(data: &[u8]) -> Arc<SourceFile> {
    SourceFile::new("fuzz", String::from_utf8_lossy(data).into_owned())
}

/// SQL splitting and analysis, in every dialect.
pub fn sql(data: &[u8]) {
    let file = text(data);
    for dialect in [SqlDialect::Postgres, SqlDialect::Mysql, SqlDialect::Generic] {
        let _ = sql::analyse(&file.text, dialect);
    }
}

/// The shell tokenizer in every dialect, and expansion of every word with the variables the
/// script itself assigns.
pub fn shell(data: &[u8]) {
    let file = text(data);
    for dialect in [
        ShellDialect::Shell,
        ShellDialect::GitHub,
        ShellDialect::Make,
        ShellDialect::Macro,
        ShellDialect::Braces,
        ShellDialect::CircleCi,
    ] {
        let mut env = Env::new();
        for command in shell::parse(&file.text, dialect) {
            for word in &command.words {
                if let Some((name, value)) = word.assignment() {
                    let expanded = value.expand(&env);
                    env.insert(name, expanded.unknown.is_none().then_some(expanded.text));
                } else {
                    let _ = word.expand(&env);
                }
            }
        }
    }
}

/// Each pipeline reader on the same text.
pub fn pipeline(data: &[u8]) {
    let file = text(data);
    for kind in FileKind::ALL {
        let mut loaded = Loaded::default();
        load_file(&file, kind, &mut loaded);
        loaded.finish();
    }
}

/// `.helmignore` rules (the input after its first line) matched against a path (its first
/// line), as a file and as a directory.
pub fn helmignore(data: &[u8]) {
    let file = text(data);
    let (path, rules) = file.text.split_once('\n').unwrap_or((&file.text, ""));
    if let Ok(rules) = helm::chart::helmignore::Rules::parse(rules) {
        let rules = rules.with_defaults();
        let _ = rules.ignores(path, false);
        let _ = rules.ignores(path, true);
    }
}

/// A packaged chart, from its gzipped tar bytes.
pub fn chart_archive(data: &[u8]) {
    let _ = helm::chart::load_archive(data, "fuzz.tgz");
}

/// Helm release records (Secrets, ConfigMaps, Lists of them) and what they decode to.
pub fn release_record(data: &[u8]) {
    let _ = rollguard::baseline::release::parse(&text(data), "default");
}

/// A rendered manifest stream: split at `---`, parsed, read as objects.
pub fn manifest(data: &[u8]) {
    let _ = rollguard::manifest::load_stream(&text(data), "default");
}

/// Span-aware YAML, and its JSON view.
pub fn yaml(data: &[u8]) {
    let file = text(data);
    if let Ok(docs) = parse_documents(&file.text, Origin::default()) {
        for doc in docs {
            let _ = doc.to_json();
        }
    }
}

/// `--set`-style expressions in every mode, one per line, into one set of values.
pub fn strvals(data: &[u8]) {
    let file = text(data);
    let read_file = |_: &str| -> Result<String, String> { Ok("from a file".into()) };
    let mut values = Values::new();
    let mut items_left = MAX_LIST_ITEMS;
    for line in file.text.lines() {
        for mode in [
            Mode::Typed,
            Mode::String,
            Mode::Json,
            Mode::File(&read_file),
            Mode::Literal,
        ] {
            let _ = strvals::parse_into(line, &mut values, mode, &mut items_left);
        }
    }
}
