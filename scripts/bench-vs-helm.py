#!/usr/bin/env python3
"""rollguard against what users run: the real `helm` binary, whole processes both sides.

Pairs, run interleaved (A, B, B, A, A, B, ...: the first of a pair alternates, so drift in the
machine's load falls on both sides), several repetitions, on the corpus charts
(../shared/corpus/charts):

  render   `rollguard render CHART`  vs `helm template CHART`   per chart, median chart, loop
  check    `rollguard check CHART`   vs `helm lint CHART`       per chart (no target)
  all      one `rollguard check --all` over a directory of the corpus charts
           vs a loop of `helm template` over the same directories
  mono     one `rollguard check --all` over a generated monorepo of N charts (the corpus charts
           copied under many names): wall time and peak memory

Each process is timed from spawn to exit; its CPU time and peak resident memory come from
wait4's rusage of that child alone. Output goes to /dev/null on both sides.

A script rather than a `cargo bench` target: the measurement is of processes, and wait4's
per-child rusage is not reachable from safe Rust without a new dependency.

    python3 scripts/bench-vs-helm.py                      # everything, 5 repetitions
    python3 scripts/bench-vs-helm.py --reps 1 --charts harbor,grafana,vault --sections render,check
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cargo_binary import release_binary

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SECTIONS = ("render", "check", "all", "mono")


class Run:
    """One finished process: wall seconds, CPU seconds (user + system), peak RSS in MiB."""

    def __init__(self, wall, cpu, rss_mib, status):
        self.wall, self.cpu, self.rss_mib, self.status = wall, cpu, rss_mib, status


def run(argv, cwd=None):
    start = time.perf_counter()
    child = subprocess.Popen(
        argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux.
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, child.returncode)


def helm_binary(explicit):
    if explicit:
        return shutil.which(explicit) or str(Path(explicit).resolve())
    installer = SHARED / "helm" / "install"
    out = subprocess.run([str(installer)], check=True, capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1].strip()


def rollguard_binary(explicit):
    if explicit:
        return str(Path(explicit).resolve())
    return release_binary(ROOT)


def corpus(root, only):
    """(name, path, extra value args) of each corpus chart; a chart that does not render with
    its defaults gets the `ci/` values file INDEX.tsv names, on both sides."""
    index = {}
    lines = (root / "INDEX.tsv").read_text().splitlines()
    head = lines[0].split("\t")
    for line in lines[1:]:
        row = dict(zip(head, line.split("\t")))
        index[row["name"]] = row
    charts = []
    for name in sorted(index):
        if only and name not in only:
            continue
        row = index[name]
        path = root / name
        extra = []
        if row.get("renders_default") != "yes" and row.get("renders_with_values"):
            extra = ["-f", str(path / row["renders_with_values"])]
        charts.append((name, path, extra, row.get("renders_default") == "yes"))
    missing = (only or set()) - {c[0] for c in charts}
    if missing:
        sys.exit(f"not in the corpus: {', '.join(sorted(missing))}")
    return charts


def pairs(reps, jobs):
    """Runs every job's two commands `reps` times, interleaved; the first of each pair
    alternates between repetitions. Returns {job name: ([A runs], [B runs])}."""
    results = {name: ([], []) for name, _, _ in jobs}
    for rep in range(reps):
        for name, a, b in jobs:
            order = [(0, a), (1, b)] if rep % 2 == 0 else [(1, b), (0, a)]
            for side, command in order:
                results[name][side].append(command())
        print(f"  repetition {rep + 1}/{reps} done", file=sys.stderr)
    return results


def med(runs, field="wall"):
    return statistics.median(getattr(r, field) for r in runs)


def table(title, results, a_label, b_label):
    """Per-job medians and ratio B/A; then the median job and the loop (per repetition, the sum
    over jobs; median over repetitions)."""
    print(f"\n## {title}\n")
    print(f"| chart | {a_label} s | {b_label} s | ratio | {a_label} MiB | {b_label} MiB | exit A/B |")
    print("|---|---:|---:|---:|---:|---:|---|")
    rows = []
    for name, (a, b) in results.items():
        ma, mb = med(a), med(b)
        rows.append((name, ma, mb))
        print(
            f"| {name} | {ma:.3f} | {mb:.3f} | {mb / ma:.1f}× | {max(r.rss_mib for r in a):.0f}"
            f" | {max(r.rss_mib for r in b):.0f} | {a[0].status}/{b[0].status} |"
        )
    ma = statistics.median(r[1] for r in rows)
    mb = statistics.median(r[2] for r in rows)
    by_b = sorted(rows, key=lambda r: r[2])
    middle = by_b[len(by_b) // 2]
    reps = len(next(iter(results.values()))[0])
    loop_a = statistics.median(sum(a[i].wall for a, _ in results.values()) for i in range(reps))
    loop_b = statistics.median(sum(b[i].wall for _, b in results.values()) for i in range(reps))
    cpu_a = statistics.median(sum(a[i].cpu for a, _ in results.values()) for i in range(reps))
    cpu_b = statistics.median(sum(b[i].cpu for _, b in results.values()) for i in range(reps))
    ratios = sorted(r[2] / r[1] for r in rows)
    print()
    print(f"- median of per-chart medians: {ma:.3f} s vs {mb:.3f} s = {mb / ma:.1f}×")
    print(
        f"- the median chart by {b_label} time, {middle[0]}: {middle[1]:.3f} s vs {middle[2]:.3f} s"
        f" = {middle[2] / middle[1]:.1f}×"
    )
    print(f"- per-chart ratios: min {ratios[0]:.1f}×, median {statistics.median(ratios):.1f}×, max {ratios[-1]:.1f}×")
    print(
        f"- loop over {len(rows)} charts: {loop_a:.2f} s vs {loop_b:.2f} s wall = {loop_b / loop_a:.1f}×;"
        f" CPU {cpu_a:.2f} s vs {cpu_b:.2f} s"
    )
    return {"median": mb / ma, "loop": loop_b / loop_a, "loop_cpu": cpu_b / cpu_a}


def tree_of(charts, dest, count):
    """`count` chart directories under `dest`, the given charts cycled under new names
    (team-NN/<chart>-K), hard-linked where the file system allows (a copy otherwise)."""
    for i in range(count):
        name, path, _, _ = charts[i % len(charts)]
        target = dest / f"team-{i // 50:02}" / f"{name}-{i // len(charts)}"
        shutil.copytree(path, target, copy_function=link_or_copy)
    return sorted(p.parent for p in dest.glob("*/*/Chart.yaml"))


def link_or_copy(src, dst):
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--reps", type=int, default=5, help="repetitions of each pair (default 5)")
    p.add_argument("--charts", help="comma-separated corpus chart names (default: all)")
    p.add_argument("--sections", default=",".join(SECTIONS), help=f"any of {','.join(SECTIONS)}")
    p.add_argument("--monorepo", type=int, default=1000, help="charts in the generated monorepo")
    p.add_argument("--rollguard", help="rollguard binary (default: cargo build --release)")
    p.add_argument("--helm", help="helm binary (default: ../shared/helm/install)")
    p.add_argument("--corpus", default=str(SHARED / "corpus" / "charts"))
    args = p.parse_args()
    sections = set(args.sections.split(","))
    if sections - set(SECTIONS):
        sys.exit(f"unknown section(s): {', '.join(sections - set(SECTIONS))}")
    corpus_dir = Path(args.corpus)
    if not (corpus_dir / "INDEX.tsv").is_file():
        print(f"skipped: no corpus at {corpus_dir}")
        return
    only = set(args.charts.split(",")) if args.charts else None
    charts = corpus(corpus_dir, only)
    helm = helm_binary(args.helm)
    rollguard = rollguard_binary(args.rollguard)
    version = subprocess.run([helm, "version", "--short"], capture_output=True, text=True).stdout.strip()
    # One untimed `helm template` of each chart: the page cache holds every chart before
    # anything is timed, and a chart Helm itself refuses (a dependency not vendored) is left
    # out of every section: timing two failures compares nothing.
    refused = [n for n, c, x, _ in charts if run([helm, "template", str(c), *x]).status != 0]
    charts = [c for c in charts if c[0] not in refused]
    if refused:
        print(f"# left out, `helm template` fails on them: {', '.join(refused)}")
    print(f"# rollguard vs helm {version}: {len(charts)} charts, {args.reps} repetitions, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    summary = []

    def job(a, b, cwd=None):
        return (lambda: run(a, cwd)), (lambda: run(b, cwd))

    if "render" in sections:
        jobs = [(n, *job([rollguard, "render", str(c), *x], [helm, "template", str(c), *x])) for n, c, x, _ in charts]
        r = table("render vs helm template", pairs(args.reps, jobs), "rollguard render", "helm template")
        summary.append(f"render: median chart {r['median']:.1f}× (target 10×), loop {r['loop']:.1f}× wall,"
                       f" {r['loop_cpu']:.1f}× CPU (target 5×)")
    if "check" in sections:
        jobs = [(n, *job([rollguard, "check", str(c), *x], [helm, "lint", str(c), *x])) for n, c, x, _ in charts]
        r = table("check vs helm lint", pairs(args.reps, jobs), "rollguard check", "helm lint")
        summary.append(f"check vs lint: median chart {r['median']:.1f}×, loop {r['loop']:.1f}× wall,"
                       f" {r['loop_cpu']:.1f}× CPU (no target)")
    with tempfile.TemporaryDirectory(prefix="rollguard-bench-") as tmp:
        # `check --all` takes one set of values for every chart: the charts that need their own
        # values to render at all are left out of the repositories.
        renderable = [c for c in charts if c[3]]
        if "all" in sections and renderable:
            repo = Path(tmp) / "repo"
            dirs = tree_of(renderable, repo, len(renderable))
            check_all = [rollguard, "check", "--all"]

            def helm_loop():
                runs = [run([helm, "template", str(d)]) for d in dirs]
                return Run(sum(r.wall for r in runs), sum(r.cpu for r in runs),
                           max(r.rss_mib for r in runs), max(r.status for r in runs))

            got = pairs(args.reps, [("all", lambda: run(check_all, repo), helm_loop)])["all"]
            a, b = med(got[0]), med(got[1])
            print(f"\n## one `rollguard check --all` vs a `helm template` loop, {len(dirs)} charts\n")
            print(f"- {a:.2f} s vs {b:.2f} s wall = {b / a:.1f}× (target 20×); CPU {med(got[0], 'cpu'):.2f} s"
                  f" vs {med(got[1], 'cpu'):.2f} s; peak {max(r.rss_mib for r in got[0]):.0f} MiB"
                  f" (helm: {max(r.rss_mib for r in got[1]):.0f} MiB per process); exit {got[0][0].status}")
            summary.append(f"check --all over {len(dirs)} charts vs helm template loop: {b / a:.1f}× wall,"
                           f" {med(got[1], 'cpu') / med(got[0], 'cpu'):.1f}× CPU (target 20×); exit {got[0][0].status}")
        if "mono" in sections and renderable:
            mono = Path(tmp) / "mono"
            dirs = tree_of(renderable, mono, args.monorepo)
            runs = []
            for _ in range(max(1, min(args.reps, 3))):
                runs.append(run([rollguard, "check", "--all"], mono))
            wall = med(runs)
            print(f"\n## one `rollguard check --all` over a generated monorepo of {len(dirs)} charts\n")
            print(f"- wall {', '.join(f'{r.wall:.2f}' for r in runs)} s (median {wall:.2f} s, target < 10 s);"
                  f" CPU {med(runs, 'cpu'):.2f} s; peak {max(r.rss_mib for r in runs):.0f} MiB; exit {runs[0].status}")
            summary.append(f"monorepo of {len(dirs)} charts: {wall:.2f} s wall (target < 10 s), CPU"
                           f" {med(runs, 'cpu'):.2f} s, peak {max(r.rss_mib for r in runs):.0f} MiB; exit {runs[0].status}")
    print("\n## summary\n")
    for line in summary:
        print(f"- {line}")
    print(f"- load average at the end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
