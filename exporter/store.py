"""Aggregated series in plain dicts, with a short-lock snapshot and a fast text renderer.

Why not `Counter.labels().inc()` per event: each call takes a lock and walks the label
machinery, which caps ingest far below what one core can parse. Here ingest adds into a
*delta* (dicts keyed by label tuples) under one lock per batch; a scrape swaps the delta
for an empty one (O(1) under the lock), folds it into the running totals and renders
outside the ingest lock. So a scrape of 100k series never stalls ingest for long. The
text of each series is kept and re-rendered only when a delta touches it; a family's
text is re-joined only when one of its series changed.

The renderer writes the Prometheus text format 0.0.4 itself (label strings escaped once
per series and cached). `collect()` also offers the same data as fresh
`prometheus_client` families, for anyone composing registries.
"""

from __future__ import annotations

import math
import threading
from collections import defaultdict
from functools import partial
from operator import mul
from dataclasses import dataclass, field

from prometheus_client.core import (CounterMetricFamily, GaugeMetricFamily,
                                    HistogramMetricFamily)


@dataclass
class Family:
    """One metric family. `name` excludes `_total` for counters (as prometheus_client)."""

    name: str
    kind: str  # counter | gauge | histogram
    help: str
    labels: tuple[str, ...]
    buckets: tuple[float, ...] = ()
    # running totals (scrape side only) and render cache
    total: dict = field(default_factory=dict)
    lines: dict = field(default_factory=dict)  # rendered text per series
    text: bytes = b""
    dirty: bool = True

    def __post_init__(self):
        self.le_text = tuple(_fmt(b) for b in self.buckets) + ("+Inf",)
        self.sample = self.name + "_total" if self.kind == "counter" else self.name
        self.header = (f"# HELP {self.sample} {_escape_help(self.help)}\n"
                       f"# TYPE {self.sample} {self.kind}\n")


def _escape_help(s: str) -> str:
    return s.replace("\\", "\\\\").replace("\n", "\\n")


def escape_label(v: str) -> str:
    """Escape a label value for the text format (backslash, double quote, newline)."""
    if "\\" in v or '"' in v or "\n" in v:
        v = v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return v


def _fmt(v) -> str:
    if type(v) is int:
        return str(v)
    if v == math.inf:
        return "+Inf"
    if v == -math.inf:
        return "-Inf"
    if v != v:
        return "NaN"
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v)) + ".0"
    return repr(v)


class Store:
    """Holds every event-fed family; `ingest_lock` guards only the delta dicts."""

    def __init__(self, families: list[Family]):
        self.families = {f.name: f for f in families}
        self.ingest_lock = threading.Lock()
        self.scrape_lock = threading.Lock()
        self.delta = self._fresh_delta()

    def _fresh_delta(self) -> dict:
        """Counter values are one-element lists ("cells") and histograms bucket lists,
        created on first use, so the hot path can keep a reference to a series' cell
        for the rest of the batch and add to it without any dict operation. Keys that
        start with `#` are the aggregator's per-delta caches, not families."""
        out = {}
        for name, f in self.families.items():
            if f.kind == "counter":
                out[name] = defaultdict(partial(mul, [0], 1))
            elif f.kind == "histogram":
                out[name] = defaultdict(partial(mul, [0], len(f.buckets) + 2))
            else:
                out[name] = {}
        return out

    # ---- ingest side (caller holds ingest_lock) -------------------------------------
    def set_total(self, name: str, key: tuple, value: float) -> None:
        """Set a gauge directly in the totals (static config gauges)."""
        with self.scrape_lock:
            fam = self.families[name]
            fam.total[key] = value
            fam.lines[key] = self._line(fam, key, value)
            fam.dirty = True

    # ---- scrape side -----------------------------------------------------------------
    def _fold(self) -> None:
        """Swap the delta out (O(1) under the ingest lock), add it to the totals and
        re-render only the series it touched."""
        with self.ingest_lock:
            delta, self.delta = self.delta, self._fresh_delta()
        for name, d in delta.items():
            if not d or name[0] == "#":
                continue
            fam = self.families[name]
            fam.dirty = True
            tot, lines, line = fam.total, fam.lines, self._line
            if fam.kind == "counter":
                for k, cell in d.items():
                    tot[k] = v = tot.get(k, 0) + cell[0]
                    lines[k] = line(fam, k, v)
            elif fam.kind == "gauge":
                for k, v in d.items():
                    tot[k] = v
                    lines[k] = line(fam, k, v)
            else:
                for k, h in d.items():
                    t = tot.get(k)
                    if t is None:
                        tot[k] = t = h
                    else:
                        for i, c in enumerate(h):
                            t[i] += c
                    lines[k] = line(fam, k, t)

    @staticmethod
    def _line(fam: Family, key: tuple, v) -> str:
        """The text of one series (all bucket, sum and count lines for a histogram)."""
        s = ",".join(f'{n}="{escape_label(x)}"' for n, x in zip(fam.labels, key))
        name = fam.sample
        if fam.kind != "histogram":
            return f"{name}{{{s}}} {_fmt(v)}\n" if s else f"{name} {_fmt(v)}\n"
        pre = f"{name}_bucket{{{s}," if s else f"{name}_bucket{{"
        out, acc = [], 0
        for le, c in zip(fam.le_text, v):
            acc += c
            out.append(f'{pre}le="{le}"}} {acc}\n')
        lab = f"{{{s}}}" if s else ""
        out.append(f"{name}_sum{lab} {_fmt(v[-1])}\n{name}_count{lab} {acc}\n")
        return "".join(out)

    def render(self) -> bytes:
        """Text format (UTF-8) of every family; unchanged families come from the cache."""
        with self.scrape_lock:
            self._fold()
            parts = []
            for fam in self.families.values():
                if fam.dirty:
                    fam.text = (fam.header + "".join(fam.lines.values())).encode()
                    fam.dirty = False
                parts.append(fam.text)
            return b"".join(parts)

    def collect(self):
        """The same data as fresh prometheus_client families (a Collector's interface)."""
        with self.scrape_lock:
            self._fold()
            snap = [(fam, list(fam.total.items())) for fam in self.families.values()]
        for fam, items in snap:
            if fam.kind == "counter":
                mf = CounterMetricFamily(fam.name, fam.help, labels=fam.labels)
                for k, v in items:
                    mf.add_metric(k, v)
            elif fam.kind == "gauge":
                mf = GaugeMetricFamily(fam.name, fam.help, labels=fam.labels)
                for k, v in items:
                    mf.add_metric(k, v)
            else:
                mf = HistogramMetricFamily(fam.name, fam.help, labels=fam.labels)
                for k, h in items:
                    acc, buckets = 0, []
                    for le, c in zip(fam.le_text, h):
                        acc += c
                        buckets.append((le, acc))
                    mf.add_metric(k, buckets, h[-1])
            yield mf
