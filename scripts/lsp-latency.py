#!/usr/bin/env python3
"""Latency of `rollguard server` from a change to the published diagnostics.

For the median and the largest chart of the corpus (by bytes, subcharts included), or the
charts named with --chart: the chart is copied into a fresh git repository and committed (so
the baseline, HEAD, is real), the server is started on it, its largest template is opened
(open latency: didOpen to the diagnostics of that document), then edited N times, one
keystroke-sized change at a time (edit latency: didChange to the diagnostics of that version,
the 200 ms debounce included). Prints one line per chart; no dependencies beyond Python 3.

    scripts/lsp-latency.py [--bin BINARY] [--corpus ../shared/corpus/charts]

Without --bin it builds the release binary and measures that.
"""

import argparse
import json
import os
import pathlib
import shutil
import statistics
import subprocess
import tempfile
import time

from cargo_binary import release_binary

DEBOUNCE_MS = 200


class Server:
    def __init__(self, binary, root):
        self.process = subprocess.Popen(
            [binary, "server"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL)
        self.next_id = 0
        self.request("initialize", {
            "processId": os.getpid(), "capabilities": {},
            "workspaceFolders": [{"uri": root.as_uri(), "name": "bench"}]})
        self.notify("initialized", {})

    def send(self, message):
        body = json.dumps(dict(message, jsonrpc="2.0")).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def receive(self):
        length = None
        while True:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError("the server closed its output")
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode().partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return json.loads(self.process.stdout.read(length))

    def request(self, method, params):
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while True:
            message = self.receive()
            if message.get("id") == self.next_id:
                return message.get("result")

    def notify(self, method, params):
        self.send({"method": method, "params": params})

    def published(self, uri, version):
        """Waits for the diagnostics of `uri` at `version`; returns how many there were."""
        while True:
            message = self.receive()
            params = message.get("params") or {}
            if (message.get("method") == "textDocument/publishDiagnostics"
                    and params.get("uri") == uri and params.get("version") == version):
                return len(params["diagnostics"])

    def close(self):
        self.request("shutdown", None)
        self.notify("exit", None)
        self.process.wait(timeout=30)


def size(path):
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def largest_template(chart):
    templates = [t for t in (chart / "templates").rglob("*")
                 if t.is_file() and t.suffix in (".yaml", ".yml") and not t.name.startswith("_")]
    return max(templates, key=lambda t: (t.stat().st_size, str(t)))


def git(repo, *args):
    subprocess.run(["git", "-c", "user.name=bench", "-c", "user.email=bench@example.com",
                    "-c", "commit.gpgsign=false", *args], cwd=repo, check=True,
                   capture_output=True)


def measure(binary, source, edits):
    with tempfile.TemporaryDirectory() as tmp:
        repo = pathlib.Path(tmp) / "repo"
        chart = repo / source.name
        shutil.copytree(source, chart)
        git(repo, "init", "-q")
        git(repo, "add", "-A")
        git(repo, "commit", "-qm", "baseline")
        server = Server(binary, repo)
        template = largest_template(chart)
        edited = template.relative_to(chart)
        uri = template.as_uri()
        text = template.read_text()
        started = time.perf_counter()
        server.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "helm", "version": 1, "text": text}})
        found = server.published(uri, 1)
        opened = (time.perf_counter() - started) * 1000
        latencies = []
        for i in range(edits):
            version = i + 2
            change = {"range": {"start": {"line": 0, "character": 0},
                                "end": {"line": 0, "character": 0}},
                      "text": "# edited\n" if i == 0 else "#"}
            started = time.perf_counter()
            server.notify("textDocument/didChange", {
                "textDocument": {"uri": uri, "version": version}, "contentChanges": [change]})
            server.published(uri, version)
            latencies.append((time.perf_counter() - started) * 1000)
        server.close()
    median = statistics.median(latencies)
    return (f"{source.name}: {size(source) / 1024:.0f} KiB, edited {edited} "
            f"({found} diagnostics there); open {opened:.0f} ms; edit median {median:.0f} ms "
            f"(check ≈ {median - DEBOUNCE_MS:.0f} ms after the {DEBOUNCE_MS} ms debounce), "
            f"min {min(latencies):.0f}, max {max(latencies):.0f} over {edits} edits")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bin", help="the rollguard binary (default: build the release one)")
    parser.add_argument("--corpus", default="../shared/corpus/charts")
    parser.add_argument("--chart", action="append", help="a chart directory (repeatable)")
    parser.add_argument("--edits", type=int, default=20)
    args = parser.parse_args()
    root = pathlib.Path(__file__).resolve().parent.parent
    binary = str(pathlib.Path(args.bin).resolve()) if args.bin else release_binary(root)
    if args.chart:
        charts = [pathlib.Path(c).resolve() for c in args.chart]
    else:
        corpus = pathlib.Path(args.corpus)
        found = sorted((c for c in corpus.iterdir() if (c / "Chart.yaml").is_file()), key=size)
        if not found:
            raise SystemExit(f"no charts under {corpus}")
        charts = [found[(len(found) - 1) // 2], found[-1]]
    for chart in charts:
        print(measure(binary, chart, args.edits), flush=True)


if __name__ == "__main__":
    main()
