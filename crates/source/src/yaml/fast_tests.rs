//! The fast reader against saphyr: wherever it takes a text, the nodes and every position are
//! the ones saphyr's events give.

use std::path::{Path, PathBuf};

use super::both_readings;

/// Asserts that the fast reading of `text`, if any, is saphyr's; returns whether there was one.
fn agrees(text: &str, name: &str) -> bool {
    let (fast, slow) = both_readings(text);
    let Some(fast) = fast else { return false };
    match slow {
        Ok(slow) => assert!(
            fast == slow,
            "{name}: fast reading differs: {}",
            first_difference(&fast, &slow)
        ),
        Err(e) => panic!("{name}: taken by the fast reader, refused by saphyr: {e}\n{text}"),
    }
    true
}

fn first_difference(fast: &[super::Node], slow: &[super::Node]) -> String {
    let (f, s) = (format!("{fast:#?}"), format!("{slow:#?}"));
    let (f, s): (Vec<&str>, Vec<&str>) = (f.lines().collect(), s.lines().collect());
    let at = f
        .iter()
        .zip(&s)
        .position(|(a, b)| a != b)
        .unwrap_or(f.len().min(s.len()));
    let from = at.saturating_sub(12);
    format!(
        "fast:\n{}\nsaphyr:\n{}",
        f[from..(at + 3).min(f.len())].join("\n"),
        s[from..(at + 3).min(s.len())].join("\n")
    )
}

const TAKEN: &[&str] = &[
    "a: 1\n",
    "a: b\nc: d\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  labels:\n    app: y\ndata:\n  k: v\n",
    "a:\n  b: 1\nc: 2\n",
    "a:\n  b:\n    c: 1\nd: 2\n",
    "a:\n- x\n- y\nb: 1\n",
    "a:\n  - x\n  - y\nb: 1\n",
    "a:\n- x\n",
    "- a\n- b\n",
    "- a: 1\n  b: 2\n- c: 3\n",
    "- a:\n  - x\n- b\n",
    "- a:\n    - x\n  c: 2\n",
    "-\n  a: 1\n- \n- # c\n-\n",
    "a:\nb:\n",
    "a:   \nb: # c\n  c: 1\n",
    "a: b # comment\nc: d#e\n",
    "a: 'x'\nb: \"y\"\nc: 'it''s'\nd: ''\ne: \"\"\n",
    "a: {}\nb: []\nc: {}  # c\nd: []   \n",
    "a: http://x:80/y\nb: a:b\nc: x - y\n",
    "a: |\n  line1\n  line2\nb: 1\n",
    "a: |-\n  line1\n\n  line3\n\nb: 1\n",
    "a: |+\n  x\n\n\nb: 1\n",
    "a: |\n    x\n      y\n  # comment\nz: 1\n",
    "a:\n  b: |\n    x\n   \n      \n    y\n  c: 1\n",
    "a: |\n  x\n",
    "a: |+\n  x\n\n",
    "- |\n  x\n- y\n",
    "---\na: 1\n---\nb: 2\n",
    "# c\n---\n# Source: x\na:\n  b: 1\n---\n---\n- x\n",
    "a:\n  b: 1\n---\nc: 2\n",
    "---   \na: 1\n",
    "a: -1\nb: -x\nc: ?x\nd: :x\n",
    "a b: c d\n",
    "<<: x\n",
    "a:\n\n  b: 1\n\n\nc: 2\n",
    "a: 1\n  # indented comment\nb: 2\n",
    "",
    "# only\n",
    "\"a\": 1\n'b c': 2\n\"d\":\n  e: 1\n",
    "- 'a': 1\n  \"b\": x\n",
    "a:\n  {}\nb:\n  []\nc:\n    null\nd:\n  'x'\n",
    "a: b\n  c\n\n  d\ne: 1\n",
    "- a\n  b\n- c\n",
    "a: [x, \"y\", 'z']\nb: [ x ]  # c\nc: [\"\"]\nd: [ ]\ne: [a b, c]\n",
    "a: |\n\n  x\n",
    "a: |\n  \n    x\n    y\nb: |-\n  \n\n  z\n   \n",
    "a: |\n  x\ty\n  \u{e9}\n",
    "# h\u{e9}\na: 1\n",
    "a: >\n  x\n  y\n\n  z\n   w\n  v\nb: >-\n  p\n\n\n  q\nc: >+\n  r\n\n",
    "a: |\n\n\n",
    "a: |-\n\nb: >\n---\nc: |+\n\n\nd: 1\n",
    "- |\n- >-\n  x\n",
    "a: 'x\n  y'\nb: \"p\n\n   q  \n  r\"\nc: 'it''s\n  o''k'  # c\n",
    "- 'a\n  b'\n- c\n",
    "a: [--force, -x, a-b]\n",
    "a: {k: v, l: [x, 'y'], m: {n: o p}}  # c\nb: { fieldRef: { fieldPath: status.podIP } }\nc:\n- {a: [ ], b: {}}\n- [[a], {b: c}]\n",
];

