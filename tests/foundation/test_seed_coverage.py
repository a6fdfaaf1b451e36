"""The default spec encodes the whole seed document: every name, threshold and escalation trigger.

The seed's YAML blocks are parsed here (not copied), so a name added to the seed and not
to the spec fails this test.
"""
from __future__ import annotations

import re

import pytest

from generators.spec import load

from tests.support import seed_blocks

from .conftest import DEFAULT_SPEC

METRIC_BLOCKS = ("Compute Performance", "Storage Performance", "Network Performance", "Hook Performance",
                 "MCP Integration Performance", "Autonomous Operations Performance")
KPI_BLOCKS = ("Application Performance", "Infrastructure Performance", "Operational Performance",
              "Developer Productivity", "Business Efficiency")


def _leaves(node) -> list[str]:
    if isinstance(node, dict):
        return [leaf for value in node.values() for leaf in _leaves(value)]
    if isinstance(node, list):
        return [leaf for value in node for leaf in _leaves(value)]
    return [node] if isinstance(node, str) else []


def _name(condition: str) -> str:
    return re.split(r"\s*[<>]", condition)[0].strip()


def seed_names() -> dict[str, set[str]]:
    """The seed's names by category: metrics, monitoring, thresholds, dashboards, KPIs, routing."""
    names: dict[str, set[str]] = {k: set() for k in ("metrics", "monitoring", "thresholds", "escalation",
                                                     "dashboards", "kpis", "routing")}
    for block in seed_blocks():
        for key, body in block.items():
            if key in METRIC_BLOCKS:
                names["metrics"] |= set(_leaves(body))
            elif key == "Monitoring Configuration":
                for tier in body.values():
                    names["monitoring"] |= set(tier["metrics"])
                    names["thresholds"] |= set(tier["alerting_thresholds"])
            elif key == "Alert Management":
                for route in body["alert_routing"].values():
                    names["routing"] |= {item["destination"] for item in route if "destination" in item}
            elif key == "Dashboard Configuration":
                for dashboard, spec in body.items():
                    names["dashboards"] |= {dashboard, *spec["metrics"]}
            elif key in KPI_BLOCKS:
                names["kpis"] |= set(body)
            elif key == "Daily Cycle (Automated)":
                names["escalation"] |= set(body["escalation_triggers"])
    return names


@pytest.fixture(scope="module")
def spec():
    return load(DEFAULT_SPEC, check_promql=False).spec


def _covered(spec) -> set[str]:
    covered = {k.id for k in spec.kpis} | {c for k in spec.kpis for c in k.covers}
    covered |= set(spec.audiences) | {c for a in spec.audiences.values() for c in a.covers}
    return covered | set(spec.routing.receivers)


def test_the_seed_has_over_a_hundred_names():
    names = seed_names()
    everything = set().union(*names.values())
    assert len(names["metrics"]) == 60  # 15 groups of 4
    assert len(everything) > 100, len(everything)


@pytest.mark.parametrize("category", ["metrics", "monitoring", "dashboards", "kpis", "routing"])
def test_every_seed_name_is_covered_by_the_default_spec(spec, category):
    missing = sorted(n for n in seed_names()[category] if n not in _covered(spec))
    assert not missing, f"seed {category} not covered by any KPI id, covers: or audience: {missing}"


def _kpis_covering(spec, name: str):
    found = [k for k in spec.kpis if name == k.id or name in k.covers]
    assert found, f"no KPI covers {name}"
    return found


def _expected_alert(text: str) -> tuple[str, str, float]:
    """Turn a seed threshold into (condition, operator, value) in the KPI's own unit."""
    if text == "compliance_violation_detected":
        return "when", ">", 0
    match = re.match(r"(\w+?)(_decrease|_increase|_degradation)? ([<>]) ([0-9.]+)(_seconds|ms|%)?$", text)
    assert match, text
    _, direction, op, number, _unit = match.groups()
    value = float(number)
    if direction == "_degradation":
        return "baseline", ">", 1 + value / 100
    if direction:
        return "change", ("<" if direction == "_decrease" else ">"), (-1 if direction == "_decrease" else 1) * value / 100
    return "when", op, value


def _has_alert(kpi, condition: str, op: str, value: float, escalation: bool) -> bool:
    for alert in kpi.alerts:
        if alert.condition != condition or (escalation and not alert.escalation_trigger):
            continue
        if condition == "baseline" and alert.baseline.factor == pytest.approx(value):
            return True
        rule = alert.when if condition == "when" else getattr(alert, condition, None)
        comparison = rule if condition == "when" else getattr(rule, "when", None)
        if comparison is not None and comparison.op == op and comparison.value == pytest.approx(value):
            return True
    return False


@pytest.mark.parametrize("threshold", sorted(seed_names()["thresholds"]))
def test_every_seed_alerting_threshold_is_an_alert(spec, threshold):
    condition, op, value = _expected_alert(threshold)
    kpis = _kpis_covering(spec, _name(threshold))
    assert any(_has_alert(k, condition, op, value, False) for k in kpis), \
        f"{threshold}: no {condition} alert {op} {value} on {[k.id for k in kpis]}"


@pytest.mark.parametrize("trigger", sorted(seed_names()["escalation"]))
def test_every_daily_cycle_escalation_trigger_is_an_escalation_alert(spec, trigger):
    condition, op, value = _expected_alert(trigger)
    kpis = _kpis_covering(spec, _name(trigger))
    assert any(_has_alert(k, condition, op, value, True) for k in kpis), trigger
