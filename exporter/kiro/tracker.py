"""Pair JSON-RPC 2.0 requests with responses and turn them into MCP events.

Pure bookkeeping, no I/O: the proxy feeds every message it has already forwarded, with
the time it arrived, and collects events through `emit`. Keeping this apart from the
transports means the stdio and the streamable-HTTP proxies classify exactly alike, and
the classification is unit-testable without processes.

What is recorded, and why:
- Client requests are timed from the moment the proxy saw them to the moment it saw the
  answer; that is the latency Kiro experiences, minus two pipe hops.
- Outcomes follow the OpenTelemetry MCP conventions: a JSON-RPC error is an `error`
  with its code (semconv `error.type` = the code); a `tools/call` result with
  `isError: true` is a `tool_error` (the JSON-RPC call itself succeeded, so generic RPC
  error rates would miss it); no answer within the timeout is a `timeout`; a
  `notifications/cancelled` from the client, or the connection closing, is `cancelled`.
- Labels stay low-cardinality: unknown method names become `_OTHER` (the semconv
  spelling for values outside the known set); ids, params and results never leave here.
- A message that is not valid JSON-RPC is counted as method `malformed` with error code
  -32700 (parse error) and never disturbs the pairing of the others.
- A successful handshake that follows a dropped session of the same server is a
  reconnect (`reconnect: true`); which drops are still open is kept by a `Drops` object
  the transport chooses (in memory over HTTP, beside the spool for stdio).
"""

from __future__ import annotations

import json
from typing import Callable

from exporter.limits import MAX_LABEL_LEN

KNOWN_METHODS = frozenset({
    "initialize", "ping", "tools/list", "tools/call", "resources/list", "resources/read",
    "resources/templates/list", "resources/subscribe", "resources/unsubscribe",
    "prompts/list", "prompts/get", "completion/complete", "logging/setLevel",
    "sampling/createMessage", "roots/list", "elicitation/create", "tasks/get",
    "tasks/result", "tasks/list", "tasks/cancel", "server/discover",
})
OTHER = "_OTHER"
MALFORMED = "malformed"
PARSE_ERROR = -32700
MAX_EXPIRED = 1024
CLIENT, SERVER = "client_to_server", "server_to_client"


def method_label(method) -> str:
    """A bounded method label: known MCP methods as they are, anything else `_OTHER`."""
    return method if method in KNOWN_METHODS else OTHER


