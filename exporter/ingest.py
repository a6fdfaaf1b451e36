"""From raw bytes (HTTP body or tailed lines) to counted events, plus the self-metrics.

Shared by every source so HTTP and files count, reject and report the same way. NDJSON
is decoded with one `json.loads` over the lines joined into an array (one C call per
batch instead of one per line); only if that fails are lines decoded one by one to name
the bad one.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from .events import EventError, validate
from .metrics import Aggregator

MAX_ERRORS_REPORTED = 100


@dataclass
class Result:
    accepted: int = 0
    rejected: int = 0
    errors: list = field(default_factory=list)

    def body(self) -> dict:
        out = {"accepted": self.accepted, "rejected": self.rejected}
        if self.errors:
            out["errors"] = self.errors
        return out


class SelfMetrics:
    """Exporter health: accepted/rejected events, file-tail lag, guard folds. A Collector."""

    def __init__(self, guard):
        self.lock = threading.Lock()
        self.accepted: dict[tuple, int] = {}
        self.rejected: dict[tuple, int] = {}
        self.tail_lag: dict[str, int] = {}
        self.guard = guard

    def count(self, source: str, accepted: dict, rejected: dict) -> None:
        with self.lock:
            for k, n in accepted.items():
                key = (source, k)
                self.accepted[key] = self.accepted.get(key, 0) + n
            for k, n in rejected.items():
                key = (source,) + k
                self.rejected[key] = self.rejected.get(key, 0) + n

    def describe(self):
        return []

    def collect(self):
        with self.lock:
            acc, rej = dict(self.accepted), dict(self.rejected)
            lag = dict(self.tail_lag)
            folded = dict(self.guard.folded)
        a = CounterMetricFamily("kiro_exporter_events_accepted", "Events counted, by type.",
                                labels=("source", "type"))
        for k, v in sorted(acc.items()):
            a.add_metric(k, v)
        r = CounterMetricFamily("kiro_exporter_events_rejected",
                                "Events rejected, by type and reason.",
                                labels=("source", "type", "reason"))
        for k, v in sorted(rej.items()):
            r.add_metric(k, v)
        g = GaugeMetricFamily("kiro_exporter_file_tail_lag_bytes",
                              "Bytes written to a tailed file but not yet read.",
                              labels=("path",))
        for k, v in sorted(lag.items()):
            g.add_metric((k,), v)
        f = CounterMetricFamily("kiro_exporter_cardinality_folded",
                                "Label values folded into 'other' by the cardinality guard.",
                                labels=("label",))
        for k, v in sorted(folded.items()):
            f.add_metric((k,), v)
        return [a, r, g, f]


def _event_type(ev) -> str:
    t = ev.get("type") if type(ev) is dict else None
    return t if type(t) is str and len(t) < 32 and t.isascii() else "unknown"


class Ingestor:
    def __init__(self, agg: Aggregator, selfm: SelfMetrics, latency=None):
        self.agg = agg
        self.selfm = selfm
        self.latency = latency  # prometheus_client Histogram with a `source` label, or None

    def decode(self, body: bytes, ndjson: bool) -> list:
        """A list of decoded items; an undecodable NDJSON line becomes an EventError."""
        if not ndjson:
            data = json.loads(body)
            return data if type(data) is list else [data]
        lines = [ln for ln in body.split(b"\n") if ln.strip()]
        if not lines:
            return []
        try:
            data = json.loads(b"[" + b",".join(lines) + b"]")
            if len(data) == len(lines):
                return data
        except ValueError:
            pass
        out = []
        for ln in lines:
            try:
                out.append(json.loads(ln))
            except ValueError as e:
                out.append(EventError(None, f"invalid JSON: {e}", "invalid_json"))
        return out

    def ingest(self, items: list, source: str) -> Result:
        t0 = time.perf_counter()
        res = Result()
        good = []
        accepted: dict[str, int] = {}
        rejected: dict[tuple, int] = {}
        for i, ev in enumerate(items):
            try:
                if type(ev) is EventError:
                    raise ev
                t, fields = validate(ev)
            except EventError as e:
                res.rejected += 1
                key = (_event_type(ev), e.reason)
                rejected[key] = rejected.get(key, 0) + 1
                if len(res.errors) < MAX_ERRORS_REPORTED:
                    res.errors.append({"index": i, "field": e.field, "error": str(e)})
                continue
            good.append((t, fields))
            accepted[t] = accepted.get(t, 0) + 1
        if good:
            self.agg.apply(good)
        res.accepted = len(good)
        self.selfm.count(source, accepted, rejected)
        if self.latency is not None:
            self.latency.labels(source).observe(time.perf_counter() - t0)
        return res

    def ingest_bytes(self, body: bytes, ndjson: bool, source: str) -> Result:
        """Decode and ingest; a body that is not JSON at all is one rejected item."""
        try:
            items = self.decode(body, ndjson)
        except (ValueError, RecursionError) as e:
            items = [EventError(None, f"invalid JSON: {e}", "invalid_json")]
        return self.ingest(items, source)