const DECLINED: &[&str] = &[
    "a: 1",
    "a: |+\n\n\n",
    "a: |\n    x\n  # comment\n  z: 1\n",
    "a: b: c\n",
    "a: &x 1\nb: *x\n",
    "a: !!str 1\n",
    "a: [1, 2,]\n",
    "a: [a: 1]\n",
    "a: [-]\n",
    "a: [- x]\n",
    "a: [1,\n  2]\n",
    "a: b # c\n  d\n",
    "a: {b: 1,}\n",
    "a: {\"b\": 1}\n",
    "a: {b:1}\n",
    "a: {b: }\n",
    "a: {b: 1\n  c: 2}\n",
    "a: |2\n  x\n",
    "a: |\n    \n  x\n",
    "a: \"x\" : 1\n",
    "a : 1\n",
    "a: \"x\\ny\"\n",
    "\ta: 1\n",
    "a: é\n",
    "a: |\n  x\n\tb: 1\n",
    "a: 1\r\n",
    "- - a\n",
    "x\n",
    "  a: 1\n",
    "a: 1\n- b\n",
    "a:\n  - x\n  b: 1\n",
    "a: 1\n...\n",
    "%YAML 1.2\n---\na: 1\n",
    "--- a: 1\n",
    "a: - x\n",
    "? a\n: b\n",
    "a: 'x' y\n",
    "a: {}#c\n",
];

#[test]
fn the_fast_reader_agrees_with_saphyr_on_what_it_takes() {
    for text in TAKEN {
        assert!(agrees(text, "snippet"), "declined:\n{text}");
    }
    for text in DECLINED {
        assert!(!agrees(text, "snippet"), "taken:\n{text}");
    }
}

fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            yaml_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
            out.push(path);
        }
    }
}

/// Every YAML file of the shared corpus (values, Chart.yaml, CRDs, templates that happen to
/// be YAML), and those under `ROLLGUARD_YAML_DIR` when set (rendered streams, for instance).
#[test]
fn the_fast_reader_agrees_with_saphyr_on_the_corpus() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    let mut files = Vec::new();
    yaml_files(&shared, &mut files);
    if let Some(dir) = std::env::var_os("ROLLGUARD_YAML_DIR") {
        yaml_files(Path::new(&dir), &mut files);
    }
    if files.is_empty() {
        eprintln!("skipped: no shared/corpus beside the repository");
        return;
    }
    let (mut taken, mut bytes, mut all) = (0, 0, 0);
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        all += text.len();
        if agrees(&text, &path.display().to_string()) {
            taken += 1;
            bytes += text.len();
        }
    }
    eprintln!(
        "fast reader took {taken} of {} files, {bytes} of {all} bytes",
        files.len()
    );
}

#[test]
fn deep_nesting_is_left_to_saphyr() {
    let flow = format!("a: {}{}\n", "[".repeat(5000), "]".repeat(5000));
    assert!(!agrees(&flow, "flow"));
    let block: String = (0..5000)
        .map(|i| format!("{}k:\n", " ".repeat(i)))
        .collect();
    assert!(super::fast::read(&block, |_, _| true).is_none());
}

/// saphyr refuses a block mapping key of more than 1024 characters, quoted or not; one on a
/// flow mapping's line it takes.
#[test]
fn long_keys_are_left_to_saphyr() {
    let long = "k".repeat(1100);
    for key in [long.clone(), format!("'{long}'"), format!("\"{long}\"")] {
        for text in [format!("{key}: 1\n"), format!("- a: 1\n  {key}: 1\n")] {
            assert!(both_readings(&text).1.is_err(), "{text}");
            assert!(!agrees(&text, "long key"), "taken: {text}");
        }
    }
    assert!(agrees(&format!("a: {{{long}: b}}\n"), "long flow key"));
}

/// Small edits of the snippets (a character inserted or removed, a line indented one more or
/// one less): wherever the fast reader takes the result, saphyr reads it the same way.
#[test]
fn the_fast_reader_agrees_with_saphyr_on_edited_snippets() {
    const INSERTED: &[u8] = b" :-#'\"[]{},|>\n\tax&*!?";
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = |n: usize| {
        seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (seed >> 33) as usize % n.max(1)
    };
    let mut texts: Vec<String> = TAKEN
        .iter()
        .filter(|t| !t.is_empty())
        .map(|t| t.to_string())
        .collect();
    // More texts to edit, for a longer search (with `ROLLGUARD_EDITS`).
    if let Some(dir) = std::env::var_os("ROLLGUARD_EDIT_DIR") {
        let mut files = Vec::new();
        yaml_files(Path::new(&dir), &mut files);
        texts.extend(
            files
                .iter()
                .filter_map(|f| std::fs::read_to_string(f).ok())
                .filter(|t| !t.is_empty() && t.len() < 4000),
        );
    }
    let mut taken = 0;
    for text in &texts {
        let edits = std::env::var("ROLLGUARD_EDITS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(300);
        for _ in 0..edits {
            let mut bytes = text.as_bytes().to_vec();
            for _ in 0..1 + next(3) {
                let at = next(bytes.len());
                match next(4) {
                    0 => {
                        bytes.remove(at);
                    }
                    1 => bytes.insert(at, INSERTED[next(INSERTED.len())]),
                    2 => {
                        let start = bytes[..at]
                            .iter()
                            .rposition(|&b| b == b'\n')
                            .map_or(0, |i| i + 1);
                        bytes.insert(start, b' ');
                    }
                    _ => {
                        let start = bytes[..at]
                            .iter()
                            .rposition(|&b| b == b'\n')
                            .map_or(0, |i| i + 1);
                        if bytes.get(start) == Some(&b' ') {
                            bytes.remove(start);
                        }
                    }
                }
                if bytes.is_empty() {
                    break;
                }
            }
            let Ok(edited) = String::from_utf8(bytes) else {
                continue;
            };
            if agrees(&edited, "edited snippet") {
                taken += 1;
            }
        }
    }
    assert!(taken > 1000, "only {taken} edited snippets taken");
}
