//! Values: files, `--set` flags, coalescing with chart defaults, schema validation.

pub mod coalesce;
pub mod file;
pub mod schema;
pub mod strvals;

use std::path::PathBuf;

use source::bounded;
use source::{InputError, Result};

/// A values map: keys sorted, numbers f64 (files, `--set-json`) or i64 (`--set`).
pub type Values = serde_json::Map<String, serde_json::Value>;

/// The user's values, as `helm template` takes them.
#[derive(Debug, Clone, Default)]
pub struct ValueOptions {
    /// `-f/--values`, merged in order (later files win); `-` is standard input.
    pub value_files: Vec<PathBuf>,
    /// `--set a.b=c,…`
    pub values: Vec<String>,
    /// `--set-string`
    pub string_values: Vec<String>,
    /// `--set-json a={"b":1}`
    pub json_values: Vec<String>,
    /// `--set-file a=path`
    pub file_values: Vec<String>,
    /// `--set-literal a=text,with,commas`
    pub literal_values: Vec<String>,
}

impl ValueOptions {
    /// The merged user values. Helm applies the flags by kind, not by position: files, then
    /// `--set-json`, `--set`, `--set-string`, `--set-file`, `--set-literal`.
    pub fn user_values(&self) -> Result<Values> {
        let mut base = Values::new();
        for path in &self.value_files {
            let (shown, text) = read_values_file(path)?;
            let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
            file::merge_maps(&mut base, file::parse_values(&shown, text)?);
        }
        let read_file = |p: &str| -> std::result::Result<String, String> {
            bounded::read_file(std::path::Path::new(p), bounded::MAX_FILE_BYTES)
                .map(|b| String::from_utf8_lossy(&b).into_owned())
                .map_err(|e| format!("{p}: {e}"))
        };
        let flags: [(&str, &[String], strvals::Mode<'_>); 5] = [
            ("--set-json", &self.json_values, strvals::Mode::Json),
            ("--set", &self.values, strvals::Mode::Typed),
            ("--set-string", &self.string_values, strvals::Mode::String),
            (
                "--set-file",
                &self.file_values,
                strvals::Mode::File(&read_file),
            ),
            (
                "--set-literal",
                &self.literal_values,
                strvals::Mode::Literal,
            ),
        ];
        let mut items_left = strvals::MAX_LIST_ITEMS;
        for (flag, exprs, mode) in flags {
            for expr in exprs {
                strvals::parse_into(expr, &mut base, mode, &mut items_left).map_err(|e| {
                    InputError::new(format!("{flag} {expr}: {e}")).with_help(
                        "syntax: key.path=value,list[0].name=value; escape , and . with \\",
                    )
                })?;
            }
        }
        Ok(base)
    }
}

/// A `-f` file's display name and text. Helm also takes URLs; rollguard works offline.
fn read_values_file(path: &std::path::Path) -> Result<(String, String)> {
    let shown = path.display().to_string();
    if shown.starts_with("http://") || shown.starts_with("https://") {
        return Err(
            InputError::in_path(&shown, "cannot read a values file from a URL")
                .with_help("rollguard works offline: download the file and pass its path"),
        );
    }
    if shown == "-" {
        let text = bounded::read_text_stream(std::io::stdin(), bounded::MAX_FILE_BYTES)
            .map_err(|e| InputError::in_path("<stdin>", format!("values: {e}")))?;
        return Ok(("<stdin>".into(), text));
    }
    let text = bounded::read_text_file(path, bounded::MAX_FILE_BYTES)
        .map_err(|e| InputError::in_path(&shown, format!("values file: {e}")))?;
    Ok((shown, text))
}
