"""`rollguard server` end to end: the real binary, driven over stdio by pytest-lsp's client.

Run by `cargo test --test integration_server` (which makes the virtualenv and sets
ROLLGUARD_BIN); by hand: `ROLLGUARD_BIN=target/<host tuple>/debug/rollguard pytest tests/lsp` (default:
`rollguard` on PATH).

Each test gets a fresh git repository holding the fixture chart `fixtures/charts/editor`,
committed, so the server's baseline (`HEAD`) is the chart as it is on disk.
"""

import asyncio
import json
import os
import pathlib
import shutil
import subprocess

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient

BIN = os.environ.get("ROLLGUARD_BIN", "rollguard")
FIXTURE = pathlib.Path(__file__).resolve().parents[2] / "fixtures/charts/editor"
TIMEOUT = 60  # seconds; an unoptimised build renders slowly on a busy machine


def git(repo, *args):
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com",
         "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
        cwd=repo, check=True, capture_output=True,
    )


@pytest.fixture
def repo(tmp_path):
    root = tmp_path / "repo"
    shutil.copytree(FIXTURE, root / "charts/editor")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "v1")
    return root


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[BIN, "server"]))
async def client(lsp_client: LanguageClient, repo):
    params = types.InitializeParams(
        capabilities=types.ClientCapabilities(),
        workspace_folders=[types.WorkspaceFolder(uri=repo.as_uri(), name="repo")],
    )
    lsp_client.initialize_result = await lsp_client.initialize_session(params)
    lsp_client.repo = repo
    yield
    await lsp_client.shutdown_session()


def chart_file(client, name):
    path = client.repo / "charts/editor" / name
    return path, path.as_uri()


def open_file(client, name):
    path, uri = chart_file(client, name)
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(
            uri=uri, language_id="helm", version=1, text=path.read_text())))
    return uri


def change(client, uri, version, line, start, end, text):
    """Replaces characters start..end of a line (0-based), as an editor sends a keystroke."""
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=line, character=start),
                              end=types.Position(line=line, character=end)),
            text=text)]))


def replace_all(client, uri, version, text):
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
        content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)]))


def write(client, message):
    """Sends a message as it is, past the client's own checks."""
    body = json.dumps(message).encode()
    client.protocol.writer.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)


