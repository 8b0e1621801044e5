//! `--renderer helm`: the chart rendered by `helm template` instead of rollguard's engine, for
//! charts the native renderer gets wrong or when a team wants Helm's exact output. The stream is
//! then read like `--manifest`. Helm is found as `$ROLLGUARD_HELM`, else `$HELM_BIN` (set by
//! Helm for its plugins, so `helm rollguard` uses the Helm that called it), else `helm` on PATH.

use std::ffi::OsString;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::cli::ChartArgs;
use crate::kube::KubeVersion;
use source::SourceFile;
use source::bounded::ReadError;
use source::{InputError, Result};

/// Helm's output larger than this is refused rather than held in memory.
const MAX_OUTPUT_BYTES: u64 = 256 << 20;
/// What of helm's error output is kept for the message.
const MAX_STDERR_BYTES: u64 = 64 << 10;

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
    let mut child = Command::new(&helm)
        .args(template_args(chart, args, kube_version))
        // `-f -` values are read by helm from rollguard's own standard input.
        .stdin(Stdio::inherit())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| {
            let what = format!("cannot run helm ({} from {origin}): {e}", helm.to_string_lossy());
            InputError::in_path(&shown, what).with_help(
                "install Helm, or point ROLLGUARD_HELM at it; the default renderer (--renderer native) needs no helm",
            )
        })?;
    let fail = |message: String| InputError::in_path(&shown, message);
    // Both pipes are read as helm writes them, each bounded, so that helm never blocks on a
    // full pipe and its output is never held beyond the limit.
    let stdout = child.stdout.take().map(|s| reader(s, MAX_OUTPUT_BYTES));
    let stderr = child.stderr.take().map(|s| reader(s, MAX_STDERR_BYTES));
    let timeout = Duration::from_secs(args.render_timeout);
    let status = wait(&mut child, timeout).map_err(|e| fail(format!("helm template: {e}")))?;
    let stdout = collect(stdout);
    let stderr = collect(stderr).unwrap_or_default();
    let Some(status) = status else {
        return Err(fail(format!(
            "helm template did not finish within {} s (--render-timeout); stopped",
            args.render_timeout
        )));
    };
    // Past the limit the pipe is closed, and helm fails writing to it: the limit is the cause.
    let stdout = stdout.map_err(|e| fail(format!("helm template's output: {e}")))?;
    if !status.success() {
        return Err(fail(format!(
            "helm template failed ({status}): {}",
            String::from_utf8_lossy(&stderr).trim()
        )));
    }
    let text =
        source::bounded::text(stdout).map_err(|e| fail(format!("helm template's output: {e}")))?;
    Ok(SourceFile::new(format!("helm template {shown}"), text))
}

/// Reads a pipe on its own thread, at most `limit` bytes.
fn reader(pipe: impl Read + Send + 'static, limit: u64) -> JoinHandle<PipeRead> {
    std::thread::spawn(move || source::bounded::read_stream(pipe, limit))
}

type PipeRead = std::result::Result<Vec<u8>, ReadError>;

/// What a [`reader`] read; nothing when there was no pipe.
fn collect(handle: Option<JoinHandle<PipeRead>>) -> PipeRead {
    match handle.map(JoinHandle::join) {
        Some(Ok(read)) => read,
        _ => Ok(Vec::new()),
    }
}

/// Waits for `child` at most `timeout`; past it the child is killed and `None` returned.
fn wait(child: &mut Child, timeout: Duration) -> std::io::Result<Option<ExitStatus>> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() >= deadline {
            child.kill()?;
            child.wait()?;
            return Ok(None);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
