"""Targets from the spec, turned into the raw values the synthetic history should sit at.

A latency KPI ``p95 < 0.5`` makes its histogram's median such that p95 is half the bound; a
gauge KPI with a target sits at a value that meets it. History shaped this way keeps the
bundle's alerts quiet and its target-met series mostly 1, as on a healthy platform.
Expression KPIs are opaque PromQL and keep the generic shapes of ``history``.
"""
from __future__ import annotations

import math
import re
from statistics import NormalDist

SIGMA = 0.8
"""Spread of the synthetic log-normal latencies (shared with ``history``)."""


def hints(spec) -> dict[str, dict]:
    """``{metric: {"median": raw seconds/ms, "level": raw value, "aggregation": ...}}`` from KPI targets."""
    out: dict[str, dict] = {}
    for kpi in spec.kpis:
        source, target = kpi.source, kpi.target
        good = good_value(target, kpi.unit) if target is not None else None
        if good is None:
            continue
        if source.kind == "quantile" and good > 0:
            median = good / source.scale / math.exp(NormalDist().inv_cdf(source.quantile) * SIGMA)
            entry = out.setdefault(source.metric, {})
            entry["median"] = min(entry.get("median", math.inf), median)
        elif source.kind == "gauge":
            name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", source.metric).group(0)
            out.setdefault(name, {}).update(level=good / source.scale, aggregation=source.aggregation)
    return out


def good_value(target, unit: str) -> float | None:
    """A value comfortably inside the target, in the KPI's unit."""
    if target.low is not None and target.high is not None:
        return (target.low + target.high) / 2
    op, value = target.op, target.value
    if op in ("<", "<="):
        return value * 0.5 if value > 0 else (value if op == "<=" else value - 1)
    if op in (">", ">="):
        if unit == "percent":
            return min(value * 1.2, (value + 100) / 2) if value > 0 else 50.0
        return value * 1.5 if value > 0 else (value if op == ">=" else value + 1)
    return value
