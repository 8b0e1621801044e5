//! `rollguard render` against the real `helm template` (Helm v4.1.4, the official binary from
//! `../shared/helm/install`), document by document and byte for byte, for every chart of
//! `../shared/corpus/charts` with its default values and with each of its `ci/*.yaml` files;
//! and its non-hook stream against the release manifest of Helm v4.2.3 (`helm-render
//! --release-manifest`), exactly. A chart Helm refuses must be refused with Helm's message.
//!
//! What both print on standard error (Helm's warnings) must be the same lines too, in any order
//! (Helm logs the warnings of one coalescing pass in Go's random map order).
//!
//! Random output (`randAlphaNum`, `genCA`, …) differs between two Helm renders too: Helm renders
//! each case twice, and a document whose two renders differ is compared by shape (see
//! `corpus_support::same_shape`).
//!
//! The known differences between v4.1.4 and the v4.2.3 engine rollguard follows
//! (`../shared/helm/README.md`) are normalised for the v4.1.4 comparison, and nothing else:
//! - v4.1.4's default capabilities: rollguard renders with `--kube-version 1.35` and v4.1.4's
//!   extra API versions (`autoscaling/v2beta1`, `autoscaling/v2beta2`,
//!   `scheduling.k8s.io/v1alpha1`);
//! - v4.2 keeps each template's trailing newline: trailing white space of every document is
//!   ignored;
//! - v4.1.4 copies `key: null` from chart defaults into the values: lines ending in `: null`
//!   are ignored;
//! - the two word a missing dependency differently ("an error occurred while checking for chart
//!   dependencies. …" and "chart dependencies are missing; …"; rollguard says v4.2.3's): only
//!   the part from "found in Chart.yaml" on is compared.
//!
//! Helm's outputs are cached under the target directory (keyed by the chart's files, the
//! values file and the Helm version), so only a cold run pays for Helm. `#[ignore]`d: it takes
//! minutes cold; `.ci/run` runs it. `CHART=a,b` limits the charts.

#[path = "../crates/helm/tests/corpus_support/mod.rs"]
mod corpus_support;

use std::path::{Path, PathBuf};
use std::process::Command;

use corpus_support::{Case, case_hash, cases, clip, first_difference, in_parallel, same_shape};
use serde_json::{Value, json};

/// v4.1.4's API versions that v4.2.3's default set (rollguard's) lacks.
const HELM_41_EXTRA_APIS: &str =
    "autoscaling/v2beta1,autoscaling/v2beta2,scheduling.k8s.io/v1alpha1";

fn shared() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

/// What a process did.
#[derive(Clone)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn of(cmd: &mut Command) -> Run {
        match cmd.output() {
            Ok(out) => Run {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            },
            Err(e) => Run {
                code: -1,
                stdout: String::new(),
                stderr: format!("cannot run {cmd:?}: {e}"),
            },
        }
    }

    fn to_json(&self) -> Value {
        json!({"code": self.code, "stdout": self.stdout, "stderr": self.stderr})
    }

    fn from_json(v: &Value) -> Option<Run> {
        Some(Run {
            code: v["code"].as_i64()? as i32,
            stdout: v["stdout"].as_str()?.to_string(),
            stderr: v["stderr"].as_str()?.to_string(),
        })
    }

    /// Helm's error without its `Error: ` prefix and the `--debug` hint.
    fn helm_error(&self) -> String {
        let text = self
            .stderr
            .lines()
            .filter(|l| !l.starts_with("Use --debug"));
        let text: Vec<&str> = text.collect();
        let text = text.join(" ");
        let text = text
            .rsplit_once("Error: ")
            .map_or(text.as_str(), |(_, e)| e);
        words(text)
    }
}

/// The words of a message, however a terminal report wrapped and framed it.
fn words(text: &str) -> String {
    text.split(|c: char| c.is_whitespace() || c == '│')
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The lines of a warning output as a sorted list of their words: Helm logs the warnings of
/// one coalescing pass in Go's random map order.
fn warning_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text.lines().map(words).filter(|l| !l.is_empty()).collect();
    lines.sort();
    lines
}

/// The corpus charts and the helm binary; `None`, saying which is missing, to skip a test.
fn corpus_and_helm() -> Option<(PathBuf, PathBuf)> {
    let root = shared().join("corpus/charts");
    match (root.is_dir(), helm()) {
        (true, Ok(helm)) => Some((root, helm)),
        (false, _) => {
            println!("skipped: no corpus at {}", root.display());
            None
        }
        (_, Err(why)) => {
            println!("skipped: no helm binary: {why}");
            None
        }
    }
}

