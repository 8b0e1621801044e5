//! Helm's built-in objects that have methods: `.Files` and `.Capabilities` (with
//! `KubeVersion`, `APIVersions.Has`, `HelmVersion`).

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::rc::Rc;

use crate::funcs::glob::Glob;
use gotmpl::Record;
use gotmpl::value::{Object, Value, lossy};

/// `.Files`: the chart's non-template files (Go `map[string][]byte`).
pub struct Files {
    pub files: BTreeMap<String, Rc<[u8]>>,
}

impl Files {
    fn as_map(&self) -> Value {
        Value::map(
            self.files
                .iter()
                .map(|(k, v)| (k.clone(), Value::Bytes(v.clone())))
                .collect(),
        )
    }

    /// `AsConfig`/`AsSecrets`: base names → contents, as YAML.
    fn as_yaml(&self, encode: impl Fn(&[u8]) -> String) -> Value {
        let m: BTreeMap<String, Value> = self
            .files
            .iter()
            .map(|(k, v)| {
                let base = k.rsplit('/').next().unwrap_or(k).to_string();
                (base, Value::string(encode(v)))
            })
            .collect();
        Value::string(crate::funcs::yaml::to_yaml(&Value::map(m)).unwrap_or_default())
    }
}

fn one_string<'a>(name: &str, args: &'a [Value]) -> Result<Cow<'a, str>, String> {
    match args {
        [v] => v.text().ok_or_else(|| {
            format!(
                "wrong type for value; expected string; got {}",
                v.type_name()
            )
        }),
        _ => Err(format!(
            "wrong number of args for {name}: want 1 got {}",
            args.len()
        )),
    }
}