def id_key(value):
    """JSON-RPC ids are strings or numbers; 1 and "1" are different ids."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return None
    return (type(value).__name__, value)


class Drops:
    """Dropped sessions not yet re-established, in memory: the HTTP proxy serves all
    sessions of its server in one process. Each drop is taken by the next successful
    handshake, which makes that one a reconnect; a second client joining while the first
    is still connected is none. Not thread-safe: callers lock."""

    def __init__(self):
        self.open = 0

    def record(self) -> None:
        self.open += 1

    def take(self) -> bool:
        if not self.open:
            return False
        self.open -= 1
        return True


class Tracker:
    """One connection's pending requests and counters. Not thread-safe: callers lock."""

    def __init__(self, server: str, transport: str, emit: Callable[[dict], None],
                 timeout: float = 60.0, init_timeout: float = 120.0, drops=None):
        self.server, self.transport, self.emit, self.timeout = server, transport, emit, timeout
        self.init_timeout = init_timeout  # a cold start (npx, uvx installs) may take long
        self.drops = drops if drops is not None else Drops()   # `record()`, `take()`
        self.pending: dict = {}          # id key -> (method, tool, started)
        self.peer_pending: set = set()   # ids of server-to-client requests
        self.batch_sizes: dict = {}      # id key -> requests in the batch it came in
        self.expired: dict = {}          # id key -> (method, started) of timed-out requests
        self.counts = {"requests": 0, "responses": 0, "notifications": 0, "malformed": 0,
                       "unmatched": 0}
        self.connected_at: float | None = None
        self.initialize_seen = False
        self.failed = False
        self.protocol_version: str | None = None

    # -- entry points -------------------------------------------------------------
    def from_client(self, raw: bytes | str, now: float) -> None:
        self._feed(raw, now, CLIENT)

    def from_server(self, raw: bytes | str, now: float) -> None:
        self._feed(raw, now, SERVER)

    def expire(self, now: float) -> None:
        """Requests unanswered for longer than the timeout become `timeout` events."""
        for key, (method, tool, started) in list(self.pending.items()):
            if now - started >= (self.init_timeout if method == "initialize" else self.timeout):
                del self.pending[key]
                self.batch_sizes.pop(key, None)
                if len(self.expired) >= MAX_EXPIRED:
                    self.expired.pop(next(iter(self.expired)))
                self.expired[key] = (method, started)
                self._request_event(method, tool, now - started, "timeout")

    def fail(self, keys, now: float, code: str) -> None:
        """The transport answered these requests with an error of its own (HTTP status)."""
        for key in keys:
            entry = self.pending.pop(key, None)
            if entry is not None:
                self.batch_sizes.pop(key, None)
                self._request_event(entry[0], entry[1], now - entry[2], "error", code)
                if entry[0] == "initialize":
                    self._connection("failure", None, None)

    def close(self, now: float, dropped: bool) -> None:
        """The connection ended: whatever is still pending was cancelled by it."""
        for method, tool, started in self.pending.values():
            self._request_event(method, tool, now - started, "cancelled")
        self.pending.clear()
        if self.initialize_seen and self.connected_at is None and not self.failed:
            self._connection("failure", None, None)   # the handshake never completed
        self.batch_sizes.clear()
        if self.connected_at is not None:
            if dropped:
                self.drops.record()
            self.emit({"type": "mcp.connection", "server": self.server,
                       "transport": self.transport, "outcome": "closed",
                       "duration_seconds": round(now - self.connected_at, 6),
                       "dropped": dropped})

    # -- classification -----------------------------------------------------------
    def _feed(self, raw, now: float, direction: str) -> None:
        if isinstance(raw, (bytes, bytearray)):
            raw = bytes(raw).strip()
            if not raw:
                return
        try:
            msg = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            self._malformed(direction)
            return
        if isinstance(msg, list):
            if not msg:
                self._malformed(direction)
                return
            requests = sum(1 for m in msg if isinstance(m, dict) and "method" in m and "id" in m)
            for m in msg:
                self._one(m, now, direction, requests)
        else:
            self._one(msg, now, direction, 0)

    def _one(self, msg, now: float, direction: str, batch: int) -> None:
        if not isinstance(msg, dict) or msg.get("jsonrpc") != "2.0":
            self._malformed(direction)
            return
        method = msg.get("method")
        has_id = "id" in msg and msg["id"] is not None
        if isinstance(method, str):
            if has_id:
                self._request(msg, method, now, direction, batch)
            else:
                self._notification(msg, method, now, direction)
        elif has_id and ("result" in msg or "error" in msg):
            self._response(msg, now, direction)
        else:
            self._malformed(direction)

    def _request(self, msg: dict, method: str, now: float, direction: str, batch: int) -> None:
        key = id_key(msg["id"])
        if key is None:
            self._malformed(direction)
            return
        if direction == SERVER:          # sampling, roots, elicitation: not client latency
            self.peer_pending.add(key)
            return
        self.counts["requests"] += 1
        tool = ""
        params = msg.get("params")
        name = params.get("name") if isinstance(params, dict) else None
        if method == "tools/call" and isinstance(name, str):
            tool = name[:MAX_LABEL_LEN]
        self.pending[key] = (method_label(method), tool, now)
        self.initialize_seen |= method == "initialize"
        if batch:
            self.batch_sizes[key] = batch

    def _notification(self, msg: dict, method: str, now: float, direction: str) -> None:
        self.counts["notifications"] += 1
        if direction == CLIENT and method == "notifications/cancelled":
            params = msg.get("params")
            key = id_key(params.get("requestId")) if isinstance(params, dict) else None
            entry = self.pending.pop(key, None) if key is not None else None
            self.batch_sizes.pop(key, None)
            if entry is not None:
                self._request_event(entry[0], entry[1], now - entry[2], "cancelled")
        self.emit({"type": "mcp.notification", "server": self.server, "direction": direction})

    def _response(self, msg: dict, now: float, direction: str) -> None:
        key = id_key(msg["id"])
        if direction == CLIENT:
            if key in self.peer_pending:
                self.peer_pending.discard(key)
            else:
                self.counts["unmatched"] += 1
            return
        entry = self.pending.pop(key, None)
        if entry is None:                # late (already timed out or cancelled) or unknown
            self.counts["unmatched"] += 1
            late = self.expired.pop(key, None)
            if late is not None and late[0] == "initialize" and "result" in msg:
                self._handshake(msg.get("result"), now, None)  # it came up, after the timeout
            return
        self.counts["responses"] += 1
        method, tool, started = entry
        duration = now - started
        batch = self.batch_sizes.pop(key, 0)
        error = msg.get("error")
        if error is not None:
            code = error.get("code") if isinstance(error, dict) else None
            code = code if isinstance(code, int) and not isinstance(code, bool) else "unknown"
            self._request_event(method, tool, duration, "error", code, batch)
            if method == "initialize":
                self._connection("failure", None, None)
            return
        result = msg.get("result")
        if method == "tools/call" and isinstance(result, dict) and result.get("isError") is True:
            self._request_event(method, tool, duration, "tool_error", None, batch)
        elif method == "initialize":     # the exporter times the handshake from this event
            self._handshake(result, now, duration)
        else:
            self._request_event(method, tool, duration, "success", None, batch)

    def _handshake(self, result, now: float, duration: float | None) -> None:
        version = result.get("protocolVersion") if isinstance(result, dict) else None
        self.protocol_version = version if isinstance(version, str) else None
        self.connected_at = now
        self._connection("success", duration, self.protocol_version, self.drops.take())

    # -- events -------------------------------------------------------------------
    def _malformed(self, direction: str) -> None:
        self.counts["malformed"] += 1
        self.emit({"type": "mcp.request", "server": self.server, "method": MALFORMED,
                   "outcome": "error", "error_code": PARSE_ERROR, "direction": direction})

    def _request_event(self, method: str, tool: str, duration: float, outcome: str,
                       code=None, batch: int = 0) -> None:
        ev = {"type": "mcp.request", "server": self.server, "method": method,
              "outcome": outcome, "duration_seconds": round(max(duration, 0.0), 6)}
        if tool:
            ev["tool"] = tool
        if code is not None:
            ev["error_code"] = code
        if batch:
            ev["batch_size"] = batch
        self.emit(ev)

    def _connection(self, outcome: str, duration: float | None, version: str | None,
                    reconnect: bool = False) -> None:
        """Counts an attempt; with a duration the exporter also records it as the
        `initialize` operation, so only an on-time handshake carries one."""
        if outcome == "failure":
            self.failed = True
        ev = {"type": "mcp.connection", "server": self.server, "transport": self.transport,
              "outcome": outcome}
        if duration is not None:
            ev["duration_seconds"] = round(duration, 6)
        if version:
            ev["protocol_version"] = version[:32]
        if reconnect:
            ev["reconnect"] = True
        self.emit(ev)