/// The real helm, installed by `../shared/helm/install`.
fn helm() -> Result<PathBuf, String> {
    let install = shared().join("helm/install");
    if !install.is_file() {
        return Err(format!("no {}", install.display()));
    }
    let run = Run::of(&mut Command::new(&install));
    let path = run.stdout.lines().last().unwrap_or_default().trim();
    if run.code != 0 || !Path::new(path).is_file() {
        return Err(format!("helm/install failed: {}", run.stderr.trim()));
    }
    Ok(PathBuf::from(path))
}

/// Runs `program ARGS CHART [-f VALUES]` twice (or once), cached by the case and `salt`.
fn cached_runs(
    cache: &Path,
    case: &Case,
    salt: &str,
    twice: bool,
    command: impl Fn() -> Command,
) -> (Run, Option<Run>) {
    let file = cache.join(format!("{:016x}.json", case_hash(case, salt.as_bytes())));
    let stored: Option<Value> = std::fs::read(&file)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok());
    if let Some(v) = stored
        && let Some(a) = Run::from_json(&v["a"])
    {
        return (a, Run::from_json(&v["b"]));
    }
    let run = || {
        let mut cmd = command();
        cmd.arg(&case.dir);
        if let Some(v) = &case.values {
            cmd.arg("-f").arg(v);
        }
        Run::of(&mut cmd)
    };
    let a = run();
    let b = (twice && a.code == 0).then(run);
    let record = json!({"a": a.to_json(), "b": b.as_ref().map(Run::to_json)});
    // A cache that cannot be written only costs time.
    let _ = std::fs::write(&file, record.to_string());
    (a, b)
}

fn rollguard(case: &Case, extra: &[&str]) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rollguard"));
    cmd.arg("render").arg(&case.dir).args(extra);
    if let Some(v) = &case.values {
        cmd.arg("-f").arg(v);
    }
    cmd.env_remove("HELM_NAMESPACE");
    Run::of(&mut cmd)
}

/// The documents of a `helm template` stream: each starts with `---` and a `# Source:` line.
fn documents(stream: &str) -> Vec<&str> {
    let mut starts: Vec<usize> = Vec::new();
    let mut at = 0;
    for line in stream.split_inclusive('\n') {
        if line == "---\n" && stream[at + line.len()..].starts_with("# Source: ") {
            starts.push(at);
        }
        at += line.len();
    }
    if starts.first() != Some(&0) {
        starts.insert(0, 0);
    }
    starts.push(stream.len());
    starts.windows(2).map(|w| &stream[w[0]..w[1]]).collect()
}

/// A v4.1.4 document with the known v4.1.4/v4.2.3 differences normalised (see the module doc).
fn normalised_41(doc: &str) -> String {
    doc.trim_end()
        .split('\n')
        .filter(|l| !l.ends_with(": null"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Debug, PartialEq)]
enum Verdict {
    Identical,
    RandomOnly,
    Refused,
    /// Differs from v4.1.4 only in documents where rollguard prints what v4.2.3 prints.
    AsHelm42(String),
    Differing(String),
}

/// What rollguard is compared with: Helm's two renders of a case (the second when the first
/// worked), what to make of each document, and what else counts as right.
struct Expected<'a> {
    a: &'a Run,
    b: Option<&'a Run>,
    normalise: fn(&str) -> String,
    /// Helm v4.2.3's message when it refuses the chart too (rollguard says v4.2.3's).
    refusal_42: Option<String>,
    /// Whether a document is what v4.2.3 prints (for the known v4.1.4/v4.2.3 differences).
    as_42: &'a dyn Fn(&str) -> bool,
}

/// Text without any white space or frame: rollguard's terminal report wraps long messages.
fn squeezed(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace() && *c != '│')
        .collect()
}

