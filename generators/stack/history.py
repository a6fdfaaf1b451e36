"""Synthetic history for every source series, as OpenMetrics text for ``promtool tsdb create-blocks-from``.

Shape: a daily wave (busy afternoons UTC) and quieter weekends (70 % on Saturdays and
Sundays), for gauges and for the rates of counters and histograms alike, plus a little
noise on gauges; counters are integrals of that rate and so never decrease; histograms put
most requests in low buckets, so latency KPIs meet their ``<`` targets most of the time, and
"bad" label values (5xx, failure, miss…) get a sliver of the traffic, so error ratios stay small.

Every value is a pure function of time (``value_at``), so the history written here and the
live exposition of the synthetic exporter (``synthetic.py``, standing in for
kube-state-metrics, Envoy, OpenCost… on one machine) are one continuous series.

Time grid (``grid``): one sample an hour for at least five weeks (more when a range plus
offset reaches further, capped), so week-over-week reads work on any day of a month; a fine
grid (``fine_step``) over the last hour and around every ``offset`` point (now - 1w,
now - 30d…), so short ``rate()`` windows work there too; and, for metrics that recorded
series read over long windows (``Plan.burst_depth``), a short fine burst before every hour
mark, so a ``rate(x[5m])`` record evaluated hourly by ``rulesfill`` is exact all the way
back without a fine grid over weeks. The grid stops before now: Prometheus refuses live
samples older than its newest block. Output is one file per block window, so promtool reads
each sample once and writes few, large blocks.
"""
from __future__ import annotations

import math
import re
import zlib
from pathlib import Path
from typing import Callable

from .series import Plan
from .shape import SIGMA

HOUR, DAY = 3600, 86400
MAX_LOOKBACK = 200 * DAY
"""Longest history generated, whatever the expressions ask (``[90d] offset 90d`` needs 180 days)."""
BLOCK = 486 * HOUR
"""Block (and file) span: the largest block promtool makes (2h times a power of 3 up to 31 days)."""
MIN_HISTORY = 35 * DAY
"""Every metric gets five weeks: a month of week-over-week comparisons and 7-day baselines."""
WEEKEND = 0.7
"""Saturday and Sunday traffic (gauge swing and counter rate) relative to a weekday."""
EPOCH = 1_700_000_000
"""Counters count from here (Nov 2023), keeping their values small enough for exact rates."""
_SPREAD = (0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 10, 30, 100)
"""Bucket bounds as multiples of the median."""


def depth(lookback: float) -> float:
    """Seconds of history for a metric whose expressions look ``lookback`` back: a day more, five weeks at least."""
    return min(max(lookback + DAY, MIN_HISTORY), MAX_LOOKBACK)