async def until(client, uri, condition):
    """Waits until the diagnostics published on `uri` satisfy `condition`; returns them."""
    async def wait():
        while True:
            current = client.diagnostics.get(uri)
            if current is not None and condition(current):
                return current
            await client.wait_for_notification(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return await asyncio.wait_for(wait(), TIMEOUT)


def rules(diagnostics):
    return sorted(str(d.code) for d in diagnostics)


def has(rule):
    return lambda ds: rule in rules(ds)


def lacks(rule):
    return lambda ds: rule not in rules(ds)


async def test_initialize_announces_what_is_served(client):
    result = client.initialize_result
    assert result.server_info.name == "rollguard"
    sync = result.capabilities.text_document_sync
    assert sync.open_close
    assert sync.change == types.TextDocumentSyncKind.Incremental
    assert list(result.capabilities.execute_command_provider.commands) == ["rollguard.check"]


async def test_findings_are_published_where_the_templates_write_them(client):
    deployment = open_file(client, "templates/deployment.yaml")
    found = await until(client, deployment, has("liveness-kills-before-startup"))
    [liveness] = [d for d in found if d.code == "liveness-kills-before-startup"]
    # `livenessProbe:` on line 27 of the template, the key's column.
    assert (liveness.range.start.line, liveness.range.start.character) == (26, 10)
    assert liveness.severity == types.DiagnosticSeverity.Error
    assert liveness.source == "rollguard"
    assert "declares a startup time of 60s" in liveness.message
    # Findings of the chart's other templates are published on their own files, unopened.
    _, pvc = chart_file(client, "templates/pvc.yaml")
    [keep] = await until(client, pvc, has("pvc-no-keep-policy"))
    assert keep.severity == types.DiagnosticSeverity.Information
    assert keep.range.start.line == 3  # `name:` of the claim's metadata


async def test_an_unsaved_edit_makes_a_hazard_disappear_and_appear_again(client):
    deployment = open_file(client, "templates/deployment.yaml")
    await until(client, deployment, has("liveness-kills-before-startup"))
    # Line 29: `            initialDelaySeconds: {{ .Values.probes.livenessDelay }}`
    value = "{{ .Values.probes.livenessDelay }}"
    line = "            initialDelaySeconds: "
    change(client, deployment, 2, 28, len(line), len(line) + len(value), "90")
    await until(client, deployment, lambda ds: len(ds) == 0)
    change(client, deployment, 3, 28, len(line), len(line) + 2, "5")
    await until(client, deployment, has("liveness-kills-before-startup"))


async def test_unsaved_values_are_what_the_chart_renders_with(client):
    deployment = open_file(client, "templates/deployment.yaml")
    await until(client, deployment, has("liveness-kills-before-startup"))
    values = open_file(client, "values.yaml")
    text = chart_file(client, "values.yaml")[0].read_text()
    replace_all(client, values, 2, text.replace("livenessDelay: 10", "livenessDelay: 120"))
    await until(client, deployment, lacks("liveness-kills-before-startup"))


async def test_a_template_that_does_not_parse_is_a_diagnostic_on_its_line(client):
    pvc = open_file(client, "templates/pvc.yaml")
    await until(client, pvc, has("pvc-no-keep-policy"))
    text = chart_file(client, "templates/pvc.yaml")[0].read_text()
    broken = text.replace("{{ .Values.storage.size }}", "{{ .Values.storage.size ")
    replace_all(client, pvc, 2, broken)
    [error] = await until(client, pvc, has("input-error"))
    assert error.severity == types.DiagnosticSeverity.Error
    assert error.range.start.line == 12  # where the parser gave up: the template's end
    replace_all(client, pvc, 3, text)
    await until(client, pvc, lambda ds: rules(ds) == ["pvc-no-keep-policy"])


async def test_values_that_are_not_yaml_are_a_diagnostic_on_their_line(client):
    values = open_file(client, "values.yaml")
    replace_all(client, values, 2, "replicas: 2\nimage: [unclosed\n")
    [error] = await until(client, values, has("input-error"))
    assert error.severity == types.DiagnosticSeverity.Error
    assert error.range.start.line == 2  # the end, where `]` was still expected
    assert "YAML" in error.message


async def test_malformed_requests_are_answered_and_the_server_stays_up(client):
    with pytest.raises(Exception, match="not served"):
        await client.protocol.send_request_async("rollguard/nonsense", {})
    # A known method with params of the wrong shape, and a request before its time.
    write(client, {"jsonrpc": "2.0", "id": 9001, "method": "workspace/executeCommand",
                   "params": {"arguments": "not a command"}})
    # Bytes that are no LSP message at all: answered with a parse error, then ignored.
    client.protocol.writer.write(b"Content-Length: 9\r\n\r\n{garbage}")
    client.protocol.writer.write(b"X-Header-Without-Length\r\n\r\n")
    # Documents that are no chart file, or no file at all.
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(
            uri="untitled:Untitled-1", language_id="yaml", version=1, text="{{ nope")))
    outside = client.repo / "notes.yaml"
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(
            uri=outside.as_uri(), language_id="yaml", version=1, text="\x00\ufffe: [")))
    # Still serving: a check of the workspace publishes the chart's findings.
    result = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="rollguard.check"))
    assert result is None
    _, deployment = chart_file(client, "templates/deployment.yaml")
    await until(client, deployment, has("liveness-kills-before-startup"))


async def test_a_diff_finding_points_at_the_baseline_line_it_changes(client):
    pvc = open_file(client, "templates/pvc.yaml")
    await until(client, pvc, has("pvc-no-keep-policy"))
    # Line 9: `  storageClassName: {{ .Values.storage.storageClass | quote }}`
    start = len("  storageClassName: ")
    change(client, pvc, 2, 8, start, start + len("{{ .Values.storage.storageClass | quote }}"),
           '"fast-ssd"')
    found = await until(client, pvc, has("pvc-storage-class-changed"))
    [changed] = [d for d in found if d.code == "pvc-storage-class-changed"]
    assert changed.severity == types.DiagnosticSeverity.Error
    assert changed.range.start.line == 8
    [baseline] = changed.related_information
    assert baseline.location.uri == pvc
    assert baseline.location.range.start.line == 8
    assert "git:HEAD" in baseline.message
    assert "storageClassName: {{ .Values.storage.storageClass | quote }}" in baseline.message