fn compare(want: &Expected<'_>, got: &Run) -> Verdict {
    let Expected {
        a, b, normalise, ..
    } = *want;
    if a.code != 0 {
        let mut message = a.helm_error();
        if let Some(at) = message.find("found in Chart.yaml") {
            message = message[at..].to_string();
        }
        let said = squeezed(&got.stderr);
        let says = |m: &str| said.contains(&squeezed(m));
        return if got.code == 2 && (says(&message) || want.refusal_42.as_deref().is_some_and(says))
        {
            Verdict::Refused
        } else {
            Verdict::Differing(format!(
                "Helm refuses the chart ({}), rollguard exits {}: {}",
                clip(&message),
                got.code,
                clip(&words(&got.stderr))
            ))
        };
    }
    if got.code != 0 {
        return Verdict::Differing(format!("rollguard fails: {}", clip(&words(&got.stderr))));
    }
    let docs =
        |run: &Run| -> Vec<String> { documents(&run.stdout).into_iter().map(normalise).collect() };
    let (helm, got) = (docs(a), docs(got));
    let other = b.map(docs).unwrap_or_else(|| helm.clone());
    if helm.len() != got.len() || other.len() != helm.len() {
        let first = helm.iter().zip(&got).position(|(w, g)| w != g);
        let at = first.map_or(String::new(), |i| {
            format!(
                "; first difference in document {}: {}",
                i + 1,
                first_difference(&helm[i], &got[i])
            )
        });
        return Verdict::Differing(format!(
            "{} documents, Helm prints {}{at}",
            got.len(),
            helm.len()
        ));
    }
    let mut random = false;
    let mut as_42 = Vec::new();
    for (i, ((w, o), g)) in helm.iter().zip(&other).zip(&got).enumerate() {
        if w == g {
            continue;
        }
        let source = w.lines().nth(1).unwrap_or_default();
        let why = if w == o {
            first_difference(w, g)
        } else {
            match same_shape(w, o, g) {
                Ok(()) => {
                    random = true;
                    continue;
                }
                Err(why) => why,
            }
        };
        let why = format!("document {} ({source}): {why}", i + 1);
        if !(want.as_42)(g) {
            return Verdict::Differing(why);
        }
        as_42.push(why);
    }
    match (as_42.is_empty(), random) {
        (false, _) => Verdict::AsHelm42(as_42.join("; ")),
        (true, true) => Verdict::RandomOnly,
        (true, false) => Verdict::Identical,
    }
}

/// `helm template` prints the release manifest trimmed, and a newline. The oracle fails with
/// `KeyError: 'manifest'` where the release has no manifest (every document a hook).
fn as_printed(manifest: &Run) -> Run {
    if manifest.code != 0 && manifest.stderr.contains("KeyError: 'manifest'") {
        return Run {
            code: 0,
            stdout: "\n".into(),
            stderr: String::new(),
        };
    }
    Run {
        stdout: format!("{}\n", manifest.stdout.trim()),
        ..manifest.clone()
    }
}

/// Counts of one comparison over all cases.
#[derive(Default)]
struct Totals {
    identical: usize,
    random: usize,
    refused: usize,
    as_42: Vec<String>,
    differing: Vec<String>,
}

impl Totals {
    fn add(&mut self, label: &str, verdict: &Verdict) {
        match verdict {
            Verdict::Identical => self.identical += 1,
            Verdict::RandomOnly => self.random += 1,
            Verdict::Refused => self.refused += 1,
            Verdict::AsHelm42(why) => self.as_42.push(format!("{label}: {why}")),
            Verdict::Differing(why) => self.differing.push(format!("{label}: {why}")),
        }
    }

    fn line(&self, what: &str) -> String {
        format!(
            "{what}: {} identical, {} differing only in random tokens, {} differing only where v4.2.3 differs too, {} differing, {} refused by both",
            self.identical,
            self.random,
            self.as_42.len(),
            self.differing.len(),
            self.refused
        )
    }
}

