"""From raw bytes (HTTP body or tailed lines) to counted events, plus the self-metrics.

Shared by every source so HTTP and files count, reject and report the same way. Decoding
and type checks are `events.decode` (one C call per batch); `events.CHECKS` adds the
rules types cannot express, before anything is counted.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from . import events
from .aggregate import Aggregator
from .events import TYPE_NAMES, EventError

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


class Ingestor:
    def __init__(self, agg: Aggregator, selfm: SelfMetrics, latency=None):
        self.agg = agg
        self.selfm = selfm
        self.latency = latency  # prometheus_client Histogram with a `source` label, or None
        self._latency_children: dict = {}

    def ingest(self, items: list, source: str, started: float) -> Result:
        """Count the decoded ``items``; ``started`` (a ``perf_counter`` reading) is when the
        request's decoding began, so the latency metric covers decode, validate and count."""
        t0 = started
        res = Result()
        accepted: dict[str, int] = {}
        rejected: dict[tuple, int] = {}
        counts = self.agg.apply(items)  # counts every valid event, returns {type: n}
        bad = counts.pop(EventError, 0)
        if bad:
            for i, ev in enumerate(items):
                if type(ev) is EventError:
                    key = (ev.etype, ev.reason)
                    rejected[key] = rejected.get(key, 0) + 1
                    if len(res.errors) < MAX_ERRORS_REPORTED:
                        res.errors.append({"index": i, "field": ev.field, "error": str(ev)})
        accepted = {TYPE_NAMES[t]: n for t, n in counts.items()}
        res.accepted, res.rejected = len(items) - bad, bad
        self.selfm.count(source, accepted, rejected)
        if self.latency is not None:
            child = self._latency_children.get(source)
            if child is None:
                child = self._latency_children[source] = self.latency.labels(source)
            child.observe(time.perf_counter() - t0)
        return res

    def ingest_bytes(self, body: bytes, ndjson: bool, source: str) -> Result:
        """Decode and ingest; a body that is not JSON at all is one rejected item."""
        started = time.perf_counter()
        return self.ingest(events.decode(body, ndjson), source, started)
