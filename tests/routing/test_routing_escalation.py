"""Escalation through the real promtool: a still-firing alert reaches the next level on time, not before.

For every escalation of each test spec, a stand-in for a generated alert of the lower
severity (same labels, a synthetic expression) fires; the generated escalation rule
must stay silent until the escalation time has passed and then fire with exactly the
labels the route tests send through amtool (``alert_labels.escalated``).
"""
from __future__ import annotations

import pytest
import yaml

from generators import naming, promtool
from generators.alert_labels import all_alerts
from generators.escalation import escalations, renotify_interval
from generators.escalation_rules import escalation_group
from generators.model import duration_from_seconds, seconds
from generators.build import routing

from .routing_support import SPECS, spec_of


def _cases():
    for name in sorted(SPECS):
        spec = spec_of(name)
        for e in escalations(spec):
            yield pytest.param(name, e, id=f"{name}: a {e.from_severity} alert still firing after {e.after} "
                                           f"becomes {e.to_severity}.")


def _fill(template: str, labels: dict[str, str]) -> str:
    for key, value in labels.items():
        template = template.replace(f"{{{{ $labels.{key} }}}}", value)
    return template


@pytest.mark.parametrize("name, e", list(_cases()))
def test_escalation_fires_after_its_time(tmp_path, name, e):
    spec = spec_of(name)
    source = next(a for a in all_alerts(spec) if a.labels[naming.SEVERITY] == e.from_severity
                  and naming.TIER not in a.labels and naming.ESCALATED_FROM not in a.labels)
    copy = next(a for a in all_alerts(spec) if a.alertname == e.alertname and a.origin.startswith(source.origin + " "))
    series = {k: routing.EXAMPLE_VALUE for k in source.series_labels}
    selector = ",".join(f'{k}="{v}"' for k, v in series.items())
    stand_in = {"alert": source.alertname, "expr": "stand_in_metric > 0", "for": "5m", "labels": source.labels}
    group = escalation_group(spec)
    (tmp_path / "rules.yml").write_text(yaml.safe_dump(
        {"groups": [{"name": "stand_in", "rules": [stand_in]}, group]}, sort_keys=False))
    kpi = source.labels[naming.KPI_LABEL]
    rule = next(r for r in group["rules"] if r["alert"] == e.alertname and f'{naming.KPI_LABEL}="{kpi}"' in r["expr"])
    labels = {**copy.labels, **series}
    fires_at = int(seconds("5m") + seconds(e.after))
    test = {"rule_files": ["rules.yml"], "evaluation_interval": "1m", "tests": [{
        "interval": "1m",
        "input_series": [{"series": f"stand_in_metric{{{selector}}}", "values": f"1x{fires_at // 60 + 10}"}],
        "alert_rule_test": [
            {"eval_time": duration_from_seconds(fires_at - 60), "alertname": e.alertname, "exp_alerts": []},
            {"eval_time": duration_from_seconds(fires_at + 60), "alertname": e.alertname, "exp_alerts": [{
                "exp_labels": labels,
                "exp_annotations": {k: _fill(v, labels) for k, v in rule["annotations"].items()}}]},
        ]}]}
    (tmp_path / "test.yml").write_text(yaml.safe_dump(test, sort_keys=False))
    result = promtool.test_rules(tmp_path / "test.yml")
    assert result.ok, result.output
    assert labels[naming.SEVERITY] == e.to_severity


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_most_severe_level_re_notifies_at_its_escalation_time(bundles, name):
    spec, _ = bundles(name)
    top, route = next(iter(spec.routing.severities.items()))
    config = routing.config(spec)["route"]
    child = config["routes"][0]
    assert child["repeat_interval"] == (route.repeat_interval or route.escalation)
    assert renotify_interval(spec.routing, top) == child["repeat_interval"]
    # Alertmanager re-sends only when the group flushes: flushes come often enough to be at most 20 % late.
    flush = seconds(child.get("group_interval", config["group_interval"]))
    assert flush <= seconds(child["repeat_interval"]) / 5


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_escalation_rule_passes_promtool_and_links_its_kpi(tmp_path, name):
    spec = spec_of(name)
    group = escalation_group(spec)
    (tmp_path / "escalation.yml").write_text(yaml.safe_dump({"groups": [group]}, sort_keys=False))
    result = promtool.check_rules(tmp_path / "escalation.yml")
    assert result.ok, result.output
    for rule in group["rules"]:
        kpi = next(k for k in spec.kpis if f'{naming.KPI_LABEL}="{k.id}"' in rule["expr"])
        assert rule["annotations"]["runbook_url"] == naming.runbook_url(
            spec.bundle, kpi, "{{ $labels.escalated_alert }}")
        assert rule["annotations"].get("dashboard_url") == naming.dashboard_url(spec.bundle, kpi)
