//! Helm release records, as `kubectl get secret sh.helm.release.v1.REL.vN -o yaml|json` prints
//! them (Secret storage driver: base64 of base64 of gzip of JSON) or the ConfigMap driver form
//! (base64 of gzip of JSON). Several records (a `List`, several files, a directory) make the
//! history window.

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use flate2::read::MultiGzDecoder;
use serde_json::Value;

use super::Revision;
use crate::manifest::{Object, load_stream};
use source::SourceFile;
use source::bounded;
use source::yaml::{Kind, Node, Origin, parse_documents};
use source::{InputError, Result};

/// Decompressed release JSON larger than this is refused.
const MAX_RELEASE_BYTES: u64 = 64 << 20;
/// Files read from a directory of release records, and records read in all: more is not a
/// release history but the wrong input, and cutting it silently could drop the revision a
/// rollback returns to.
pub const MAX_RECORDS: usize = 1000;
/// Bytes of all the record files of a directory together.
pub const MAX_TOTAL_BYTES: u64 = 512 << 20;

/// Reads every release record in `path` (a file, or a directory of `.yaml`/`.yml`/`.json` files).
pub fn load(path: &Path, namespace: &str) -> Result<Vec<Revision>> {
    let mut files = Vec::new();
    if path.is_dir() {
        let entries = std::fs::read_dir(path).map_err(|e| {
            InputError::in_path(path.display().to_string(), format!("cannot read: {e}"))
        })?;
        for entry in entries.flatten() {
            let p = entry.path();
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("");
            if p.is_file() && matches!(ext, "yaml" | "yml" | "json") {
                files.push(p);
            }
        }
        files.sort();
        if files.len() > MAX_RECORDS {
            return Err(InputError::in_path(
                path.display().to_string(),
                format!("more than {MAX_RECORDS} release record files"),
            ));
        }
    } else {
        files.push(path.to_path_buf());
    }
    let mut revisions = Vec::new();
    let mut budget = bounded::Budget::new(MAX_TOTAL_BYTES);
    for file in files {
        let name = file.display().to_string();
        let text = budget
            .read_text_file(&file, bounded::MAX_FILE_BYTES)
            .map_err(|e| InputError::in_path(&name, e.to_string()))?;
        revisions.extend(parse(&SourceFile::new(name.clone(), text), namespace)?);
        if revisions.len() > MAX_RECORDS {
            return Err(InputError::in_path(
                name,
                format!("more than {MAX_RECORDS} release records in all"),
            ));
        }
    }
    if revisions.is_empty() {
        return Err(InputError::in_path(
            path.display().to_string(),
            "no Helm release record found (expected a Secret or ConfigMap with data.release)",
        ));
    }
    Ok(revisions)
}

/// Every release record in one YAML/JSON text: a Secret, a ConfigMap, or a `List` of them.
pub fn parse(file: &Arc<SourceFile>, namespace: &str) -> Result<Vec<Revision>> {
    let docs = parse_documents(&file.text, Origin::default())
        .map_err(|e| InputError::at(file, e.span, format!("invalid YAML: {}", e.message)))?;
    let mut records = Vec::new();
    for doc in &docs {
        collect_records(doc, &mut records);
    }
    records
        .into_iter()
        .map(|node| decode_record(file, node, namespace))
        .collect()
}

fn collect_records<'a>(doc: &'a Node, out: &mut Vec<&'a Node>) {
    match doc.str_at(&["kind"]) {
        Some("Secret" | "ConfigMap") if doc.path(&["data", "release"]).is_some() => out.push(doc),
        Some(kind) if kind.ends_with("List") => {
            for item in doc.items("items") {
                collect_records(item, out);
            }
        }
        _ => {}
    }
}

fn decode_record(file: &Arc<SourceFile>, node: &Node, namespace: &str) -> Result<Revision> {
    let data = node
        .path(&["data", "release"])
        .filter(|n| matches!(n.kind, Kind::Scalar(_)))
        .ok_or_else(|| InputError::at(file, node.span, "data.release is missing"))?;
    let at = |msg: String| InputError::at(file, data.span, msg);
    let json = decode_payload(data.as_str().unwrap_or("")).map_err(at)?;
    let release: Value = serde_json::from_slice(&json)
        .map_err(|e| InputError::at(file, data.span, format!("release JSON is invalid: {e}")))?;
    // What decodes must be a release, or the baseline would silently be empty.
    let is_release = release["name"].is_string()
        && release["version"].is_u64()
        && matches!(release.get("manifest"), None | Some(Value::String(_)));
    if !is_release {
        return Err(at(
            "data.release decodes to JSON that is not a Helm release (a name, a version and a manifest)".into(),
        ));
    }
    let number = release["version"]
        .as_u64()
        .and_then(|v| u32::try_from(v).ok());
    let ns = release["namespace"]
        .as_str()
        .unwrap_or(namespace)
        .to_string();
    let rev = number.map_or_else(|| "?".to_string(), |n| n.to_string());
    let release_name = release["name"].as_str().unwrap_or("release");

    let manifest = release["manifest"].as_str().unwrap_or("");
    let source = SourceFile::new(
        format!("{} ({release_name} revision {rev}: manifest)", file.name),
        manifest,
    );
    let mut objects = load_stream(&source, &ns)?;
    for hook in release["hooks"].as_array().into_iter().flatten() {
        objects.extend(hook_objects(file, hook, release_name, &rev, &ns)?);
    }
    Ok(Revision {
        number,
        status: release["info"]["status"].as_str().map(str::to_string),
        chart_version: release["chart"]["metadata"]["version"]
            .as_str()
            .map(str::to_string),
        objects,
        crds: None,
    })
}

