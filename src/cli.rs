//! Command-line definitions.

use std::ops::{Deref, DerefMut};
use std::path::PathBuf;

use clap::builder::{Resettable, StyledStr};
use clap::{ArgMatches, Args, FromArgMatches, Parser, Subcommand, ValueEnum};

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
    /// Check charts or rendered manifests for rollback hazards (GO / NO-GO)
    #[command(
        long_about = "Check charts or rendered manifests for rollback hazards and print a GO / NO-GO \
                      report. Charts are rendered with rollguard's own engine (or `helm template` \
                      with --renderer helm), compared with a baseline when one is given (--base, \
                      --base-chart, --base-manifest, --base-release: what a rollback returns to), \
                      and checked with the SQL their hooks run and the CI/CD files that deploy them.\n\n\
                      Exit codes: 0 GO, 1 NO-GO (see --fail-on), 2 usage or input error.",
        after_help = "Examples:\n  \
        rollguard check ./chart --base origin/main           compare with the chart as committed there\n  \
        rollguard check charts/* --base origin/main          several charts, one report and verdict\n  \
        rollguard check --all --base HEAD --quiet            every chart in the repository\n  \
        rollguard check --changed --base main $(git diff --name-only main)\n  \
        rollguard check ./chart -f values-prod.yaml --kube-version 1.31 --format sarif -o rollguard.sarif\n  \
        rollguard check ./chart --renderer helm              render with `helm template`\n  \
        helm template my-release ./chart | rollguard check --manifest -\n  \
        kubectl get secrets -l owner=helm,name=my-release -o yaml > history.yaml\n  \
        rollguard check ./chart --base-release history.yaml\n  \
        rollguard check --migrations db/migrations --sql-dialect postgres\n\n\
        Integrations: pre-commit (.pre-commit-hooks.yaml), GitHub Action (action.yml), Helm plugin\n\
        (helm rollguard check …), GitLab Code Quality (--format gitlab): see the README."
    )]
    Check(Deferred<CheckArgs>),
    /// Render a chart as `helm template` does, with rollguard's own engine
    #[command(after_help = "Examples:\n  \
        rollguard render ./chart                             the manifest stream, as `helm template`\n  \
        rollguard render ./chart -f values-prod.yaml --set image.tag=2.0 -n shop\n  \
        rollguard render ./chart --json                      every template's output, by file\n  \
        rollguard render ./chart --no-hooks | kubectl diff -f -")]
    Render(Deferred<RenderArgs>),
    /// Serve the editor: a language server (LSP, over standard input and output) that checks
    /// charts as they are edited and shows findings where they are written
    #[command(
        long_about = "Serve the editor: a language server speaking the Language Server \
                      Protocol over standard input and output. Each chart whose files are open is \
                      checked on open, on save and 200 ms after the last change, with the unsaved \
                      text of open documents, against its baseline (`base` in .rollguard.yaml, \
                      else HEAD); findings are published as diagnostics on the template lines that \
                      produced them. Editors start it; see the README for VS Code, Neovim and Helix."
    )]
    Server(Deferred<ServerArgs>),
    /// List the rules: id, severity, effect, summary
    Rules,
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell)
    Completions { shell: clap_complete::Shell },
    /// Print a rule's documentation
    Explain {
        /// The rule id, e.g. pvc-no-keep-policy
        rule: String,
        /// Print the documentation as Markdown (the source of docs/rules/<id>.md)
        // The doc comment is clap's help text, printed as written: `<id>` is not HTML there.
        #[allow(rustdoc::invalid_html_tags)]
        #[arg(long)]
        markdown: bool,
    },
}

/// A subcommand's arguments, given to clap only when that subcommand is the one parsed
/// (`clap::Command::defer`): building every argument of every subcommand was a fifth of the
/// instructions of `rollguard --version`, and `render` paid for `check`'s arguments too.
#[derive(Debug)]
pub struct Deferred<T>(Box<T>);

impl<T> Deref for Deferred<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> DerefMut for Deferred<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.0
    }
}

impl<T: FromArgMatches> FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(|args| Self(Box::new(args)))
    }
    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }
}

/// The deferred part runs after the variant's own attributes, so the texts a flattened struct's
/// doc comment gives (`ChartArgs`) would replace the subcommand's: they are put back, which is
/// the order of an eager build (the arguments first, the variant's texts over them).
impl<T: Args> Args for Deferred<T> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.defer(|cmd| keeping_texts(cmd, T::augment_args))
    }
    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        cmd.defer(|cmd| keeping_texts(cmd, T::augment_args_for_update))
    }
}

