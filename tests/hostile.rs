//! Hostile and careless input, each run as a whole process under an address-space limit and a
//! wall limit: the answer is exit 2 with a message naming the input, or the right verdict —
//! never a signal, a panic or a hang. One test per cause (see README "Limits").

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Address space the binary may use (KiB, `ulimit -v`).
const ADDRESS_SPACE_KIB: u64 = 4_000_000;
/// Wall time one run may take; generous for debug builds on a shared machine.
const WALL: Duration = Duration::from_secs(120);

struct Outcome {
    code: Option<i32>,
    stdout: Vec<u8>,
    stderr: String,
}

impl Outcome {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    /// Exit 2 with a message that contains every one of `needles`.
    fn input_error(&self, needles: &[&str]) {
        self.no_crash();
        assert_eq!(
            self.code,
            Some(2),
            "expected exit 2; stderr:\n{}",
            self.stderr
        );
        // The message as one line: the report wraps long lines behind a `│` margin.
        let flat = self
            .stderr
            .replace('│', " ")
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for needle in needles {
            assert!(
                flat.contains(needle),
                "stderr lacks {needle:?}:\n{}",
                self.stderr
            );
        }
    }

    /// A verdict (exit 0 or 1).
    fn verdict(&self) {
        self.no_crash();
        assert!(
            matches!(self.code, Some(0 | 1)),
            "expected a verdict, got {:?}; stderr:\n{}",
            self.code,
            self.stderr
        );
    }

    fn no_crash(&self) {
        assert!(
            self.code.is_some(),
            "killed by a signal; stderr:\n{}",
            self.stderr
        );
        assert!(!self.stderr.contains("panicked"), "panic:\n{}", self.stderr);
        assert_ne!(self.code, Some(101), "panic exit code:\n{}", self.stderr);
    }
}

struct Run<'a> {
    dir: &'a Path,
    args: Vec<String>,
    stdin: Stdio,
    env: Vec<(String, String)>,
    limit_kib: u64,
}

fn run<'a>(dir: &'a Path, args: &[&str]) -> Run<'a> {
    Run {
        dir,
        args: args.iter().map(|a| a.to_string()).collect(),
        stdin: Stdio::null(),
        env: Vec::new(),
        limit_kib: ADDRESS_SPACE_KIB,
    }
}

/// `rollguard check --manifest MANIFEST EXTRA…` in `dir`.
fn check_manifest<'a>(dir: &'a Path, manifest: &Path, extra: &[&str]) -> Run<'a> {
    let mut args = vec!["check", "--manifest", manifest.to_str().expect("utf-8")];
    args.extend_from_slice(extra);
    run(dir, &args)
}

impl Run<'_> {
    fn stdin(mut self, stdin: impl Into<Stdio>) -> Self {
        self.stdin = stdin.into();
        self
    }

    fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    fn limit_kib(mut self, kib: u64) -> Self {
        self.limit_kib = kib;
        self
    }

    fn go(self) -> Outcome {
        self.spawn_with(|child| child)
    }

    /// Runs the binary; `handle` may take its standard output first (to close it early).
    fn spawn_with(
        self,
        handle: impl FnOnce(&mut std::process::Child) -> &mut std::process::Child,
    ) -> Outcome {
        let script = format!("ulimit -v {}; exec \"$0\" \"$@\"", self.limit_kib);
        let mut command = Command::new("sh");
        command
            .arg("-c")
            .arg(script)
            .arg(env!("CARGO_BIN_EXE_rollguard"))
            .args(&self.args)
            .current_dir(self.dir)
            .env_remove("GITHUB_ACTIONS")
            .env_remove("HELM_NAMESPACE")
            .env("NO_COLOR", "1")
            .stdin(self.stdin)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("sh runs");
        handle(&mut child);
        let out = child.stdout.take().map(|s| capture(s, 64 << 20));
        let err = child.stderr.take().map(|s| capture(s, 16 << 20));
        let deadline = Instant::now() + WALL;
        let status = loop {
            if let Some(status) = child.try_wait().expect("wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("timed out after {WALL:?}: rollguard {:?}", self.args);
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        let joined = |h: Option<std::thread::JoinHandle<Vec<u8>>>| {
            h.map(|h| h.join().unwrap_or_default()).unwrap_or_default()
        };
        Outcome {
            code: status.code(),
            stdout: joined(out),
            stderr: String::from_utf8_lossy(&joined(err)).into_owned(),
        }
    }
}

/// Reads a pipe to its end, keeping at most `keep` bytes.
fn capture(pipe: impl Read + Send + 'static, keep: usize) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut pipe = pipe;
        let mut kept = Vec::new();
        let mut buf = vec![0; 1 << 16];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            let room = keep.saturating_sub(kept.len()).min(n);
            kept.extend_from_slice(&buf[..room]);
        }
        kept
    })
}

