"""Derived KPIs: the measured effect of each optimization, from Prometheus itself.

For an optimization applied at T with window W, the target and cost queries are averaged
over the W before T (`avg_over_time((q)[W:step])` at T-1s) and over the time after T, up
to W (at min(now, T+W)). Both target averages are published (before/after gauges, in the
target query's unit) so a dashboard can show the values, not only their relative change.
Improvement ratio = relative change in the good direction; realized hourly savings =
cost before - cost after (both currency per hour).

Queries run on a background thread every refresh interval, with timeouts; results are
cached, so a scrape never waits on Prometheus. A failed query increments
`kiro_optimization_query_errors_total{id,query}` and keeps the last good value; it never
fails `/metrics`. `describe()` is defined so registration does no I/O.
"""

from __future__ import annotations

import logging
import threading
import time

import requests
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

log = logging.getLogger("exporter.derived")
MIN_AFTER_SECONDS = 60
MEASURED = {
    "ratio": ("kiro_optimization_improvement_ratio",
              "Relative improvement of the target query (0.2 = 20% better)."),
    "realized": ("kiro_optimization_realized_hourly_savings",
                 "Cost per hour before minus after the optimization."),
    "before": ("kiro_optimization_target_before",
               "Target query averaged over the window before the optimization (its own unit)."),
    "after": ("kiro_optimization_target_after",
              "Target query averaged since the optimization, up to the window (its own unit)."),
}
"""Result key -> (gauge name, help) of the measured families, all labelled ``id``, ``strategy``.
A gauge appears for an optimization once its first measurement succeeded."""


class QueryError(Exception):
    pass


def _value(data: dict) -> float:
    """One number from a query's ``data``: a scalar, or the sum of an instant vector."""
    if data["resultType"] == "scalar":
        return float(data["result"][1])
    if data["resultType"] != "vector" or not data["result"]:
        raise QueryError("empty result")
    return sum(float(s["value"][1]) for s in data["result"])


class Derived:
    def __init__(self, url: str | None, timeout: float, interval: float, guard=None):
        self.url = url.rstrip("/") if url else None
        self.timeout = timeout
        self.interval = interval
        self.guard = guard
        self.lock = threading.Lock()
        self.opts: dict[str, dict] = {}
        self.results: dict[str, dict] = {}
        self.errors: dict[tuple, int] = {}
        self.last_refresh = 0.0
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = None
        self.session = requests.Session()

    def add(self, opt: dict) -> None:
        """Register (or replace) one optimization; refreshed soon after."""
        if self.guard is not None:
            opt = dict(opt, id=self.guard.admit("id", opt["id"]),
                       strategy=self.guard.admit("strategy", opt["strategy"]))
        with self.lock:
            self.opts[opt["id"]] = opt
        self._wake.set()

    # ---- querying ---------------------------------------------------------------------
    def _query(self, expr: str, at: float) -> float:
        if not self.url:
            raise QueryError("no prometheus url configured")
        try:
            r = self.session.get(f"{self.url}/api/v1/query", params={"query": expr, "time": at},
                                 timeout=self.timeout)
            body = r.json()
        except (requests.RequestException, ValueError) as e:
            raise QueryError(f"request failed: {type(e).__name__}") from None
        if not isinstance(body, dict):
            raise QueryError(f"HTTP {r.status_code}: not a Prometheus API answer")
        if r.status_code != 200 or body.get("status") != "success":
            raise QueryError(f"HTTP {r.status_code}: {str(body.get('error', ''))[:200]}")
        try:
            return _value(body["data"])
        except (KeyError, IndexError, TypeError, ValueError) as e:  # a proxy or a non-Prometheus answer
            raise QueryError(f"malformed answer: {type(e).__name__}") from None

    def _window_avg(self, q: str, end: float, length: float) -> float:
        step = max(1, int(length // 100))
        return self._query(f"sum(avg_over_time(({q})[{int(length)}s:{step}s]))", end)

    def _before_after(self, opt: dict, q: str, now: float):
        t, w = opt["applied_at"], opt["window"]
        after_end = min(now, t + w)
        if after_end - t < MIN_AFTER_SECONDS:
            return None
        before = self._window_avg(q, t - 1, w)
        after = self._window_avg(q, after_end, after_end - t)
        return before, after

    def refresh_one(self, opt: dict, now: float) -> None:
        res = {}
        for kind, q in opt["queries"].items():
            try:
                ba = self._before_after(opt, q, now)
            except QueryError as e:
                key = (opt["id"], kind)
                with self.lock:
                    self.errors[key] = self.errors.get(key, 0) + 1
                log.warning("optimization %s: %s query failed: %s", opt["id"], kind, e)
                continue
            if ba is None:
                continue
            before, after = ba
            if kind == "target":
                res["before"], res["after"] = before, after
                if before != 0:
                    change = (before - after) / abs(before)
                    res["ratio"] = change if opt["better"] == "lower" else -change
            else:
                res["realized"] = before - after
        with self.lock:
            self.results.setdefault(opt["id"], {}).update(res)

    def refresh(self) -> None:
        with self.lock:
            opts = list(self.opts.values())
        now = time.time()
        for o in opts:
            self.refresh_one(o, now)
        self.last_refresh = time.time()

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                self.refresh()
            except Exception:  # never let one bad answer kill the refresher
                log.exception("derived refresh failed")
            self._wake.wait(self.interval)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="derived", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    # ---- collector ----------------------------------------------------------------------
    def describe(self):
        return list(self._families({}, {}, {}))

    def collect(self):
        with self.lock:
            opts = {k: (o["strategy"], o["estimated_hourly_savings"]) for k, o in self.opts.items()}
            results = {k: dict(v) for k, v in self.results.items()}
            errors = dict(self.errors)
        return list(self._families(opts, results, errors))

    def _families(self, opts, results, errors):
        measured = {key: GaugeMetricFamily(name, help_, labels=("id", "strategy"))
                    for key, (name, help_) in MEASURED.items()}
        est = GaugeMetricFamily("kiro_optimization_estimated_hourly_savings",
                                "Hourly savings the optimization promised.",
                                labels=("id", "strategy"))
        err = CounterMetricFamily("kiro_optimization_query_errors",
                                  "Failed Prometheus queries for derived KPIs.",
                                  labels=("id", "query"))
        for oid, (strategy, estimate) in sorted(opts.items()):
            r = results.get(oid, {})
            for key, family in measured.items():
                if key in r:
                    family.add_metric((oid, strategy), r[key])
            if estimate is not None:
                est.add_metric((oid, strategy), estimate)
        for k, v in sorted(errors.items()):
            err.add_metric(k, v)
        last = GaugeMetricFamily("kiro_exporter_derived_last_refresh_timestamp_seconds",
                                 "When derived KPIs were last refreshed (Unix seconds).")
        last.add_metric((), self.last_refresh)
        return [*measured.values(), est, err, last]
