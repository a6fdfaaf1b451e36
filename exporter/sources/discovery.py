"""Kiro workspace discovery: which hooks and MCP servers exist, as inventory gauges.

Event metrics only show hooks and servers that ran; dashboards also need the ones that
exist but never fire, are disabled, or are not yet wrapped by our instruments. This
collector reads Kiro's own configuration files on each scrape (they are small) and
builds fresh metric families every time, as client_python's custom collectors do.

Files read, per scope (user = `~/.kiro`, workspace = `<workspace>/.kiro`, workspace
wins on a name clash, as Kiro does):
- legacy hooks `hooks/*.kiro.hook`: one hook per file, `when.type` the trigger,
  `then.type` the action (`runCommand`/`askAgent`), `enabled` defaulting to true;
- v1 hooks `hooks/*.json`: `{"version": "v1", "hooks": [{name, trigger, action:{type}}]}`;
- `settings/mcp.json`: `mcpServers` with local `command`/`args` or remote `url` servers,
  `disabled`, `autoApprove`, `disabledTools`.
Comments (`//`, `/* */`) and trailing commas are tolerated, unknown keys ignored. A file
that cannot be read is logged with its path and counted by kind; it never fails the
scrape, and the path never becomes a label value.
"""

from __future__ import annotations

import glob
import json
import logging
import os
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from exporter.limits import MAX_LABEL_LEN

log = logging.getLogger("exporter.discovery")

LEGACY, V1, MCP = "legacy_hook", "v1_hooks", "mcp_json"
FILE_KINDS = (LEGACY, V1, MCP)
ACTIONS = {"runCommand": "command", "command": "command", "askAgent": "agent",
           "agent": "agent"}
MAX_SEEN = 4096


class Malformed(ValueError):
    """A configuration file (or an entry in it) that does not have the expected shape."""


@dataclass(frozen=True)
class Hook:
    name: str
    trigger: str
    action_type: str
    format: str
    enabled: bool
    instrumented: bool
    timeout: float | None = None      # seconds, when the file sets one


@dataclass(frozen=True)
class Server:
    name: str
    transport: str
    disabled: bool
    auto_approve: int
    disabled_tools: int
    instrumented: bool


@dataclass
class Inventory:
    hooks: dict = field(default_factory=dict)     # name -> (Hook, scope)
    servers: dict = field(default_factory=dict)   # name -> (Server, scope)
    malformed: dict = field(default_factory=lambda: dict.fromkeys(FILE_KINDS, 0))
    errors: list = field(default_factory=list)    # (kind, path, version key, message)


# -- parsing: text in, values out -------------------------------------------------------
def strip_jsonc(text: str) -> str:
    """JSON with comments and trailing commas -> JSON; strings are left untouched."""
    out, i, n, in_str = [], 0, len(text), False
    while i < n:
        c = text[i]
        if in_str:
            out.append(c)
            if c == "\\" and i + 1 < n:
                out.append(text[i + 1])
                i += 1
            elif c == '"':
                in_str = False
        elif c == '"':
            in_str = True
            out.append(c)
        elif text.startswith("//", i):
            while i < n and text[i] != "\n":
                i += 1
            continue
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            i = n if end < 0 else end + 2
            continue
        elif c in "}]":
            j = len(out) - 1
            while j >= 0 and out[j] in " \t\r\n":
                j -= 1
            if j >= 0 and out[j] == ",":
                del out[j]
            out.append(c)
        else:
            out.append(c)
        i += 1
    return "".join(out)


def load_jsonc(text: str):
    try:
        return json.loads(strip_jsonc(text))
    except ValueError as e:
        raise Malformed(f"not JSON: {e}") from None


def _label(value, default: str = "unknown") -> str:
    return value[:MAX_LABEL_LEN] if isinstance(value, str) and value else default


def _enabled(value, default: bool) -> bool:
    if value is None:
        return default
    if not isinstance(value, bool):
        raise Malformed(f"expected true or false, got {value!r}")
    return value