def grid(now: float, lookback: float, offsets: frozenset[float], fine_step: float,
         burst_depth: float = 0, burst_span: float = 0) -> list[float]:
    """Sample times (whole multiples of the step, all before ``now``) for one metric, sorted.

    ``burst_depth`` > 0 adds, at every hour mark H of the last ``burst_depth`` seconds, samples
    from H - ``burst_span`` to H + one step, five steps per span (30 s at least): a short
    ``rate()`` evaluated at H then sees a full window, and a ``[1h]`` window (left-open in
    newer Prometheus) a sample just inside its start.
    """
    start = now - depth(lookback)
    times = set(range(int(start // HOUR * HOUR), int(now), HOUR))
    step = int(fine_step)
    for off in {0.0, *offsets}:
        lo, hi = now - off - HOUR, min(now - off + HOUR, now)
        if hi > start:
            times.update(range(int(max(lo, start) // step * step), int(hi), step))
    if burst_depth > 0 and burst_span > 0:
        every = max(step, int(burst_span / 5) // step * step)  # five intervals per window: rate() is exact
        first = int(max(now - burst_depth - HOUR, start) // HOUR * HOUR)
        for mark in range(first, int(now), HOUR):
            times.update(range(mark - int(burst_span // every * every), mark + every + 1, every))
    return sorted(t for t in times if start <= t < now)


def wave(t: float) -> float:
    """Daily and weekly seasonality around 1: peak mid-afternoon UTC, weekends at ``WEEKEND``."""
    return _daily(t) * _weekday(int(t // DAY))


def _weekday(day: int) -> float:
    """Traffic factor of day number ``day`` since 1970-01-01 (a Thursday): 1, or ``WEEKEND``."""
    return WEEKEND if (day + 3) % 7 in (5, 6) else 1.0


def _daily(t: float) -> float:
    return 1 + 0.35 * math.sin(2 * math.pi * ((t % DAY) / DAY - 0.375))


def _daily_antiderivative(t: float) -> float:
    return t - 0.35 * DAY / (2 * math.pi) * math.cos(2 * math.pi * (t / DAY - 0.375))


_WEEK_SHARES = [sum(_weekday(d) for d in range(n)) for n in range(8)]
"""Sum of the day factors of the first ``n`` days of a week counted from day 0 (``n`` = 7: a whole week, 6.4)."""


def _wave_integral(t: float) -> float:
    """Integral of ``wave`` from 0 to ``t``, in closed form (fast for millions of samples).

    A full day of the daily wave integrates to one DAY, so whole days count ``DAY`` times their
    weekday factor, and the current day adds its factor times the wave's integral so far.
    """
    day = math.floor(t / DAY)
    weeks, rest = divmod(day, 7)
    whole_days = weeks * _WEEK_SHARES[7] + _WEEK_SHARES[rest]
    return whole_days * DAY + _weekday(day) * (_daily_antiderivative(t) - _daily_antiderivative(day * DAY))


def counted(t: float) -> float:
    """What a counter of rate ``wave`` has counted since EPOCH: its rate has both seasons."""
    return _wave_integral(t) - _wave_integral(EPOCH)


def value_functions(plan: Plan) -> list[tuple[str, Callable[[float], float]]]:
    """``(series text, value_at(t))`` for every series of the plan: the single source of its shape."""
    out = []
    for n, (labels, weight) in enumerate(zip(plan.labels, plan.weights)):
        jitter = (hash_fraction(f"{plan.name}/{n}") - 0.5) * 0.2
        if plan.histogram:
            out += _histogram(plan.name, labels, weight * (1 + jitter), plan.bounds, plan.median)
        elif plan.counter:
            rate = weight * _rate_scale(plan.name) * (1 + jitter)
            out.append((series_text(plan.name, labels), lambda t, r=rate: r * counted(t)))
        else:
            level = (plan.level if plan.level is not None else _gauge_level(plan.name)) * (weight if weight < 1 else 1)
            if _steady(plan.name):  # exact: `== 1` comparisons and joins on 0/1 gauges must hold
                out.append((series_text(plan.name, labels), lambda t, v=level: v))
                continue
            out.append((series_text(plan.name, labels), lambda t, v=level * (1 + jitter / 4), p=n:
                        v * (0.85 + 0.15 * wave(t)) * (1 + 0.02 * math.sin(t / 977 + p))))
    return out


def write(plans: list[Plan], now: float, out_dir: Path, fine_step: float = 30) -> tuple[list[Path], int]:
    """Write OpenMetrics files (one per block window) under ``out_dir``; return them and the sample count."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files: dict[int, list[str]] = {}
    for plan in plans:
        times = grid(now, plan.lookback, plan.offsets, fine_step, plan.burst_depth, plan.burst_span)
        for series, value_at in value_functions(plan):
            for t in times:
                files.setdefault(int(t // BLOCK), []).append(f"{series} {value_at(t):.12g} {t:.0f}\n")
    written = []
    for block, lines in sorted(files.items()):
        path = out_dir / f"history-{block}.om"
        with path.open("w", encoding="utf-8") as handle:
            handle.writelines(lines)
            handle.write("# EOF\n")
        written.append(path)
    return written, sum(len(lines) for lines in files.values())


def hash_fraction(text: str) -> float:
    """A stable pseudo-random number in [0, 1) (Python's ``hash`` changes per process)."""
    return zlib.crc32(text.encode()) / 2 ** 32


def _histogram(name: str, labels: dict, weight: float, named: tuple[str, ...] = (), median: float | None = None):
    """Buckets of a log-normal latency, plus _sum and _count.

    The median comes from the spec's target (``shape.hints``) or is 50 ms (50 in ms histograms);
    bucket bounds are spread around it, so quantiles interpolate finely where they fall.
    """
    unit = 1000.0 if re.search(r"_ms|milliseconds", name) else 1.0
    median, sigma = median or 0.05 * unit, SIGMA
    bounds = {f"{median * f:.4g}": float(f"{median * f:.4g}") for f in _SPREAD}
    bounds.update((le, float(le)) for le in named if le != "+Inf")
    ordered = sorted(bounds.items(), key=lambda kv: kv[1])
    shares = [0.5 * (1 + math.erf(math.log(b / median) / (sigma * math.sqrt(2)))) for _, b in ordered] + [1.0]
    rate = weight * _rate_scale(name)
    out = [(series_text(f"{name}_bucket", {**labels, "le": le}), lambda t, f=rate * share: f * counted(t))
           for le, share in zip([le for le, _ in ordered] + ["+Inf"], shares)]
    mean = median * math.exp(sigma ** 2 / 2)
    out.append((series_text(f"{name}_sum", labels), lambda t, f=rate * mean: f * counted(t)))
    out.append((series_text(f"{name}_count", labels), lambda t, f=rate: f * counted(t)))
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


def series_text(name: str, labels: dict) -> str:
    labels = {k: v for k, v in labels.items() if v != ""}  # an empty value is an absent label
    if not labels:
        return name
    body = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
    return f"{name}{{{body}}}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