impl Object for Files {
    fn type_name(&self) -> String {
        "engine.files".into()
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn has_method(&self, name: &str) -> bool {
        matches!(
            name,
            "Get" | "GetBytes" | "Glob" | "Lines" | "AsConfig" | "AsSecrets"
        )
    }

    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        match name {
            // A Go string of the file's bytes, UTF-8 or not.
            "Get" => {
                let path = one_string(name, args)?;
                let data = self.files.get(&*path).map(|b| b.to_vec());
                Ok(Value::go_string(data.unwrap_or_default()))
            }
            "GetBytes" => {
                let path = one_string(name, args)?;
                Ok(Value::Bytes(
                    self.files
                        .get(&*path)
                        .cloned()
                        .unwrap_or_else(|| Rc::from(&[][..])),
                ))
            }
            "Lines" => {
                let path = one_string(name, args)?;
                let Some(data) = self.files.get(&*path) else {
                    return Ok(Value::str_list(Vec::new()));
                };
                let data = data.strip_suffix(b"\n").unwrap_or(data);
                let lines = data.split(|&b| b == b'\n');
                Ok(Value::str_list(
                    lines.map(|l| Value::go_string(l.to_vec())).collect(),
                ))
            }
            "Glob" => {
                let pattern = one_string(name, args)?;
                let g = Glob::new(&pattern).map_err(|e| e.to_string())?;
                let files = self
                    .files
                    .iter()
                    .filter(|(k, _)| g.matches(k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect();
                Ok(Value::Object(Rc::new(Files { files })))
            }
            "AsConfig" => Ok(self.as_yaml(|b| lossy(b).into_owned())),
            "AsSecrets" => Ok(self.as_yaml(crate::funcs::encoding::b64_encode)),
            _ => Err(format!("{name} is not a method")),
        }
    }

    fn format_v(&self) -> String {
        gotmpl::fmt::sprint_v(&self.as_map())
    }

    fn truthy(&self) -> bool {
        !self.files.is_empty()
    }

    fn plain(&self) -> Option<Value> {
        Some(self.as_map())
    }
}

/// `.Capabilities.APIVersions`: a `[]string` with a `Has` method.
pub struct VersionSet {
    pub versions: Vec<String>,
}

impl Object for VersionSet {
    fn type_name(&self) -> String {
        "common.VersionSet".into()
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn has_method(&self, name: &str) -> bool {
        name == "Has"
    }

    fn call_method(&self, name: &str, args: &[Value]) -> Result<Value, String> {
        let wanted = one_string(name, args)?;
        Ok(Value::Bool(self.versions.iter().any(|v| *v == wanted)))
    }

    fn format_v(&self) -> String {
        format!("[{}]", self.versions.join(" "))
    }

    fn truthy(&self) -> bool {
        !self.versions.is_empty()
    }

    fn plain(&self) -> Option<Value> {
        Some(Value::str_list(
            self.versions.iter().map(|v| Value::str(v)).collect(),
        ))
    }
}

/// The API versions Helm reports when no cluster is contacted (Helm 4.2 defaults).
const DEFAULT_API_VERSIONS: &[&str] = &[
    "v1",
    "admissionregistration.k8s.io/v1",
    "admissionregistration.k8s.io/v1alpha1",
    "admissionregistration.k8s.io/v1beta1",
    "internal.apiserver.k8s.io/v1alpha1",
    "apps/v1",
    "apps/v1beta1",
    "apps/v1beta2",
    "authentication.k8s.io/v1",
    "authentication.k8s.io/v1alpha1",
    "authentication.k8s.io/v1beta1",
    "authorization.k8s.io/v1",
    "authorization.k8s.io/v1beta1",
    "autoscaling/v1",
    "autoscaling/v2",
    "batch/v1",
    "batch/v1beta1",
    "certificates.k8s.io/v1",
    "certificates.k8s.io/v1beta1",
    "certificates.k8s.io/v1alpha1",
    "coordination.k8s.io/v1alpha2",
    "coordination.k8s.io/v1beta1",
    "coordination.k8s.io/v1",
    "discovery.k8s.io/v1",
    "discovery.k8s.io/v1beta1",
    "events.k8s.io/v1",
    "events.k8s.io/v1beta1",
    "extensions/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1",
    "flowcontrol.apiserver.k8s.io/v1beta1",
    "flowcontrol.apiserver.k8s.io/v1beta2",
    "flowcontrol.apiserver.k8s.io/v1beta3",
    "networking.k8s.io/v1",
    "networking.k8s.io/v1beta1",
    "node.k8s.io/v1",
    "node.k8s.io/v1alpha1",
    "node.k8s.io/v1beta1",
    "policy/v1",
    "policy/v1beta1",
    "rbac.authorization.k8s.io/v1",
    "rbac.authorization.k8s.io/v1beta1",
    "rbac.authorization.k8s.io/v1alpha1",
    "resource.k8s.io/v1",
    "resource.k8s.io/v1beta2",
    "resource.k8s.io/v1beta1",
    "resource.k8s.io/v1alpha3",
    "scheduling.k8s.io/v1alpha2",
    "scheduling.k8s.io/v1beta1",
    "scheduling.k8s.io/v1",
    "storage.k8s.io/v1beta1",
    "storage.k8s.io/v1",
    "storage.k8s.io/v1alpha1",
    "storagemigration.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1",
];

/// What `.Capabilities` reports about the cluster. The default is what Helm 4.2 reports when
/// no cluster is contacted (`helm template`).
#[derive(Debug, Clone)]
pub struct Capabilities {
    /// `v1.36.0`: `Major` and `Minor` are taken from it.
    pub kube_version: String,
    pub api_versions: Vec<String>,
}

impl Default for Capabilities {
    fn default() -> Capabilities {
        Capabilities {
            kube_version: "v1.36.0".into(),
            api_versions: DEFAULT_API_VERSIONS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// The `.Capabilities` object.
pub fn capabilities(caps: &Capabilities) -> Value {
    let version = caps.kube_version.as_str();
    let mut parts = version.trim_start_matches('v').split(['.', '-', '+']);
    let major = parts.next().unwrap_or("").to_string();
    let minor = parts.next().unwrap_or("").to_string();
    let kube = Record {
        type_name: "common.KubeVersion",
        fields: vec![
            ("Version", Value::str(version)),
            ("Major", Value::str(&major)),
            ("Minor", Value::str(&minor)),
        ],
        shown: vec![
            Value::str(version),
            Value::str(version),
            Value::str(&major),
            Value::str(&minor),
        ],
        text: Some(version.into()),
        methods: vec![
            ("GitVersion", Value::str(version)),
            ("String", Value::str(version)),
        ],
        json: fields_json(&[("Version", version), ("Major", &major), ("Minor", &minor)]),
    };
    let helm = Record {
        type_name: "common.BuildInfo",
        fields: vec![
            ("Version", Value::str("v4.2")),
            ("GitCommit", Value::str("")),
            ("GitTreeState", Value::str("")),
            ("GoVersion", Value::str("go1.26.6")),
            ("KubeClientVersion", Value::str("v1.36")),
        ],
        shown: vec![
            Value::str("v4.2"),
            Value::str(""),
            Value::str(""),
            Value::str("go1.26.6"),
            Value::str("v1.36"),
        ],
        text: None,
        methods: Vec::new(),
        json: fields_json(&[
            ("version", "v4.2"),
            ("go_version", "go1.26.6"),
            ("kube_client_version", "v1.36"),
        ]),
    };
    let apis = VersionSet {
        versions: caps.api_versions.clone(),
    };
    let kube = Value::Object(Rc::new(kube));
    let helm = Value::Object(Rc::new(helm));
    let apis = Value::Object(Rc::new(apis));
    let json = Value::map(BTreeMap::from([
        ("KubeVersion".to_string(), kube.clone()),
        ("APIVersions".to_string(), apis.clone()),
        ("HelmVersion".to_string(), helm.clone()),
    ]));
    let caps = Record {
        type_name: "*common.Capabilities",
        fields: vec![
            ("KubeVersion", kube.clone()),
            ("APIVersions", apis.clone()),
            ("HelmVersion", helm.clone()),
        ],
        shown: vec![kube, apis, helm],
        text: None,
        methods: Vec::new(),
        json,
    };
    Value::Object(Rc::new(caps))
}

fn fields_json(fields: &[(&str, &str)]) -> Value {
    Value::map(
        fields
            .iter()
            .map(|(k, v)| (k.to_string(), Value::str(v)))
            .collect(),
    )
}

/// A nil Go map (e.g. `.Chart.Annotations` when Chart.yaml has none): prints `map[]`,
/// encodes as JSON `null`.
pub struct NilMap {
    pub type_name: &'static str,
}

impl Object for NilMap {
    fn type_name(&self) -> String {
        self.type_name.into()
    }

    fn field(&self, _name: &str) -> Option<Value> {
        None
    }

    fn format_v(&self) -> String {
        "map[]".into()
    }

    fn truthy(&self) -> bool {
        false
    }

    fn plain(&self) -> Option<Value> {
        Some(Value::Nil)
    }
}
