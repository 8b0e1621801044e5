//! Running the binary from integration tests.

#![allow(dead_code)]

use std::io::Write;
use std::process::{Command, Stdio};

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\n{}",
                self.stdout, self.stderr
            )
        })
    }

    /// Findings of one rule in the JSON report.
    pub fn findings(&self, rule: &str) -> Vec<serde_json::Value> {
        self.json()["findings"]
            .as_array()
            .expect("findings array")
            .iter()
            .filter(|f| f["rule"] == rule)
            .cloned()
            .collect()
    }

    /// Every finding of the JSON report as `rule severity file:line`, in report order.
    pub fn located(&self) -> Vec<String> {
        self.json()["findings"]
            .as_array()
            .expect("findings array")
            .iter()
            .map(|f| {
                format!(
                    "{} {} {}:{}",
                    f["rule"].as_str().unwrap_or(""),
                    f["severity"].as_str().unwrap_or(""),
                    f["location"]["file"].as_str().unwrap_or(""),
                    f["location"]["line"]
                )
            })
            .collect()
    }
}

/// Runs `rollguard ARGS` in the crate root, with `stdin` as standard input.
pub fn rollguard_with_stdin(args: &[&str], stdin: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rollguard"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("GITHUB_ACTIONS")
        .env_remove("HELM_NAMESPACE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("stdin written");
    let out = child.wait_with_output().expect("binary finishes");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

pub fn rollguard(args: &[&str]) -> Run {
    rollguard_with_stdin(args, "")
}

/// `check --manifest FILE --format json` plus extra arguments.
pub fn check_json(file: &str, extra: &[&str]) -> Run {
    let mut args = vec!["check", "--manifest", file, "--format", "json"];
    args.extend_from_slice(extra);
    rollguard(&args)
}
pub mod sql_cases;
