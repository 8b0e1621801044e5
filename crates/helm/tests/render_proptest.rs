//! The template parser and executor never panic, whatever the input.

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
];

fn template() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|v| v.concat())
}

fn check(src: &str) {
    let mut e = Engine::new();
    funcs::register(&mut e);
    e.limits.max_output = 1 << 16;
    e.limits.max_depth = 200;
    if e.add_template("t", src).is_ok() {
        let dot = Value::map(
            [(
                "a".to_string(),
                Value::list(vec![Value::int(1), Value::str("x")]),
            )]
            .into(),
        );
        let _ = e.execute("t", dot);
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
