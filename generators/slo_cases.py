"""Test cases for SLO alerts: one burn per tier, a burn below every threshold, a quiet service, no data.

The error ratio of each window is fed directly (``slo:sli_error:ratio_rate1h`` …), so a
case states exactly which windows burn: a page-fast burn sets 1 h and 5 m to 1.1 x 14.4
times the budget and leaves the others at zero. Which tiers must fire is worked out here
from the same table the rules come from, and promtool checks Prometheus agrees.
"""
from __future__ import annotations

import re

from . import alert_rules, naming, slo
from .alert_cases import STEP, Case, by_labels, constant, expected, pending_time, series, timed
from .model import Kpi, Spec, seconds

TRAFFIC = 10.0
"""Events per second fed as the SLO's traffic in burn cases (above any sane ``min_traffic``)."""


def burn_cases(spec: Spec, kpi: Kpi, rules: dict[str, dict] | None = None) -> list[Case]:
    """One burn per tier, a burn below every threshold and a quiet service, checked against
    ``rules`` (tier name -> rule): the tiers' own rules by default, or other rules over the
    same expressions, such as the escalation copies of some tiers (``generators.escalation_cases``)."""
    tiers = slo.tiers(kpi)
    if rules is None:
        rules = {t.name: alert_rules.burn_rule(spec, kpi, t) for t in tiers}
    if not tiers or not rules:
        return []
    budget = slo.error_budget(kpi)
    windows = slo.windows(kpi)
    scenarios: list[tuple[str, dict[str, float], float]] = []
    for tier in tiers:
        burn = {w: 0.0 for w in windows}
        burn[tier.long] = burn[tier.short] = tier.factor * 1.1 * budget
        scenarios.append((f"a {tier.tier}-{tier.speed} burn ({tier.factor:g}x over {tier.long} and {tier.short}) "
                          f"fires the {tier.tier} {tier.speed} tier", burn, TRAFFIC))
    scenarios.append(("a burn below every threshold (0.9x the budget everywhere) stays silent",
                      {w: 0.9 * budget for w in windows}, TRAFFIC))
    if kpi.slo.min_traffic > 0:
        fastest = tiers[0]
        burn = {w: fastest.factor * 1.1 * budget for w in windows}
        scenarios.append((f"a quiet service ({kpi.slo.min_traffic / 2:g} events/s) burning everywhere stays silent",
                          burn, kpi.slo.min_traffic / 2))
    names = " / ".join(dict.fromkeys(r["alert"] for r in rules.values()))
    tested = [t for t in tiers if t.name in rules]
    return [_case(spec, kpi, tested, rules, f"{names}: {title}", burn, traffic) for title, burn, traffic in scenarios]


def _case(spec: Spec, kpi: Kpi, tiers: list[slo.BurnTier], rules: dict[str, dict], title: str, burn: dict[str, float],
          traffic: float) -> Case:
    """One scenario: each rule name silent until its first firing tier's ``for``, then exactly the tiers that burn."""
    budget = slo.error_budget(kpi)
    labels = {**by_labels(kpi), naming.KPI_LABEL: kpi.id, **kpi.slo.labels,
              **naming.sloth_labels(spec.bundle.name, kpi)}
    firing = [t for t in tiers if _fires(kpi, t, burn, budget, traffic)]
    at = max(seconds(rules[t.name]["for"]) for t in tiers) + 2 * STEP
    case = Case(title)
    for name in dict.fromkeys(rules[t.name]["alert"] for t in tiers):
        named = [t for t in tiers if rules[t.name]["alert"] == name]
        fired = [t for t in firing if t in named]
        pending = pending_time(0, min(seconds(rules[t.name]["for"]) for t in fired), STEP) if fired else None
        if pending is not None:
            case.check(pending, rules[fired[0].name], [])
        case.check(at, rules[named[0].name], [expected(rules[t.name], labels, burn[t.long]) for t in fired])
    for window, value in burn.items():
        case.series[series(naming.sli_error_record(window), {**labels, naming.SLOTH_WINDOW: window})] = \
            constant(value, at)
    events = naming.slo_events_record(kpi, "events", slo.base_window(kpi))
    case.series[series(events, {**by_labels(kpi), naming.KPI_LABEL: kpi.id})] = constant(traffic, at)
    return case


def _fires(kpi: Kpi, tier: slo.BurnTier, burn: dict[str, float], budget: float, traffic: float) -> bool:
    threshold = tier.factor * budget
    enough = kpi.slo.min_traffic <= 0 or traffic >= kpi.slo.min_traffic
    return burn[tier.long] > threshold and burn[tier.short] > threshold and enough


def no_data_cases(spec: Spec, kpi: Kpi, rule: dict | None = None) -> list[Case]:
    """No traffic fires ``rule`` (the SLO's no-data rule by default) after its ``for``; traffic keeps it silent."""
    rule = rule or alert_rules.no_data_rule(spec, kpi)
    events = naming.slo_events_record(kpi, "events", slo.base_window(kpi))
    labels = {**by_labels(kpi), naming.KPI_LABEL: kpi.id}
    long = seconds(slo.tiers(kpi, enabled_only=False)[0].long)
    out = []
    for fires, traffic in ((True, 0.0), (False, TRAFFIC)):
        case = Case(f"{rule['alert']} {'fires' if fires else 'stays silent'} with {traffic:g} events/s")
        until = timed(case, rule, 0, [expected(rule, labels, None)] if fires else [], margin=long + 2 * STEP)
        case.series[series(events, labels)] = constant(traffic, until)
        out.append(case)
    return out


def window_values(text: str) -> list[str]:
    """The windows named in a burn-rate expression (``ratio_rate1h`` -> ``1h``), for tests."""
    return re.findall(r"ratio_rate(\w+?)\{", text)
