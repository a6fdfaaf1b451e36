"""Event types and their validation: the exporter's wire format (see docs/events.md).

Each validator takes the decoded JSON object and returns a plain tuple of normalised
fields, or raises `EventError` naming the field. Validation is complete before anything
is counted, so a bad event never half-updates the metrics. Validators are plain
functions rather than a schema library because they run once per event on the hot
ingest path (hundreds of thousands per second) and must stay cheap.
"""

from __future__ import annotations

import math
import re
from datetime import datetime

MAX_LABEL_LEN = 128
MAX_QUERY_LEN = 4096


class EventError(ValueError):
    """One invalid event: `field` names the offending field, `reason` is a short code."""

    def __init__(self, field: str | None, message: str, reason: str = "invalid_value"):
        super().__init__(message)
        self.field = field
        self.reason = reason


def _str(ev: dict, name: str, default: str | None = None) -> str:
    v = ev.get(name)
    if v is None:
        if default is None:
            raise EventError(name, f"{name} is required", "missing_field")
        return default
    if type(v) is not str or not v:
        raise EventError(name, f"{name} must be a non-empty string")
    if len(v) > MAX_LABEL_LEN:
        raise EventError(name, f"{name} is longer than {MAX_LABEL_LEN} characters")
    return v


def _num(ev: dict, name: str, required: bool = False, lo: float = 0.0, hi: float = math.inf):
    v = ev.get(name)
    if v is None:
        if required:
            raise EventError(name, f"{name} is required", "missing_field")
        return None
    t = type(v)
    if (t is not float and t is not int) or not (lo <= v <= hi):
        raise EventError(name, f"{name} must be a number in [{lo}, {hi}]")
    return v


def _bool(ev: dict, name: str) -> bool:
    v = ev.get(name)
    if v is None or v is False:
        return False
    if v is True:
        return True
    raise EventError(name, f"{name} must be true or false")


def _enum(ev: dict, name: str, allowed: dict, default: str | None = None) -> str:
    """`allowed` maps accepted spellings (aliases included) to the canonical value."""
    v = ev.get(name)
    if v is None:
        if default is None:
            raise EventError(name, f"{name} is required", "missing_field")
        return default
    try:
        return allowed[v]
    except (KeyError, TypeError):
        raise EventError(name, f"{name} must be one of {sorted(set(allowed.values()))}") from None


