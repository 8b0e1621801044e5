//! Bad charts are input errors that say what and where, never panics; archives cannot reach
//! outside the chart. Helm's own messages for the same charts (checked with the real engine)
//! are quoted where ours follow them.

use std::io::Write;
use std::path::Path;

use helm::chart::{ValueOptions, load, load_chart};

/// A chart directory made of (path, content) pairs.
fn chart(files: &[(&str, &str)]) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    for (path, text) in files {
        let p = tmp.path().join(path);
        if let Some(dir) = p.parent() {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(p, text).unwrap_or_else(|e| panic!("{e}"));
    }
    tmp
}

fn error_of(files: &[(&str, &str)]) -> String {
    let tmp = chart(files);
    match load(tmp.path(), &ValueOptions::default()) {
        Ok(_) => panic!("expected an error for {files:?}"),
        Err(e) => e.to_string(),
    }
}

const CHART: &str = "apiVersion: v2\nname: c\nversion: 0.1.0\n";

#[test]
fn chart_yaml_errors_name_file_and_line() {
    let e = error_of(&[("values.yaml", "a: 1\n")]);
    assert!(e.ends_with("Chart.yaml file is missing"), "{e}");

    let e = error_of(&[(
        "Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 0.1.0\nkeywords: foo\n",
    )]);
    // Helm: cannot unmarshal string into Go struct field Metadata.keywords of type []string
    assert!(
        e.contains("Chart.yaml:4:11: expected a list of strings"),
        "{e}"
    );

    let e = error_of(&[("Chart.yaml", "apiVersion: v2\nname: c\ndescription: a: b\n")]);
    assert!(e.contains("Chart.yaml:3:"), "{e}");

    let e = error_of(&[("Chart.yaml", "apiVersion: v2\nname: c\nversion: 1.0.0.0\n")]);
    assert!(
        e.contains("chart.metadata.version \"1.0.0.0\" is invalid"),
        "{e}"
    );

    let e = error_of(&[("Chart.yaml", "apiVersion: v2\nversion: 1.0.0\n")]);
    assert!(e.contains("chart.metadata.name is required"), "{e}");

    let e = error_of(&[(
        "Chart.yaml",
        "apiVersion: v2\nname: c\nversion: 1.0.0\ntype: app\n",
    )]);
    assert!(e.contains("must be application or library"), "{e}");

    let deps = "dependencies:\n- name: a\n  alias: x\n- name: b\n  alias: x\n";
    let e = error_of(&[("Chart.yaml", &format!("{CHART}{deps}"))]);
    assert!(
        e.contains("more than one dependency with name or alias \"x\""),
        "{e}"
    );

    let e = error_of(&[(
        "Chart.yaml",
        &format!("{CHART}dependencies:\n- name: a\n  alias: a.b\n"),
    )]);
    assert!(e.contains("disallowed characters in the alias"), "{e}");

    let e = error_of(&[(
        "Chart.yaml",
        &format!("{CHART}dependencies:\n-\n- name: b\n"),
    )]);
    assert!(
        e.contains("Chart.yaml:5:2: dependencies must not contain empty or null nodes"),
        "{e}"
    );
}

#[test]
fn values_and_ignore_file_errors() {
    let e = error_of(&[
        ("Chart.yaml", CHART),
        ("values.yaml", "a: 1\nb: [unclosed\n"),
    ]);
    assert!(
        e.contains("values.yaml:") && e.contains("invalid YAML"),
        "{e}"
    );

    let e = error_of(&[("Chart.yaml", CHART), ("values.yaml", "- a\n- b\n")]);
    assert!(
        e.contains("values.yaml:1:1: a values file must be a map of keys, found a list"),
        "{e}"
    );

    let e = error_of(&[("Chart.yaml", CHART), (".helmignore", "ok\nfoo/**/bar\n")]);
    assert!(
        e.contains(".helmignore:2") && e.contains("double-star"),
        "{e}"
    );

    let e = error_of(&[("Chart.yaml", CHART), ("values.schema.json", "{\"type\": ")]);
    assert!(
        e.contains("values.schema.json:1:") && e.contains("invalid JSON schema"),
        "{e}"
    );

    // Well-formed JSON that breaks the meta-schema; Helm: "is not valid against metaschema".
    let e = error_of(&[
        ("Chart.yaml", CHART),
        ("values.yaml", "a: 1\n"),
        ("values.schema.json", "{\"type\": 5}"),
    ]);
    assert!(
        e.contains(
            "invalid schema: 5 is not valid under any of the schemas listed in the 'anyOf' keyword"
        ),
        "{e}"
    );
}

