//! The function library Helm adds to Go's builtins: Sprig's functions and Helm's own, with
//! their Go signatures (parameter types decide conversions and error messages).

mod args;
mod bcrypt;
mod crypto;
mod dates;
mod derive;
mod dicts;
pub(crate) mod encoding;
pub(crate) mod glob;
mod helm;

mod json_errors;
mod lists;
mod math;
mod memo;
mod paths;
mod random;
mod regex;
mod regex_pattern;
mod semver;
mod strings;
mod toml;
mod types;
mod urls;
pub mod yaml;
mod yaml_forms;

use gotmpl::Engine;

pub use crypto::{Half, Keys};

/// Registers every function implemented so far, with Helm's fresh RSA keys.
pub fn register(engine: &mut Engine) {
    register_with(engine, Keys::Fresh);
}

/// Registers every function, the key functions drawing their RSA keys as `keys` says.
pub fn register_with(engine: &mut Engine, keys: Keys) {
    // 218 functions today (237 with Go's builtins); a few more would only grow the table once.
    engine.reserve_functions(224);
    strings::register(engine);
    lists::register(engine);
    dicts::register(engine);
    math::register(engine);
    types::register(engine);
    encoding::register(engine);
    semver::register(engine);
    regex::register(engine);
    paths::register(engine);
    dates::register(engine);
    urls::register(engine);
    crypto::register(engine, keys);
    toml::register(engine);
    bcrypt::register(engine, keys);
    derive::register(engine);
    random::register(engine);
    for (alias, name) in [
        ("mustFirst", "first"),
        ("mustLast", "last"),
        ("mustRest", "rest"),
        ("mustInitial", "initial"),
        ("mustReverse", "reverse"),
        ("mustUniq", "uniq"),
        ("mustCompact", "compact"),
        ("mustWithout", "without"),
        ("mustHas", "has"),
        ("mustAppend", "append"),
        ("mustPush", "push"),
        ("mustPrepend", "prepend"),
        ("mustChunk", "chunk"),
        ("mustSlice", "slice"),
    ] {
        if let Some(f) = engine.func(name).cloned() {
            engine.register(alias, f);
        }
    }
    yaml::register(engine);
    helm::register(engine);
}

#[cfg(test)]
mod tests {
    use gotmpl::{Engine, Value};

    #[test]
    fn self_containing_map_does_not_crash() {
        let src = r#"{{ $d := dict "a" 1 }}{{ $_ := set $d "self" $d }}[{{ toJson $d }}][{{ toYaml $d }}]{{ deepCopy $d | len }} {{ deepEqual $d $d }} {{ len (print $d) | lt 0 }}"#;
        let out = gotmpl::run_with_stack(256 << 20, move |stack| {
            let mut e = Engine::new();
            super::register(&mut e);
            e.limits.stack_budget = gotmpl::stack_budget_for(stack);
            e.add_template("t", src).map_err(|e| e.to_string())?;
            e.execute("t", Value::Nil).map_err(|e| e.to_string())
        })
        .unwrap()
        .unwrap();
        assert_eq!(out, "[][]2 true true");
    }

    /// Renders `src` with every function; `.r` is the Go string "\xf0\x9f\x98a" (not UTF-8),
    /// `.b` the `[]byte` "\xff", `.Files` holds `bin` = "\xff\nz\x80\n".
    fn render_bytes(src: &str) -> String {
        let files = crate::engine::objects::Files {
            files: [("bin".to_string(), b"\xff\nz\x80\n".as_slice().into())].into(),
        };
        let dot = Value::map(
            [
                ("r".into(), Value::go_string(b"\xf0\x9f\x98a".to_vec())),
                ("b".into(), Value::Bytes(b"\xff".as_slice().into())),
                ("Files".into(), Value::Object(std::rc::Rc::new(files))),
            ]
            .into(),
        );
        let mut e = Engine::new();
        super::register(&mut e);
        e.add_template("t", src).unwrap();
        e.execute("t", dot).unwrap()
    }

