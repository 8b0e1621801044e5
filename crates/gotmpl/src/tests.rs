use super::*;

fn run(src: &str, dot: Value) -> Result<String, String> {
    let mut e = Engine::new();
    e.add_template("t", src).map_err(|e| e.to_string())?;
    e.execute("t", dot).map_err(|e| e.to_string())
}

fn map(entries: &[(&str, Value)]) -> Value {
    Value::map(
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect(),
    )
}

#[test]
fn variables_and_scopes() {
    let out = run(
        r#"{{- $x := "a" }}{{ if true }}{{ $x = "b" }}{{ $y := 1 }}{{ end }}{{ $x }}"#,
        Value::Nil,
    );
    assert_eq!(out.unwrap(), "b");
}

#[test]
fn range_forms() {
    let dot = map(&[("l", Value::list(vec!["a".into(), "b".into()]))]);
    assert_eq!(
        run(
            "{{ range $i, $v := .l }}{{ $i }}{{ $v }}{{ end }}",
            dot.clone()
        )
        .unwrap(),
        "0a1b"
    );
    assert_eq!(
        run("{{ range 3 }}{{ . }}{{ end }}", Value::Nil).unwrap(),
        "012"
    );
    assert_eq!(
        run(
            "{{ range .l }}{{ if eq . \"b\" }}{{ break }}{{ end }}{{ . }}{{ end }}",
            dot
        )
        .unwrap(),
        "a"
    );
}

#[test]
fn missing_keys_and_nil_pointers() {
    let dot = map(&[("m", map(&[]))]);
    assert_eq!(run("[{{ .m.x }}]", dot.clone()).unwrap(), "[<no value>]");
    let err = run("{{ .m.x.y }}", dot).unwrap_err();
    assert_eq!(
        err,
        "template: t:1:5: executing \"t\" at <.m.x.y>: nil pointer evaluating interface {}.y"
    );
}

#[test]
fn and_or_short_circuit() {
    assert_eq!(run("{{ and 0 (index nil 1) }}", Value::Nil).unwrap(), "0");
    assert_eq!(run("{{ or 0 \"\" \"z\" }}", Value::Nil).unwrap(), "z");
}

#[test]
fn registered_functions_get_typed_args() {
    let mut e = Engine::new();
    e.register(
        "twice",
        Func::new(&[Param::Int], None, |_, a| match a[0] {
            Value::Int(n, _) => Ok(Value::int(n * 2)),
            _ => Err("not an int".into()),
        }),
    );
    e.add_template("t", "{{ twice 4 }}|{{ 5 | twice }}")
        .unwrap();
    assert_eq!(e.execute("t", Value::Nil).unwrap(), "8|10");
    e.add_template("u", "{{ twice \"x\" }}").unwrap();
    let err = e.execute("u", Value::Nil).unwrap_err().to_string();
    assert!(err.ends_with("expected integer; found \"x\""), "{err}");
}

#[test]
fn recorded_functions_report_the_call_sites_that_ran() {
    let mut e = Engine::new();
    e.register(
        "probe",
        Func::new(&[], None, |_, _| Ok(Value::Nil)).recorded(),
    );
    let src =
        "{{/* probe */}}{{ if false }}{{ probe }}{{ end }}\n{{ range 3 }} {{ probe }}{{ end }}";
    e.add_template("t", src).unwrap();
    let shared = Shared::new(&e.limits);
    e.execute_shared(&shared, "t", Value::Nil).unwrap();
    let calls = shared.take_calls();
    // The comment and the branch that does not run are not calls; the loop's call is one site.
    let offset = src.rfind("probe").unwrap();
    assert_eq!(
        calls,
        [Call {
            func: "probe".into(),
            file: "t".into(),
            offset,
            line: 2,
            column: 18,
        }]
    );
    assert_eq!(shared.take_calls(), []);
}

