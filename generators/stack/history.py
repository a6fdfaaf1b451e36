"""Synthetic history for every source series, as OpenMetrics text for ``promtool tsdb create-blocks-from``.

Shape: a daily wave (busy afternoons), quieter weekends, a little noise; counters are
integrals of a rate and so never decrease; histograms put most requests in low buckets,
so latency KPIs meet their ``<`` targets most of the time, and "bad" label values (5xx,
failure, miss…) get a sliver of the traffic, so error ratios stay small.

Time grid: one sample an hour as far back as the metric's longest range plus offset
(capped), and a fine grid (``fine_step``) around "now" and around every ``offset`` point
(now - 1w, now - 30d…), so short ``rate()`` windows work there too. The grid runs
``future`` past now: series no live exporter publishes (kube-state-metrics, Envoy…) stay
fresh while the stack runs. Output is one file per block window, so promtool reads each
sample once and writes few, large blocks.
"""
from __future__ import annotations

import math
import random
import re
from pathlib import Path

from .series import Plan

HOUR, DAY = 3600, 86400
MAX_LOOKBACK = 200 * DAY
"""Longest history generated, whatever the expressions ask (``[90d] offset 90d`` needs 180 days)."""
BLOCK = 486 * HOUR
"""Block (and file) span: the largest block promtool makes (2h times a power of 3 up to 31 days)."""
_MIN_HISTORY = 8 * DAY
_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300)


def grid(now: float, lookback: float, offsets: frozenset[float], fine_step: float, future: float) -> list[float]:
    """Sample times (seconds, whole multiples of the step) for one metric, sorted."""
    start = now - min(max(lookback + DAY, _MIN_HISTORY), MAX_LOOKBACK)
    times = set(range(int(start // HOUR * HOUR), int(now + future), HOUR))
    for off in {0.0, *offsets}:
        lo, hi = now - off - HOUR, now - off + future
        if hi < start:
            continue
        step = int(fine_step)
        times.update(range(int(max(lo, start) // step * step), int(hi), step))
    return sorted(t for t in times if t >= start)


def wave(t: float) -> float:
    """Daily and weekly seasonality around 1: peak mid-afternoon UTC, weekends at 70 %."""
    day = 1 + 0.35 * math.sin(2 * math.pi * ((t % DAY) / DAY - 0.375))
    weekend = 0.7 if int(t // DAY + 4) % 7 in (5, 6) else 1.0  # 1970-01-01 was a Thursday
    return day * weekend


def samples(plan: Plan, times: list[float], seed: int = 1) -> list[tuple[str, list[tuple[float, float]]]]:
    """``(series text, [(t, value)])`` for every series of the plan."""
    rng = random.Random(f"{seed}/{plan.name}")
    out = []
    for labels, weight in zip(plan.labels, plan.weights):
        if plan.histogram:
            out += _histogram(plan.name, labels, weight, times, rng)
        elif plan.counter:
            out.append((_series(plan.name, labels), _counter(times, weight * _rate_scale(plan.name), rng)))
        else:
            level = _gauge_level(plan.name) * (weight if weight < 1 else 1)
            steady = _steady(plan.name)
            out.append((_series(plan.name, labels),
                        [(t, level if steady else level * (0.85 + 0.15 * wave(t)) * (1 + rng.uniform(-0.02, 0.02)))
                         for t in times]))
    return out


def write(plans: list[Plan], now: float, out_dir: Path, fine_step: float = 30, future: float = 2 * HOUR,
          seed: int = 1) -> list[Path]:
    """Write OpenMetrics files (one per block window) under ``out_dir``; return them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[int, list[str]] = {}
    for plan in plans:
        times = grid(now, plan.lookback, plan.offsets, fine_step, future)
        for series, points in samples(plan, times, seed):
            lines_by_block: dict[int, list[str]] = {}
            for t, v in points:
                lines_by_block.setdefault(int(t // BLOCK), []).append(f"{series} {v:.6g} {t:.0f}\n")
            for block, lines in lines_by_block.items():
                files.setdefault(block, []).extend(lines)
    written = []
    for block, lines in sorted(files.items()):
        path = out_dir / f"history-{block}.om"
        with path.open("w", encoding="utf-8") as handle:
            handle.writelines(lines)
            handle.write("# EOF\n")
        written.append(path)
    return written


def _counter(times: list[float], rate: float, rng: random.Random) -> list[tuple[float, float]]:
    total, last, points = rng.uniform(0, 1000) * rate, times[0], []
    for t in times:
        total += rate * wave(t) * (t - last) * rng.uniform(0.95, 1.05)
        last = t
        points.append((t, total))
    return points


def _histogram(name: str, labels: dict, weight: float, times: list[float], rng: random.Random):
    """Buckets of a log-normal latency (median 50 ms, or 50 in ms histograms), plus _sum and _count."""
    unit = 1000.0 if re.search(r"_ms|milliseconds", name) else 1.0
    median, sigma = 0.05 * unit, 0.8
    bounds = [b * unit for b in _BUCKETS]
    shares = [0.5 * (1 + math.erf(math.log(b / median) / (sigma * math.sqrt(2)))) for b in bounds] + [1.0]
    counts = _counter(times, weight * _rate_scale(name), rng)
    out = []
    for le, share in zip([f"{b:g}" for b in bounds] + ["+Inf"], shares):
        out.append((_series(f"{name}_bucket", {**labels, "le": le}), [(t, c * share) for t, c in counts]))
    mean = median * math.exp(sigma ** 2 / 2)
    out.append((_series(f"{name}_sum", labels), [(t, c * mean) for t, c in counts]))
    out.append((_series(f"{name}_count", labels), counts))
    return out


def _rate_scale(name: str) -> float:
    """Per-second rate: bytes and seconds counters scale up, event counters stay small.

    perfcycle-exporter's own families (``kiro_*``, ``mcp_client_*``) get a trickle, so the
    live exporter's events (and the incidents the tests inject) dominate their KPIs.
    """
    if name.startswith(("kiro_", "mcp_client_")):
        return 0.01
    if name.endswith("_bytes_total"):
        return 2e6
    if "seconds" in name and name.endswith("_total"):
        return 0.5
    return 5.0


def _gauge_level(name: str) -> float:
    rules = [(r"score", 4.7), (r"improvement_ratio|_ratio$", 0.3), (r"budget", 100000.0),
             (r"hourly_cost|_cost$", 1.5), (r"savings", 2.0), (r"violations", 0.0),
             (r"percent|utilization|cpuutilization", 45.0),
             (r"available|free", 4e9), (r"total_bytes|capacity|allocatable|limit|max_|size", 8e9),
             (r"_bytes", 2e9), (r"latency|duration|seconds", 0.05)]
    return next((level for pattern, level in rules if re.search(pattern, name, re.I)), 1.0)


def _steady(name: str) -> bool:
    """Info, status and 0/1 gauges hold still (``== 1`` comparisons must keep matching)."""
    return bool(re.search(r"_info$|status|phase|labels|is_spot|success|_up$|score|budget|max_connections|violations", name))


def _series(name: str, labels: dict) -> str:
    if not labels:
        return name
    body = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
    return f"{name}{{{body}}}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