fn keeping_texts(cmd: clap::Command, augment: fn(clap::Command) -> clap::Command) -> clap::Command {
    let text = |t: Option<&StyledStr>| t.cloned().map_or(Resettable::Reset, Resettable::Value);
    let (about, long_about) = (text(cmd.get_about()), text(cmd.get_long_about()));
    augment(cmd).about(about).long_about(long_about)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Never,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Renderer {
    Native,
    Helm,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Manifests already rendered (`helm template …`), `-` for standard input
    #[arg(long, value_name = "FILE")]
    pub manifest: Vec<String>,

    /// Charts to render and check (directories or .tgz), in parallel, with one report and one
    /// verdict; default `.` when no other input
    #[arg(value_name = "CHART")]
    pub charts: Vec<PathBuf>,

    /// Check every chart under the working directory. Charts vendored in another chart's
    /// `charts/`, hidden directories, `node_modules`/`vendor`/`target` and test data
    /// (`fixtures`, `testdata`) are skipped; name those to check them
    #[arg(long, conflicts_with_all = ["charts", "changed"])]
    pub all: bool,

    /// Read the CHART arguments as changed files and check the charts they belong to, each
    /// once (a file in a vendored subchart belongs to the chart that vendors it); files outside
    /// any chart are ignored, and none left is GO. Without files and with --base REF: the files
    /// git shows changed since REF, deletions included (what the pre-commit hook runs)
    #[arg(long)]
    pub changed: bool,

    /// How charts are rendered: rollguard's own engine, or `helm template` (Helm from
    /// $ROLLGUARD_HELM, else $HELM_BIN, else PATH)
    #[arg(long, value_enum, default_value = "native")]
    pub renderer: Renderer,

    #[command(flatten)]
    pub chart: ChartArgs,

    /// Baseline: the same chart at git revision REF, rendered with the same values
    #[arg(long, value_name = "REF", group = "baseline")]
    pub base: Option<String>,

    /// Baseline: the previous chart (directory or .tgz), rendered with the same values
    #[arg(long, value_name = "PATH", group = "baseline")]
    pub base_chart: Option<PathBuf>,

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

    /// Config file; default: .rollguard.yaml found walking up from the input
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Output format
    #[arg(long, value_enum, default_value = "human")]
    pub format: Format,

    /// Write the report to FILE instead of standard output
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// CI/CD or GitOps file, or directory of them, that runs the upgrade (repeatable). Given
    /// paths (here or in the config's `pipelines:`) replace discovery
    #[arg(long, value_name = "PATH")]
    pub pipeline: Vec<PathBuf>,

    /// Do not discover pipeline files under the input's repository root (.git); paths given
    /// with --pipeline are still read
    #[arg(long)]
    pub no_pipelines: bool,

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

    /// Human and Markdown formats: list every info finding (by default one line per rule says
    /// how many and where the first is); JSON, SARIF and the other formats always list them all
    #[arg(short, long)]
    pub verbose: bool,

    /// Lowest severity that makes the exit code 1 (the reported verdict does not change)
    #[arg(long, value_enum, default_value = "error")]
    pub fail_on: FailOn,

    /// Unsaved texts that stand in for chart files (`rollguard server`: open documents).
    #[arg(skip)]
    pub overlay: source::Overlay,

    /// Baselines rendered by earlier checks of this process, reused while `--base` names the
    /// same commit (`rollguard server` re-checks a chart on every edit).
    #[arg(skip)]
    pub baselines: Option<std::sync::Arc<crate::baseline::cache::BaselineCache>>,
}

/// How a chart is rendered: values and release settings, as `helm template` takes them.
#[derive(Debug, Args)]
pub struct ChartArgs {
    /// Values file (repeatable; later files win); `-` for standard input
    #[arg(short = 'f', long = "values", value_name = "FILE")]
    pub values: Vec<PathBuf>,

    /// Set values: `a.b=c,list[0]=x`
    #[arg(long = "set", value_name = "VALUES")]
    pub set: Vec<String>,

    /// Set string values (no type conversion)
    #[arg(long, value_name = "VALUES")]
    pub set_string: Vec<String>,

    /// Set JSON values: `a={"b":1}`
    #[arg(long, value_name = "VALUES")]
    pub set_json: Vec<String>,

    /// Set values from files: `a=path`
    #[arg(long, value_name = "VALUES")]
    pub set_file: Vec<String>,

    /// Set literal string values (commas kept)
    #[arg(long, value_name = "VALUES")]
    pub set_literal: Vec<String>,

    /// Release name (`.Release.Name`; shown in the report)
    #[arg(long, default_value = "release-name")]
    pub release_name: String,

    /// Namespace (`.Release.Namespace`; objects without one get it)
    #[arg(short = 'n', long, default_value = "default", env = "HELM_NAMESPACE")]
    pub namespace: String,

    /// `.Release.Revision`
    #[arg(long, default_value_t = 1)]
    pub revision: i64,

    /// Render as an upgrade (`.Release.IsUpgrade`)
    #[arg(long)]
    pub is_upgrade: bool,

    /// Target Kubernetes version (X.Y). `check`: default the config's, else the newest
    /// rollguard knows, and charts see the API set that version serves; `render`: Helm's default
    #[arg(long, value_name = "X.Y")]
    pub kube_version: Option<String>,

    /// Extra API versions for `.Capabilities.APIVersions` (repeatable, comma-separated)
    #[arg(
        short = 'a',
        long,
        value_name = "GROUP/VERSION[/KIND]",
        value_delimiter = ','
    )]
    pub api_versions: Vec<String>,

    /// Wall-clock seconds one chart may take to render; then it is an input error (exit 2).
    /// A chart is code from the pull request: it must not hold the job until CI kills it
    #[arg(long, value_name = "SECONDS", default_value_t = 300)]
    pub render_timeout: u64,

    /// Steps of template work one chart's render may take (every node, `range` iteration
    /// and function call is one); then it is an input error (exit 2)
    #[arg(long, value_name = "STEPS", default_value_t = helm::engine::DEFAULT_MAX_STEPS)]
    pub render_steps: u64,

    /// Bytes the values one chart's render creates may add up to; then it is an input error
    #[arg(long, value_name = "BYTES", default_value_t = helm::engine::DEFAULT_MAX_MEMORY)]
    pub render_memory: u64,
}

