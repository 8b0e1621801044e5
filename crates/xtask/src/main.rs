//! `cargo xtask new-rule <id> [--category C] [--severity S] [--effect E]`: one command that
//! writes what a new rule needs (see [`new_rule`]).

mod new_rule;

use std::path::Path;
use std::process::ExitCode;

const USAGE: &str = "usage: cargo xtask new-rule <id> [--category C] [--severity S] [--effect E]
  id        kebab-case, e.g. pvc-mount-changed
  category  migrations|apis|storage|probes|configuration|pipeline (default configuration)
  severity  error|warning|info (default warning)
  effect    upgrade-fails|rollback-fails|data-loss|old-code-breaks|not-reverted|
            false-rollback|no-auto-rollback|history-bloat (default rollback-fails)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.split_first() {
        Some((task, rest)) if task == "new-rule" => new_rule::Spec::parse(rest).and_then(|spec| {
            // crates/xtask → the repository root.
            let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
            new_rule::write(&root, &spec)
        }),
        _ => Err(USAGE.to_string()),
    };
    match result {
        Ok(report) => {
            print!("{report}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::from(2)
        }
    }
}
