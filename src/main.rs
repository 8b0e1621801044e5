use std::io::Write;
use std::process::ExitCode;

use clap::Parser;
use rollguard::cli::{Cli, Command};
use rollguard::commands::{check, print, render, rules};

/// Rendering allocates many small, short-lived values; mimalloc serves them markedly faster
/// than the system allocator (see `cargo bench -p rollguard-helm --bench render`). Built without transparent
/// huge pages (`no_thp`): a short-lived process would spend its time zeroing 2 MB pages.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Check(args) => check::run(args).and_then(|outcome| {
            check::emit(args, &outcome)?;
            Ok(outcome.exit_code)
        }),
        Command::Render(args) => render::run(args, |text| {
            print(&text)?;
            // Printed, the process ends on the render thread: nothing is left to do, and the
            // main thread, waiting for it, would only be woken for its stack to be unmapped.
            std::process::exit(0)
        }),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut command, "rollguard", &mut script);
            print(&String::from_utf8_lossy(&script)).map(|()| 0)
        }
        Command::Server(args) => Ok(rollguard::server::run(&rollguard::server::Options {
            docs_url: args.docs_url.clone(),
        })),
        Command::Rules => print(&rules::rules_table()).map(|()| 0),
        Command::Explain { rule, markdown } => {
            rules::explain(rule, *markdown).and_then(|text| print(&text).map(|()| 0))
        }
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            // Standard error may be closed too; there is nowhere left to say so.
            let _ = writeln!(std::io::stderr(), "{:?}", miette::Report::new(err));
            ExitCode::from(2)
        }
    }
}
