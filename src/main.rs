use std::process::ExitCode;

use clap::Parser;
use rollguard::cli::{Cli, Command};
use rollguard::commands::{check, render, rules};

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
        Command::Render(args) => render::run(args).map(|text| {
            print!("{text}");
            0
        }),
        Command::Completions { shell } => {
            let mut command = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut command, "rollguard", &mut std::io::stdout());
            Ok(0)
        }
        Command::Server(args) => Ok(rollguard::server::run(&rollguard::server::Options {
            docs_url: args.docs_url.clone(),
        })),
        Command::Rules => {
            print!("{}", rules::rules_table());
            Ok(0)
        }
        Command::Explain { rule, markdown } => rules::explain(rule, *markdown).map(|text| {
            print!("{text}");
            0
        }),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("{:?}", miette::Report::new(err));
            ExitCode::from(2)
        }
    }
}
