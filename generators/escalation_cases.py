"""Test cases for the escalation copies (``generators.escalation_rules``, owned by routing).

A copy evaluates its original's own expression, so its cases are the original's, built
by the same case builders for the copy rule: the inputs that fire the original fire the
copy only after the copy's longer ``for`` (silent one step before, when the original has
long been firing), with the copy's labels and the original's annotations rendered with
the real value; the healthy inputs leave it silent. Each copy has a name of its own, so
promtool checks it apart from every other alert the same inputs fire.
"""
from __future__ import annotations

from . import alert_cases, alert_rules, slo, slo_cases, target_cases, targets
from .alert_cases import Case
from .escalation_rules import copies
from .model import Kpi, Spec


def escalation_cases(spec: Spec) -> list[Case]:
    """The cases of every escalation copy, in KPI order."""
    return [case for kpi in spec.kpis
            for case in _spec_alert_copies(spec, kpi) + _target_down_copies(spec, kpi) + _slo_copies(spec, kpi)]


def _spec_alert_copies(spec: Spec, kpi: Kpi) -> list[Case]:
    """Copies of the KPI's spec alerts (and of its implicit missing-source alert)."""
    return [case for alert, rule in alert_cases.alert_pairs(spec, kpi) for copy in copies(spec, rule)
            for case in alert_cases.spec_alert_cases(spec, kpi, alert, copy)]


def _target_down_copies(spec: Spec, kpi: Kpi) -> list[Case]:
    """Copies of the KPI's target-down alert, when it has one and its severity escalates."""
    down = targets.target_down(spec, kpi)
    if down is None:
        return []
    return [case for copy in copies(spec, alert_rules.target_down_rule(spec, kpi, down))
            for case in target_cases.target_down_cases(spec, kpi, copy)]


def _slo_copies(spec: Spec, kpi: Kpi) -> list[Case]:
    """Copies of the SLO's burn-rate tiers, one escalation level at a time (the tiers of a level
    share a name, as their originals do), and of its no-data alert."""
    if kpi.slo is None:
        return []
    by_tier = {t.name: copies(spec, alert_rules.burn_rule(spec, kpi, t)) for t in slo.tiers(kpi)}
    out = []
    for level in range(max(map(len, by_tier.values()), default=0)):
        out += slo_cases.burn_cases(spec, kpi, {tier: c[level] for tier, c in by_tier.items() if len(c) > level})
    if kpi.slo.no_data == "alert":
        out += [case for copy in copies(spec, alert_rules.no_data_rule(spec, kpi))
                for case in slo_cases.no_data_cases(spec, kpi, copy)]
    return out