def _timeout(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise Malformed(f"timeout must be a positive number of seconds, got {value!r}")
    return float(value)


def _wraps(command, wrapper: str) -> bool:
    return isinstance(command, str) and wrapper in command


def parse_legacy_hook(text: str, stem: str) -> Hook:
    """One `*.kiro.hook` file; the file name stands in for a missing `name`."""
    doc = load_jsonc(text)
    if not isinstance(doc, dict):
        raise Malformed("a .kiro.hook file holds one JSON object")
    when, then = doc.get("when"), doc.get("then")
    if not isinstance(when, dict) or not isinstance(then, dict):
        raise Malformed("needs `when` and `then` objects")
    return Hook(_label(doc.get("name"), stem), _label(when.get("type")),
                ACTIONS.get(then.get("type"), "other"), LEGACY,
                _enabled(doc.get("enabled"), True),
                _wraps(then.get("command"), "perfcycle-hook-exec"), _timeout(then.get("timeout")))


def parse_v1_hooks(text: str) -> tuple[list[Hook], list[str]]:
    """A v1 hooks file -> (hooks, problems with single entries, which are skipped)."""
    doc = load_jsonc(text)
    if not isinstance(doc, dict) or not isinstance(doc.get("hooks"), list):
        raise Malformed("a v1 hooks file holds {\"version\": \"v1\", \"hooks\": [...]}")
    if doc.get("version") not in ("v1", None):
        raise Malformed(f"unknown hooks file version {doc.get('version')!r}")
    hooks, problems = [], []
    for i, h in enumerate(doc["hooks"]):
        try:
            if not isinstance(h, dict) or not isinstance(h.get("name"), str) or not h["name"]:
                raise Malformed("needs a name")
            action = h.get("action")
            if not isinstance(action, dict):
                raise Malformed("needs an `action` object")
            hooks.append(Hook(_label(h["name"]), _label(h.get("trigger")),
                              ACTIONS.get(action.get("type"), "other"), V1,
                              _enabled(h.get("enabled"), True),
                              _wraps(action.get("command"), "perfcycle-hook-exec"),
                              _timeout(h.get("timeout"))))
        except Malformed as e:
            problems.append(f"hooks[{i}]: {e}")
    return hooks, problems


def parse_mcp_json(text: str) -> tuple[list[Server], list[str]]:
    """An mcp.json -> (servers, problems with single entries, which are skipped)."""
    doc = load_jsonc(text)
    if not isinstance(doc, dict):
        raise Malformed("mcp.json holds a JSON object")
    entries = doc.get("mcpServers", {})
    if not isinstance(entries, dict):
        raise Malformed("`mcpServers` must be an object")
    servers, problems = [], []
    for name, s in entries.items():
        try:
            if not isinstance(s, dict):
                raise Malformed("must be an object")
            if isinstance(s.get("command"), str) and s["command"]:
                transport = "stdio"
                args = s.get("args") or []
                wrapped = _wraps(s["command"], "perfcycle-mcp-proxy") or any(
                    _wraps(a, "perfcycle-mcp-proxy") for a in args if isinstance(a, str))
            elif isinstance(s.get("url"), str) and s["url"]:
                transport = "sse" if s.get("transport") == "sse" or s.get("type") == "sse" \
                    else "streamable_http"
                wrapped = False
            else:
                raise Malformed("needs a `command` or a `url`")
            lists = [s.get(k) or [] for k in ("autoApprove", "disabledTools")]
            if not all(isinstance(x, list) for x in lists):
                raise Malformed("autoApprove and disabledTools are lists")
            servers.append(Server(_label(name), transport, _enabled(s.get("disabled"), False),
                                  len(lists[0]), len(lists[1]), wrapped))
        except Malformed as e:
            problems.append(f"mcpServers.{name}: {e}")
    return servers, problems


# -- I/O: files in, inventory out ------------------------------------------------------
def _read(path: str) -> tuple[str, tuple]:
    with open(path, encoding="utf-8") as fh:
        st = os.fstat(fh.fileno())
        return fh.read(), (path, st.st_mtime_ns, st.st_size)


def _scan_scope(inv: Inventory, root: str, scope: str) -> None:
    """Adds one scope's files; called user first, workspace last, so the workspace wins."""
    kiro = os.path.join(root, ".kiro")
    jobs = [(LEGACY, p) for p in sorted(glob.glob(os.path.join(kiro, "hooks", "*.kiro.hook")))]
    jobs += [(V1, p) for p in sorted(glob.glob(os.path.join(kiro, "hooks", "*.json")))]
    mcp = os.path.join(kiro, "settings", "mcp.json")
    if os.path.exists(mcp):
        jobs.append((MCP, mcp))
    for kind, path in jobs:
        key = (path, 0, 0)
        try:
            text, key = _read(path)
            if kind == LEGACY:
                stem = os.path.basename(path)[:-len(".kiro.hook")]
                items, problems = [parse_legacy_hook(text, stem)], []
            elif kind == V1:
                items, problems = parse_v1_hooks(text)
            else:
                items, problems = parse_mcp_json(text)
        except (OSError, UnicodeDecodeError, Malformed) as e:
            _error(inv, kind, path, key, str(e))
            continue
        if problems:
            _error(inv, kind, path, key, "; ".join(problems))
        target = inv.servers if kind == MCP else inv.hooks
        for item in items:
            target[item.name] = (item, scope)


def _error(inv: Inventory, kind: str, path: str, key: tuple, message: str) -> None:
    inv.malformed[kind] += 1
    inv.errors.append((kind, path, key, message))


def scan(workspace: str | None, user_home: str | None) -> Inventory:
    inv = Inventory()
    if user_home and os.path.abspath(user_home) != os.path.abspath(workspace or ""):
        _scan_scope(inv, user_home, "user")
    if workspace:
        _scan_scope(inv, workspace, "workspace")
    return inv


# -- the collector ---------------------------------------------------------------------
class KiroDiscovery:
    """Custom collector: fresh families per scrape from `scan`; never raises."""

    def __init__(self, workspace: str | None, user_home: str | None = None):
        self.workspace = workspace
        self.user_home = os.path.expanduser("~") if user_home is None else user_home
        self.errors_total = dict.fromkeys(FILE_KINDS, 0)
        self._seen: set = set()

    def describe(self):
        return []   # registration must not touch the disk

    def collect(self):
        try:
            inv = scan(self.workspace, self.user_home)
        except Exception:   # one failing source never blanks the scrape
            log.exception("workspace discovery failed")
            inv = Inventory()
        for kind, path, key, message in inv.errors:
            if key not in self._seen:          # count each malformed file version once
                if len(self._seen) >= MAX_SEEN:
                    self._seen.clear()
                self._seen.add(key)
                self.errors_total[kind] += 1
                log.warning("kiro discovery: %s (%s): %s", path, kind, message)
        return list(families(inv, self.errors_total))


def families(inv: Inventory, errors_total: dict):
    hook = GaugeMetricFamily(
        "kiro_hook_info", "Kiro hooks found in the workspace and user configuration (1 each).",
        labels=("hook", "trigger", "action_type", "format", "enabled", "instrumented", "scope"))
    timeout = GaugeMetricFamily(
        "kiro_hook_timeout_seconds", "Timeout a hook file sets (Kiro's default is 60 s).",
        labels=("hook",))
    for name, (h, scope) in sorted(inv.hooks.items()):
        hook.add_metric((name, h.trigger, h.action_type, h.format, _b(h.enabled),
                         _b(h.instrumented), scope), 1)
        if h.timeout is not None:
            timeout.add_metric((name,), h.timeout)
    server = GaugeMetricFamily(
        "kiro_mcp_server_info", "MCP servers configured in mcp.json (1 each).",
        labels=("server", "transport", "disabled", "instrumented", "scope"))
    approve = GaugeMetricFamily("kiro_mcp_server_auto_approved_tools",
                                "Tools listed in autoApprove per MCP server.", labels=("server",))
    off = GaugeMetricFamily("kiro_mcp_server_disabled_tools",
                            "Tools listed in disabledTools per MCP server.", labels=("server",))
    for name, (s, scope) in sorted(inv.servers.items()):
        server.add_metric((name, s.transport, _b(s.disabled), _b(s.instrumented), scope), 1)
        approve.add_metric((name,), s.auto_approve)
        off.add_metric((name,), s.disabled_tools)
    bad = GaugeMetricFamily("kiro_discovery_malformed_files",
                            "Kiro configuration files that could not be read in full, now.",
                            labels=("file_kind",))
    seen = CounterMetricFamily("kiro_discovery_errors",
                               "Malformed Kiro configuration file versions seen.",
                               labels=("file_kind",))
    for kind in FILE_KINDS:
        bad.add_metric((kind,), inv.malformed[kind])
        seen.add_metric((kind,), errors_total[kind])
    return hook, timeout, server, approve, off, bad, seen


def _b(v: bool) -> str:
    return "true" if v else "false"


def collector(app):
    """Plugin entry for the exporter's `collectors:` list; reads the `discovery:` block
    (`workspace`, `user_home`) of the exporter config, or `--discovery.workspace`."""
    cfg = getattr(app, "cfg", None)
    raw = (getattr(cfg, "raw", None) or {}).get("discovery") or {}
    workspace = getattr(cfg, "discovery_workspace", None) or raw.get("workspace") or os.getcwd()
    return KiroDiscovery(os.path.expanduser(workspace),
                         os.path.expanduser(raw["user_home"]) if raw.get("user_home") else None)
