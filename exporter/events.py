"""Event types and their validation: the exporter's wire format (see docs/events.md).

Each event type is a `msgspec.Struct`, tagged by its `type` field. A whole batch is
decoded and type-checked in one C call (`list[Event]`, or `decode_lines` for NDJSON), which is what lets one core
ingest several hundred thousand events per second; constraints (non-empty labels of at
most 128 characters, non-negative durations, RFC 3339 times with an offset, enums) live
in the types. Only when a batch fails are its items decoded one by one, so every bad
event is reported by index and field while the good ones are still counted. The few
rules a field type cannot say (an incident resolved before it was detected, an outcome
derived from an exit code) are `__post_init__` methods, which msgspec runs while
decoding, so they too are checked before anything is counted.

Unknown fields are ignored, so producers can add fields without breaking older exporters.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal, Union

import msgspec
from msgspec import Meta

from .limits import MAX_LABEL_LEN

Label = Annotated[str, Meta(min_length=1, max_length=MAX_LABEL_LEN)]
OptLabel = Annotated[str, Meta(max_length=MAX_LABEL_LEN)]
Seconds = Annotated[float, Meta(ge=0, le=1e10)]
Amount = Annotated[float, Meta(ge=0, le=1e15)]
Time = Annotated[datetime, Meta(tz=True)]
Query = Annotated[str, Meta(min_length=1, max_length=4096)]


# ---- rules a type cannot express ---------------------------------------------------------
_DURATION_RE = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d|w)$")
_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(v) -> float:
    """Seconds from a positive number or a Prometheus-style duration string (`30m`)."""
    if type(v) is float and v > 0:  # the common case first; NaN and v <= 0 fall through to the error
        return v
    if type(v) is int and v > 0:
        return float(v)
    if isinstance(v, str):
        m = _DURATION_RE.match(v)
        if m and float(m.group(1)) > 0:
            return float(m.group(1)) * _DURATION_UNITS[m.group(2)]
    raise ValueError(f"window: not a positive duration: {v!r}")


class EventError(ValueError):
    """One invalid event: `field` names the offending field, `reason` is a short code."""

    def __init__(self, field: str | None, message: str, reason: str = "invalid_value",
                 etype: str = "unknown"):
        super().__init__(message)
        self.field = field
        self.reason = reason
        self.etype = etype


class Event(msgspec.Struct, tag_field="type", kw_only=True, gc=False):
    time: Time | None = None


class HookExecution(Event, tag="hook.execution"):
    hook: Label
    trigger: Label = "unknown"
    outcome: Literal["success", "failure", "blocked", "timeout", "killed", "failed"] | None = None
    duration_seconds: Seconds | None = None
    cpu_seconds: Seconds | None = None
    max_rss_bytes: Amount | None = None
    exit_code: int | None = None
    manual_intervention: bool = False
    detection: Literal["true_positive", "false_positive", "false_negative"] | None = None

    def __post_init__(self):
        if self.outcome is None:
            code = self.exit_code
            if code is None:
                raise ValueError("outcome: outcome (or exit_code) is required")
            self.outcome = "success" if code == 0 else "blocked" if code == 2 else "failure"


class McpRequest(Event, tag="mcp.request"):
    server: Label
    method: Label
    tool: OptLabel = ""
    outcome: Literal["success", "error", "tool_error", "timeout", "cancelled", "ok", "failure",
                     "canceled"] | None = None
    error_code: int | Annotated[str, Meta(min_length=1, max_length=32)] | None = None
    duration_seconds: Seconds | None = None
    cache: Literal["hit", "miss"] | None = None
    batch_size: Annotated[int, Meta(ge=1, le=1_000_000)] | None = None
    manual_intervention: bool = False


class McpConnection(Event, tag="mcp.connection"):
    server: Label
    transport: Label = "stdio"
    outcome: Literal["success", "failure", "closed", "failed"] = "success"
    duration_seconds: Seconds | None = None
    protocol_version: OptLabel | None = None
    dropped: bool = False
    reconnect: bool = False
    cpu_seconds: Seconds | None = None
    rss_bytes: Amount | None = None


class McpNotification(Event, tag="mcp.notification"):
    server: Label
    direction: Label = "server_to_client"
    method: OptLabel | None = None


class McpProcess(Event, tag="mcp.process"):
    server: Label
    cpu_seconds: Seconds | None = None
    rss_bytes: Amount | None = None


class AutonomyDecision(Event, tag="autonomy.decision"):
    action: Label
    outcome: Literal["success", "failure", "failed"]
    duration_seconds: Seconds | None = None
    escalated: bool = False
    rolled_back: bool = False


class AutonomyTask(Event, tag="autonomy.task"):
    task: Label
    outcome: Literal["success", "failed", "canceled", "failure", "cancelled"]
    human_intervention: bool = False
    duration_seconds: Seconds | None = None


class Deployment(Event, tag="deployment"):
    service: Label
    outcome: Literal["success", "failure", "failed"] = "success"
    lead_time_seconds: Seconds | None = None
    duration_seconds: Seconds | None = None


class Incident(Event, tag="incident"):
    service: Label
    severity: Label = "unknown"
    detected_at: Time | None = None
    resolved_at: Time | None = None

    def __post_init__(self):
        if self.resolved_at is not None:
            if self.detected_at is None:
                raise ValueError("detected_at: detected_at is required with resolved_at")
            if self.resolved_at < self.detected_at:
                raise ValueError("resolved_at: resolved_at is before detected_at")


class Optimization(Event, tag="optimization"):
    id: Label
    strategy: Label
    applied_at: Time
    target_query: Query
    cost_query: Query | None = None
    better: Literal["lower", "higher"] = "lower"
    estimated_hourly_savings: Annotated[float, Meta(ge=-1e12, le=1e12)] | None = None
    window: Annotated[float, Meta(gt=0)] | Annotated[str, Meta(max_length=16)] = "1h"

    def __post_init__(self):
        self.window = parse_duration(self.window)  # ValueError names no field: see _error


class Survey(Event, tag="survey"):
    kind: Literal["developer", "user"]
    score: Annotated[float, Meta(ge=1, le=5)]
    survey: Label = "default"
    source: Label = "default"


class Feature(Event, tag="feature"):
    team: Label
    duration_seconds: Seconds | None = None


TYPES = (HookExecution, McpRequest, McpConnection, McpNotification, McpProcess,
         AutonomyDecision, AutonomyTask, Deployment, Incident, Optimization, Survey, Feature)
TYPE_NAMES = {cls: cls.__struct_config__.tag for cls in TYPES}
AnyEvent = Union[TYPES]  # type: ignore[valid-type]

_batch = msgspec.json.Decoder(list[AnyEvent])
_one = msgspec.json.Decoder(AnyEvent)
_raw_list = msgspec.json.Decoder(list[msgspec.Raw])
_any = msgspec.json.Decoder()

def optimization_dict(ev: Optimization) -> dict:
    """The plain form `derived` keeps (times as Unix seconds, queries by kind)."""
    queries = {"target": ev.target_query}
    if ev.cost_query:
        queries["cost"] = ev.cost_query
    return {"id": ev.id, "strategy": ev.strategy, "applied_at": ev.applied_at.timestamp(),
            "queries": queries, "better": ev.better, "window": float(ev.window),
            "estimated_hourly_savings": ev.estimated_hourly_savings}


# ---- decoding --------------------------------------------------------------------------
_AT = re.compile(r" - at `\$(?:\[\d+\])?\.?([A-Za-z0-9_]*)")
_LEAD = re.compile(r"^(\w+): ")
_MISSING = re.compile(r"missing required field `(\w+)`")


def _error(e: msgspec.DecodeError, raw: bytes | None) -> EventError:
    msg = str(e)
    if not isinstance(e, msgspec.ValidationError):
        return EventError(None, f"invalid JSON: {msg}", "invalid_json")
    m = _MISSING.search(msg)
    if m:
        field, reason = m.group(1), "missing_field"
    else:
        a = _AT.search(msg)
        field = (a.group(1) or None) if a else None
        reason = "invalid_value"
        if field is None:
            f = _LEAD.match(msg)  # a __post_init__ rule: "field: message - at `$`"
            if f:
                field = f.group(1)
                reason = "missing_field" if "required" in msg else reason
        if msg.startswith("Expected `object`"):
            reason = "not_an_object"
        elif field == "type":
            reason = "unknown_type"
    etype = "unknown"
    if raw is not None:
        try:
            t = _any.decode(raw).get("type")
            if type(t) is str and t in _KNOWN:
                etype = t
        except (msgspec.DecodeError, AttributeError):
            pass
    return EventError(field, msg, reason, etype)


_KNOWN = set(TYPE_NAMES.values())


def _decode_each(raws: list) -> list:
    out = []
    for raw in raws:
        try:
            out.append(_one.decode(raw))
        except msgspec.DecodeError as e:
            out.append(_error(e, raw))
    return out


def decode(body: bytes, ndjson: bool) -> list:
    """Events (Structs) in order, with an `EventError` in place of each bad one."""
    if ndjson:
        try:
            return _one.decode_lines(body)  # blank lines are skipped
        except msgspec.DecodeError:
            pass
        return _decode_each([ln for ln in body.split(b"\n") if ln.strip()])
    if body.lstrip()[:1] == b"[":
        try:
            return _batch.decode(body)
        except msgspec.DecodeError:
            pass
        try:
            raws = _raw_list.decode(body)
        except msgspec.DecodeError as e:
            return [_error(e, None)]
        return _decode_each(raws)
    return _decode_each([body])
