"""Burn-rate maths: the SRE workbook's table, scaled to other periods, and agreement with Sloth's output."""
from __future__ import annotations

import re

import pytest
import yaml

from generators import alert_rules, slo
from generators.model import Slo

from .conftest import SLOTH

_BURN = re.compile(r"slo:sli_error:ratio_rate(\w+?)\{[^}]*\}\s*>\s*\(([\d.]+)\s*\*\s*([\d.e-]+)\)")


def _with_slo(spec, **changes):
    kpi = spec.kpi("availability")
    return kpi.model_copy(update={"slo": Slo(**{**kpi.slo.model_dump(), **changes})})


def _table(kpi) -> set[tuple[str, float, str, str]]:
    return {(t.tier, t.factor, t.long, t.short) for t in slo.tiers(kpi)}


WORKBOOK_30D = {("page", 14.4, "1h", "5m"), ("page", 6.0, "6h", "30m"),
                ("ticket", 3.0, "1d", "2h"), ("ticket", 1.0, "3d", "6h")}


@pytest.mark.parametrize("period, expected", [
    pytest.param("30d", WORKBOOK_30D, id="A 30-day SLO gets the SRE workbook's table as printed."),
    pytest.param("7d", {("page", 14.4, "14m", "1m10s"), ("page", 6.0, "1h24m", "7m"),
                        ("ticket", 3.0, "5h36m", "28m"), ("ticket", 1.0, "16h48m", "1h24m")},
                 id="A 7-day SLO keeps the factors and scales the windows to its period."),
    pytest.param("28d", {("page", 14.4, "56m", "4m40s"), ("page", 6.0, "5h36m", "28m"),
                         ("ticket", 3.0, "22h24m", "1h52m"), ("ticket", 1.0, "2d19h12m", "5h36m")},
                 id="A 28-day SLO keeps the factors and scales the windows to its period."),
])
def test_burn_rate_tiers_follow_the_workbook_scaled_to_the_period(spec, period, expected):
    assert _table(_with_slo(spec, period=period)) == expected


def test_a_tier_given_as_budget_consumed_gets_its_factor_from_the_period(spec):
    kpi = _with_slo(spec, period="28d", windows={"page_fast": {"long": "1h", "budget_consumed": 0.02}})
    page_fast = next(t for t in slo.tiers(kpi) if t.name == "page_fast")
    assert (page_fast.long, page_fast.short, page_fast.factor) == ("1h", "5m", 13.44)


def _sloth_expected() -> dict[str, set[tuple[float, str, str]]]:
    """Sloth's own output for getting-started.yml: severity -> {(factor, long, short)}."""
    document = yaml.safe_load((SLOTH / "expected" / "getting-started.rules.yml").read_text())
    out: dict[str, set] = {}
    for group in document["groups"]:
        for rule in group["rules"]:
            if "alert" not in rule:
                continue
            pairs = [(w, float(f)) for w, f, _ in _BURN.findall(rule["expr"])]
            tiers = set()
            for (w1, f1), (w2, f2) in zip(pairs[::2], pairs[1::2]):
                assert f1 == f2
                short, long = sorted((w1, w2), key=lambda w: slo.seconds(w))
                tiers.add((f1, long, short))
            out[rule["labels"]["sloth_severity"]] = tiers
    return out


def test_the_burn_rate_windows_and_factors_agree_with_sloths_own_output(spec):
    sloth_spec = yaml.safe_load((SLOTH / "getting-started.yml").read_text())
    objective = sloth_spec["slos"][0]["objective"]
    kpi = _with_slo(spec, objective=objective, period="30d")
    ours = {tier: {(t.factor, t.long, t.short) for t in slo.tiers(kpi) if t.tier == tier} for tier in ("page", "ticket")}
    assert ours == _sloth_expected()
    budgets = {float(b) for _, _, b in _BURN.findall((SLOTH / "expected" / "getting-started.rules.yml").read_text())}
    assert all(abs(b - slo.error_budget(kpi)) < 1e-9 for b in budgets)


