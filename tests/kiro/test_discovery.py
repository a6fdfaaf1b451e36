"""Workspace discovery: both hook formats, user and workspace mcp.json, malformed files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from exporter.kiro.hook_exec import DEFAULT_TIMEOUT as KIRO_DEFAULT_TIMEOUT
from exporter.sources.discovery import (KiroDiscovery, Malformed, parse_legacy_hook,
                                        parse_mcp_json, parse_v1_hooks, scan, strip_jsonc)


LEGACY_LINT = {"name": "lint-on-save", "version": "1", "when": {"type": "fileEdited",
               "patterns": ["**/*.py"]},
               "then": {"type": "runCommand",
                        "command": "perfcycle-hook-exec --name lint-on-save -- ruff check ."}}
V1_FILE = {"version": "v1", "hooks": [
    {"name": "guard-shell", "trigger": "PreToolUse", "matcher": "shell",
     "action": {"type": "command", "command": "./guard.sh"}, "timeout": 30},
    {"name": "remind-tests", "trigger": "PostFileSave", "enabled": False,
     "action": {"type": "agent", "prompt": "Update the tests"}},
]}
MCP_WORKSPACE = """{
  // workspace servers: comments, trailing commas and unknown keys are fine
  "mcpServers": {
    "git": {"command": "perfcycle-mcp-proxy", "args": ["--server", "git", "--", "uvx",
            "mcp-server-git"], "autoApprove": ["git_status", "git_log"], "x-note": 1,},
    "docs": {"url": "https://docs.example.com/mcp", "headers": {"Authorization": "x"}},
    /* a server switched off */
    "old": {"command": "node", "args": ["old.js"], "disabled": true,
            "disabledTools": ["drop_table"]},
  },
  "someFutureKey": {"a": [1, 2,]},
}"""
MCP_USER = json.dumps({"mcpServers": {
    "git": {"command": "uvx", "args": ["mcp-server-git"]},       # shadowed by the workspace
    "fetch": {"command": "uvx", "args": ["mcp-server-fetch"]},
}})


def write(path, content):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content if isinstance(content, str) else json.dumps(content))


@pytest.fixture
def dirs(tmp_path):
    ws, home = tmp_path / "ws", tmp_path / "home"
    write(ws / ".kiro/hooks/lint.kiro.hook", LEGACY_LINT)
    write(ws / ".kiro/hooks/ask.kiro.hook", {"enabled": False, "when": {"type": "agentStop"},
                                             "then": {"type": "askAgent", "prompt": "?"}})
    write(ws / ".kiro/hooks/team.json", V1_FILE)
    write(ws / ".kiro/settings/mcp.json", MCP_WORKSPACE)
    write(home / ".kiro/settings/mcp.json", MCP_USER)
    write(home / ".kiro/hooks/global.json", {"version": "v1", "hooks": [
        {"name": "guard-shell", "trigger": "PreToolUse", "action": {"type": "agent"}},
        {"name": "session-log", "trigger": "SessionStart", "action": {"type": "command",
                                                                      "command": "log"}}]})
    return ws, home


def test_both_hook_formats_and_both_scopes_are_merged_with_the_workspace_winning(dirs):
    inv = scan(str(dirs[0]), str(dirs[1]))
    hooks = {n: (h.trigger, h.action_type, h.format, h.enabled, h.instrumented, scope)
             for n, (h, scope) in inv.hooks.items()}
    assert hooks == {
        "lint-on-save": ("fileEdited", "command", "legacy_hook", True, True, "workspace"),
        "ask": ("agentStop", "agent", "legacy_hook", False, False, "workspace"),
        "guard-shell": ("PreToolUse", "command", "v1_hooks", True, False, "workspace"),
        "remind-tests": ("PostFileSave", "agent", "v1_hooks", False, False, "workspace"),
        "session-log": ("SessionStart", "command", "v1_hooks", True, False, "user"),
    }
    servers = {n: (s.transport, s.disabled, s.auto_approve, s.disabled_tools, s.instrumented,
                   scope) for n, (s, scope) in inv.servers.items()}
    assert servers == {
        "git": ("stdio", False, 2, 0, True, "workspace"),
        "docs": ("streamable_http", False, 0, 0, False, "workspace"),
        "old": ("stdio", True, 0, 1, False, "workspace"),
        "fetch": ("stdio", False, 0, 0, False, "user"),
    }
    assert sum(inv.malformed.values()) == 0


@pytest.mark.parametrize("text, fails", [
    pytest.param('{"when": {"type": "promptSubmit"}, "then": {"type": "runCommand"}}', False,
                 id="A legacy hook without name or enabled is named after its file, enabled."),
    pytest.param('{"name": "x", "when": {"type": "fileEdited"}}', True,
                 id="A legacy hook without `then` is malformed."),
    pytest.param('{"name": "x", "enabled": "yes", "when": {}, "then": {}}', True,
                 id="A legacy hook whose enabled is not a boolean is malformed."),
    pytest.param('{"name": "x", "when": {"type": "a"}, "then": {"type": "b"}', True,
                 id="Truncated JSON is malformed."),
    pytest.param('[1, 2]', True, id="A list is not a hook."),
    pytest.param('{"when": {"type": "a"}, "then": {"type": "runCommand", "timeout": "30"}}',
                 True, id="A timeout that is not a number is malformed."),
])
def test_legacy_hook_parsing(text, fails):
    if fails:
        with pytest.raises(Malformed):
            parse_legacy_hook(text, "stem")
    else:
        h = parse_legacy_hook(text, "stem")
        assert (h.name, h.trigger, h.action_type, h.enabled) == ("stem", "promptSubmit",
                                                                 "command", True)


def test_v1_file_keeps_good_entries_and_reports_bad_ones():
    hooks, problems = parse_v1_hooks(json.dumps({"version": "v1", "hooks": [
        {"name": "ok", "trigger": "Stop", "action": {"type": "command"}},
        {"trigger": "Stop", "action": {"type": "command"}},
        {"name": "no-action", "trigger": "Stop"}]}))
    assert [h.name for h in hooks] == ["ok"] and len(problems) == 2


@pytest.mark.parametrize("doc", [{"version": "v2", "hooks": []}, {"hooks": {}}, []],
                         ids=["unknown version", "hooks not a list", "not an object"])
def test_v1_file_shapes_that_are_malformed(doc):
    with pytest.raises(Malformed):
        parse_v1_hooks(json.dumps(doc))


def test_mcp_entries_without_command_or_url_are_skipped_and_reported():
    servers, problems = parse_mcp_json('{"mcpServers": {"a": {"command": "x"}, "b": {}, '
                                       '"c": "nope", "d": {"url": "http://h", '
                                       '"autoApprove": "all"}}}')
    assert [s.name for s in servers] == ["a"] and len(problems) == 3


def test_jsonc_strips_comments_and_trailing_commas_but_never_inside_strings():
    text = '{"a": "// not a comment, /* nor this */", /* c */ "b": [1, 2,], // x\n "c": ",}",}'
    assert json.loads(strip_jsonc(text)) == {"a": "// not a comment, /* nor this */",
                                             "b": [1, 2], "c": ",}"}


def scrape(collector) -> tuple[str, dict]:
    reg = CollectorRegistry()
    reg.register(collector)
    text = generate_latest(reg).decode()
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return text, out


def test_malformed_files_are_reported_not_fatal_and_counted_once_per_version(dirs, caplog):
    ws, home = dirs
    write(ws / ".kiro/hooks/broken.kiro.hook", "{ not json")
    write(ws / ".kiro/hooks/broken.json", '{"version": "v1", "hooks": [{"name": 1}]}')
    write(home / ".kiro/settings/mcp.json", '{"mcpServers": ')
    (ws / ".kiro/hooks/unreadable.kiro.hook").write_bytes(b"\xff\xfe\x00")
    col = KiroDiscovery(str(ws), str(home))
    text, m = scrape(col)
    assert m[("kiro_discovery_malformed_files", (("file_kind", "legacy_hook"),))] == 2
    assert m[("kiro_discovery_malformed_files", (("file_kind", "v1_hooks"),))] == 1
    assert m[("kiro_discovery_malformed_files", (("file_kind", "mcp_json"),))] == 1
    assert m[("kiro_discovery_errors_total", (("file_kind", "legacy_hook"),))] == 2
    assert "broken.kiro.hook" in caplog.text, "the path is in the log, for a human"
    assert str(ws) not in text and "broken" not in text, "never a path in a label value"
    # the good files still count; the user mcp.json is broken, so `fetch` is gone
    assert ("kiro_mcp_server_info", (("disabled", "false"), ("instrumented", "true"),
                                     ("scope", "workspace"), ("server", "git"),
                                     ("transport", "stdio"))) in m
    assert not any(k[0] == "kiro_mcp_server_info" and ("server", "fetch") in k[1] for k in m)
    # a second scrape does not count the same broken files again; a fix clears the gauge
    write(home / ".kiro/settings/mcp.json", MCP_USER)
    _, m = scrape(col)
    assert m[("kiro_discovery_errors_total", (("file_kind", "legacy_hook"),))] == 2
    assert m[("kiro_discovery_errors_total", (("file_kind", "mcp_json"),))] == 1
    assert m[("kiro_discovery_malformed_files", (("file_kind", "mcp_json"),))] == 0


def test_hook_info_labels(dirs):
    _, m = scrape(KiroDiscovery(str(dirs[0]), str(dirs[1])))
    assert m[("kiro_hook_info", (("action_type", "command"), ("enabled", "true"),
                                 ("format", "legacy_hook"), ("hook", "lint-on-save"),
                                 ("instrumented", "true"), ("scope", "workspace"),
                                 ("trigger", "fileEdited")))] == 1
    assert m[("kiro_hook_timeout_seconds", (("hook", "guard-shell"),))] == 30
    assert ("kiro_hook_timeout_seconds", (("hook", "ask"),)) not in m
    assert m[("kiro_mcp_server_auto_approved_tools", (("server", "git"),))] == 2
    assert m[("kiro_mcp_server_disabled_tools", (("server", "old"),))] == 1


def test_no_kiro_directory_is_an_empty_inventory(tmp_path):
    _, m = scrape(KiroDiscovery(str(tmp_path / "nowhere"), str(tmp_path / "nohome")))
    assert not any(k[0] in ("kiro_hook_info", "kiro_mcp_server_info") for k in m)


def test_the_real_exporter_serves_the_inventory(dirs, spool, monkeypatch, make_exporter):
    monkeypatch.setenv("HOME", str(dirs[1]))
    exp = make_exporter(spool, args=["--discovery.workspace", str(dirs[0])])
    assert exp.value("kiro_hook_info", hook="session-log", scope="user") == 1
    assert exp.value("kiro_mcp_server_info", server="docs", transport="streamable_http") == 1
    assert exp.value("kiro_discovery_malformed_files") == 0


def test_the_examples_in_docs_kiro_md_are_valid_and_instrumented(tmp_path):
    """Each JSON block in docs/kiro.md that follows a `.kiro/...` file name is written to
    that path and read back by discovery: the documentation cannot drift from the parser."""
    doc = (Path(__file__).resolve().parents[2] / "docs" / "kiro.md").read_text()
    blocks = re.findall(r"^`(\.kiro/[^`]+)`[^\n]*:\n\n```json\n(.*?)```", doc, re.S | re.M)
    assert {name for name, _ in blocks} == {".kiro/hooks/lint-on-save.kiro.hook",
                                            ".kiro/hooks/guards.json", ".kiro/settings/mcp.json"}
    for name, text in blocks:
        write(tmp_path / name, text)
    inv = scan(str(tmp_path), None)
    assert sum(inv.malformed.values()) == 0
    assert {n: (h.format, h.instrumented) for n, (h, _) in inv.hooks.items()} == {
        "lint-on-save": ("legacy_hook", True), "guard-shell": ("v1_hooks", True),
        "tests-on-save": ("v1_hooks", True)}
    assert {n: (s.transport, s.instrumented) for n, (s, _) in inv.servers.items()} == {
        "git": ("stdio", True), "docs": ("streamable_http", False)}
    for name, wrapper_timeout in _wrapper_timeouts(blocks).items():
        kiro_timeout = inv.hooks[name][0].timeout or KIRO_DEFAULT_TIMEOUT
        assert wrapper_timeout is not None and wrapper_timeout < kiro_timeout, \
            f"{name}: the docs advise a --timeout below Kiro's own ({kiro_timeout} s)"


def _wrapper_timeouts(blocks) -> dict:
    """{hook name: the wrapper's --timeout or None} for each wrapped hook in the blocks."""
    out = {}
    for path, text in blocks:
        if "/hooks/" not in path:
            continue
        doc = json.loads(text)
        for h in doc.get("hooks", [doc]):
            command = (h.get("action") or h.get("then") or {}).get("command", "")
            if "perfcycle-hook-exec" in command:
                m = re.search(r"--timeout[ =](\S+)", command)
                out[h["name"]] = float(m.group(1)) if m else None
    return out


def test_long_names_are_cut_where_the_wrapper_and_the_event_schema_cut_them():
    """One length limit everywhere, so a long hook name in `kiro_hook_info` is the same
    label value as in the wrapper's `hook.execution` events (and passes validation)."""
    from exporter import events
    from exporter.kiro.hook_exec import event
    from exporter.limits import MAX_LABEL_LEN
    name = "h" * (MAX_LABEL_LEN + 50)
    hook = parse_legacy_hook(json.dumps(dict(LEGACY_LINT, name=name)), "stem")
    ev = event(name, "fileEdited", "success", 0, 0.1, None)
    assert hook.name == ev["hook"] == name[:MAX_LABEL_LEN]
    assert events.decode(json.dumps(ev).encode(), ndjson=False)[0].hook == hook.name