fn hook_objects(
    file: &Arc<SourceFile>,
    hook: &Value,
    release: &str,
    rev: &str,
    namespace: &str,
) -> Result<Vec<Object>> {
    let path = hook["path"].as_str().unwrap_or("hook");
    let source = SourceFile::new(
        format!("{} ({release} revision {rev}: hook {path})", file.name),
        hook["manifest"].as_str().unwrap_or(""),
    );
    let mut objects = load_stream(&source, namespace)?;
    for o in &mut objects {
        o.template = Some(path.to_string());
    }
    Ok(objects)
}

/// Undoes the storage encoding: base64 (once for ConfigMaps, twice for Secrets), then gzip
/// (Helm 3 always compresses; plain JSON is accepted too).
fn decode_payload(text: &str) -> Result<Vec<u8>, String> {
    let mut bytes: Vec<u8> = text.split_whitespace().collect::<String>().into_bytes();
    for _ in 0..3 {
        if bytes.starts_with(&[0x1f, 0x8b]) {
            let mut out = Vec::new();
            // All members, as Go's gzip reader decodes Helm's stored release.
            MultiGzDecoder::new(bytes.as_slice())
                .take(MAX_RELEASE_BYTES + 1)
                .read_to_end(&mut out)
                .map_err(|e| format!("release payload is not valid gzip: {e}"))?;
            if out.len() as u64 > MAX_RELEASE_BYTES {
                return Err(format!(
                    "release payload exceeds {} MiB",
                    MAX_RELEASE_BYTES >> 20
                ));
            }
            return Ok(out);
        }
        if bytes.first() == Some(&b'{') {
            return Ok(bytes);
        }
        bytes = STANDARD
            .decode(&bytes)
            .map_err(|e| format!("data.release is not valid base64: {e}"))?;
    }
    Err("data.release does not decode to a Helm release (base64 → gzip → JSON)".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::Compression;
    use flate2::write::GzEncoder;
    use std::io::Write;

    fn gzip(text: &str) -> Vec<u8> {
        let mut gz = GzEncoder::new(Vec::new(), Compression::default());
        gz.write_all(text.as_bytes()).unwrap();
        gz.finish().unwrap()
    }

    fn encode(json: &str) -> String {
        STANDARD.encode(gzip(json))
    }

    const RELEASE: &str = r#"{"name":"shop","version":3,"namespace":"prod","info":{"status":"deployed"},
        "chart":{"metadata":{"name":"shop","version":"1.2.0"}},
        "manifest":"---\n# Source: shop/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg\n",
        "hooks":[{"name":"migrate","kind":"Job","path":"shop/templates/job.yaml",
          "manifest":"apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-upgrade\n"}]}"#;

    #[test]
    fn decodes_secret_and_configmap_forms() {
        let inner = encode(RELEASE);
        let secret = format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: sh.helm.release.v1.shop.v3\ntype: helm.sh/release.v1\ndata:\n  release: {}\n",
            STANDARD.encode(&inner)
        );
        let configmap = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: shop.v3\ndata:\n  release: {inner}\n"
        );
        for text in [secret, configmap] {
            let revs = parse(&SourceFile::new("r.yaml", text), "default").unwrap();
            assert_eq!(revs.len(), 1);
            let r = &revs[0];
            assert_eq!(
                (r.number, r.status.as_deref(), r.chart_version.as_deref()),
                (Some(3), Some("deployed"), Some("1.2.0"))
            );
            assert_eq!(r.objects.len(), 2);
            assert_eq!(r.objects[0].id.to_string(), "ConfigMap prod/cfg");
            assert_eq!(
                r.objects[1].hook.as_ref().map(|h| h.events.clone()),
                Some(vec!["pre-upgrade".to_string()])
            );
            assert_eq!(
                r.objects[1].template.as_deref(),
                Some("shop/templates/job.yaml")
            );
        }
    }

    /// Helm decodes a release with Go's gzip reader, which reads every member: a payload
    /// compressed in two members is the whole release, not its first half.
    #[test]
    fn payloads_of_several_gzip_members_are_read_whole() {
        let (first, second) = RELEASE.split_at(RELEASE.len() / 2);
        let payload = STANDARD.encode([gzip(first), gzip(second)].concat());
        let text = format!("kind: ConfigMap\ndata:\n  release: {payload}\n");
        let revs = parse(&SourceFile::new("r.yaml", text), "default").unwrap();
        assert_eq!(revs[0].objects.len(), 2);
    }

    #[test]
    fn corrupt_payloads_are_clear_errors() {
        for (payload, expected) in [
            ("!!!notbase64", "not valid base64"),
            (
                &STANDARD.encode([0x1f, 0x8b, 1, 2, 3])[..],
                "not valid gzip",
            ),
            (&encode("{not json")[..], "release JSON is invalid"),
            (&encode("{}")[..], "not a Helm release"),
            (
                &encode(r#"{"name":"x","version":"1"}"#)[..],
                "not a Helm release",
            ),
            (&encode(r#"[1,2]"#)[..], "not a Helm release"),
        ] {
            let text = format!("kind: ConfigMap\ndata:\n  release: \"{payload}\"\n");
            let err = parse(&SourceFile::new("r.yaml", text), "default").unwrap_err();
            assert!(err.to_string().contains(expected), "{err}");
            assert_eq!(err.span.map(|s| s.line), Some(3));
        }
    }
}
