//! Bad input never panics: every reader over many generated texts made of the characters that
//! steer the parsers (quotes, escapes, brackets, placeholders) and multi-byte characters.

use super::*;
use source::SourceFile;

const PIECES: &[&str] = &[
    "helm",
    " upgrade",
    " install",
    " rollback",
    " --atomic",
    " --wait=",
    " --timeout",
    " 5m",
    " --history-max",
    " $",
    "${",
    "}",
    "$(",
    ")",
    "{{",
    "}}",
    "<<",
    ">>",
    "'",
    "\"",
    "'''",
    "\"\"\"",
    "\\",
    "\\\n",
    "\n",
    "\t",
    "#",
    ";",
    "&&",
    "|",
    "=",
    ":",
    "-",
    "é",
    "→",
    "😀",
    "sh ",
    "sh(script: ",
    "env.",
    "${{ env.",
    "  - ",
    "script:",
    "run: |\n  ",
    "deploy:\n\t",
    "EOF",
];

/// A small deterministic generator (xorshift), so failures reproduce.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn text(&mut self) -> String {
        let len = (self.next() % 40) as usize;
        (0..len)
            .map(|_| PIECES[(self.next() % PIECES.len() as u64) as usize])
            .collect()
    }
}

#[test]
fn no_reader_panics_on_generated_text() {
    let mut g = Gen(0x9e37_79b9_7f4a_7c15);
    let kinds = FileKind::ALL;
    for _ in 0..600 {
        let text = g.text();
        for kind in kinds {
            let file = SourceFile::new("generated", text.clone());
            let mut loaded = Loaded::default();
            load_file(&file, kind, &mut loaded);
            for inv in &loaded.invocations {
                assert!(inv.span.end <= text.len(), "{kind:?}: {text:?}");
            }
        }
    }
}