fn write(dir: &Path, rel: &str, data: impl AsRef<[u8]>) -> PathBuf {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
    std::fs::write(&path, data).expect("write");
    path
}

fn chart(dir: &Path, name: &str) -> PathBuf {
    let root = dir.join(name);
    write(
        &root,
        "Chart.yaml",
        format!("apiVersion: v2\nname: {name}\nversion: 1.0.0\n"),
    );
    write(
        &root,
        "templates/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\ndata:\n  a: \"1\"\n",
    );
    root
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

fn has_git() -> bool {
    Command::new("git").arg("--version").output().is_ok()
}

const PVC: &str = "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  resources:\n    requests:\n      storage: 1Gi\n";

// ---- reads bounded by what is read --------------------------------------------------------

#[test]
fn endless_devices_as_any_input_file_are_refused_by_name() {
    let dir = tmp();
    let d = dir.path();
    let chart = chart(d, "app");
    let manifest = write(d, "m.yaml", PVC);
    let manifest = manifest.to_str().expect("utf-8");
    let chart = chart.to_str().expect("utf-8");
    for args in [
        vec!["check", chart, "-f", "/dev/zero"],
        vec!["check", "--manifest", "/dev/zero"],
        vec!["check", "--manifest", manifest, "--config", "/dev/zero"],
        vec!["check", "--manifest", manifest, "--accepted", "/dev/zero"],
        vec![
            "check",
            "--manifest",
            manifest,
            "--base-release",
            "/dev/zero",
        ],
        vec!["check", "--migrations", "/dev/zero"],
        vec!["check", "--manifest", "/dev/urandom"],
    ] {
        let file = args
            .iter()
            .find(|a| a.starts_with("/dev/"))
            .expect("device");
        run(d, &args).go().input_error(&[file]);
    }
    run(d, &["check", chart, "--set-file", "k=/dev/zero"])
        .go()
        .input_error(&["/dev/zero", "larger than the limit"]);
}

#[test]
fn an_endless_manifest_on_stdin_is_cut_at_the_limit() {
    let dir = tmp();
    let zero = std::fs::File::open("/dev/zero").expect("/dev/zero");
    run(dir.path(), &["check", "--manifest", "-"])
        .stdin(zero)
        .go()
        .input_error(&["<stdin>", "larger than the limit"]);
}

#[test]
fn a_chart_archive_linked_to_a_device_is_refused() {
    let dir = tmp();
    std::os::unix::fs::symlink("/dev/zero", dir.path().join("app.tgz")).expect("link");
    run(dir.path(), &["check", "app.tgz"])
        .go()
        .input_error(&["app.tgz", "larger than the limit"]);
}

#[test]
fn a_migrations_folder_larger_than_its_budget_together_is_refused() {
    let dir = tmp();
    // Each file is under the per-file limit; together they pass the folder's.
    let big = "-- padding\n".repeat(15 * 1024 * 1024 / 11);
    for i in 0..18 {
        write(dir.path(), &format!("db/V{i}__x.sql"), &big);
    }
    run(dir.path(), &["check", "--migrations", "db"])
        .go()
        .input_error(&["read together pass the limit"]);
}

#[test]
fn a_pipeline_path_that_is_a_device_is_not_reported_missing() {
    let dir = tmp();
    let m = write(dir.path(), "m.yaml", PVC);
    check_manifest(dir.path(), &m, &["--pipeline", "/dev/zero"])
        .go()
        .input_error(&["/dev/zero", "not a regular file"]);
}

// ---- text that is not text ----------------------------------------------------------------

#[test]
fn values_yaml_that_is_not_utf8_or_holds_nul_is_an_error_naming_it() {
    let dir = tmp();
    let app = chart(dir.path(), "app");
    write(&app, "values.yaml", b"a: \xff\xfe\n".as_slice());
    run(dir.path(), &["check", "app"])
        .go()
        .input_error(&["values.yaml", "not UTF-8"]);
    write(&app, "values.yaml", b"a: 1\nb: \x00\n".as_slice());
    run(dir.path(), &["check", "app"])
        .go()
        .input_error(&["values.yaml", "NUL byte"]);
    let m = write(dir.path(), "m.yaml", b"kind: ConfigMap\x00\n".as_slice());
    check_manifest(dir.path(), &m, &[])
        .go()
        .input_error(&["m.yaml", "NUL byte"]);
}

// ---- chart files: .helmignore and archives -------------------------------------------------

#[test]
fn a_helmignore_glob_with_many_stars_is_matched_in_linear_time() {
    let dir = tmp();
    let app = chart(dir.path(), "app");
    write(&app, ".helmignore", format!("{}b\n", "*a".repeat(20)));
    write(&app, &format!("files/{}", "a".repeat(200)), "x");
    run(dir.path(), &["check", "app"]).go().verdict();
}

#[test]
fn a_helmignore_linked_outside_the_chart_is_refused_without_its_content() {
    let dir = tmp();
    let app = chart(dir.path(), "app");
    write(dir.path(), "secret.txt", "[TOP-SECRET\n");
    std::os::unix::fs::symlink("../secret.txt", app.join(".helmignore")).expect("link");
    let out = run(dir.path(), &["check", "app"]).go();
    out.input_error(&[".helmignore", "outside the chart"]);
    assert!(!out.stderr.contains("TOP-SECRET"), "{}", out.stderr);
}

#[test]
fn a_helmignore_is_read_within_the_file_limit() {
    let dir = tmp();
    let app = chart(dir.path(), "app");
    write(&app, ".helmignore", "# padding\n".repeat(600_000));
    run(dir.path(), &["check", "app"])
        .go()
        .input_error(&[".helmignore", "larger than the limit"]);
    std::fs::remove_file(app.join(".helmignore")).expect("rm");
    std::os::unix::fs::symlink("/dev/zero", app.join(".helmignore")).expect("link");
    let out = run(dir.path(), &["check", "app"]).go();
    out.input_error(&[".helmignore"]);
}

/// A gzipped tar whose first entry is a GNU long name of 1 GiB (zeros; `gzip` packs them
/// into a few MB), as the hostile archives were; `None` without `gzip`.
fn long_name_archive(path: &Path) -> Option<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::GNULongName);
    header.set_path("././@LongLink").expect("path");
    header.set_size(1 << 30);
    header.set_cksum();
    let out = std::fs::File::create(path).expect("create");
    let mut gzip = Command::new("gzip")
        .arg("-1")
        .stdin(Stdio::piped())
        .stdout(out)
        .spawn()
        .ok()?;
    let mut stdin = gzip.stdin.take().expect("stdin");
    std::io::Write::write_all(&mut stdin, header.as_bytes()).expect("header");
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..1024 {
        std::io::Write::write_all(&mut stdin, &zeros).expect("zeros");
    }
    drop(stdin);
    assert!(gzip.wait().expect("gzip").success());
    Some(())
}