impl ChartArgs {
    pub fn value_options(&self) -> helm::chart::ValueOptions {
        helm::chart::ValueOptions {
            value_files: self.values.clone(),
            values: self.set.clone(),
            string_values: self.set_string.clone(),
            json_values: self.set_json.clone(),
            file_values: self.set_file.clone(),
            literal_values: self.set_literal.clone(),
        }
    }
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The chart (directory or .tgz)
    #[arg(value_name = "CHART")]
    pub chart: PathBuf,

    #[command(flatten)]
    pub args: ChartArgs,

    /// Print `{"<chart>/templates/<file>": "<rendered text>"}` for every template, like
    /// `helm-render --json`
    #[arg(long)]
    pub json: bool,

    /// Leave hooks out of the stream
    #[arg(long)]
    pub no_hooks: bool,

    /// Only the documents rendered from templates matching this glob (path without the chart
    /// name, e.g. `templates/deployment.yaml`, `charts/db/templates/*`); repeatable
    #[arg(short = 's', long, value_name = "TEMPLATE")]
    pub show_only: Vec<String>,

    /// Also print the charts' `crds/` files, first
    #[arg(long)]
    pub include_crds: bool,

    /// Leave out `test` hooks
    #[arg(long)]
    pub skip_tests: bool,

    /// Write each document to `DIR/<its template path>` as `helm template --output-dir` does
    /// (and print `wrote …` for each) instead of printing the stream
    #[arg(long, value_name = "DIR", conflicts_with_all = ["json", "show_only"])]
    pub output_dir: Option<PathBuf>,

    /// Draw random values (randAlphaNum, genCA, uuidv4, …) from seed N instead of the operating
    /// system's generator, for a reproducible render. Anyone can regenerate those passwords and
    /// keys: never deploy such a render
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ServerArgs {
    /// Where the rule pages are, as a URI prefix: a diagnostic links to `<URL><rule>.md`
    /// (default: docs/rules of the source tree rollguard was built from, when it is there)
    #[arg(long, value_name = "URL")]
    pub docs_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;
    use std::path::Path;

    /// clap's own consistency checks see every subcommand's arguments: building the command
    /// runs the deferred parts too.
    #[test]
    fn the_command_line_is_consistent_with_its_deferred_subcommands_built() {
        let mut command = Cli::command();
        command.build();
        let check = command
            .find_subcommand("check")
            .map(|c| c.get_arguments().count());
        assert!(check.is_some_and(|n| n > 20), "{check:?}");
        Cli::command().debug_assert();
    }

    /// `ChartArgs`'s doc comment must not become the `check` and `render` descriptions when
    /// their arguments are built late.
    #[test]
    fn building_a_deferred_subcommand_keeps_its_own_descriptions() {
        let unbuilt = Cli::command();
        let mut built = Cli::command();
        built.build();
        for sub in unbuilt.get_subcommands() {
            let name = sub.get_name();
            let after = built.find_subcommand(name);
            let texts = |c: &clap::Command| (c.get_about().cloned(), c.get_long_about().cloned());
            assert_eq!(after.map(texts), Some(texts(sub)), "{name}");
        }
        let render = unbuilt
            .find_subcommand("render")
            .and_then(|c| c.get_about());
        assert!(render.is_some_and(|t| t.to_string().starts_with("Render a chart")));
    }

    #[test]
    fn a_deferred_subcommand_parses_its_arguments() {
        let cli = Cli::try_parse_from(["rollguard", "render", "chart", "--seed", "7"]);
        let Ok(Cli {
            command: Command::Render(args),
        }) = cli
        else {
            panic!("{cli:?}");
        };
        assert_eq!(
            (args.chart.as_path(), args.seed),
            (Path::new("chart"), Some(7))
        );
    }
}