def test_the_generated_burn_expressions_use_the_tier_windows_and_factors(spec):
    kpi = spec.kpi("availability")
    for tier in slo.tiers(kpi):
        rule = alert_rules.burn_rule(spec, kpi, tier)
        found = {(w, float(f)) for w, f, _ in _BURN.findall(rule["expr"])}
        assert found == {(tier.long, tier.factor), (tier.short, tier.factor)}
        assert (rule["labels"]["tier"], rule["labels"]["window_class"]) == (tier.tier, tier.speed)
        assert rule["labels"]["slo"] == kpi.id


@pytest.mark.parametrize("tiers, left", [
    pytest.param({}, {"page/fast", "page/slow", "ticket/fast", "ticket/slow"}, id="Every tier is on by default."),
    pytest.param({"page_slow": False}, {"page/fast", "ticket/fast", "ticket/slow"}, id="Switching off page-slow drops only that rule."),
    pytest.param({"ticket_fast": False, "ticket_slow": False}, {"page/fast", "page/slow"}, id="Tickets can be switched off, pages kept."),
])
def test_tiers_can_be_switched_off_one_by_one(spec, tiers, left):
    kpi = _with_slo(spec, tiers=tiers)
    rules = [r for r in alert_rules.kpi_rules(spec, kpi) if "tier" in r["labels"]]
    assert {f"{r['labels']['tier']}/{r['labels']['window_class']}" for r in rules} == left


@pytest.mark.parametrize("given, held", [
    pytest.param({}, {"page_fast": "2m", "page_slow": "2m", "ticket_fast": "15m", "ticket_slow": "15m"},
                 id="By default pages wait 2m and tickets 15m."),
    pytest.param({"page": "5m", "ticket": "1h"}, {"page_fast": "5m", "page_slow": "5m", "ticket_fast": "1h", "ticket_slow": "1h"},
                 id="for.page and for.ticket set both speeds of their kind."),
    pytest.param({"page": "5m", "page_fast": "1m", "ticket_slow": "30m"},
                 {"page_fast": "1m", "page_slow": "5m", "ticket_fast": "15m", "ticket_slow": "30m"},
                 id="A tier's own for wins over its kind's."),
])
def test_burn_rate_for_is_an_slo_option_per_tier(spec, given, held):
    kpi = _with_slo(spec, for_=given)
    rules = [r for r in alert_rules.kpi_rules(spec, kpi) if "tier" in r["labels"]]
    assert {f"{r['labels']['tier']}_{r['labels']['window_class']}": r["for"] for r in rules} == held


def test_burn_rate_for_is_spelled_for_in_the_spec():
    assert Slo.model_validate({"objective": 99.9, "for": {"page": "5m"}}).for_ == {"page": "5m"}


@pytest.mark.parametrize("min_traffic, guarded", [
    pytest.param(0.1, True, id="A minimum traffic adds a guard on the long window's event rate."),
    pytest.param(0.0, False, id="No minimum traffic, no guard."),
])
def test_minimum_traffic_guard(spec, min_traffic, guarded):
    kpi = _with_slo(spec, min_traffic=min_traffic)
    rule = alert_rules.burn_rule(spec, kpi, slo.tiers(kpi)[0])
    assert (f">= {min_traffic:g}" in rule["expr"]) == guarded


@pytest.mark.parametrize("policy, alerted", [
    pytest.param("alert", True, id="no_data: alert adds a rule firing when the SLI has no events."),
    pytest.param("ok", False, id="no_data: ok adds none (no traffic is not an outage)."),
])
def test_no_data_policy(spec, policy, alerted):
    kpi = _with_slo(spec, no_data=policy)
    names = {r["alert"] for r in alert_rules.kpi_rules(spec, kpi)}
    assert ("AvailabilitySloNoData" in names) == alerted
