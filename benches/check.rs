//! Checking 1,000 rendered objects: the load → rules → report path of `rollguard check`,
//! against parsing the same YAML alone (the reference in the same run).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rollguard::config::Config;
use rollguard::kube::ApiTable;
use rollguard::manifest::load_stream;
use rollguard::model::{ChartInfo, ChartModel, Settings};
use rollguard::report::{Format, Report, Style};
use source::SourceFile;
use source::yaml::{Origin, parse_documents};

/// A release of `n` objects: 1 in 4 each a Deployment, a ConfigMap, a PVC and a hook Job.
fn stream(n: usize) -> String {
    let mut out = String::new();
    for i in 0..n {
        out.push_str(&format!("---\n# Source: big/templates/t{}.yaml\n", i % 40));
        out.push_str(&match i % 4 {
            0 => format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-{i}\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {{app: web-{i}}}\n  template:\n    metadata:\n      labels: {{app: web-{i}}}\n      annotations:\n        rollguard.dev/startup-seconds: \"30\"\n    spec:\n      containers:\n        - name: web\n          image: nginx:1.27\n          envFrom:\n            - configMapRef: {{name: cfg-{}}}\n          readinessProbe:\n            httpGet: {{path: /, port: 80}}\n            initialDelaySeconds: 5\n          livenessProbe:\n            httpGet: {{path: /, port: 80}}\n",
                i + 1
            ),
            1 => format!("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cfg-{i}\ndata:\n  key: value\n"),
            2 => format!("apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data-{i}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {{requests: {{storage: 1Gi}}}}\n"),
            _ => format!("apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: job-{i}\n  annotations:\n    helm.sh/hook: pre-upgrade\n    helm.sh/hook-delete-policy: hook-succeeded\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{{name: j, image: busybox}}]\n"),
        });
    }
    out
}

fn check(text: &str, settings: &Settings) -> usize {
    let file = SourceFile::new("big.yaml", text);
    let objects = load_stream(&file, "default").expect("bench stream loads");
    let chart = ChartModel {
        info: ChartInfo {
            path: "big.yaml".into(),
            name: "big".into(),
            version: None,
            baseline: None,
        },
        objects,
        invocations: Vec::new(),
        base: None,
        migrations: Default::default(),
        source: None,
        generated: Default::default(),
    };
    let mut findings = rollguard::rules::run(&chart, 0, settings);
    let unused = rollguard::suppress::apply(&mut findings, &chart, settings);
    findings.extend(rollguard::suppress::unused_findings(vec![unused], settings));
    let report = Report::new(
        vec![chart.info],
        findings,
        vec![],
        "bench".into(),
        Some(settings.kube_version),
    );
    report.render(Format::Json, Style::default()).len()
}

fn bench(c: &mut Criterion) {
    let text = stream(1000);
    let settings = Config::default().settings(ApiTable::builtin().newest(), "release-name");
    let mut group = c.benchmark_group("1000-objects");
    group.throughput(Throughput::Elements(1000));
    group.bench_function("yaml-parse-only (reference)", |b| {
        b.iter(|| parse_documents(&text, Origin::default()).map(|d| d.len()))
    });
    group.bench_function("check (load + rules + json report)", |b| {
        b.iter(|| check(&text, &settings))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
