//! Loading charts the way Helm does, without executing anything: `Chart.yaml` (v1 and v2, and a
//! v1 chart's `requirements.yaml`), `values.yaml`, `values.schema.json`, `templates/`, subcharts
//! under `charts/` as directories or `.tgz` archives, `.helmignore`; then dependency processing
//! (`condition`, `tags`, `alias`, `import-values`, library charts) and values (`-f`, `--set`,
//! `--set-string`, `--set-json`, `--set-file`, `--set-literal`) coalesced with every chart's
//! defaults. A chart may be a directory or a packaged `.tgz`; archives are read in memory.
//!
//! Entry point: [`load`] gives a [`LoadedRelease`]; the engine walks
//! [`LoadedRelease::parse_order`] to parse templates, renders those that are not partials
//! ([`LoadedRelease::output_paths`]), and builds each template's scope from its [`RenderChart`]:
//! `.Values` = `values`, `.Chart` = `metadata.template_json(is_root)`, `.Files` = `files`,
//! `.Subcharts` = `subcharts` (by `name`), `.Template.BasePath` = `Template::base_path`. In
//! Helm 4, `.Chart` is a map with Go's field names (`Name`, `AppVersion`, …, `IsRoot`), which is
//! what `template_json` gives. [`RenderChart::crds`] lists the `crds/` files Helm would install.
//!
//! ```no_run
//! use helm::chart::{ValueOptions, load};
//! let opts = ValueOptions { values: vec!["replicas=3".into()], ..Default::default() };
//! let release = load(std::path::Path::new("charts/app"), &opts)?;
//! for (chart, template) in release.parse_order() {
//!     // parse template.text as template.path, with chart.values as .Values …
//! #   let _ = (chart, template);
//! }
//! # Ok::<(), source::InputError>(())
//! ```
//!
//! Modules: `directory`, `archive` and `git` (a chart at a revision, for `--base REF`) read
//! files (within one `budget`), `helmignore` filters
//! them, `load` sorts them into a [`Chart`] tree, `metadata` reads Chart.yaml, `values` reads
//! and coalesces values, `deps` processes dependencies, `release` builds what the engine gets,
//! `semver` is Masterminds-compatible version constraints (also Sprig's `semverCompare`).
//!
//! # Value conversion contract
//!
//! Values are `serde_json::Value` trees; maps are sorted by key (serde_json's `BTreeMap`).
//! They carry Go's types as Helm holds them in `map[string]interface{}`:
//!
//! | JSON value | Go value |
//! |---|---|
//! | number stored as f64 (`Number::is_f64`) | `float64`: everything from values files and `--set-json` (`1000000` prints `1e+06`) |
//! | number stored as i64 (`Number::is_i64`) | `int64`: integers from `--set` only |
//! | string, bool | `string`, `bool` |
//! | null | `nil` (an explicit null that coalescing kept: in lists, or a key with no default) |
//! | array, object | `[]interface{}`, `map[string]interface{}` |
//!
//! No number is ever stored as u64; a `--set` integer that does not fit in i64 stays a string.
//!
//! Keys are strings as sigs.k8s.io/yaml makes them (`on:` is the key `"true"`, `404:` is
//! `"404"`). Strings, booleans and nulls follow YAML 1.1 (`yes` is `true`).

mod archive;
mod budget;
mod deps;
mod directory;
mod file;
mod git;
mod gofmt;
pub mod helmignore;
mod load;
pub mod metadata;
mod release;
pub mod values;

pub use file::File;
pub use git::{changed_since, load_chart_at_revision, revision_id};
pub(crate) use helmignore::glob_match;
pub use load::{
    Chart, ChartFiles, load_archive, load_chart, load_chart_files, load_chart_with, read_chart_with,
};
pub use metadata::{ChartMetadata, Dependency, Maintainer};
pub use release::{
    LoadedRelease, RenderChart, Template, ValuesCheck, kube_version_compatible, load, load_read,
    load_read_checking_later, load_with, prepare,
};
pub use values::{ValueOptions, Values};

/// Largest file of a chart (Helm's `MaxDecompressedFileSize`).
pub const MAX_FILE_BYTES: u64 = 5 * 1024 * 1024;
/// Largest chart, all files together, decompressed, packaged subcharts counted both packed and
/// unpacked (Helm's `MaxDecompressedChartSize` is per archive).
pub const MAX_CHART_BYTES: u64 = 100 * 1024 * 1024;
/// Most files in one chart, subcharts and their archives' entries included.
pub const MAX_ENTRIES: usize = 20_000;
/// Deepest nesting of subcharts.
pub const MAX_SUBCHART_DEPTH: usize = 16;
