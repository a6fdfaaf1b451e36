"""Turn synthetic history into TSDB blocks with the real promtool, before Prometheus starts.

Blocks land in Prometheus's own ``--storage.tsdb.path``; Prometheus 2.42 always accepts
blocks overlapping each other and the head (vertical merging), and the stack raises
retention so nothing backfilled counts as expired.
"""
from __future__ import annotations

import shutil
import subprocess
import time
from dataclasses import replace
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from . import history, selectors, series, shape
from ..promcheck import fragments
from .bundle import expressions
from .synthetic import save_plans

MAX_BLOCK = f"{history.BLOCK // history.HOUR}h"
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
    # Fine samples around every offset point for every metric: records read with an offset
    # (backfilled by rulesfill) need their raw inputs there, whatever the raw expressions say.
    plans = [replace(p, offsets=p.offsets | frozenset(found.offsets)) for p in series.plans(found, job_namer(spec), shape.hints(spec))]
    if work.exists():
        shutil.rmtree(work)
    files = history.write(plans, now, work, fine_step=fine_step)
    save_plans(plans, work / PLANS)
    data_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(lambda f: _import(f, data_dir), files))
    return {"metrics": len(plans), "series": sum(len(p.labels) for p in plans), "files": len(files),
            "seconds": round(time.monotonic() - started, 1)}


def _import(path: Path, data_dir: Path) -> None:
    result = subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", "--quiet",
                             f"--max-block-duration={MAX_BLOCK}", str(path), str(data_dir)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"promtool could not import {path.name}: {result.stderr.strip() or result.stdout.strip()}")
