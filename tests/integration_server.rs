//! `rollguard server` end to end: `tests/lsp/test_server.py` drives the real binary with a real
//! LSP client (pytest-lsp, from PyPI in a virtualenv kept under cargo's test directory) over
//! stdio: initialize, diagnostics on the fixture chart `fixtures/charts/editor`, edits that make
//! a hazard appear and disappear, code actions, hover, malformed requests and documents.
//! Where PyPI cannot be reached it says so and passes.

mod integration_support;

use std::path::PathBuf;
use std::process::Command;

use integration_support::{BIN, crate_root, virtualenv};

#[test]
fn language_server_end_to_end_with_pytest_lsp() {
    let venv = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("integration-server-venv");
    let python = match virtualenv(&venv, &["pytest-lsp"]) {
        Ok(python) => python,
        Err(reason) => {
            eprintln!("skipped: {reason}");
            return;
        }
    };
    let out = Command::new(python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/lsp"])
        .current_dir(crate_root())
        .env("ROLLGUARD_BIN", BIN)
        .output()
        .expect("pytest runs");
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!("{printed}");
    assert!(out.status.success(), "pytest-lsp tests failed:\n{printed}");
}
