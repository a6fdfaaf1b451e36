"""Aggregated series in plain dicts, with a short-lock snapshot and a fast text renderer.

Why not `Counter.labels().inc()` per event: each call takes a lock and walks the label
machinery, which caps ingest far below what one core can parse. Here ingest adds into a
*delta* (dicts keyed by label tuples) under one lock per batch; a scrape swaps the delta
for an empty one (O(1) under the lock), folds it into the running totals and renders
outside the ingest lock. So a scrape of 100k series never stalls ingest for long, and
each family's text is cached until a delta touches it.

The renderer writes the Prometheus text format 0.0.4 itself (label strings escaped once
per series and cached). `collect()` also offers the same data as fresh
`prometheus_client` families, for anyone composing registries.
"""

from __future__ import annotations

import math
import threading
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
    label_text: dict = field(default_factory=dict)
    text: str = ""
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
        return {name: {} for name in self.families}

    # ---- ingest side (caller holds ingest_lock) -------------------------------------
    def set_total(self, name: str, key: tuple, value: float) -> None:
        """Set a gauge directly in the totals (static config gauges)."""
        with self.scrape_lock:
            fam = self.families[name]
            fam.total[key] = value
            fam.dirty = True

    # ---- scrape side -----------------------------------------------------------------
    def _fold(self) -> None:
        with self.ingest_lock:
            delta, self.delta = self.delta, self._fresh_delta()
        for name, d in delta.items():
            if not d:
                continue
            fam = self.families[name]
            fam.dirty = True
            tot = fam.total
            if fam.kind == "counter":
                for k, v in d.items():
                    tot[k] = tot.get(k, 0) + v
            elif fam.kind == "gauge":
                tot.update(d)
            else:
                for k, h in d.items():
                    t = tot.get(k)
                    if t is None:
                        tot[k] = h
                    else:
                        for i, c in enumerate(h):
                            t[i] += c

    def _label_text(self, fam: Family, key: tuple) -> str:
        s = fam.label_text.get(key)
        if s is None:
            s = ",".join(f'{n}="{escape_label(v)}"' for n, v in zip(fam.labels, key))
            fam.label_text[key] = s
        return s

    def _render(self, fam: Family) -> str:
        out = [fam.header]
        name = fam.sample
        lt = self._label_text
        if fam.kind != "histogram":
            for k, v in fam.total.items():
                s = lt(fam, k)
                out.append(f"{name}{{{s}}} {_fmt(v)}\n" if s else f"{name} {_fmt(v)}\n")
        else:
            les = fam.le_text
            nb = len(les)
            for k, h in fam.total.items():
                s = lt(fam, k)
                pre = f"{name}_bucket{{{s}," if s else f"{name}_bucket{{"
                acc = 0
                for i in range(nb):
                    acc += h[i]
                    out.append(f'{pre}le="{les[i]}"}} {acc}\n')
                lab = f"{{{s}}}" if s else ""
                out.append(f"{name}_sum{lab} {_fmt(h[nb])}\n{name}_count{lab} {acc}\n")
        return "".join(out)

    def render(self) -> str:
        """Text format of every family; unchanged families come from the cache."""
        with self.scrape_lock:
            self._fold()
            parts = []
            for fam in self.families.values():
                if fam.dirty:
                    fam.text = self._render(fam)
                    fam.dirty = False
                parts.append(fam.text)
            return "".join(parts)

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
