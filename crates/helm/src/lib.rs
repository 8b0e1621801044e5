//! Helm's chart layer in Rust, rendering charts byte for byte as Helm 4 does, with nothing
//! executed: [`chart`] loads a chart the way Helm's loader does (directories, `.tgz`
//! archives, a git revision; `.helmignore`, dependencies, values coalesced with `-f` and
//! `--set*`); [`funcs`] registers Sprig's and Helm's functions into a [`gotmpl::Engine`];
//! [`engine`] renders a release's templates with their root objects; [`stream`] assembles
//! `helm template`'s output (install order, hooks, `# Source:` lines) and remembers which
//! template line wrote each stretch. [`semver`] and [`duration`] are Go's version constraints
//! and durations as Helm and Sprig parse them; [`Error`] prints as Helm prints.
//!
//! ```
//! use helm::chart::{ValueOptions, load};
//! use helm::engine::{ReleaseOptions, render_release};
//!
//! let dir = tempfile::tempdir()?;
//! let chart = dir.path().join("web");
//! std::fs::create_dir_all(chart.join("templates"))?;
//! std::fs::write(chart.join("Chart.yaml"), "apiVersion: v2\nname: web\nversion: 1.0.0\n")?;
//! std::fs::write(chart.join("values.yaml"), "replicas: 2\n")?;
//! std::fs::write(
//!     chart.join("templates/deploy.yaml"),
//!     "kind: Deployment\nmetadata:\n  name: {{ .Release.Name }}-{{ .Chart.Name }}\nspec:\n  replicas: {{ .Values.replicas }}\n",
//! )?;
//! let options = ValueOptions { values: vec!["replicas=3".into()], ..ValueOptions::default() };
//! let loaded = load(&chart, &options)?;
//! let rendered = render_release(&loaded, &ReleaseOptions::default())?;
//! let options = helm::stream::Options { hooks: true, ..Default::default() };
//! let stream = helm::stream::text(&rendered, &options).text;
//! assert_eq!(
//!     stream,
//!     "---\n# Source: web/templates/deploy.yaml\nkind: Deployment\nmetadata:\n  name: rel-web\nspec:\n  replicas: 3\n"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod chart;
pub mod duration;
pub mod engine;
pub mod error;
pub mod funcs;
pub mod semver;
pub mod slog;
pub mod stream;

pub use error::Error;