#[test]
#[ignore = "minutes cold: runs the real helm on every corpus chart; .ci/run runs it"]
fn render_prints_what_helm_template_prints() {
    let root = shared().join("corpus/charts");
    if !root.is_dir() {
        println!("skipped: no corpus at {}", root.display());
        return;
    }
    let helm = match helm() {
        Ok(helm) => helm,
        Err(why) => {
            println!("skipped: no helm binary: {why}");
            return;
        }
    };
    let oracle = shared().join("oracle/helm-render");
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("helm-stream");
    std::fs::create_dir_all(&cache).unwrap();
    let home = tempfile::tempdir().unwrap();
    let script =
        std::fs::read_to_string(shared().join("oracle/helm_render.py")).unwrap_or_default();
    let cases = cases(&root);
    let results = in_parallel(cases.len(), |i| {
        let case = &cases[i];
        let (a, b) = cached_runs(&cache, case, "helm v4.1.4 template", true, || {
            let mut cmd = Command::new(&helm);
            cmd.arg("template")
                .env_remove("HELM_NAMESPACE")
                .env("TZ", "UTC")
                .env("HELM_CACHE_HOME", home.path().join("cache"))
                .env("HELM_CONFIG_HOME", home.path().join("config"))
                .env("HELM_DATA_HOME", home.path().join("data"));
            cmd
        });
        // Random charts (their two helm renders differ) are rendered twice by v4.2.3 too.
        let random = b.as_ref().is_some_and(|b| b.stdout != a.stdout);
        let salt = format!("helm-render --release-manifest {script}");
        let (m, n) = cached_runs(&cache, case, &salt, random, || {
            let mut cmd = Command::new(&oracle);
            cmd.arg("--release-manifest").env("TZ", "UTC");
            cmd
        });
        let (m, n) = (as_printed(&m), n.as_ref().map(as_printed));
        let manifest = rollguard(case, &["--no-hooks"]);
        let v42 = compare(
            &Expected {
                a: &m,
                b: n.as_ref(),
                normalise: str::to_string,
                refusal_42: None,
                as_42: &|_| false,
            },
            &manifest,
        );
        let docs_42: Vec<&str> = documents(&m.stdout);
        let other_42: Vec<&str> = n.as_ref().map_or_else(Vec::new, |n| documents(&n.stdout));
        let trimmed = |d: &str| d.trim_end().to_string();
        let as_42 = |doc: &str| {
            docs_42.iter().enumerate().any(|(i, d)| {
                trimmed(d) == doc
                    || other_42
                        .get(i)
                        .is_some_and(|o| same_shape(&trimmed(d), &trimmed(o), doc).is_ok())
            })
        };
        let got = rollguard(
            case,
            &[
                "--kube-version",
                "1.35",
                "--api-versions",
                HELM_41_EXTRA_APIS,
            ],
        );
        let v41 = compare(
            &Expected {
                a: &a,
                b: b.as_ref(),
                normalise: normalised_41,
                refusal_42: (m.code != 0).then(|| m.helm_error()),
                as_42: &as_42,
            },
            &got,
        );
        let stderr_same = a.code != 0 || warning_lines(&a.stderr) == warning_lines(&got.stderr);
        (v41, v42, stderr_same, a.stderr, got.stderr)
    });

    let (mut t41, mut t42) = (Totals::default(), Totals::default());
    let mut stderr_differs = Vec::new();
    let mut report = String::new();
    for (case, (v41, v42, stderr_same, want, got)) in cases.iter().zip(&results) {
        let label = case.label();
        t41.add(&label, v41);
        t42.add(&label, v42);
        if !stderr_same {
            stderr_differs.push(format!(
                "{label}: helm: {} | rollguard: {}",
                clip(&words(want)),
                clip(&words(got))
            ));
        }
    }
    report.push_str(&format!("{} cases\n", cases.len()));
    report.push_str(&(t41.line("vs helm template v4.1.4") + "\n"));
    report.push_str(&(t42.line("manifest vs helm-render v4.2.3") + "\n"));
    report.push_str(&format!("stderr differs: {}\n", stderr_differs.len()));
    for (what, list) in [
        (
            "differing from v4.1.4 only where v4.2.3 differs too (known differences)",
            &t41.as_42,
        ),
        ("differing from v4.1.4", &t41.differing),
        ("differing from v4.2.3", &t42.differing),
        ("stderr differs", &stderr_differs),
    ] {
        if !list.is_empty() {
            report.push_str(&format!("\n{what}:\n  {}\n", list.join("\n  ")));
        }
    }
    println!("{report}");
    assert!(
        t41.differing.is_empty() && t42.differing.is_empty(),
        "rollguard render differs from helm template"
    );
    // Helm's warnings: values coalescing ("Ignoring non-table value" & co.), unknown hooks,
    // deprecated charts.
    assert!(
        stderr_differs.is_empty(),
        "rollguard render warns otherwise than helm template"
    );
}

#[test]
fn streams_split_into_documents_at_source_lines() {
    let stream = "---\n# Source: c/templates/a.yaml\na: 1\n---\nb: 2\n---\n# Source: c/templates/b.yaml\nc: 3\n";
    assert_eq!(
        documents(stream),
        [
            "---\n# Source: c/templates/a.yaml\na: 1\n---\nb: 2\n",
            "---\n# Source: c/templates/b.yaml\nc: 3\n"
        ]
    );
    assert_eq!(normalised_41("a:\n  b: null\n  c: 1\n\n"), "a:\n  c: 1");
}