_DURATION_RE = re.compile(r"^(\d+)(ms|s|m|h|d|w)$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(v) -> float:
    """Seconds from a number or a Prometheus-style duration string such as `30m`."""
    if type(v) in (int, float) and v > 0:
        return float(v)
    if isinstance(v, str):
        m = _DURATION_RE.match(v)
        if m and int(m.group(1)) > 0:
            return int(m.group(1)) * _DURATION_UNITS[m.group(2)]
    raise ValueError(f"not a positive duration: {v!r}")


def parse_time(v) -> float:
    """Unix seconds from RFC 3339 text (`2026-01-02T03:04:05Z`) or a number of seconds."""
    if type(v) in (int, float) and v >= 0:
        return float(v)
    if isinstance(v, str) and len(v) >= 20 and v[10] in "Tt ":
        try:
            dt = datetime.fromisoformat(v.replace("z", "Z"))
        except ValueError:
            pass
        else:
            if dt.tzinfo is not None:
                return dt.timestamp()
    raise ValueError(f"not an RFC 3339 time with offset: {v!r}")


def _time(ev: dict, name: str, required: bool = False):
    v = ev.get(name)
    if v is None:
        if required:
            raise EventError(name, f"{name} is required", "missing_field")
        return None
    try:
        return parse_time(v)
    except ValueError as e:
        raise EventError(name, str(e)) from None


def _ident(*names: str) -> dict:
    return {n: n for n in names}


HOOK_OUTCOMES = _ident("success", "failure", "blocked", "timeout", "killed")
HOOK_OUTCOMES["failed"] = "failure"
VERDICTS = _ident("true_positive", "false_positive", "false_negative")
CACHE = _ident("hit", "miss")
MCP_OUTCOMES = _ident("success", "error", "tool_error", "timeout", "cancelled")
MCP_OUTCOMES.update({"ok": "success", "failure": "error", "canceled": "cancelled"})
CONN_OUTCOMES = _ident("success", "failure", "closed")
CONN_OUTCOMES["failed"] = "failure"
SUCCESS_FAILURE = _ident("success", "failure")
SUCCESS_FAILURE["failed"] = "failure"
TASK_OUTCOMES = _ident("success", "failed", "canceled")
TASK_OUTCOMES.update({"failure": "failed", "cancelled": "canceled"})
BETTER = _ident("lower", "higher")
SURVEY_KINDS = _ident("developer", "user")


def hook_execution(ev):
    """-> (hook, trigger, outcome, duration, cpu, rss, manual, detection)"""
    hook = _str(ev, "hook")
    trigger = _str(ev, "trigger", "unknown")
    if ev.get("outcome") is None and "exit_code" in ev:
        code = ev["exit_code"]
        if type(code) is not int:
            raise EventError("exit_code", "exit_code must be an integer")
        outcome = "success" if code == 0 else "blocked" if code == 2 else "failure"
    else:
        outcome = _enum(ev, "outcome", HOOK_OUTCOMES)
        if "exit_code" in ev and type(ev["exit_code"]) is not int and ev["exit_code"] is not None:
            raise EventError("exit_code", "exit_code must be an integer")
    det = ev.get("detection")
    detection = None if det is None else _enum(ev, "detection", VERDICTS)
    return (hook, trigger, outcome, _num(ev, "duration_seconds"), _num(ev, "cpu_seconds"),
            _num(ev, "max_rss_bytes"), _bool(ev, "manual_intervention"), detection)


def mcp_request(ev):
    """-> (server, method, tool, error_type, duration, cache, batch_size, manual)"""
    server = _str(ev, "server")
    method = _str(ev, "method")
    tool = _str(ev, "tool", "")
    code = ev.get("error_code")
    if code is not None and type(code) is not int and (type(code) is not str or not code
                                                       or len(code) > 32):
        raise EventError("error_code", "error_code must be an integer or a short string")
    default = "success" if code is None else "error"
    outcome = _enum(ev, "outcome", MCP_OUTCOMES, default)
    if outcome == "success":
        error_type = ""
    elif outcome == "error" and code is not None:
        error_type = str(code)
    else:
        error_type = outcome
    cache = ev.get("cache")
    if cache is not None:
        cache = _enum(ev, "cache", CACHE)
    batch = _num(ev, "batch_size", lo=1, hi=1e6)
    return (server, method, tool, error_type, _num(ev, "duration_seconds"), cache, batch,
            _bool(ev, "manual_intervention"))


def mcp_connection(ev):
    """-> (server, transport, outcome, duration, dropped, cpu, rss)"""
    return (_str(ev, "server"), _str(ev, "transport", "stdio"),
            _enum(ev, "outcome", CONN_OUTCOMES, "success"), _num(ev, "duration_seconds"),
            _bool(ev, "dropped"), _num(ev, "cpu_seconds"), _num(ev, "rss_bytes"))


def mcp_notification(ev):
    """-> (server, direction)"""
    return (_str(ev, "server"), _str(ev, "direction", "server_to_client"))


def mcp_process(ev):
    """-> (server, cpu_seconds_delta, rss_bytes)"""
    return (_str(ev, "server"), _num(ev, "cpu_seconds"), _num(ev, "rss_bytes"))


def autonomy_decision(ev):
    """-> (action, outcome, duration, escalated, rolled_back)"""
    return (_str(ev, "action"), _enum(ev, "outcome", SUCCESS_FAILURE),
            _num(ev, "duration_seconds"), _bool(ev, "escalated"), _bool(ev, "rolled_back"))


def autonomy_task(ev):
    """-> (task, outcome, human_intervention)"""
    return (_str(ev, "task"), _enum(ev, "outcome", TASK_OUTCOMES),
            _bool(ev, "human_intervention"))


def deployment(ev):
    """-> (service, outcome, lead_time, duration)"""
    return (_str(ev, "service"), _enum(ev, "outcome", SUCCESS_FAILURE, "success"),
            _num(ev, "lead_time_seconds"), _num(ev, "duration_seconds"))


def incident(ev):
    """-> (service, severity, resolution_seconds or None)"""
    service = _str(ev, "service")
    severity = _str(ev, "severity", "unknown")
    detected = _time(ev, "detected_at")
    resolved = _time(ev, "resolved_at")
    if resolved is not None:
        if detected is None:
            raise EventError("detected_at", "detected_at is required with resolved_at",
                             "missing_field")
        if resolved < detected:
            raise EventError("resolved_at", "resolved_at is before detected_at")
        return (service, severity, resolved - detected)
    return (service, severity, None)


def survey(ev):
    """-> (kind, label value, score); `survey` names a developer survey, `source` a user one."""
    kind = _enum(ev, "kind", SURVEY_KINDS)
    label = _str(ev, "survey" if kind == "developer" else "source", "default")
    return (kind, label, _num(ev, "score", required=True, lo=1, hi=5))


def feature(ev):
    """-> (team, duration)"""
    return (_str(ev, "team"), _num(ev, "duration_seconds"))


def optimization(ev):
    """-> dict for `derived`: id, strategy, applied_at, queries, direction, estimate, window."""
    oid = _str(ev, "id")
    strategy = _str(ev, "strategy")
    applied = _time(ev, "applied_at", required=True)
    queries = {}
    for key in ("target_query", "cost_query"):
        q = ev.get(key)
        if q is None:
            if key == "target_query":
                raise EventError(key, f"{key} is required", "missing_field")
            continue
        if not isinstance(q, str) or not q.strip() or len(q) > MAX_QUERY_LEN:
            raise EventError(key, f"{key} must be a PromQL expression")
        queries[key[:-6]] = q
    try:
        window = parse_duration(ev.get("window", "1h"))
    except ValueError as e:
        raise EventError("window", str(e)) from None
    return {"id": oid, "strategy": strategy, "applied_at": applied, "queries": queries,
            "better": _enum(ev, "better", BETTER, "lower"), "window": window,
            "estimated_hourly_savings": _num(ev, "estimated_hourly_savings", lo=-math.inf)}


VALIDATORS = {
    "hook.execution": hook_execution,
    "mcp.request": mcp_request,
    "mcp.connection": mcp_connection,
    "mcp.notification": mcp_notification,
    "mcp.process": mcp_process,
    "autonomy.decision": autonomy_decision,
    "autonomy.task": autonomy_task,
    "deployment": deployment,
    "incident": incident,
    "optimization": optimization,
    "survey": survey,
    "feature": feature,
}


def validate(ev) -> tuple[str, object]:
    """(type, normalised fields) for one decoded event, or EventError."""
    if type(ev) is not dict:
        raise EventError(None, "an event must be a JSON object", "not_an_object")
    t = ev.get("type")
    fn = VALIDATORS.get(t) if type(t) is str else None
    if fn is None:
        raise EventError("type", f"unknown event type {t!r}", "unknown_type")
    if "time" in ev:
        _time(ev, "time")
    return t, fn(ev)
