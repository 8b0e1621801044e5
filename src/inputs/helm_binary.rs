//! `--renderer helm`: the chart rendered by `helm template` instead of rollguard's engine, for
//! charts the native renderer gets wrong or when a team wants Helm's exact output. The stream is
//! then read like `--manifest`. Helm is found as `$ROLLGUARD_HELM`, else `$HELM_BIN` (set by
//! Helm for its plugins, so `helm rollguard` uses the Helm that called it), else `helm` on PATH.

use std::ffi::OsString;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;

use crate::cli::ChartArgs;
use crate::kube::KubeVersion;
use source::SourceFile;
use source::{InputError, Result};

/// Helm's output larger than this is refused rather than held in memory.
const MAX_OUTPUT_BYTES: usize = 256 << 20;

/// The helm binary to run and where its name came from (for error messages).
fn helm_binary() -> (OsString, &'static str) {
    for var in ["ROLLGUARD_HELM", "HELM_BIN"] {
        if let Some(value) = std::env::var_os(var).filter(|v| !v.is_empty()) {
            return (value, var);
        }
    }
    (OsString::from("helm"), "PATH")
}

/// `helm template` arguments equivalent to rollguard's chart options.
fn template_args(
    chart: &Path,
    args: &ChartArgs,
    kube_version: Option<KubeVersion>,
) -> Vec<OsString> {
    let mut out: Vec<OsString> = vec![
        "template".into(),
        args.release_name.clone().into(),
        chart.into(),
        "--namespace".into(),
        args.namespace.clone().into(),
    ];
    let repeated = [
        (
            "--values",
            args.values
                .iter()
                .map(|p| p.clone().into_os_string())
                .collect::<Vec<_>>(),
        ),
        ("--set", args.set.iter().map(OsString::from).collect()),
        (
            "--set-string",
            args.set_string.iter().map(OsString::from).collect(),
        ),
        (
            "--set-json",
            args.set_json.iter().map(OsString::from).collect(),
        ),
        (
            "--set-file",
            args.set_file.iter().map(OsString::from).collect(),
        ),
        (
            "--set-literal",
            args.set_literal.iter().map(OsString::from).collect(),
        ),
        (
            "--api-versions",
            args.api_versions.iter().map(OsString::from).collect(),
        ),
    ];
    for (flag, values) in repeated {
        for value in values {
            out.push(flag.into());
            out.push(value);
        }
    }
    if let Some(v) = kube_version {
        out.push("--kube-version".into());
        out.push(format!("{v}.0").into());
    }
    if args.is_upgrade {
        out.push("--is-upgrade".into());
    }
    out
}

/// Runs `helm template` on `chart` and returns its stream, named `helm template <chart>`.
pub fn render(
    chart: &Path,
    args: &ChartArgs,
    kube_version: Option<KubeVersion>,
) -> Result<Arc<SourceFile>> {
    let shown = chart.display().to_string();
    let (helm, origin) = helm_binary();
    let output = Command::new(&helm)
        .args(template_args(chart, args, kube_version))
        // `-f -` values are read by helm from rollguard's own standard input.
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .map_err(|e| {
            let what = format!("cannot run helm ({} from {origin}): {e}", helm.to_string_lossy());
            InputError::in_path(&shown, what).with_help(
                "install Helm, or point ROLLGUARD_HELM at it; the default renderer (--renderer native) needs no helm",
            )
        })?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(InputError::in_path(
            &shown,
            format!(
                "helm template failed ({}): {}",
                output.status,
                stderr.trim()
            ),
        ));
    }
    if output.stdout.len() > MAX_OUTPUT_BYTES {
        return Err(InputError::in_path(
            &shown,
            format!("helm template printed more than {MAX_OUTPUT_BYTES} bytes"),
        ));
    }
    let text = String::from_utf8(output.stdout).map_err(|e| {
        InputError::in_path(
            &shown,
            format!(
                "helm template printed non-UTF-8 text (byte {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })?;
    Ok(SourceFile::new(format!("helm template {shown}"), text))
}