/// `-s/--show-only`, `--include-crds` and `--skip-tests` as `helm template` has them.
#[test]
fn template_flags_match_helm() {
    let Some((root, helm)) = corpus_and_helm() else {
        return;
    };
    let cases: [(&str, &[&str]); 6] = [
        ("grafana", &["-s", "templates/*.yaml"]),
        ("grafana", &["--skip-tests"]),
        (
            "kube-prometheus-stack",
            &[
                "-s",
                "charts/*/templates/*",
                "-s",
                "templates/prometheus/service.yaml",
            ],
        ),
        ("sealed-secrets", &["--include-crds"]),
        ("traefik", &["--include-crds", "--skip-tests", "--no-hooks"]),
        ("grafana", &["-s", "templates/nope.yaml"]),
    ];
    for (chart, flags) in cases {
        let dir = root.join(chart);
        let run = |program: &Path, first: &[&str], extra: &[&str]| {
            let mut cmd = Command::new(program);
            cmd.args(first).arg(&dir).args(flags).args(extra);
            cmd.env_remove("HELM_NAMESPACE").env("TZ", "UTC");
            Run::of(&mut cmd)
        };
        let rollguard = Path::new(env!("CARGO_BIN_EXE_rollguard"));
        let extra = [
            "--kube-version",
            "1.35",
            "--api-versions",
            HELM_41_EXTRA_APIS,
        ];
        let (a, b) = (
            run(&helm, &["template"], &[]),
            run(&helm, &["template"], &[]),
        );
        let got = run(rollguard, &["render"], &extra);
        let want = Expected {
            a: &a,
            b: Some(&b),
            normalise: normalised_41,
            refusal_42: None,
            as_42: &|_| false,
        };
        let verdict = compare(&want, &got);
        assert!(
            !matches!(verdict, Verdict::Differing(_) | Verdict::AsHelm42(_)),
            "{chart} {flags:?}: {verdict:?}"
        );
    }
}

