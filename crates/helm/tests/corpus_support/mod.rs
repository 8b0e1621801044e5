//! What the differential tests against Helm share: the corpus cases (each chart with its
//! defaults and with each of its `ci/*.yaml` values files) and the comparison of a render with
//! two Helm renders of something random (by shape). Used by `corpus_render` here and by the
//! root package's `helm_stream`.

#![allow(dead_code)]

use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// One render to compare: a chart with its defaults or with one of its `ci/` values files.
pub struct Case {
    pub chart: String,
    pub dir: PathBuf,
    pub values: Option<PathBuf>,
}

impl Case {
    pub fn label(&self) -> String {
        match &self.values {
            None => self.chart.clone(),
            Some(v) => format!(
                "{} -f ci/{}",
                self.chart,
                v.file_name().unwrap().to_string_lossy()
            ),
        }
    }
}

pub fn cases(root: &Path) -> Vec<Case> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    dirs.retain(|d| d.join("Chart.yaml").is_file());
    if let Ok(only) = std::env::var("CHART") {
        let wanted: Vec<&str> = only.split(',').collect();
        dirs.retain(|d| wanted.contains(&d.file_name().unwrap().to_string_lossy().as_ref()));
    }
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        let chart = dir.file_name().unwrap().to_string_lossy().into_owned();
        let mut ci: Vec<PathBuf> = std::fs::read_dir(dir.join("ci"))
            .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        ci.retain(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"));
        ci.sort();
        out.push(Case {
            chart: chart.clone(),
            dir: dir.clone(),
            values: None,
        });
        out.extend(ci.into_iter().map(|v| Case {
            chart: chart.clone(),
            dir: dir.clone(),
            values: Some(v),
        }));
    }
    out
}

pub fn clip(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= 160 {
        return s.to_string();
    }
    format!("{}…", chars[..160].iter().collect::<String>())
}

/// Where `got` first differs from `want`, for the report.
pub fn first_difference(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.split('\n').collect(), got.split('\n').collect());
    for i in 0..w.len().max(g.len()) {
        let (wl, gl) = (w.get(i), g.get(i));
        if wl != gl {
            return format!(
                "line {}: want {:?}, got {:?}",
                i + 1,
                wl.map(|l| clip(l)),
                gl.map(|l| clip(l))
            );
        }
    }
    "same lines".into()
}

/// A line cut into runs of word characters (base64, hex, names: where random output goes) and
/// the text between them.
pub fn tokens(line: &str) -> Vec<&str> {
    // `.` and `/` belong to bcrypt's alphabet (htpasswd salts and hashes), `+/=` to base64's.
    let word = |c: char| c.is_ascii_alphanumeric() || "+/=_-.".contains(c);
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in line.char_indices().skip(1) {
        let prev = line[..i].chars().next_back().is_some_and(word);
        if word(c) != prev {
            out.push(&line[start..i]);
            start = i;
        }
    }
    out.push(&line[start..]);
    out
}

/// Whether `got` has the shape of two Helm renders `a` and `b` that differ: the same lines,
/// where lines that `a` and `b` share are equal, and on a line where they differ, the tokens
/// they share are equal and a token they disagree on is a token (of their length when they
/// agree on it and it is short: passwords and hashes, not certificates). `Err` says where not.
pub fn same_shape(a: &str, b: &str, got: &str) -> Result<(), String> {
    let (a, b, g): (Vec<&str>, Vec<&str>, Vec<&str>) = (
        a.split('\n').collect(),
        b.split('\n').collect(),
        got.split('\n').collect(),
    );
    if a.len() != b.len() {
        return Err(format!(
            "Helm's two renders have {} and {} lines; not comparable by shape",
            a.len(),
            b.len()
        ));
    }
    if g.len() != a.len() {
        return Err(format!("{} lines, Helm renders {}", g.len(), a.len()));
    }
    for (i, ((a, b), g)) in a.iter().zip(&b).zip(&g).enumerate() {
        let fits = a == b && a == g
            || a != b && {
                let (ta, tb, tg) = (tokens(a), tokens(b), tokens(g));
                // Random text that happens to cut differently into tokens (a `-` in base64)
                // only needs the same line count.
                ta.len() != tb.len()
                    || ta.len() == tg.len()
                        && ta.iter().zip(&tb).zip(&tg).all(|((x, y), z)| {
                            x == y && x == z
                                || x != y
                                    && !z.is_empty()
                                    && (x.len() != y.len() || x.len() > 128 || z.len() == x.len())
                        })
            };
        if !fits {
            return Err(format!(
                "line {}: Helm renders {:?} or {:?}, got {:?}",
                i + 1,
                clip(a),
                clip(b),
                clip(g)
            ));
        }
    }
    Ok(())
}

/// Cache key of a case: every file of the chart, the values file, and `salt` (what renders it).
pub fn case_hash(case: &Case, salt: &[u8]) -> u64 {
    let mut h = DefaultHasher::new();
    let mut paths: Vec<PathBuf> = walkdir::WalkDir::new(&case.dir)
        .into_iter()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    paths.sort();
    for p in paths {
        h.write(
            p.strip_prefix(&case.dir)
                .unwrap()
                .to_string_lossy()
                .as_bytes(),
        );
        h.write(&std::fs::read(&p).unwrap_or_default());
    }
    if let Some(v) = &case.values {
        h.write(b"-f");
        h.write(&std::fs::read(v).unwrap_or_default());
    }
    h.write(salt);
    h.finish()
}

/// `f(0)`, …, `f(n - 1)` on a few threads, in index order.
pub fn in_parallel<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = Mutex::new(0usize);
    let results = Mutex::new(Vec::with_capacity(n));
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().min(4));
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut next = next.lock().unwrap();
                        *next += 1;
                        *next - 1
                    };
                    if i >= n {
                        break;
                    }
                    let out = f(i);
                    results.lock().unwrap().push((i, out));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, out)| out).collect()
}