#[test]
fn a_tar_header_declaring_a_gibibyte_is_refused_while_read() {
    let dir = tmp();
    let d = dir.path();
    if long_name_archive(&d.join("big.tgz")).is_none() {
        eprintln!("skipped: no gzip");
        return;
    }
    let app = chart(d, "app");
    let with_sub = chart(d, "parent");
    write(
        &with_sub,
        "charts/sub.tgz",
        std::fs::read(d.join("big.tgz")).expect("read"),
    );
    // Reading the name whole would need all of the address space given (its buffer doubles
    // to 2 GiB).
    for (args, named) in [
        (vec!["check", "big.tgz"], "big.tgz"),
        (
            vec![
                "check",
                app.to_str().expect("utf-8"),
                "--base-chart",
                "big.tgz",
            ],
            "big.tgz",
        ),
        (vec!["check", "parent"], "sub.tgz"),
    ] {
        run(d, &args)
            .limit_kib(2_000_000)
            .go()
            .input_error(&[named, "holds more bytes than its files may"]);
    }
}

// ---- --set ---------------------------------------------------------------------------------

#[test]
fn set_list_indexes_are_bounded_each_and_together() {
    let dir = tmp();
    chart(dir.path(), "app");
    run(dir.path(), &["check", "app", "--set", "k[65537]=1"])
        .go()
        .input_error(&["--set", "maximum supported index"]);
    let many: Vec<String> = (0..40).map(|i| format!("k{i}[65535]=1")).collect();
    run(dir.path(), &["check", "app", "--set", &many.join(",")])
        .go()
        .input_error(&["--set", "list items together"]);
}