/// The files under `dir`, by path relative to it, with their text.
fn tree(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            let rel = e.path().strip_prefix(dir).unwrap().display().to_string();
            (rel, std::fs::read_to_string(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// `--output-dir`: the tree rollguard writes is the tree `helm template` writes, each file
/// compared document by document as the stream is (random tokens by shape), and it prints the
/// same `wrote` lines. Each is run twice into the same directory: resources replace their
/// files, hooks are appended to what the first run left.
#[test]
fn output_dir_writes_what_helm_writes() {
    let Some((root, helm)) = corpus_and_helm() else {
        return;
    };
    let cases: [(&str, &[&str]); 5] = [
        ("grafana", &[]),
        ("ingress-nginx", &[]),
        ("stable-mysql-2019", &[]),
        ("cert-manager", &["--skip-tests"]),
        ("kube-prometheus-stack", &["--include-crds"]),
    ];
    let rollguard = Path::new(env!("CARGO_BIN_EXE_rollguard"));
    let extra = [
        "--kube-version",
        "1.35",
        "--api-versions",
        HELM_41_EXTRA_APIS,
    ];
    for (chart, flags) in cases {
        let tmp = tempfile::tempdir().unwrap();
        // Twice into one directory; what it prints the second time, and the tree.
        let twice = |program: &Path, command: &str, name: &str, extra: &[&str]| {
            let out = tmp.path().join(name);
            let mut last = None;
            for _ in 0..2 {
                let mut cmd = Command::new(program);
                cmd.arg(command)
                    .arg(root.join(chart))
                    .args(flags)
                    .args(extra);
                cmd.arg("--output-dir").arg(&out);
                cmd.env_remove("HELM_NAMESPACE").env("TZ", "UTC");
                last = Some(Run::of(&mut cmd));
            }
            let run = last.unwrap();
            assert_eq!(run.code, 0, "{chart} {command}: {}", run.stderr);
            let stdout = run.stdout.replace(&out.display().to_string(), "OUT");
            (stdout, tree(&out))
        };
        let (a_out, a) = twice(&helm, "template", "a", &[]);
        let (_, b) = twice(&helm, "template", "b", &[]);
        let (got_out, got) = twice(rollguard, "render", "got", &extra);
        assert_eq!(got_out, a_out, "{chart}: what `render --output-dir` prints");
        let names = |t: &[(String, String)]| t.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
        assert_eq!(names(&got), names(&a), "{chart}: the files written");
        assert_eq!(names(&b), names(&a), "{chart}: helm's two trees");
        let file = |text: &str| Run {
            code: 0,
            stdout: text.to_string(),
            stderr: String::new(),
        };
        for (((path, want), (_, other)), (_, text)) in a.iter().zip(&b).zip(&got) {
            let (want, other) = (file(want), file(other));
            let expected = Expected {
                a: &want,
                b: Some(&other),
                normalise: normalised_41,
                refusal_42: None,
                as_42: &|_| false,
            };
            let verdict = compare(&expected, &file(text));
            assert!(
                !matches!(verdict, Verdict::Differing(_) | Verdict::AsHelm42(_)),
                "{chart} {path}: {verdict:?}"
            );
        }
    }
}

/// `check --renderer helm` with the real helm finds what the native renderer finds (locations
/// aside: Helm's stream has no map back to the templates), but for the rules only a native
/// render can feed (`lookup-dependent`, `kube-version-incompatible`: they read the templates
/// and Chart.yaml).
#[test]
fn renderer_helm_finds_what_the_native_renderer_finds() {
    let helm = match helm() {
        Ok(helm) => helm,
        Err(why) => return println!("skipped: no helm binary: {why}"),
    };
    let corpus = shared().join("corpus/charts");
    let mut charts = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/charts/web-v1")];
    if corpus.is_dir() {
        charts.extend(["grafana", "cert-manager", "keda"].map(|c| corpus.join(c)));
    }
    let mut compared = 0;
    for chart in charts {
        let findings = |renderer: &str| -> Vec<(String, String, String)> {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_rollguard"));
            cmd.arg("check")
                .arg(&chart)
                .args(["--no-pipelines", "--format", "json"]);
            cmd.args(["--kube-version", "1.31", "--renderer", renderer]);
            cmd.env("ROLLGUARD_HELM", &helm)
                .env_remove("HELM_NAMESPACE");
            let run = Run::of(&mut cmd);
            assert!(run.code == 0 || run.code == 1, "{renderer}: {}", run.stderr);
            let report: Value = serde_json::from_str(&run.stdout).unwrap();
            let mut found: Vec<(String, String, String)> = report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| {
                    !["lookup-dependent", "kube-version-incompatible"]
                        .contains(&f["rule"].as_str().unwrap_or_default())
                })
                .map(|f| {
                    (
                        f["rule"].to_string(),
                        f["resource"].to_string(),
                        f["message"].to_string(),
                    )
                })
                .collect();
            found.sort();
            found
        };
        let native = findings("native");
        compared += native.len();
        assert_eq!(findings("helm"), native, "{}", chart.display());
    }
    assert!(compared > 0, "no findings to compare");
}

/// `helm plugin install <this repository>` into an empty Helm home, then `helm rollguard check`:
/// Helm 4.1.4 takes the plugin as a legacy (`cli/v1`) plugin, links the repository, and `-n`
/// reaches rollguard as `HELM_NAMESPACE`. `ROLLGUARD_BIN` spares the install hook its build.
#[test]
fn helm_plugin_installs_and_runs() {
    let helm = match helm() {
        Ok(helm) => helm,
        Err(why) => return println!("skipped: no helm binary: {why}"),
    };
    let home = tempfile::tempdir().unwrap();
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let helm_run = |args: &[&str]| {
        let mut cmd = Command::new(&helm);
        cmd.args(args)
            .current_dir(repo)
            .env_remove("HELM_PLUGINS")
            .env_remove("HELM_NAMESPACE")
            .env("HELM_DATA_HOME", home.path().join("data"))
            .env("HELM_CONFIG_HOME", home.path().join("config"))
            .env("HELM_CACHE_HOME", home.path().join("cache"))
            .env("ROLLGUARD_BIN", env!("CARGO_BIN_EXE_rollguard"));
        Run::of(&mut cmd)
    };
    let repo_arg = repo.display().to_string();
    let install = helm_run(&["plugin", "install", &repo_arg]);
    assert_eq!(install.code, 0, "{}{}", install.stdout, install.stderr);
    assert!(helm_run(&["plugin", "list"]).stdout.contains("rollguard"));
    let run = helm_run(&[
        "rollguard",
        "check",
        "fixtures/charts/web-v1",
        "-n",
        "shop",
        "--no-pipelines",
        "--format",
        "json",
    ]);
    assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let namespaces: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["resource"].get("namespace"))
        .collect();
    assert!(
        !namespaces.is_empty() && namespaces.iter().all(|n| *n == "shop"),
        "{namespaces:?}"
    );
}
