"""SLO maths: the multiwindow multi-burn-rate tiers of Google's SRE workbook, for any period.

The workbook states its table for a 30-day period as "budget consumed within a long
window": 2 % in 1 h (page), 5 % in 6 h (page), 10 % in 1 d and 10 % in 3 d (ticket), with
a short window of 1/12 of the long one so an alert resets quickly once the burn stops.
A burn rate is ``budget_consumed × period / long``, which gives 14.4, 6, 3 and 1.

For another period the windows scale with it (a 7-day SLO pages on 14 min and 70 s), so
the factors, and the fraction of budget each tier spends before it fires, stay those of
the table. A spec may instead give a tier's own ``long`` window and ``budget_consumed``.
"""
from __future__ import annotations

from dataclasses import dataclass

from .model import Kpi, duration_from_seconds, seconds
from .model.kpi import BURN_FOR_DEFAULTS

WORKBOOK_PERIOD = 30 * 86400
"""The period the workbook's table is written for."""
WORKBOOK = {
    # tier: (long window, budget consumed within it)
    "page_fast": ("1h", 0.02),
    "page_slow": ("6h", 0.05),
    "ticket_fast": ("1d", 0.10),
    "ticket_slow": ("3d", 0.10),
}
SHORT_DIVISOR = 12
"""The short window is 1/12 of the long one (workbook, "multiwindow")."""


@dataclass(frozen=True)
class BurnTier:
    """One alerting tier: fire while both windows burn faster than ``factor``."""

    name: str
    """``page_fast``, ``page_slow``, ``ticket_fast`` or ``ticket_slow``."""
    tier: str
    """``page`` or ``ticket``: the stable ``tier`` label."""
    speed: str
    """``fast`` or ``slow``: the stable ``window_class`` label."""
    long: str
    short: str
    factor: float
    budget_consumed: float
    for_: str = "0s"
    """The alert's ``for``: the SLO's ``for`` for this tier, else the page/ticket default."""


def tiers(kpi: Kpi, enabled_only: bool = True) -> list[BurnTier]:
    """The burn-rate tiers of a KPI's SLO, in workbook order, switched-off tiers left out."""
    slo = kpi.slo
    period = seconds(slo.period)
    out = []
    for name, (long_default, consumed_default) in WORKBOOK.items():
        if enabled_only and not getattr(slo.tiers, name):
            continue
        override = slo.windows.get(name)
        if override is None:
            long_s = seconds(long_default) * period / WORKBOOK_PERIOD
            consumed = consumed_default
            short_s = long_s / SHORT_DIVISOR
        else:
            long_s = seconds(override.long)
            consumed = override.budget_consumed
            short_s = seconds(override.short) if override.short else long_s / SHORT_DIVISOR
        long_s, short_s = _whole(long_s), _whole(short_s)
        factor = round(consumed * period / long_s, 6)
        tier, speed = name.split("_")
        out.append(BurnTier(name, tier, speed, duration_from_seconds(long_s),
                            duration_from_seconds(short_s), factor, consumed, hold(kpi, name)))
    return out


def hold(kpi: Kpi, name: str) -> str:
    """``for`` of tier ``name``: the SLO's own for this tier, for its page/ticket kind, or the default."""
    kind = name.split("_")[0]
    given = kpi.slo.for_
    return given.get(name) or given.get(kind) or BURN_FOR_DEFAULTS[kind]


def error_budget(kpi: Kpi) -> float:
    """The allowed error ratio: 1 - objective (0.001 for 99.9 %)."""
    return round(1 - kpi.slo.objective / 100, 12)


def windows(kpi: Kpi) -> list[str]:
    """Every window an error ratio is recorded at, shortest first (all tiers, even switched off)."""
    found = {w for t in tiers(kpi, enabled_only=False) for w in (t.long, t.short)}
    return sorted(found, key=seconds)


def base_window(kpi: Kpi) -> str:
    """The shortest window: error and event rates are recorded there and longer ones derived."""
    return windows(kpi)[0]


def severity(kpi: Kpi, tier: BurnTier) -> str:
    return kpi.slo.page_severity if tier.tier == "page" else kpi.slo.ticket_severity


def _whole(total: float) -> int:
    """Whole seconds, rounded to whole minutes above ten minutes so windows read well (5h36m)."""
    total = max(1, round(total))
    return round(total / 60) * 60 if total > 600 else total