// ---- pipeline readers ----------------------------------------------------------------------

#[test]
fn doubling_variables_in_a_discovered_workflow_do_not_blow_up() {
    let dir = tmp();
    let d = dir.path();
    std::fs::create_dir(d.join(".git")).expect(".git");
    chart(d, "app");
    let mut env = String::from("env:\n  A0: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
    for i in 1..40 {
        env.push_str(&format!("  A{i}: ${{A{p}}}${{A{p}}}\n", p = i - 1));
    }
    let workflow = format!(
        "on: push\n{env}jobs:\n  d:\n    runs-on: x\n    steps:\n      - run: helm upgrade --install r ./app --set a=$A39\n"
    );
    write(d, ".github/workflows/deploy.yml", workflow);
    let mut vars = String::from("variables:\n  A0: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
    for i in 1..40 {
        vars.push_str(&format!("  A{i}: \"$A{p}$A{p}\"\n", p = i - 1));
    }
    write(
        d,
        ".gitlab-ci.yml",
        format!("{vars}deploy:\n  script:\n    - helm upgrade --install r ./app --set a=$A39\n"),
    );
    let mut sh = String::from("A0=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
    for i in 1..40 {
        sh.push_str(&format!("A{i}=\"$A{p}$A{p}\"\n", p = i - 1));
    }
    sh.push_str("helm upgrade --install r ./app --set a=$A39\n");
    write(d, "deploy.sh", sh);
    let mut task_vars = String::from("vars:\n  A0: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n");
    for i in 1..40 {
        task_vars.push_str(&format!(
            "  A{i}: \"{{{{.A{p}}}}}{{{{.A{p}}}}}\"\n",
            p = i - 1
        ));
    }
    write(
        d,
        "Taskfile.yml",
        format!(
            "version: '3'\n{task_vars}tasks:\n  deploy:\n    cmds:\n      - helm upgrade --install r ./app --set a={{{{.A39}}}}\n"
        ),
    );
    let out = run(d, &["check", "app", "--format", "json"]).go();
    out.verdict();
    // Each file was read: its `helm upgrade` lacks `--atomic` and more.
    for file in [
        ".github/workflows/deploy.yml",
        ".gitlab-ci.yml",
        "deploy.sh",
        "Taskfile.yml",
    ] {
        let located = format!("\"file\": \"{file}\"");
        assert!(out.stdout().contains(&located), "{file}: {}", out.stdout());
    }
}

// ---- output --------------------------------------------------------------------------------

#[test]
fn a_reader_that_closes_the_pipe_ends_the_run_quietly() {
    let dir = tmp();
    let app = chart(dir.path(), "app");
    // More than a pipe holds, so that writing meets the closed pipe.
    write(
        &app,
        "templates/big.yaml",
        format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  a: \"{}\"\n",
            "z".repeat(1 << 20)
        ),
    );
    let out = run(dir.path(), &["render", "app"]).spawn_with(|child| {
        let mut stdout = child.stdout.take().expect("stdout");
        let mut head = [0u8; 10];
        let _ = stdout.read_exact(&mut head);
        drop(stdout);
        child
    });
    out.no_crash();
    assert_eq!(out.code, Some(0), "{}", out.stderr);
}

/// `render` prints from its render thread and ends the process there: a failed write must
/// still reach `main`'s exit 2, not the thread's exit 0.
#[test]
fn a_full_disk_is_an_input_error() {
    let dir = tmp();
    chart(dir.path(), "app");
    for command in ["check", "render"] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .expect("/dev/full");
        let out = Command::new(env!("CARGO_BIN_EXE_rollguard"))
            .args([command, "app"])
            .current_dir(dir.path())
            .stdout(full)
            .output()
            .expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command}: {stderr}");
        assert!(
            stderr.contains("cannot write the output"),
            "{command}: {stderr}"
        );
    }
}