#[test]
fn charts_directory_rules() {
    // Helm: "error unpacking subchart README.md in e1: Chart.yaml file is missing".
    let e = error_of(&[("Chart.yaml", CHART), ("charts/README.md", "hi")]);
    assert!(
        e.contains("charts/README.md") && e.contains("Chart.yaml file is missing"),
        "{e}"
    );

    // Names starting with `_` or `.` are skipped; a subchart is named by its Chart.yaml.
    let tmp = chart(&[
        ("Chart.yaml", CHART),
        ("charts/_skip/junk", "x"),
        ("charts/.cache/junk", "x"),
        (
            "charts/dirname/Chart.yaml",
            "apiVersion: v2\nname: realname\nversion: 0.1.0\n",
        ),
        ("charts/dirname/templates/a.yaml", "a: 1"),
    ]);
    let r = load(tmp.path(), &ValueOptions::default()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.output_paths(), ["c/charts/realname/templates/a.yaml"]);
    assert!(r.root.values["realname"]["global"].is_object());
}

/// A gzipped tar of (path, content, kind) entries written byte by byte, so that hostile names
/// can be made.
fn tgz(entries: &[(&str, &[u8], tar::EntryType)]) -> Vec<u8> {
    gzip(&tar_of(entries))
}

/// The tar of [`tgz`], not compressed.
fn tar_of(entries: &[(&str, &[u8], tar::EntryType)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (path, data, kind) in entries {
        let mut header = tar::Header::new_gnu();
        let name = header.as_old_mut();
        name.name[..path.len()].copy_from_slice(path.as_bytes());
        header.set_entry_type(*kind);
        header.set_size(data.len() as u64);
        header.set_mode(0o644);
        if *kind == tar::EntryType::Symlink {
            header
                .set_link_name("../../../etc/passwd")
                .unwrap_or_else(|e| panic!("{e}"));
        }
        header.set_cksum();
        builder
            .append(&header, *data)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    builder.into_inner().unwrap_or_else(|e| panic!("{e}"))
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap_or_else(|e| panic!("{e}"));
    gz.finish().unwrap_or_else(|e| panic!("{e}"))
}

/// The tar of `entries` as two gzip members, concatenated, cut after the first `cut` bytes
/// (a multiple of 512: whole tar blocks), as `cat a.gz b.gz` makes one.
fn two_member_tgz(entries: &[(&str, &[u8], tar::EntryType)], cut: usize) -> Vec<u8> {
    let tar = tar_of(entries);
    let (first, second) = tar.split_at(cut);
    [gzip(first), gzip(second)].concat()
}

fn load_tgz(bytes: &[u8]) -> Result<helm::chart::Chart, String> {
    let tmp = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let path = tmp.path().join("c-0.1.0.tgz");
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{e}"));
    load_chart(&path).map_err(|e| e.to_string())
}

const FILE: tar::EntryType = tar::EntryType::Regular;

#[test]
fn archives_load_in_memory() {
    let bytes = tgz(&[
        ("c/Chart.yaml", CHART.as_bytes(), FILE),
        ("c/values.yaml", b"\xEF\xBB\xBFa: 1\n", FILE),
        ("c/templates/a.yaml", b"a: {{ .Values.a }}", FILE),
        ("c/link", b"", tar::EntryType::Symlink),
    ]);
    let c = load_tgz(&bytes).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(c.name(), "c");
    assert_eq!(c.values["a"], 1.0, "byte order mark dropped");
    // A link is never followed: like Helm, it is an empty file.
    assert_eq!(
        c.files
            .iter()
            .map(|f| (f.name.as_str(), f.data.len()))
            .collect::<Vec<_>>(),
        [("link", 0)]
    );
}

/// Go's gzip reader reads every member of a concatenated stream, so Helm (v4.1.4, checked:
/// `helm template` of such an archive renders both templates) loads the whole chart. Reading
/// only the first member would hide the second half of the chart from the check.
#[test]
fn archives_of_several_gzip_members_are_read_whole() {
    let entries = [
        ("c/Chart.yaml", CHART.as_bytes(), FILE),
        ("c/templates/a.yaml", &b"kind: A"[..], FILE),
        ("c/templates/b.yaml", &b"kind: B"[..], FILE),
    ];
    // Chart.yaml and a.yaml (a header block and a data block each) in the first member.
    let c = load_tgz(&two_member_tgz(&entries, 4 * 512)).unwrap_or_else(|e| panic!("{e}"));
    let names: Vec<&str> = c.templates.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, ["templates/a.yaml", "templates/b.yaml"]);
}

/// One more entry name than an archive may hold.
fn one_entry_too_many() -> Vec<String> {
    (0..=helm::chart::MAX_ENTRIES)
        .map(|i| format!("c/f{i}"))
        .collect()
}

/// Empty files named `names`, and the chart's `Chart.yaml`.
fn header_only_entries(names: &[String]) -> Vec<(&str, &[u8], tar::EntryType)> {
    let mut entries: Vec<(&str, &[u8], tar::EntryType)> =
        names.iter().map(|n| (n.as_str(), &b""[..], FILE)).collect();
    entries.push(("c/Chart.yaml", CHART.as_bytes(), FILE));
    entries
}

/// The size and entry budgets count across members: splitting an archive does not reset them.
#[test]
fn archives_of_several_members_keep_every_budget() {
    let big = vec![0u8; (helm::chart::MAX_FILE_BYTES + 1) as usize];
    let e = load_tgz(&two_member_tgz(
        &[
            ("c/Chart.yaml", CHART.as_bytes(), FILE),
            ("c/big.bin", &big, FILE),
        ],
        2 * 512,
    ))
    .err()
    .unwrap_or_default();
    assert!(e.contains("maximum file size"), "{e}");

    let names = one_entry_too_many();
    let entries = header_only_entries(&names);
    // Half the (empty, header-only) entries in each member.
    let e = load_tgz(&two_member_tgz(&entries, names.len() / 2 * 512))
        .err()
        .unwrap_or_default();
    assert!(e.contains("more than"), "{e}");
}

#[test]
fn archives_cannot_escape_or_explode() {
    let hostile = [
        (
            "c/../../etc/passwd",
            "illegally references parent directory",
        ),
        ("c//etc/passwd", "absolute paths"),
        ("Chart.yaml", "outside the base directory"),
        ("c/c:/windows", "illegally named files"),
    ];
    for (name, message) in hostile {
        let bytes = tgz(&[("c/Chart.yaml", CHART.as_bytes(), FILE), (name, b"x", FILE)]);
        let e = load_tgz(&bytes).err().unwrap_or_default();
        assert!(e.contains(message), "{name}: {e}");
    }
    let big = vec![0u8; (helm::chart::MAX_FILE_BYTES + 1) as usize];
    let bytes = tgz(&[
        ("c/Chart.yaml", CHART.as_bytes(), FILE),
        ("c/big.bin", &big, FILE),
    ]);
    assert!(
        load_tgz(&bytes)
            .err()
            .unwrap_or_default()
            .contains("maximum file size")
    );

    let names = one_entry_too_many();
    let entries = header_only_entries(&names);
    assert!(
        load_tgz(&tgz(&entries))
            .err()
            .unwrap_or_default()
            .contains("more than")
    );

    assert!(
        load_tgz(b"not gzip")
            .err()
            .unwrap_or_default()
            .contains("not a gzipped chart archive")
    );
    let e = load_tgz(&tgz(&[])).err().unwrap_or_default();
    assert!(e.contains("no files in chart archive"), "{e}");
}

#[cfg(unix)]
#[test]
fn directory_links_stay_inside_the_chart() {
    let tmp = chart(&[("Chart.yaml", CHART), ("files/real.txt", "data")]);
    let outside = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(outside.path().join("secret"), "s").unwrap_or_else(|e| panic!("{e}"));
    let link = |target: &Path, name: &str| {
        std::os::unix::fs::symlink(target, tmp.path().join(name)).unwrap_or_else(|e| panic!("{e}"))
    };
    link(&tmp.path().join("files/real.txt"), "inside.txt");
    let c = load_chart(tmp.path()).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        c.files
            .iter()
            .any(|f| f.name == "inside.txt" && f.data == b"data")
    );
    link(&outside.path().join("secret"), "escape.txt");
    let e = load_chart(tmp.path())
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(
        e.contains("escape.txt") && e.contains("outside the chart"),
        "{e}"
    );
}