    // Expected values are Helm's (the oracle), its output decoded as UTF-8.
    #[test]
    fn strings_that_are_not_utf8_keep_their_bytes() {
        let cases = [
            (
                "{{ .r }} {{ typeOf .r }}",
                "\u{FFFD}\u{FFFD}\u{FFFD}a string",
            ),
            (
                "{{ len .r }} {{ b64enc .r }} {{ b32enc .r }} {{ adler32sum .r }}",
                "4 8J+YYQ== 6CPZQYI= 120717961",
            ),
            (
                "{{ sha1sum .r }} {{ sha256sum .r | trunc 16 }} {{ sha512sum .r | trunc 16 }}",
                "628ffbe830ebb4ffa8e65b87ef9abc8d50ef0700 0851816a28324aa9 1d467cb75efa693c",
            ),
            (
                r#"{{ "8J+YYQ==" | b64dec | b64enc }} {{ "74PZRYI=" | b32dec | b64enc }}"#,
                "8J+YYQ== /x+Y4Q==",
            ),
            (
                r#"{{ eq .r .r }} {{ eq .r "abc" }} {{ lt .r "z" }} {{ lt "é" .r }} {{ deepEqual .r .r }}"#,
                "true false false true true",
            ),
            (
                r#"{{ trunc 2 .r | len }} {{ trunc -2 .r | b64enc }} {{ substr 1 3 .r | b64enc }} {{ "héllo" | trunc 2 }}"#,
                "2 mGE= n5g= h\u{FFFD}",
            ),
            (
                r#"{{ printf "%s" .r | len }} {{ print .r "x" | b64enc }} {{ printf "%q %x" .r .r }}"#,
                r#"4 8J+YYXg= "\xf0\x9f\x98a" f09f9861"#,
            ),
            (
                "{{ toJson .r }} {{ quote .r }} {{ toString .b | len }} {{ quote .b }} {{ index .r 0 }}",
                r#""\ufffd\ufffd\ufffda" "\xf0\x9f\x98a" 1 "\xff" 240"#,
            ),
            // Functions that read text get it with each invalid byte replaced.
            (
                "{{ upper .r }} {{ upper .r | len }}",
                "\u{FFFD}\u{FFFD}\u{FFFD}A 10",
            ),
            (
                r#"{{ .Files.Get "bin" | b64enc }} {{ range .Files.Lines "bin" }}{{ len . }}{{ end }}"#,
                "/wp6gAo= 12",
            ),
            (
                "{{ urlquery .r }} {{ html .r | len }} {{ js .r | len }}",
                "%F0%9F%98a 4 4",
            ),
        ];
        for (src, want) in cases {
            assert_eq!(render_bytes(src), want, "{src}");
        }
    }

    /// Renders `src` (one template, `t`) with every function and budgets of `steps` steps and
    /// `memory` bytes.
    fn render_budgeted(src: &str, steps: u64, memory: u64) -> Result<String, String> {
        let mut e = Engine::new();
        super::register(&mut e);
        e.limits.max_steps = steps;
        e.limits.max_memory = memory;
        e.add_template("t", src).map_err(|e| e.to_string())?;
        e.execute("t", Value::Nil).map_err(|e| e.to_string())
    }

    /// The error of rendering `src` with budgets of `steps` steps and `memory` bytes.
    fn budget_error(src: &str, steps: u64, memory: u64) -> String {
        match render_budgeted(src, steps, memory) {
            Ok(out) => panic!("{src}: rendered {} bytes", out.len()),
            Err(e) => e,
        }
    }

