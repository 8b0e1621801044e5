//! Hostile templates, each rendered by the binary under an address-space limit and a wall
//! limit: a template that asks for unbounded memory or work ends with exit 2 and a message
//! naming the template file and line, never a signal, a panic or a hang. One test per cause of
//! the template engine's (see README "Limits"); `tests/hostile.rs` covers the other inputs.

use std::path::Path;
use std::process::Command;

/// Address space the binary may use (KiB, `ulimit -v`).
const ADDRESS_SPACE_KIB: u64 = 4_000_000;
/// Wall seconds one run may take (`timeout`); generous for debug builds on a shared machine.
const WALL_SECONDS: u64 = 120;
/// A work budget far below the default for the tests about work: what matters is that the
/// budget is enforced, and a debug build on a loaded machine walks as few as 100,000 `include`
/// steps a second (10 million steps took the fan-out test past its wall limit).
const STEPS: &str = "--render-steps=1000000";

/// Renders a chart whose `templates/t.yaml` is `template` (after two plain lines, so the
/// hostile action sits on line 3) with the default budgets plus `flags`; returns stderr once
/// the run ended with exit 2.
fn render_fails(template: &str, values: &str, flags: &[&str]) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let chart = dir.path().join("c");
    write(
        &chart,
        "Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 1.0.0\n",
    );
    write(&chart, "values.yaml", values);
    write(
        &chart,
        "templates/t.yaml",
        &format!("kind: ConfigMap\nmetadata: {{name: x}}\n{template}\n"),
    );
    let script =
        format!("ulimit -v {ADDRESS_SPACE_KIB}; exec timeout {WALL_SECONDS} \"$0\" \"$@\"");
    let out = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(env!("CARGO_BIN_EXE_rollguard"))
        .arg("render")
        .arg(&chart)
        .args(flags)
        .env("NO_COLOR", "1")
        .output()
        .expect("sh runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    // The message as one line: the report wraps long lines behind a `│` margin.
    let flat = stderr
        .replace('│', " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert_ne!(out.status.code(), Some(124), "timed out: {template}");
    assert!(!flat.contains("panicked"), "panic: {template}\n{stderr}");
    assert_eq!(out.status.code(), Some(2), "{template}\n{stderr}");
    assert!(
        flat.len() < 2000,
        "the error stays small: {} bytes",
        flat.len()
    );
    flat
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// The run failed at line 3 of the template, for the named reason.
fn at_line_3(flat: &str, reason: &str) {
    assert!(
        flat.contains("c/templates/t.yaml:3:"),
        "no template line: {flat}"
    );
    assert!(flat.contains(reason), "not {reason:?}: {flat}");
}

const MEMORY: &str = "template memory budget of 536870912 bytes spent";
const WORK: &str = "template work budget of 1000000 steps spent";

/// `{{ $d := … }}` with 64 levels of a dict holding the one below twice: small to hold,
/// 2^64 nodes to walk.
fn shared_children() -> String {
    let mut src = String::from(r#"{{- $d := dict "k" "leaf" }}"#);
    for _ in 0..64 {
        src.push_str(r#"{{- $d = dict "a" $d "b" $d }}"#);
    }
    src
}

#[test]
fn functions_that_allocate_check_the_budget_first() {
    for (template, func) in [
        (r#"{{ repeat 2000000000 "ab" }}"#, "repeat"),
        ("{{ until 1000000000 }}", "until"),
        ("{{ untilStep 0 1000000000 1 }}", "untilStep"),
        ("{{ seq 1000000000 }}", "seq"),
        ("{{ randAlphaNum 2000000000 }}", "randAlphaNum"),
        ("{{ randBytes 2000000000 }}", "randBytes"),
        (r#"{{ indent 2000000000 "a" }}"#, "indent"),
        (r#"{{ nindent 2000000000 "a" }}"#, "nindent"),
        (
            r#"{{ replace "" "0123456789abcdef" (repeat 40000000 "a") }}"#,
            "replace",
        ),
    ] {
        let flat = render_fails(template, "", &[]);
        // A list costs a step per item too: either budget may run out first.
        at_line_3(&flat, &format!("error calling {func}: template "));
        assert!(
            flat.contains(MEMORY) || flat.contains("work budget"),
            "{flat}"
        );
    }
}

#[test]
fn repeat_with_an_overflowing_count_is_an_error() {
    let flat = render_fails(r#"{{ repeat 9223372036854775807 "ab" }}"#, "", &[]);
    at_line_3(&flat, "strings: Repeat output length overflow");
}

#[test]
fn strings_and_lists_doubled_through_variables_are_bounded() {
    let strings = r#"{{ $s := "0123456789" }}{{ range 64 }}{{ $s = print $s $s }}{{ end }}"#;
    at_line_3(&render_fails(strings, "", &[]), MEMORY);
    let lists = r#"{{ $l := list 1 2 }}{{ range 64 }}{{ $l = concat $l $l }}{{ end }}"#;
    at_line_3(&render_fails(lists, "", &[]), MEMORY);
}

#[test]
fn encoding_a_dict_with_shared_children_is_bounded() {
    for func in ["toJson", "toYaml", "toToml"] {
        let template = format!("{}{{{{ {func} $d }}}}", shared_children());
        let flat = render_fails(&template, "", &[STEPS]);
        at_line_3(&flat, &format!("error calling {func}: {WORK}"));
    }
}

#[test]
fn tpl_recursing_through_values_is_capped() {
    let flat = render_fails("{{ tpl .Values.v . }}", "v: '{{ tpl .Values.v . }}'\n", &[]);
    // Named where the chart's template calls `tpl`, not inside the text it runs.
    at_line_3(
        &flat,
        "error calling tpl: tpl nested deeper than 1000 levels",
    );
}

#[test]
fn template_fan_out_is_bounded_by_steps() {
    // 2^40 calls of `l0`.
    let mut template = String::new();
    for i in 0..40 {
        template.push_str(&format!(
            "{{{{- define \"l{}\" }}}}{{{{ include \"l{i}\" . }}}}{{{{ include \"l{i}\" . }}}}{{{{ end }}}}",
            i + 1
        ));
    }
    template.push_str(r#"{{- define "l0" }}x{{ end }}{{ include "l40" . }}"#);
    at_line_3(&render_fails(&template, "", &[STEPS]), WORK);
}

#[test]
fn nested_ranges_are_bounded_by_steps() {
    let template =
        "{{ range 100000 }}{{ range 100000 }}{{ range 100000 }}{{ end }}{{ end }}{{ end }}";
    at_line_3(&render_fails(template, "", &[STEPS]), WORK);
}

#[test]
fn sorting_and_deduplicating_huge_lists_is_bounded() {
    for func in ["uniq", "sortAlpha"] {
        let template = format!("{{{{ until 500000 | {func} }}}}");
        let flat = render_fails(&template, "", &[STEPS]);
        at_line_3(&flat, &format!("error calling {func}: {WORK}"));
    }
}

#[test]
fn generating_many_keys_is_bounded_by_steps() {
    let template = r#"{{ range 100 }}{{ genPrivateKey "rsa" }}{{ end }}"#;
    at_line_3(
        &render_fails(template, "", &[STEPS]),
        &format!("error calling genPrivateKey: {WORK}"),
    );
}

#[test]
fn a_render_past_its_timeout_stops() {
    let template =
        "{{ range 100000 }}{{ range 100000 }}{{ range 100000 }}{{ end }}{{ end }}{{ end }}";
    let flat = render_fails(
        template,
        "",
        &["--render-timeout=1", "--render-steps=1000000000000"],
    );
    at_line_3(&flat, "render timeout of 1 s spent");
}

#[test]
fn json_nested_ten_million_deep_is_refused_not_recursed() {
    // Found by fuzzing: wording the syntax error recursed once per `[` and overflowed the
    // render stack (SIGSEGV). `fromJson` returns the error as `.Error`, as Helm's does.
    let template = r#"{{ fail (fromJson (repeat 10000000 "[")).Error }}"#;
    let flat = render_fails(template, "", &[]);
    // The report may wrap this message inside the path: `fail`'s line is all that is checked.
    assert!(flat.contains("t.yaml:3:3"), "no template line: {flat}");
    assert!(flat.contains("exceeded max depth"), "{flat}");
}