/// `render --output-dir` into a directory where someone planted a link (or a FIFO) where the
/// chart's file goes: exit 2 naming the path, nothing written through the link, no hang.
#[cfg(unix)]
#[test]
fn render_output_dir_writes_through_no_planted_link() {
    let dir = tmp();
    chart(dir.path(), "app");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    std::fs::create_dir_all(dir.path().join("out/app")).expect("mkdir");
    std::os::unix::fs::symlink(&elsewhere, dir.path().join("out/app/templates")).expect("link");
    let out = run(dir.path(), &["render", "app", "--output-dir", "out"]).go();
    out.input_error(&["out/app/templates/cm.yaml", "symbolic link"]);
    assert_eq!(std::fs::read_dir(&elsewhere).expect("dir").count(), 0);

    std::fs::remove_file(dir.path().join("out/app/templates")).expect("unlink");
    std::fs::create_dir(dir.path().join("out/app/templates")).expect("mkdir");
    let fifo = Command::new("mkfifo")
        .arg(dir.path().join("out/app/templates/cm.yaml"))
        .status();
    if fifo.is_ok_and(|s| s.success()) {
        let out = run(dir.path(), &["render", "app", "--output-dir", "out"]).go();
        out.input_error(&["out/app/templates/cm.yaml", "cannot write"]);
    }
}

/// A manifest whose names and values carry terminal escapes, markdown and workflow commands.
fn hostile_manifest(dir: &Path) -> PathBuf {
    write(
        dir,
        "m.yaml",
        "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: \"a\\e]0;owned\\a\\e[2Jb\\n::error::injected\\n<!-- hide\"\nspec:\n  resources:\n    requests:\n      storage: 1Gi\n",
    )
}

#[test]
fn control_bytes_from_the_chart_never_reach_the_terminal() {
    let dir = tmp();
    let m = hostile_manifest(dir.path());
    for format in ["human", "markdown", "github"] {
        let out = check_manifest(dir.path(), &m, &["--format", format]).go();
        out.verdict();
        let text = out.stdout();
        assert!(text.contains("pvc-no-keep-policy"), "{format}: {text}");
        assert!(
            !text.contains('\u{1b}') && !text.contains('\u{7}'),
            "{format}: {text:?}"
        );
    }
    let out = check_manifest(dir.path(), &m, &["-q"]).go();
    assert!(!out.stdout().contains('\u{1b}'), "{:?}", out.stdout());
}

#[test]
fn control_bytes_in_template_names_and_fail_messages_are_escaped() {
    let dir = tmp();
    let app = chart(dir.path(), "app");
    write(&app, "templates/a\u{1b}[2J\u{7}.yaml", PVC);
    let out = run(dir.path(), &["check", "app"]).go();
    out.verdict();
    let text = out.stdout();
    assert!(text.contains("pvc-no-keep-policy"), "{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}'),
        "{text:?}"
    );
    write(
        &app,
        "templates/a\u{1b}[2J\u{7}.yaml",
        "{{ fail \"\\x1b]0;owned\\x07\\x1b[2J\" }}\n",
    );
    let out = run(dir.path(), &["check", "app"]).go();
    out.input_error(&["owned"]);
    assert!(
        !out.stderr.contains('\u{1b}') && !out.stderr.contains('\u{7}'),
        "{:?}",
        out.stderr
    );
}