def apply_edits(text, edits):
    """The text after `edits` (LSP TextEdits, applied from the last to the first)."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))

    def offset(position):
        return min(starts[min(position.line, len(lines))] + position.character, len(text))

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character),
                       reverse=True):
        text = text[:offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end):]
    return text


async def code_actions(client, uri, diagnostic):
    return await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=diagnostic.range,
        context=types.CodeActionContext(diagnostics=[diagnostic])))


def only(diagnostics, rule):
    [found] = [d for d in diagnostics if d.code == rule]
    return found


def titled(actions, words):
    [found] = [a for a in actions if words in a.title]
    return found


async def test_the_keep_policy_action_annotates_the_claim_and_the_finding_goes(client):
    pvc = open_file(client, "templates/pvc.yaml")
    keep = only(await until(client, pvc, has("pvc-no-keep-policy")), "pvc-no-keep-policy")
    actions = await code_actions(client, pvc, keep)
    fix = titled(actions, "helm.sh/resource-policy: keep")
    assert fix.kind == types.CodeActionKind.QuickFix and fix.is_preferred
    [edit] = fix.edit.changes[pvc]
    text = chart_file(client, "templates/pvc.yaml")[0].read_text()
    fixed = apply_edits(text, [edit])
    assert "metadata:\n  annotations:\n    helm.sh/resource-policy: keep\n  name:" in fixed
    replace_all(client, pvc, 2, fixed)
    await until(client, pvc, lacks("pvc-no-keep-policy"))


async def test_probe_actions_cover_the_declared_startup_time(client):
    deployment = open_file(client, "templates/deployment.yaml")
    liveness = only(await until(client, deployment, has("liveness-kills-before-startup")),
                    "liveness-kills-before-startup")
    actions = await code_actions(client, deployment, liveness)
    text = chart_file(client, "templates/deployment.yaml")[0].read_text()
    delay = titled(actions, "initialDelaySeconds to 60")
    assert "initialDelaySeconds: 60\n" in apply_edits(text, delay.edit.changes[deployment])
    startup = titled(actions, "startupProbe covering the declared 60s")
    fixed = apply_edits(text, startup.edit.changes[deployment])
    assert ("          startupProbe:\n            httpGet: {path: /healthz, port: 8080}\n"
            "            periodSeconds: 10\n            failureThreshold: 6\n"
            "          livenessProbe:\n") in fixed
    replace_all(client, deployment, 2, fixed)
    await until(client, deployment, lambda ds: len(ds) == 0)


async def test_suppressing_a_finding_annotates_its_resource(client):
    deployment = open_file(client, "templates/deployment.yaml")
    liveness = only(await until(client, deployment, has("liveness-kills-before-startup")),
                    "liveness-kills-before-startup")
    actions = await code_actions(client, deployment, liveness)
    suppress = titled(actions, "rollguard.dev/ignore")
    text = chart_file(client, "templates/deployment.yaml")[0].read_text()
    fixed = apply_edits(text, suppress.edit.changes[deployment])
    assert "  annotations:\n    rollguard.dev/ignore: liveness-kills-before-startup\n" in fixed
    replace_all(client, deployment, 2, fixed)
    await until(client, deployment, lacks("liveness-kills-before-startup"))


async def test_a_config_change_without_rollout_gets_a_checksum_annotation(client):
    values = open_file(client, "values.yaml")
    text = chart_file(client, "values.yaml")[0].read_text()
    replace_all(client, values, 2, text.replace("LOG_LEVEL: info", "LOG_LEVEL: debug"))
    _, configmap = chart_file(client, "templates/configmap.yaml")
    stale = only(await until(client, configmap, has("config-change-without-rollout")),
                 "config-change-without-rollout")
    actions = await code_actions(client, configmap, stale)
    checksum = titled(actions, "checksum/config")
    deployment_path, deployment = chart_file(client, "templates/deployment.yaml")
    fixed = apply_edits(deployment_path.read_text(), checksum.edit.changes[deployment])
    assert ("      annotations:\n        checksum/config: {{ include (print $.Template.BasePath"
            ' "/configmap.yaml") . | sha256sum }}\n') in fixed
    open_file(client, "templates/deployment.yaml")
    replace_all(client, deployment, 2, fixed)
    await until(client, configmap, lacks("config-change-without-rollout"))


async def test_hover_on_a_finding_explains_its_rule(client):
    deployment = open_file(client, "templates/deployment.yaml")
    liveness = only(await until(client, deployment, has("liveness-kills-before-startup")),
                    "liveness-kills-before-startup")
    hover = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=deployment),
        position=liveness.range.start))
    assert hover.contents.kind == types.MarkupKind.Markdown
    assert hover.contents.value.startswith("# `liveness-kills-before-startup`")
    assert "## The fix" in hover.contents.value
    nothing = await client.text_document_hover_async(types.HoverParams(
        text_document=types.TextDocumentIdentifier(uri=deployment),
        position=types.Position(line=0, character=0)))
    assert nothing is None


async def test_a_chart_outside_any_repository_is_checked_without_a_baseline(client):
    shutil.rmtree(client.repo / ".git")
    deployment = open_file(client, "templates/deployment.yaml")
    found = await until(client, deployment, has("liveness-kills-before-startup"))
    assert "input-error" not in rules(found)
