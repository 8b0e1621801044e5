#!/usr/bin/env python3
"""The training run for the release profile (scripts/pgo/regen runs it on an instrumented build).

It runs BIN the way the project's own tests do: every chart, manifest pair, rule manifest, SQL and
pipeline fixture under fixtures/, and every template-engine conformance case of
../shared/conformance (each written out as a one-off chart and rendered). It never runs the
corpus charts (../shared/corpus), which the benchmarks measure: a profile trained on them would
flatter the bench. Exit codes are not checked: failing renders and NO-GO reports are part of what
the binary does.

Usage: scripts/pgo/train.py BIN
"""

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml  # Debian: python3-yaml

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "fixtures"
CONFORMANCE = ROOT.parent / "shared" / "conformance" / "cases"


def run(binary, *args, cwd=ROOT):
    subprocess.run(
        [binary, *map(str, args)],
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "SOURCE_DATE_EPOCH": "0", "NO_COLOR": "1"},
        timeout=120,
        check=False,
    )


def fixtures(binary):
    charts = FIXTURES / "charts"
    for chart in sorted(p for p in charts.iterdir() if p.is_dir()):
        run(binary, "render", chart, "--seed", "1")
        run(binary, "check", chart)
        run(binary, "check", chart, "--format", "json")
    run(binary, "check", charts / "web", "--base-chart", charts / "web-v1", "--kube-version", "1.31")
    run(binary, "check", charts / "operator", "--base-chart", charts / "operator-v1")
    run(binary, "check", charts / "upgrade-render-fails", "--base-chart", charts / "upgrade-render-fails.base")
    run(binary, "check", "--all", cwd=charts)
    for pair in sorted((FIXTURES / "pairs").iterdir()):
        run(binary, "check", "--manifest", pair / "new.yaml", "--base-manifest", pair / "old.yaml")
    for manifest in sorted((FIXTURES / "rules").glob("*.yaml")):
        run(binary, "check", "--manifest", manifest, "--format", "sarif")
    for path in sorted((FIXTURES / "sql").iterdir()):
        run(binary, "check", "--migrations", path)
    for path in sorted((FIXTURES / "pipelines").iterdir()):
        run(binary, "check", charts / "web", "--pipeline", path)
    run(binary, "rules")
    run(binary, "--version")


def write_case(case, chart):
    files = case.get("files") or {}
    if "Chart.yaml" not in files:
        meta = {"apiVersion": "v2", "name": "c", "version": "0.1.0", **(case.get("chart") or {})}
        (chart / "Chart.yaml").write_text(yaml.safe_dump(meta))
    if "values_yaml" in case:
        (chart / "values.yaml").write_text(case["values_yaml"])
    for rel, text in files.items():
        path = chart / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (chart / "templates").mkdir(exist_ok=True)
    (chart / "templates" / "case.yaml").write_text(case["template"])


def conformance(binary):
    if not CONFORMANCE.is_dir():
        print(f"note: {CONFORMANCE} is absent; the profile is trained on fixtures/ only")
        return 0
    count = 0
    for path in sorted(CONFORMANCE.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text()) or []:
            with tempfile.TemporaryDirectory() as tmp:
                chart = Path(tmp) / "c"
                chart.mkdir()
                write_case(case, chart)
                release = case.get("release") or {}
                args = ["--release-name", release.get("name", "rel"), "-n", release.get("namespace", "ns")]
                args += ["--revision", release.get("revision", 1)]
                if release.get("upgrade"):
                    args.append("--is-upgrade")
                run(binary, "render", chart, "--json", *args)
            count += 1
    return count


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    binary = os.path.abspath(sys.argv[1])
    fixtures(binary)
    print(f"trained on fixtures/ and {conformance(binary)} conformance cases")


if __name__ == "__main__":
    main()
