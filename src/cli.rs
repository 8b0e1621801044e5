//! Command-line definitions.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::report::Format;

#[derive(Debug, Parser)]
#[command(
    name = "rollguard",
    version,
    about = "Before a Helm upgrade ships: if this release goes wrong, can we roll back safely?",
    long_about = "rollguard statically checks a Helm release for rollback hazards and prints a GO / \
                  NO-GO report in which every finding says what would happen to a rollback. It is \
                  offline: no cluster, no network, nothing from a chart is executed.\n\n\
                  Exit codes: 0 GO, 1 NO-GO, 2 usage or input error."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a release for rollback hazards
    #[command(after_help = "Examples:\n  \
        helm template my-release ./chart | rollguard check --manifest -\n  \
        rollguard check --manifest rendered.yaml --kube-version 1.29 --format sarif -o rollguard.sarif\n  \
        rollguard check --manifest new.yaml --base-manifest <(helm get manifest my-release)\n  \
        kubectl get secrets -l owner=helm,name=my-release -o yaml > history.yaml\n  \
        rollguard check --manifest new.yaml --base-release history.yaml\n  \
        rollguard check --migrations db/migrations --sql-dialect postgres")]
    Check(Box<CheckArgs>),
    /// List the rules: id, severity, effect, summary
    Rules,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions { shell: clap_complete::Shell },
    /// Print a rule's documentation
    Explain {
        /// The rule id, e.g. pvc-no-keep-policy
        rule: String,
        /// Print the documentation as Markdown (the source of docs/rules/<id>.md)
        #[arg(long)]
        markdown: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Never,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Manifests already rendered (`helm template …`), `-` for standard input
    #[arg(long, value_name = "FILE", required_unless_present = "migrations")]
    pub manifest: Vec<String>,

    /// Baseline: the previous revision already rendered (`helm get manifest REL`), `-` for stdin
    #[arg(long, value_name = "FILE", group = "baseline")]
    pub base_manifest: Option<String>,

    /// Baseline: Helm release records (`kubectl get secret sh.helm.release.v1.REL.vN -o yaml`,
    /// a List of them, or a directory); several give the rollback history window
    #[arg(long, value_name = "FILE|DIR", group = "baseline")]
    pub base_release: Vec<PathBuf>,

    /// The application's migration sources (a .sql file or a folder): checked as SQL the
    /// release runs; down/undo/revert files are read as the rollback path
    #[arg(long, value_name = "PATH")]
    pub migrations: Vec<PathBuf>,

    /// SQL dialect where the command, image or file does not tell; default: the config's
    #[arg(long, value_enum, value_name = "DIALECT")]
    pub sql_dialect: Option<crate::sql::Dialect>,

    /// Namespace of objects that do not set one
    #[arg(short = 'n', long, default_value = "default", env = "HELM_NAMESPACE")]
    pub namespace: String,

    /// Release name shown in the report
    #[arg(long, default_value = "release-name")]
    pub release_name: String,

    /// Target Kubernetes version (X.Y); default: the config's, else the newest rollguard knows
    #[arg(long, value_name = "X.Y")]
    pub kube_version: Option<String>,

    /// Config file; default: .rollguard.yaml found walking up from the input
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,

    /// Write the report to FILE instead of standard output
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Findings listed in FILE (written by --write-accepted) are shown as accepted and do not
    /// decide the verdict
    #[arg(long, value_name = "FILE")]
    pub accepted: Option<PathBuf>,

    /// Record today's findings in FILE, to adopt rollguard in a repository step by step
    #[arg(long, value_name = "FILE")]
    pub write_accepted: Option<PathBuf>,

    /// Human format: one line per finding and the verdict, no source snippets
    #[arg(short, long)]
    pub quiet: bool,

    /// Lowest severity that makes the exit code 1 (the reported verdict does not change)
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,
}
