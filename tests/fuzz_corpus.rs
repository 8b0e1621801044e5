//! The committed fuzz corpus (`fuzz/corpus/<target>/`), every input run through its target's
//! entry point on stable Rust: what the fuzzers found once (crashes included, kept there as
//! regression inputs) must never crash again. Then a short fuzzing run of every target on the
//! same build: inputs mutated from the corpus by a small seeded mutator, so that CI fuzzes on
//! every run without the separate instrumented build `cargo fuzz` needs (see `.ci/run`).
//! Longer, coverage-guided runs: `cargo fuzz run <target>` in `fuzz/`.

#[path = "../fuzz/src/lib.rs"]
mod entry;

use std::path::{Path, PathBuf};

/// Every corpus input of `name`, sorted.
fn corpus(name: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(name);
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no corpus for {name}");
    paths
        .into_iter()
        .map(|p| {
            let data = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            (p, data)
        })
        .collect()
}

#[test]
fn every_corpus_input_runs_without_a_crash() {
    let mut ran = 0;
    for (name, target) in entry::TARGETS {
        for (path, data) in corpus(name) {
            eprintln!("{name}: {}", path.display());
            target(&data);
            ran += 1;
        }
    }
    eprintln!("{ran} corpus inputs ran");
}

/// Seconds of mutated inputs per target (`FUZZ_SECONDS` sets another number): a debug build
/// runs from a few hundred (`strvals`, whose corpus asks for a million list items) to
/// thousands of inputs a second. The inputs come in the same order on every run, so a
/// longer run repeats a shorter one first.
const SECONDS: f64 = 5.0;

/// Text that steers mutations into the grammars the targets read.
const TOKENS: &[&[u8]] = &[
    b"{{",
    b"}}",
    b"{{-",
    b"-}}",
    b"${",
    b"$(",
    b")",
    b"}",
    b"$A",
    b"\n",
    b"\n---\n",
    b"'",
    b"\"",
    b"\\",
    b"*",
    b"**",
    b"[",
    b"]",
    b"[65535]",
    b"=",
    b",",
    b":",
    b": ",
    b"- ",
    b"&a ",
    b"*a",
    b"<<: ",
    b"!!binary ",
    b"|",
    b">-",
    b"#",
    b"  ",
    b"{",
    b"\t",
    b"\0",
    b"\xff",
    b"-- ",
    b"/*",
    b"*/",
    b";",
    b"$$",
    b"range",
    b"tpl",
    b"include",
    b"define",
    b"end",
    b"repeat",
    b"until",
    b"9223372036854775807",
    b"-1",
    b"helm upgrade --install r ./c ",
    b"kind: ",
    b"apiVersion: v1\n",
    b"metadata:\n",
];

/// A seeded xorshift generator: the same inputs on every run, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// `input` changed by one to four of: a byte replaced, bytes inserted, a stretch removed, a
/// stretch repeated (amplification is what budgets are for), a token inserted, a stretch of
/// `other` spliced in.
fn mutate(rng: &mut Rng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() + 1);
        match rng.below(6) {
            0 if !out.is_empty() => {
                let i = rng.below(out.len());
                out[i] = rng.next() as u8;
            }
            1 => {
                let bytes: Vec<u8> = (0..=rng.below(8)).map(|_| rng.next() as u8).collect();
                out.splice(at..at, bytes);
            }
            2 => {
                let end = (at + rng.below(32)).min(out.len());
                out.drain(at..end);
            }
            3 => {
                let end = (at + 1 + rng.below(64)).min(out.len());
                let stretch = out[at.min(end)..end].to_vec();
                for _ in 0..=rng.below(16) {
                    out.splice(at..at, stretch.iter().copied());
                }
            }
            4 => {
                let token = TOKENS[rng.below(TOKENS.len())];
                out.splice(at..at, token.iter().copied());
            }
            _ => {
                let from = rng.below(other.len() + 1);
                let end = (from + rng.below(128)).min(other.len());
                out.splice(at..at, other[from..end].iter().copied());
            }
        }
    }
    out
}

#[test]
fn mutated_corpus_inputs_run_without_a_crash() {
    let seconds = std::env::var("FUZZ_SECONDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(SECONDS);
    let per_target = std::time::Duration::from_secs_f64(seconds);
    // Where the input being run is written first: an abort or a stack overflow ends the test
    // process, and this file then holds the input that did it.
    let last = Path::new(env!("CARGO_TARGET_TMPDIR")).join("fuzz_mutated_last_input");
    for (n, (name, target)) in entry::TARGETS.iter().enumerate() {
        let inputs = corpus(name);
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ (n as u64 + 1));
        let started = std::time::Instant::now();
        let mut i = 0;
        while started.elapsed() < per_target {
            let (_, input) = &inputs[i % inputs.len()];
            let (_, other) = &inputs[rng.below(inputs.len())];
            let data = mutate(&mut rng, input, other);
            std::fs::write(&last, &data).unwrap_or_else(|e| panic!("{}: {e}", last.display()));
            if std::panic::catch_unwind(|| target(&data)).is_err() {
                panic!(
                    "{name}: mutated input {i} panicked; it is in {} (add it to fuzz/corpus/{name}/)",
                    last.display()
                );
            }
            i += 1;
        }
        eprintln!(
            "{name}: {i} mutated inputs in {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
}
