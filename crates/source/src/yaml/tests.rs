use super::scalar::{Resolved, resolve_plain};
use super::*;

fn parse(text: &str) -> Node {
    parse_single(text, Origin::default())
        .expect("test YAML parses")
        .expect("one document")
}

#[test]
fn keeps_lines_and_columns_of_keys_and_values() {
    let doc = parse("kind: Pod\nmetadata:\n  name: web\n  labels:\n    app: x\n");
    let (key, value) = doc.path(&["metadata"]).unwrap().entry("name").unwrap();
    assert_eq!((key.span.line, key.span.col), (3, 3));
    assert_eq!((value.span.line, value.span.col), (3, 9));
    assert_eq!(value.as_str(), Some("web"));
}

#[test]
fn byte_offsets_survive_multibyte_text() {
    let text = "a: \"héllo\"\nb: ü\n";
    let doc = parse(text);
    let b = doc.get("b").unwrap();
    assert_eq!(&text[b.span.start..b.span.end], "ü");
    assert_eq!(b.span.line, 2);
}

#[test]
fn origin_shifts_positions_into_the_file() {
    let doc = parse_single(
        "x: 1\n",
        Origin {
            offset: 100,
            line: 9,
        },
    )
    .unwrap()
    .unwrap();
    let x = doc.get("x").unwrap();
    assert_eq!((x.span.start, x.span.line), (103, 10));
}

#[test]
fn yaml_1_1_scalars() {
    assert_eq!(resolve_plain("yes"), Resolved::Bool(true));
    assert_eq!(resolve_plain("Off"), Resolved::Bool(false));
    assert_eq!(resolve_plain("0755"), Resolved::Int(493));
    assert_eq!(resolve_plain("0x1F"), Resolved::Int(31));
    assert_eq!(resolve_plain("1_000"), Resolved::Int(1000));
    assert_eq!(resolve_plain("-12"), Resolved::Int(-12));
    assert_eq!(resolve_plain("1.5e3"), Resolved::Float(1500.0));
    assert_eq!(resolve_plain(".5"), Resolved::Float(0.5));
    assert_eq!(resolve_plain("~"), Resolved::Null);
    assert_eq!(resolve_plain("1.2.3"), Resolved::Str("1.2.3".into()));
    // go-yaml v2: not a valid octal, but its float pattern matches.
    assert_eq!(resolve_plain("089"), Resolved::Float(89.0));
    assert_eq!(resolve_plain("."), Resolved::Str(".".into()));
}

#[test]
fn quoted_scalars_stay_strings() {
    let doc = parse("a: \"10\"\nb: 10\nc: !!str 10\n");
    assert_eq!(doc.get("a").unwrap().as_i64(), None);
    assert_eq!(doc.get("b").unwrap().as_i64(), Some(10));
    assert_eq!(doc.get("c").unwrap().as_i64(), None);
}

#[test]
fn aliases_and_merge_keys_expand() {
    let doc = parse("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  y: 3\n");
    let used = doc.get("use").unwrap();
    assert_eq!(used.get("x").unwrap().as_i64(), Some(1));
    assert_eq!(used.get("y").unwrap().as_i64(), Some(3));
}

#[test]
fn syntax_errors_carry_positions() {
    let err = parse_single("a: b\n  c: d\n", Origin::default()).unwrap_err();
    assert_eq!(err.span.line, 2);
}

#[test]
fn billion_laughs_is_refused() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let prev = format!("*a{}", i - 1);
        text.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
    }
    assert!(parse_single(&text, Origin::default()).is_err());
}

#[test]
fn empty_documents_are_skipped() {
    assert!(
        parse_documents("---\n---\n# only a comment\n", Origin::default())
            .unwrap()
            .is_empty()
    );
}

#[test]
fn flow_continuations_at_key_indentation_parse_with_original_positions() {
    // go-yaml accepts this (real charts render it); positions stay those of the original text.
    let text = "spec:\n  command: [ \"/bin/sh\",\n  \"-ce\" ]\n  other: x\n";
    let doc = parse(text);
    let command = doc.path(&["spec", "command"]).unwrap().as_seq().unwrap();
    let ce = &command[1];
    assert_eq!(ce.as_str(), Some("-ce"));
    assert_eq!((ce.span.line, ce.span.col), (3, 3));
    assert_eq!(text[ce.span.start..ce.span.end].trim_end(), "\"-ce\"");
    assert_eq!(doc.path(&["spec", "other"]).unwrap().as_str(), Some("x"));
}

#[test]
fn steps_are_the_documents_without_nodes() {
    let mut steps = Vec::new();
    let read = read_steps("a:\n- 'x'\n---\nb: {}\n", |step| {
        steps.push(step);
        true
    });
    assert_eq!(read, Some(()));
    let scalar = |text: &'static str, style| Step::Scalar(text.into(), style);
    assert_eq!(
        steps,
        [
            Step::MapStart,
            scalar("a", Style::Plain),
            Step::SeqStart,
            scalar("x", Style::SingleQuoted),
            Step::End,
            Step::End,
            Step::MapStart,
            scalar("b", Style::Plain),
            Step::MapStart,
            Step::End,
            Step::End,
        ]
    );
    // An anchor is left to the parser, as is a sink's refusal.
    assert_eq!(read_steps("a: &x 1\n", |_| true), None);
    assert_eq!(read_steps("a: 1\n", |_| false), None);
}