#[test]
fn markdown_output_starts_no_line_with_chart_text_and_opens_no_comment() {
    let dir = tmp();
    let m = hostile_manifest(dir.path());
    let out = check_manifest(dir.path(), &m, &["--format", "markdown"]).go();
    out.verdict();
    let text = out.stdout();
    assert!(!text.contains("<!--"), "{text}");
    assert!(text.lines().all(|l| !l.starts_with("::")), "{text}");
}

#[test]
fn a_finding_on_a_very_long_line_is_shown_without_its_snippet() {
    let dir = tmp();
    let pad = "x".repeat(100_000);
    let m = write(
        dir.path(),
        "m.yaml",
        format!(
            "{{\"apiVersion\": \"v1\", \"kind\": \"PersistentVolumeClaim\", \"metadata\": {{\"annotations\": {{\"pad\": \"{pad}\"}}, \"name\": \"data\"}}, \"spec\": {{\"resources\": {{\"requests\": {{\"storage\": \"1Gi\"}}}}}}}}\n"
        ),
    );
    let out = check_manifest(dir.path(), &m, &[]).go();
    out.verdict();
    assert!(
        out.stdout.len() < 64 * 1024,
        "{} bytes of report",
        out.stdout.len()
    );
}

#[test]
fn an_error_in_a_huge_document_does_not_echo_it() {
    let dir = tmp();
    let line = format!(
        "{{\"apiVersion\": \"v1\", \"data\": \"{}\"}}\n",
        "y".repeat(20 << 20)
    );
    let m = write(dir.path(), "m.yaml", line);
    let out = check_manifest(dir.path(), &m, &[]).go();
    out.input_error(&["m.yaml", "kind"]);
    assert!(
        out.stderr.len() < 64 * 1024,
        "{} bytes of stderr",
        out.stderr.len()
    );
}

#[test]
fn one_statement_repeated_thousands_of_times_is_one_finding() {
    let dir = tmp();
    write(
        dir.path(),
        "db/V1__drop.sql",
        "ALTER TABLE t DROP COLUMN c;\n".repeat(8000),
    );
    let out = run(dir.path(), &["check", "--migrations", "db"]).go();
    out.verdict();
    let text = out.stdout();
    assert!(text.contains("repeats 7999 more times"), "{text}");
    assert!(
        out.stdout.len() < 16 * 1024,
        "{} bytes of report",
        out.stdout.len()
    );
}

#[test]
fn a_word_like_sql_delimiter_inside_a_routine_ends() {
    // Found by fuzzing: the lexer stopped before the delimiter forever, adding an empty token
    // each time, until memory ran out.
    let dir = tmp();
    write(
        dir.path(),
        "db/V1__p.sql",
        "DELIMITER oE\nCREATE PROCEDURE p() BEGIN DELETE FROM t; oE\nALTER TABLE t DROP COLUMN c oE\n",
    );
    let out = run(dir.path(), &["check", "--migrations", "db"]).go();
    out.verdict();
    assert!(out.stdout().contains("DROP COLUMN"), "{}", out.stdout());
}

// ---- baselines that cannot be read are errors ------------------------------------------------

#[test]
fn a_baseline_revision_that_cannot_be_read_is_an_error_not_go() {
    if !has_git() {
        eprintln!("skipped: no git");
        return;
    }
    let dir = tmp();
    let d = dir.path();
    git(d, &["init", "-q"]);
    chart(d, "app");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "v1"]);
    for bad in [
        "HEAD~l",
        "no-such-branch",
        "HEAD~1..HEAD",
        "HEAD:app/Chart.yaml",
    ] {
        run(d, &["check", "app", "--base", bad])
            .go()
            .input_error(&["app"]);
    }
    run(d, &["check", "app", "--base", "HEAD"]).go().verdict();
    let outside = tmp();
    chart(outside.path(), "solo");
    run(outside.path(), &["check", "solo", "--base", "HEAD"])
        .go()
        .input_error(&["solo"]);
}