#[test]
fn defines_are_global_and_last_wins() {
    let mut e = Engine::new();
    e.add_template("a", r#"{{ define "x" }}A{{ end }}"#)
        .unwrap();
    e.add_template("b", r#"{{ define "x" }}B{{ end }}{{ template "x" }}"#)
        .unwrap();
    e.add_template("c", r#"{{ define "x" }}  {{ end }}"#)
        .unwrap();
    assert_eq!(e.execute("b", Value::Nil).unwrap(), "B");
}

#[test]
fn recursion_is_bounded() {
    let mut e = Engine::new();
    e.limits.max_depth = 50;
    e.add_template(
        "t",
        r#"{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" }}"#,
    )
    .unwrap();
    let err = e.execute("t", Value::Nil).unwrap_err().to_string();
    assert!(
        err.contains("exceeded maximum template depth (50)"),
        "{err}"
    );
}

#[test]
fn output_is_bounded() {
    let mut e = Engine::new();
    e.limits.max_output = 100;
    e.add_template("t", "{{ range 1000 }}xx{{ end }}").unwrap();
    let err = e.execute("t", Value::Nil).unwrap_err().to_string();
    assert!(err.contains("exceeds the limit of 100 bytes"), "{err}");
}

#[test]
fn deepest_allowed_nesting_executes() {
    let parens = format!("{{{{ {}1{} }}}}", "(".repeat(99), ")".repeat(99));
    assert_eq!(run(&parens, Value::Nil).unwrap(), "1");
    let ifs = format!("{}x{}", "{{ if 1 }}".repeat(99), "{{ end }}".repeat(99));
    assert_eq!(run(&ifs, Value::Nil).unwrap(), "x");
}

/// Runs `src` with small budgets (`steps`, `memory` bytes).
fn run_budgeted(src: &str, steps: u64, memory: u64) -> Result<String, String> {
    let mut e = Engine::new();
    e.limits.max_steps = steps;
    e.limits.max_memory = memory;
    e.add_template("t", src).map_err(|e| e.to_string())?;
    e.execute("t", Value::Nil).map_err(|e| e.to_string())
}

#[test]
fn work_is_bounded_by_steps() {
    // 2^40 template calls: a step budget stops them, naming the template and line.
    let fan = "{{ define \"a\" }}{{ template \"b\" }}{{ template \"b\" }}{{ end }}\
               {{ define \"b\" }}{{ template \"c\" }}{{ template \"c\" }}{{ end }}\
               {{ define \"c\" }}{{ range 1000000 }}{{ range 1000000 }}x{{ end }}{{ end }}{{ end }}\n\
               {{ template \"a\" }}";
    let err = run_budgeted(fan, 100_000, 1 << 30).unwrap_err();
    assert!(err.starts_with("template: t:1:"), "{err}");
    assert!(err.contains("work budget of 100000 steps spent"), "{err}");
    assert!(err.len() < 300, "the error stays small: {err}");
    assert_eq!(
        run_budgeted("{{ range 10 }}x{{ end }}", 100, 1 << 20).unwrap(),
        "xxxxxxxxxx"
    );
}

#[test]
fn memory_is_bounded_while_values_grow() {
    // A string doubled through a variable: each `print` result is charged.
    let doubling =
        "{{ $s := \"0123456789\" }}\n{{ range 60 }}{{ $s = print $s $s }}{{ end }}{{ len $s }}";
    let err = run_budgeted(doubling, 1_000_000, 1 << 20).unwrap_err();
    assert!(err.starts_with("template: t:2:"), "{err}");
    assert!(
        err.contains("error calling print: template memory budget of 1048576 bytes spent"),
        "{err}"
    );
    // Output counts too.
    let err =
        run_budgeted("{{ range 100000 }}0123456789{{ end }}", 1_000_000, 100_000).unwrap_err();
    assert!(err.contains("memory budget of 100000 bytes spent"), "{err}");
}

#[test]
fn printing_a_value_with_shared_children_is_bounded() {
    // Maps come from the host; build one whose 64 levels each hold the next twice.
    let mut v = Value::str("leaf");
    for _ in 0..64 {
        v = map(&[("a", v.clone()), ("b", v)]);
    }
    let mut e = Engine::new();
    e.limits.max_steps = 1_000_000;
    e.add_template("t", "{{ print . }}").unwrap();
    let err = e.execute("t", v.clone()).unwrap_err().to_string();
    assert!(
        err.contains("error calling print: template work budget"),
        "{err}"
    );
    e.add_template("u", "{{ . }}").unwrap();
    let err = e.execute("u", v).unwrap_err().to_string();
    assert!(
        err.contains("template: u:1:3: executing \"u\" at <.>: template work budget"),
        "{err}"
    );
}
