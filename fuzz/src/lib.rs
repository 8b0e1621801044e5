//! What each fuzz target runs on its input, in one place: the cargo-fuzz targets
//! (`fuzz_targets/*.rs`) call these, and `tests/fuzz_corpus.rs` of the repository runs every
//! file of the committed corpus (`fuzz/corpus/<target>/`) through them on stable Rust, so a
//! crash found once stays fixed. Only the public API of the crates is used, as a user's input
//! would reach it; an error is a fine answer, a panic, an abort or a hang is not.

use std::collections::BTreeMap;
use std::sync::Arc;

use gotmpl::{Engine, Value};
use helm::chart::Values;
use helm::chart::values;
use helm::chart::values::strvals::{self, MAX_LIST_ITEMS, Mode};
use rollguard::pipeline::{FileKind, Loaded, load_file};
use rollguard::shell::{self, Dialect as ShellDialect, Env};
use rollguard::sql::{self, Dialect as SqlDialect};
use source::SourceFile;
use source::yaml::{Origin, both_readings, parse_documents};

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
    ("yaml_fast", yaml_fast),
    ("strvals", strvals),
    ("template", template),
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

/// Span-aware YAML and its JSON view, and the same text as a values file merged over itself.
pub fn yaml(data: &[u8]) {
    let file = text(data);
    if let Ok(docs) = parse_documents(&file.text, Origin::default()) {
        for doc in docs {
            let _ = doc.to_json();
        }
    }
    if let Ok(values) = values::file::parse_values("fuzz", &file.text) {
        let mut merged = values.clone();
        values::file::merge_maps(&mut merged, values);
    }
}

/// The fast block-YAML reader held to saphyr's: wherever it takes a text, saphyr reads the
/// same documents from it, every node, style and span alike (a text it declines goes to saphyr
/// anyway, so only what it takes can change a reading).
pub fn yaml_fast(data: &[u8]) {
    let file = text(data);
    let (Some(fast), saphyr) = both_readings(&file.text) else {
        return;
    };
    match saphyr {
        Ok(saphyr) => assert!(
            fast == saphyr,
            "the fast reader and saphyr read {:?} differently:\n{fast:#?}\n{saphyr:#?}",
            file.text
        ),
        Err(e) => panic!(
            "the fast reader took {:?}, which saphyr refuses: {e}",
            file.text
        ),
    }
}

/// `--set`-style expressions in every mode, one per line, into one set of values.
pub fn strvals(data: &[u8]) {
    let file = text(data);
    let read_file = |_: &str| -> Result<String, String> { Ok("from a file".into()) };
    let mut values = Values::new();
    // A smaller budget than the flags' (`MAX_LIST_ITEMS`), counted by the same code: an input
    // that spends it all then takes microseconds, not the 0.1 s (release) of a million items,
    // which held the fuzzer to 9 inputs a second.
    let mut items_left = MAX_LIST_ITEMS / 256;
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

/// Budgets small enough that one input runs in milliseconds: what matters is that every
/// construct stops at its budget with an error, never by a crash or a hang.
fn small_engine() -> Engine {
    let mut engine = Engine::new();
    helm::funcs::register(&mut engine);
    engine.limits.max_output = 64 << 10;
    engine.limits.max_depth = 100;
    engine.limits.max_steps = 200_000;
    engine.limits.max_memory = 4 << 20;
    engine.limits.stack_budget = gotmpl::stack_budget_for(TEMPLATE_STACK);
    engine.limits.seed = Some(1);
    engine.limits.clock = Some(0);
    engine
}

/// Stack of the thread a template runs on, as a render's smallest fallback stack.
const TEMPLATE_STACK: usize = 16 << 20;

/// A template parsed and executed with Sprig's and Helm's functions, as a chart's file and
/// through `tpl` (the input is also `.Values.t`, so it can `tpl` itself). Runs on a thread
/// of its own with a render's stack; a panic there is re-raised here, not turned into an
/// error as [`gotmpl::run_with_stack`] would.
pub fn template(data: &[u8]) {
    let text = String::from_utf8_lossy(data).into_owned();
    std::thread::scope(|scope| {
        let run = std::thread::Builder::new()
            .stack_size(TEMPLATE_STACK)
            .spawn_scoped(scope, || {
                let mut engine = small_engine();
                let dot = Value::map(BTreeMap::from([
                    (
                        "Values".to_string(),
                        Value::map(BTreeMap::from([("t".to_string(), Value::str(&text))])),
                    ),
                    (
                        "Template".to_string(),
                        Value::map(BTreeMap::from([
                            ("Name".to_string(), Value::str("c/templates/t.yaml")),
                            ("BasePath".to_string(), Value::str("c/templates")),
                        ])),
                    ),
                ]));
                if engine.add_template("t", &text).is_ok() {
                    let _ = engine.execute("t", dot.clone());
                }
                if engine.add_template("tpl", "{{ tpl .Values.t . }}").is_ok() {
                    let _ = engine.execute("tpl", dot);
                }
            });
        match run {
            Ok(handle) => {
                if let Err(panic) = handle.join() {
                    std::panic::resume_unwind(panic);
                }
            }
            Err(e) => panic!("no thread for the template: {e}"),
        }
    });
}