    /// `{{ $d := … }}` with `levels` levels of a dict holding the one below twice.
    fn shared_children(levels: usize) -> String {
        let mut src = String::from(r#"{{ $d := dict "k" "leaf" }}"#);
        for _ in 0..levels {
            src.push_str(r#"{{ $d = dict "a" $d "b" $d }}"#);
        }
        src
    }

    #[test]
    fn functions_check_the_budget_before_building() {
        const MEMORY: u64 = 8 << 20;
        let cases = [
            (r#"{{ repeat 1000000000 "x" }}"#, "repeat"),
            (r#"{{ repeat 9223372036854775807 "xx" }}"#, "repeat"),
            ("{{ until 1000000000 }}", "until"),
            ("{{ untilStep 0 10000000000 1 }}", "untilStep"),
            ("{{ seq 1000000000 }}", "seq"),
            ("{{ randAlphaNum 1000000000 }}", "randAlphaNum"),
            ("{{ randAscii 1000000000 }}", "randAscii"),
            ("{{ randNumeric 1000000000 }}", "randNumeric"),
            ("{{ randBytes 1000000000 }}", "randBytes"),
            (r#"{{ indent 1000000000 "a" }}"#, "indent"),
            (r#"{{ nindent 1000000000 "a" }}"#, "nindent"),
            (
                r#"{{ $s := repeat 1000000 "a" }}{{ replace "" "0123456789" $s }}"#,
                "replace",
            ),
            (
                r#"{{ $l := list 1 }}{{ range 64 }}{{ $l = concat $l $l }}{{ end }}"#,
                "concat",
            ),
            (
                r#"{{ $s := "ab" }}{{ range 64 }}{{ $s = cat $s $s }}{{ end }}"#,
                "cat",
            ),
            ("{{ until 100000 | uniq }}", "uniq"),
            ("{{ until 200000 | sortAlpha }}", "sortAlpha"),
            (
                r#"{{ range 10 }}{{ genPrivateKey "rsa" }}{{ end }}"#,
                "genPrivateKey",
            ),
            (r#"{{ range 10 }}{{ genCA "x" 1 }}{{ end }}"#, "genCA"),
        ];
        for (src, func) in cases {
            let err = budget_error(src, 3_000_000, MEMORY);
            assert!(err.starts_with("template: t:1:"), "{src}: {err}");
            assert!(
                err.contains(&format!("error calling {func}: ")),
                "{src}: {err}"
            );
            assert!(
                err.contains("budget") || err.contains("overflow"),
                "{src}: {err}"
            );
        }
    }

    #[test]
    fn walks_over_shared_children_are_bounded() {
        for func in [
            "toJson",
            "toYaml",
            "toToml",
            "deepCopy",
            "toPrettyJson",
            "print",
        ] {
            let src = format!("{}{{{{ {func} $d }}}}", shared_children(60));
            let err = budget_error(&src, 1_000_000, 1 << 24);
            assert!(
                err.contains(&format!("error calling {func}: ")),
                "{func}: {err}"
            );
            assert!(err.contains("budget"), "{func}: {err}");
        }
        // Two graphs built apart: a value is equal to itself without a look inside.
        let twin = shared_children(60).replace("$d", "$e");
        let src = format!("{}{twin}{{{{ deepEqual $d $e }}}}", shared_children(60));
        let err = budget_error(&src, 1_000_000, 1 << 24);
        assert!(
            err.contains("error calling deepEqual: template work budget"),
            "{err}"
        );
    }

    #[test]
    fn budgets_leave_ordinary_templates_alone() {
        let src = r#"{{ repeat 3 "ab" }} {{ until 3 }} {{ seq 3 }} {{ indent 2 "a\nb" | quote }} {{ replace "" "-" "abc" }} {{ list 3 1 2 | sortAlpha }} {{ list 1 1 2 | uniq }} {{ untilStep 0 10 4 }} {{ untilStep 1 9223372036854775807 9223372036854775807 }} {{ toJson (dict "a" (list 1 2)) }}"#;
        assert_eq!(
            render_budgeted(src, 10_000, 1 << 16).unwrap(),
            r#"ababab [0 1 2] 1 2 3 "  a\n  b" -a-b-c- [1 2 3] [1 2] [0 4 8] [1] {"a":[1,2]}"#
        );
    }

    // Expected values are Helm's (the oracle).
    #[test]
    fn date_aliases_and_must_date_modify() {
        let src = r#"{{ date_in_zone "2006-01-02 15:04 MST" 0 "UTC" }}|{{ date_in_zone "2006-01-02T15:04:05Z07:00" 1700000000 "America/New_York" }}|{{ $d := toDate "2006-01-02" "2024-01-15" }}{{ date_modify "1h30m" $d | date "2006-01-02 15:04" }}|{{ date_modify "-24h" $d | date "2006-01-02 15:04" }}|{{ mustDateModify "2h" $d | date "2006-01-02 15:04" }}"#;
        assert_eq!(
            render_budgeted(src, 10_000, 1 << 16).unwrap(),
            "1970-01-01 00:00 UTC|2023-11-14T17:13:20-05:00|2024-01-15 01:30|2024-01-14 00:00|2024-01-15 02:00"
        );
        let err = budget_error(
            r#"{{ mustDateModify "bogus" (toDate "2006-01-02" "2024-01-15") }}"#,
            10_000,
            1 << 16,
        );
        assert!(
            err.ends_with(r#"error calling mustDateModify: time: invalid duration "bogus""#),
            "{err}"
        );
    }
}
