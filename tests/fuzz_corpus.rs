//! The committed fuzz corpus (`fuzz/corpus/<target>/`), every input run through its target's
//! entry point on stable Rust: what the fuzzers found once (crashes included, kept there as
//! regression inputs) must never crash again. Longer runs: `cargo fuzz run <target>` in `fuzz/`.

#[path = "../fuzz/src/lib.rs"]
mod entry;

use std::path::Path;

#[test]
fn every_corpus_input_runs_without_a_crash() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/corpus");
    let mut ran = 0;
    for (name, target) in entry::TARGETS {
        let dir = corpus.join(name);
        let mut inputs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        inputs.sort();
        assert!(!inputs.is_empty(), "no corpus for {name}");
        for input in inputs {
            let data = std::fs::read(&input).unwrap_or_else(|e| panic!("{}: {e}", input.display()));
            eprintln!("{name}: {}", input.display());
            target(&data);
            ran += 1;
        }
    }
    eprintln!("{ran} corpus inputs ran");
}