#[test]
fn subchart_nesting_is_bounded() {
    let depth = helm::chart::MAX_SUBCHART_DEPTH + 1;
    let mut files = vec![("Chart.yaml".to_string(), CHART.to_string())];
    let mut prefix = String::new();
    for i in 0..depth {
        prefix.push_str(&format!("charts/c{i}/"));
        files.push((
            format!("{prefix}Chart.yaml"),
            format!("apiVersion: v2\nname: c{i}\nversion: 0.1.0\n"),
        ));
    }
    let refs: Vec<(&str, &str)> = files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let e = error_of(&refs);
    assert!(e.contains("nested deeper than"), "{e}");
    // One level less loads.
    let tmp = chart(&refs[..refs.len() - 1]);
    assert!(load(tmp.path(), &ValueOptions::default()).is_ok());
}

#[test]
fn missing_dependencies_are_refused_like_helm_template() {
    let deps = "apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n  - name: db\n    version: 1.x\n    condition: db.enabled\n  - name: cache\n    version: 1.x\n";
    let sub = "apiVersion: v2\nname: cache\nversion: 1.0.0\n";
    // Helm v4.2.3: disabled or not, a declared dependency must be vendored.
    let e = error_of(&[
        ("Chart.yaml", deps),
        ("values.yaml", "db:\n  enabled: false\n"),
        ("charts/cache/Chart.yaml", sub),
    ]);
    assert!(
        e.ends_with("chart dependencies are missing; run dependency update/build first: found in Chart.yaml, but missing in charts/ directory: db"),
        "{e}"
    );
    let both = error_of(&[("Chart.yaml", deps)]);
    assert!(both.ends_with("charts/ directory: db, cache"), "{both}");
}
