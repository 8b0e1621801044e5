//! scripts/pgo/rustc-wrapper, which cargo runs in place of rustc (.cargo/config.toml): only
//! release builds get the committed profile, and every argument reaches rustc unchanged. `echo`
//! stands in for rustc and prints the command line it was given.

use std::path::Path;
use std::process::Command;

const WRAPPER: &str = "scripts/pgo/rustc-wrapper";

fn wrapped(args: &[&str], generate: Option<&str>) -> String {
    let mut command = Command::new(WRAPPER);
    command
        .arg("echo")
        .args(args)
        .env_remove("ROLLGUARD_PGO_GENERATE");
    if let Some(dir) = generate {
        command.env("ROLLGUARD_PGO_GENERATE", dir);
    }
    let out = command.output().expect("the wrapper runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim_end()
        .to_owned()
}

fn profile_use() -> String {
    let profile = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/pgo/rollguard.profdata");
    assert!(profile.is_file(), "{} is committed", profile.display());
    format!("-Cprofile-use={}", profile.display())
}

#[test]
fn release_builds_get_the_profile_by_absolute_path() {
    let args = [
        "--crate-name",
        "a",
        "-C",
        "opt-level=3",
        "-C",
        "codegen-units=1",
    ];
    assert_eq!(
        wrapped(&args, None),
        format!("{} {}", args.join(" "), profile_use())
    );
    assert_eq!(
        wrapped(&["-Copt-level=3"], None),
        format!("-Copt-level=3 {}", profile_use())
    );
}

#[test]
fn other_builds_run_rustc_unchanged() {
    for args in [
        &["--crate-name", "a", "-C", "debuginfo=1"][..],
        &["-C", "opt-level=3", "-C", "debug-assertions=on"],
        &["-C", "opt-level=3", "--cfg", "fuzzing"],
        &["-C", "opt-level=3", "-Cprofile-generate=/tmp/p"],
        &["-vV"],
    ] {
        assert_eq!(wrapped(args, None), args.join(" "));
    }
}

#[test]
fn regen_instruments_release_builds_only() {
    assert_eq!(
        wrapped(&["-C", "opt-level=3"], Some("/tmp/raw")),
        "-C opt-level=3 -Cprofile-generate=/tmp/raw"
    );
    assert_eq!(
        wrapped(&["-C", "opt-level=0"], Some("/tmp/raw")),
        "-C opt-level=0"
    );
}

#[test]
fn a_second_wrapper_such_as_clippy_driver_runs_first() {
    // cargo clippy: `rustc-wrapper clippy-driver rustc ARGS`; the profile flag goes after ARGS.
    assert_eq!(
        wrapped(&["rustc", "-C", "opt-level=3"], None),
        format!("rustc -C opt-level=3 {}", profile_use())
    );
}