#[test]
fn git_runs_nothing_the_repository_configures() {
    if !has_git() {
        eprintln!("skipped: no git");
        return;
    }
    let dir = tmp();
    let d = dir.path();
    git(d, &["init", "-q"]);
    chart(d, "app");
    write(d, ".gitattributes", "* filter=evil\n");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "v1"]);
    let marker = d.join("ran");
    let command = format!("touch {}", marker.display());
    for key in ["filter.evil.smudge", "filter.evil.clean", "core.fsmonitor"] {
        git(d, &["config", key, &command]);
    }
    write(d, "app/values.yaml", "a: 1\n");
    run(d, &["check", "app", "--base", "HEAD"]).go().verdict();
    run(d, &["check", "--base", "HEAD", "--changed"])
        .go()
        .verdict();
    assert!(!marker.exists(), "git ran a command the repository chose");
}

#[test]
fn a_git_file_shipped_inside_the_chart_runs_nothing() {
    if !has_git() {
        eprintln!("skipped: no git");
        return;
    }
    let dir = tmp();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let app = chart(d, "app");
    git(d, &["add", "-A"]);
    git(d, &["commit", "-q", "-m", "v1"]);
    // The chart author's own repository inside the chart, and a `.git` file (which git never
    // commits, but an unpacked archive or a copied tree carries) that points the chart at it.
    let own = app.join("own");
    std::fs::create_dir(&own).expect("mkdir");
    git(&own, &["init", "-q"]);
    write(
        &own,
        "Chart.yaml",
        "apiVersion: v2\nname: app\nversion: 1.0.0\n",
    );
    write(&own, ".gitattributes", "* filter=evil\n");
    git(&own, &["add", "-A"]);
    git(&own, &["commit", "-q", "-m", "own"]);
    let marker = d.join("ran");
    let command = format!("touch {}", marker.display());
    for key in ["filter.evil.smudge", "filter.evil.clean", "core.fsmonitor"] {
        git(&own, &["config", key, &command]);
    }
    write(&app, ".git", "gitdir: own/.git\n");
    for args in [
        vec!["check", "app", "--base", "HEAD"],
        vec!["check", "--base", "HEAD", "--changed"],
    ] {
        let out = run(d, &args).go();
        out.no_crash();
        assert!(matches!(out.code, Some(0..=2)), "{args:?}: {}", out.stderr);
    }
    assert!(!marker.exists(), "git ran a command the chart chose");
}

/// The environment cannot choose the baseline's repository either: `GIT_DIR`, `GIT_WORK_TREE`
/// and the other variables that pick a repository (a hook sets some) are cleared for git, so
/// it reads the repository found from the chart, the one the nested-`.git` check vetted.
#[test]
fn git_environment_variables_do_not_choose_the_baseline() {
    if !has_git() {
        eprintln!("skipped: no git");
        return;
    }
    let pvc = |class: &str| {
        format!(
            "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  \
             storageClassName: {class}\n  resources:\n    requests:\n      storage: 1Gi\n"
        )
    };
    let commit = |dir: &Path| {
        git(dir, &["init", "-q"]);
        git(dir, &["add", "-A"]);
        git(dir, &["commit", "-q", "-m", "v1"]);
    };
    // Committed with the class `slow`, changed to `fast` since: a NO-GO against HEAD.
    let dir = tmp();
    let d = dir.path();
    let app = chart(d, "app");
    write(&app, "templates/pvc.yaml", pvc("slow"));
    commit(d);
    write(&app, "templates/pvc.yaml", pvc("fast"));
    // A repository whose chart, at its top and at `app/`, is the changed one: a GO.
    let other = tmp();
    let fake = other.path();
    for top in [fake.to_path_buf(), fake.join("app")] {
        write(
            &top,
            "Chart.yaml",
            "apiVersion: v2\nname: app\nversion: 1.0.0\n",
        );
        write(&top, "templates/pvc.yaml", pvc("fast"));
    }
    commit(fake);
    let fake_git = fake.join(".git");
    let fake_git = fake_git.to_str().expect("utf-8");
    let work = d.to_str().expect("utf-8");
    for env in [
        vec![],
        vec![("GIT_DIR", fake_git)],
        vec![("GIT_DIR", fake_git), ("GIT_WORK_TREE", work)],
    ] {
        let mut check = run(d, &["check", "app", "--base", "HEAD"]);
        for (key, value) in &env {
            check = check.env(key, value);
        }
        let out = check.go();
        assert_eq!(out.code, Some(1), "{env:?}: {}", out.stderr);
        assert!(
            out.stdout().contains("pvc-storage-class-changed"),
            "{env:?}: {}",
            out.stdout()
        );
    }
}

