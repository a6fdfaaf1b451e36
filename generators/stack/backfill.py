"""Turn synthetic history into TSDB blocks with the real promtool, before Prometheus starts.

Blocks land in Prometheus's own ``--storage.tsdb.path``; Prometheus 2.42 always accepts
blocks overlapping each other and the head (vertical merging), and the stack raises
retention so nothing backfilled counts as expired.
"""
from __future__ import annotations

import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from . import history, rulesfill, selectors, series, shape
from .blocks import import_openmetrics
from ..promcheck import fragments
from .bundle import expressions
from .synthetic import save_plans

RETENTION = "400d"
"""Longer than the deepest history (200 days) plus the future margin."""


def job_namer(spec):
    """``job`` label of a source metric: the spec's exporter whose prefixes match, else ``synthetic``."""
    exporters = [(name, [m.rstrip("*") for m in e.metrics], any(m.endswith("*") for m in e.metrics))
                 for name, e in spec.exporters.items()]

    def job_of(metric: str) -> str:
        for name, prefixes, _ in exporters:
            if any(metric == p or metric.startswith(p) for p in prefixes):
                return name
        return "synthetic"
    return job_of


PLANS = "plans.json"
"""Beside the history files: what the synthetic exporter serves live."""


def build(spec, bundle: Path, data_dir: Path, work: Path, now: float, fine_step: float = 30) -> dict:
    """Write OpenMetrics history for every source series the bundle reads and import it as blocks.

    Also saves the plans, so the synthetic exporter continues exactly these series live.
    """
    started = time.monotonic()
    # Every source selector of the spec (even before any rule reads it), then all the bundle runs.
    found = selectors.scan([expr for _, expr in fragments(spec)] + expressions(bundle))
    # The recorded series rulesfill backfills need their raw inputs at fine steps: around the
    # offset points of records read with an offset, and in bursts where records read over long
    # windows are evaluated hourly.
    offsets, needs = rulesfill.raw_offsets(bundle), rulesfill.raw_needs(bundle)
    plans = [for_records(p, offsets, needs) for p in series.plans(found, job_namer(spec), shape.hints(spec))]
    if work.exists():
        shutil.rmtree(work)
    files, samples = history.write(plans, now, work, fine_step=fine_step)
    save_plans(plans, work / PLANS)
    data_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda f: import_openmetrics(f, data_dir), files))
    return {"metrics": len(plans), "series": sum(len(p.labels) for p in plans), "files": len(files),
            "days": sorted({round(history.depth(p.lookback) / history.DAY) for p in plans}),
            "samples": samples, "seconds": round(time.monotonic() - started, 1)}


def for_records(plan: series.Plan, offsets: dict[str, set[float]], needs: dict[str, tuple[float, float]]) -> series.Plan:
    """``plan`` with the offsets and bursts the backfilled records reading it need (histograms by any part)."""
    names = [plan.name] + ([f"{plan.name}_{part}" for part in ("bucket", "sum", "count")] if plan.histogram else [])
    extra = frozenset().union(*(offsets.get(n, set()) for n in names))
    bursts = [needs[n] for n in names if n in needs]
    return replace(plan, offsets=plan.offsets | extra,
                   burst_depth=max((d for d, _ in bursts), default=0.0), burst_span=max((s for _, s in bursts), default=0.0))
