"""Cases fed from source series (buckets, counters, gauges): proof the recording rules work.

Only KPIs whose selectors use equality matchers get one (a regex matcher would need a
label value guessed to match it); the spec has at least one per kind that matters
(quantile, ratio, gauge), and the Python tests check that.
"""
from __future__ import annotations

import re

from . import naming
from .alert_cases import STEP, Case, beyond, by_labels, expected, healthy, series
from .model import Alert, Kpi, seconds

MAX_WINDOW = 3600
"""Longer rate windows (a week of deployments) would make promtool evaluate for days of samples."""
_SELECTOR = re.compile(r'^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{(.*)\})?\s*$')
_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"([^"]*)"\s*$')


def equality_labels(selector: str) -> tuple[str, dict[str, str]] | None:
    """``name{a="b"}`` -> (``name``, {a: b}); None when any matcher is not ``=``."""
    match = _SELECTOR.match(selector)
    if not match:
        return None
    labels = {}
    for part in filter(str.strip, (match.group(2) or "").split(",")):
        m = _MATCHER.match(part)
        if not m:
            return None
        labels[m.group(1)] = m.group(2)
    return match.group(1), labels


def raw_cases(kpi: Kpi, alert: Alert, rule: dict) -> list[Case]:
    """A firing and a healthy case from source series, or none when the kind or selectors do not allow it."""
    if alert.condition != "when":
        return []
    feed = {"quantile": _quantile, "ratio": _ratio, "gauge": _gauge}.get(kpi.source.kind)
    if feed is None or seconds(kpi.source.window) > MAX_WINDOW:
        return []
    op, threshold = alert.when.op, alert.when.value
    out = []
    for fires, value in ((True, beyond(op, threshold)), (False, healthy(op, threshold))):
        fed = feed(kpi, value, threshold)
        if fed is None:
            return []
        inputs, produced = fed
        window = seconds(kpi.source.window)
        hold = seconds(rule["for"])
        at = window + hold + 3 * STEP
        case = Case(f"{rule['alert']} {'fires' if fires else 'stays silent'} from source series "
                    f"({kpi.source.kind}, value {produced:g})")
        if fires and hold >= 2 * STEP:
            case.check(hold - STEP, rule, [])
        labels = {**by_labels(kpi), naming.KPI_LABEL: kpi.id}
        case.check(at, rule, [expected(rule, labels, produced)] if fires else [])
        case.series.update({s: v.format(n=int(at // STEP)) for s, v in inputs.items()})
        out.append(case)
    return out


def _quantile(kpi: Kpi, value: float, threshold: float):
    """Every observation in one bucket: ``(lo, hi]`` gives ``lo + (hi - lo) × q``.

    With t the threshold in source units, buckets are t/2, t, 2t: all observations in
    (t, 2t] give ``t + t q`` (above t), all in (0, t/2] give ``t/2 × q`` (below t).
    """
    s = kpi.source
    parsed = equality_labels(f"{s.metric}_bucket{{{s.selector}}}" if s.selector else f"{s.metric}_bucket")
    if parsed is None or threshold <= 0:
        return None
    name, matchers = parsed
    t = threshold / s.scale
    bounds = [t / 2, t, t * 2]
    bucket = 2 if value > threshold else 0
    base = {**matchers, **by_labels(kpi)}
    inputs = {}
    for i, le in enumerate([*bounds, float("inf")]):
        text = "+Inf" if i == len(bounds) else repr(le)
        inputs[series(name, {**base, "le": text})] = f"0+{60 if i >= bucket else 0}x{{n}}"
    lower = bounds[bucket - 1] if bucket > 0 else 0.0
    produced = lower + (bounds[bucket] - lower) * (s.quantile * 1.0 / 1.0)
    return inputs, (s.scale * produced if s.scale != 1 else produced)


def _ratio(kpi: Kpi, value: float, threshold: float):
    s = kpi.source
    nums = [equality_labels(x) for x in s.numerator]
    dens = [equality_labels(x) for x in s.denominator]
    if None in nums or None in dens or {n for n, _ in nums} & {n for n, _ in dens}:
        return None
    ratio = value / s.scale
    if ratio < 0 or abs(ratio * 60 - round(ratio * 60)) > 1e-9:
        return None  # keep counter increments whole so the rate is exact
    inputs = {}
    for i, (name, labels) in enumerate(nums):
        inputs[series(name, {**labels, **by_labels(kpi)})] = f"0+{round(ratio * 60) if i == 0 else 0}x{{n}}"
    for i, (name, labels) in enumerate(dens):
        inputs[series(name, {**labels, **by_labels(kpi)})] = f"0+{60 if i == 0 else 0}x{{n}}"
    produced = round(ratio * 60) / 60.0
    return inputs, (s.scale * produced if s.scale != 1 else produced)


def _gauge(kpi: Kpi, value: float, threshold: float):
    s = kpi.source
    parsed = equality_labels(s.metric)
    if parsed is None:
        return None
    name, labels = parsed
    raw = value / s.scale
    inputs = {series(name, {**labels, **by_labels(kpi)}): f"{raw!r}+0x{{n}}"}
    return inputs, (s.scale * raw if s.scale != 1 else raw)