#[test]
fn release_records_that_are_not_releases_or_too_many_are_errors() {
    let dir = tmp();
    let d = dir.path();
    let m = write(d, "m.yaml", PVC);
    let m = m.to_str().expect("utf-8");
    // `{}` as base64, not a release.
    write(d, "r.yaml", "kind: ConfigMap\ndata:\n  release: e30=\n");
    run(d, &["check", "--manifest", m, "--base-release", "r.yaml"])
        .go()
        .input_error(&["r.yaml", "not a Helm release"]);
    for i in 0..1001 {
        write(d, &format!("many/r{i:04}.yaml"), "kind: ConfigMap\n");
    }
    run(d, &["check", "--manifest", m, "--base-release", "many"])
        .go()
        .input_error(&["many", "more than 1000 release record files"]);
}

// ---- --renderer helm -----------------------------------------------------------------------

#[test]
fn a_helm_that_hangs_or_floods_is_stopped() {
    let dir = tmp();
    let d = dir.path();
    chart(d, "app");
    let slow = write(d, "slow-helm", "#!/bin/sh\nexec sleep 600\n");
    let flood = write(d, "flood-helm", "#!/bin/sh\nexec yes\n");
    for script in [&slow, &flood] {
        let mut perms = std::fs::metadata(script).expect("meta").permissions();
        std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o755);
        std::fs::set_permissions(script, perms).expect("chmod");
    }
    let started = Instant::now();
    run(
        d,
        &[
            "check",
            "app",
            "--renderer",
            "helm",
            "--render-timeout",
            "2",
        ],
    )
    .env("ROLLGUARD_HELM", slow.to_str().expect("utf-8"))
    .go()
    .input_error(&["did not finish within 2 s"]);
    assert!(started.elapsed() < Duration::from_secs(60));
    run(d, &["check", "app", "--renderer", "helm"])
        .env("ROLLGUARD_HELM", flood.to_str().expect("utf-8"))
        .go()
        .input_error(&["larger than the limit"]);
}

// ---- the render thread ---------------------------------------------------------------------

#[test]
fn a_small_address_space_still_renders() {
    let dir = tmp();
    chart(dir.path(), "app");
    // 500 MB cannot hold the 512 MiB render stack: a smaller one is used instead.
    run(dir.path(), &["render", "app"])
        .limit_kib(500_000)
        .go()
        .verdict();
}

// ---- duplicate keys --------------------------------------------------------------------------

#[test]
fn a_repeated_kind_is_read_as_the_api_server_reads_it() {
    let dir = tmp();
    let m = write(
        dir.path(),
        "m.yaml",
        "apiVersion: v1\nkind: ConfigMap\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  resources:\n    requests:\n      storage: 1Gi\n",
    );
    let out = check_manifest(dir.path(), &m, &["--format", "json"]).go();
    out.verdict();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .filter_map(|f| f["rule"].as_str())
        .collect();
    assert!(rules.contains(&"pvc-no-keep-policy"), "{rules:?}");
}
