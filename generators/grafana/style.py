"""How a KPI looks: its Grafana unit, its threshold colours, the default size of each panel type.

Threshold colours come from the spec alone: green where the target is met, yellow outside
the target with no alert, and the colour of the most severe static alert (``when``) that
fires in a range. Baseline, change and forecast alerts have no fixed value to draw.
Colours darken with severity (``COLOUR_RAMP``), so a worse range never looks calmer.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..model import Comparison, Target

GRAFANA_UNITS = {
    "seconds": "s",
    "milliseconds": "ms",
    "percent": "percent",
    "ratio": "percentunit",
    "bytes": "bytes",
    "megabits_per_second": "Mbits",
    "requests_per_second": "reqps",
    "operations_per_second": "ops",
    "per_hour": "suffix:/h",
    "per_day": "suffix:/day",
    "count": "short",
    "cores": "suffix: cores",
    "currency_per_hour": "currencyUSD",
    "currency_per_month": "currencyUSD",
    "currency_per_gb_month": "currencyUSD",
    "score": "none",
    "times": "suffix:×",
}
"""Spec unit -> Grafana unit id. Rates per hour/day and cores have no built-in id, so they use
Grafana's documented ``suffix:`` custom units; currencies assume OpenCost's default (USD)."""

UNIT_RANGES = {"percent": (0, 100), "ratio": (0, 1), "score": (0, 5)}
"""Fixed gauge ends for percentages and 1-5 survey scores, so 80 % always looks like 80 %."""

WHOLE_UNITS = {"count"}
"""Units counted in whole numbers: their threshold boundaries move up by 1, not by 0.001."""

SEVERITY_COLOURS = {"critical": "red", "warning": "orange", "info": "light-orange"}
"""Alert severity -> Grafana colour, most severe first; a severity not listed counts as critical."""
TARGET_MET, TARGET_MISSED, NEUTRAL = "green", "yellow", "green"
COLOUR_RAMP = (TARGET_MET, TARGET_MISSED, *reversed(SEVERITY_COLOURS.values()))
"""Calm to alarming: target met, target missed with no alert, then info, warning, critical.
An info alert is worth more attention than a missed target, so it is never a calm blue."""

PANEL_SIZES = {
    "stat": (4, 5),
    "gauge": (6, 6),
    "bargauge": (8, 8),
    "table": (12, 8),
    "timeseries": (12, 8),
    "heatmap": (12, 8),
}
"""Panel type -> (width in grid columns of 24, height in grid rows)."""


@dataclass(frozen=True)
class Step:
    """One threshold step: ``colour`` applies from ``value`` upwards (``None`` is minus infinity)."""

    value: float | None
    colour: str


def grafana_unit(unit: str | None) -> str:
    return GRAFANA_UNITS[unit] if unit else "none"


def value_range(unit: str | None) -> tuple[float, float] | None:
    return UNIT_RANGES.get(unit) if unit else None


def resolution(unit: str | None, decimals: int | None) -> int | None:
    """Decimals that tell two displayed values apart: the KPI's own, or 0 for whole counts."""
    if decimals is not None:
        return decimals
    return 0 if unit in WHOLE_UNITS else None


def threshold_steps(target: Target | None, alerts: list[tuple[str, Comparison]],
                    decimals: int | None = None) -> list[Step]:
    """Ascending steps colouring every value range by target and static alert thresholds.

    Each range between two boundaries takes the colour of its midpoint. A boundary that
    belongs to the range below it (``> 80`` does not fire at 80) is moved up by the
    display resolution, so a count of 0 under ``> 0`` stays green.
    """
    bounds = _boundaries(target, alerts)
    if not bounds:
        return [Step(None, NEUTRAL)]

    def colour(x: float) -> str:
        firing = [sev for sev, cond in alerts if cond.holds(x)]
        if firing:
            return severity_colour(min(firing, key=_severity_rank))
        if target is None:
            return NEUTRAL
        return TARGET_MET if target.met_by(x) else TARGET_MISSED

    nudge = 10.0 ** -(decimals if decimals is not None else 3)
    points = sorted(bounds)
    steps = [Step(None, colour(points[0] - max(1.0, abs(points[0]))))]
    for i, point in enumerate(points):
        upper = points[i + 1] if i + 1 < len(points) else point + max(1.0, abs(point))
        value = round(point + nudge, 9) if colour(point) == steps[-1].colour else point
        if i + 1 < len(points) and value >= points[i + 1]:
            value = point
        wanted = colour((point + upper) / 2)
        if wanted != steps[-1].colour:
            steps.append(Step(value, wanted))
    return steps


def severity_colour(severity: str) -> str:
    return SEVERITY_COLOURS.get(severity, SEVERITY_COLOURS["critical"])


def _severity_rank(severity: str) -> int:
    """0 for the most severe; an unknown severity ranks (and is coloured) as critical."""
    order = list(SEVERITY_COLOURS)
    return order.index(severity) if severity in order else 0


def _boundaries(target: Target | None, alerts: list[tuple[str, Comparison]]) -> set[float]:
    bounds = {cond.value for _, cond in alerts}
    if target is not None:
        bounds |= {target.low, target.high} if target.is_band else {target.value}
    return bounds
