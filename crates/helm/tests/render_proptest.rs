//! The template parser and executor never panic, whatever the input, and stay within small
//! budgets of work and memory: random text, text built from template pieces, and a committed
//! corpus of hostile templates (`fixtures/hostile_templates`, one per cause of unbounded work
//! or memory; add each new finding there).

use gotmpl::{Engine, Value};
use helm::funcs;
use proptest::prelude::*;

/// Fragments that steer random text into the interesting corners of the grammar.
const PIECES: &[&str] = &[
    "{{",
    "}}",
    "{{- ",
    " -}}",
    "{{/*",
    "*/}}",
    "/*",
    "*/",
    " ",
    "\n",
    "-",
    "|",
    "(",
    ")",
    ",",
    ":=",
    "=",
    "$",
    "$x",
    "$y",
    ".",
    ".a",
    ".a.b",
    "\"",
    "\"s\"",
    "`",
    "'a'",
    "1",
    "-2",
    "3.5",
    "0x1F",
    "1e3",
    "nil",
    "true",
    "if",
    "else",
    "else if",
    "end",
    "range",
    "with",
    "define",
    "template",
    "block",
    "break",
    "continue",
    "\"t\"",
    "print",
    "printf",
    "\"%d %v\"",
    "len",
    "index",
    "and",
    "or",
    "not",
    "eq",
    "lt",
    "slice",
    "call",
    "toYaml",
    "include",
    "tpl",
    "default",
    "dict",
    "list",
    "☃",
    "\\",
    "#",
    "date",
    "toDate",
    "\"2006-01-02\"",
    "\"Jan _2\"",
    "substr",
    "trunc",
    "abbrevboth",
    "regexMatch",
    "regexFind",
    "\"[a-\"",
    "semverCompare",
    "\">=1.2-0\"",
    "b64dec",
    "b32dec",
    "fromYaml",
    "fromJson",
    "toJson",
    "toToml",
    "indent",
    "until",
    "seq",
    "splitList",
    "urlParse",
    "sha256sum",
    "set",
    "merge",
    "dig",
    "\"é€\"",
    "(list 1 2)",
    "(dict \"k\" 1)",
    "16",
    "-100",
    "repeat",
    "replace",
    "\"\"",
    "1000000000",
    "9223372036854775807",
    "randAlphaNum",
    "untilStep",
    "uniq",
    "sortAlpha",
    "concat",
    "deepCopy",
    "deepEqual",
    "nindent",
    "wrap",
    "genPrivateKey",
    "\"rsa\"",
    "encryptAES",
    "decryptAES",
    "$d",
    "{{ $d := dict \"a\" 1 }}",
    "{{ $d = dict \"a\" $d \"b\" $d }}",
];

fn template() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|v| v.concat())
}

/// Parses and runs `src` with small budgets; the parse or execution error as text.
fn run(src: &str) -> Result<String, String> {
    let mut e = Engine::new();
    funcs::register(&mut e);
    e.limits.max_output = 1 << 16;
    e.limits.max_depth = 200;
    e.limits.max_steps = 2_000_000;
    e.limits.max_memory = 8 << 20;
    e.limits.seed = Some(1);
    e.limits.clock = Some(0);
    e.add_template("t", src).map_err(|e| e.to_string())?;
    let dot = Value::map(
        [(
            "a".to_string(),
            Value::list(vec![Value::int(1), Value::str("x")]),
        )]
        .into(),
    );
    e.execute("t", dot).map_err(|e| e.to_string())
}

fn check(src: &str) {
    let _ = run(src);
}

#[test]
fn hostile_templates_end_within_their_budgets() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile_templates");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 25, "the corpus is in {}", dir.display());
    for file in files {
        let src = std::fs::read_to_string(&file).unwrap();
        // Renders carry deep recursion on a big stack; so does this.
        let once = || gotmpl::run_with_stack(256 << 20, |_| run(&src)).unwrap();
        let first = once();
        let shown = match &first {
            Ok(out) => out.len(),
            Err(e) => e.len(),
        };
        assert!(shown <= 1 << 16, "{}: {shown} bytes", file.display());
        assert_eq!(first, once(), "{} is not deterministic", file.display());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn arbitrary_text_never_panics(src in any::<String>()) {
        check(&src);
    }

    #[test]
    fn template_like_text_never_panics(src in template()) {
        check(&src);
    }
}
