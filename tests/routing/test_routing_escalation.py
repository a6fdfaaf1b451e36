"""Escalation: an alert still firing after its escalation time reaches the next level, with its context.

Each escalation copy is its original rule with a longer ``for`` and the next severity.
These tests compare every copy with the rule it copies (same expression and annotations,
``for`` longer by the escalation times read from the spec) and run the generated promtool
tests of the copies (firing after the copy's ``for`` with the real value, silent one step
before, silent on healthy inputs) for the small spec and for a variant in which every kind
of alert escalates, across two levels.
"""
from __future__ import annotations

import pytest
import yaml

from generators import naming, promtool
from generators.build import alert_tests, alerts as alerts_builder, routing
from generators.escalation import renotify_interval
from generators.escalation_rules import escalation_group
from generators.model import seconds
from generators.spec import load

from tests.rules.test_coverage import coverage

from .routing_support import SPECS, small_document, spec_of, write_documents

LINKS = ("runbook_url", "dashboard_url", "remediation")
"""Annotations a copy takes from its original unchanged."""


def everything_escalates(tmp_path):
    """The small spec with fyi escalating too (fyi -> next_day -> page_now), an absent alert at
    next_day, and an SLO whose page tier and no-data alert are below the top level."""
    doc = small_document()
    doc["routing"]["severities"]["fyi"]["escalation"] = "10m"
    doc["kpis"][0]["alerts"].append({"severity": "next_day", "absent": True, "for": "10m"})
    doc["kpis"][1]["slo"].update(page_severity="next_day", ticket_severity="fyi", no_data="alert")
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return load(path, check_promql=False).spec


def _originals(spec) -> dict[str, dict]:
    """The generated alerting rules outside the escalation file, by (name, tier, window class)."""
    escalation_file = naming.rule_file("alerts", alerts_builder.ESCALATION_FILE)
    return {_key(r["alert"], r["labels"]): r for path, doc in alerts_builder.build(spec).items()
            if path != escalation_file for g in doc["groups"] for r in g["rules"]}


def _key(name: str, labels: dict) -> tuple:
    return name, labels.get(naming.TIER), labels.get(naming.WINDOW_CLASS)


def _waited(spec, severity: str, to: str) -> float:
    """Seconds from an alert of ``severity`` firing to its copy at ``to``, walking the spec's levels."""
    order, total = list(spec.routing.severities), 0.0
    while severity != to:
        route = spec.routing.severities[severity]
        total += seconds(route.escalation)
        severity = route.escalate_to or order[order.index(severity) - 1]
    return total


def _specs(tmp_path_factory, name):
    return everything_escalates(tmp_path_factory.mktemp("esc")) if name == "everything" else spec_of(name)


@pytest.mark.parametrize("name", [*sorted(SPECS), "everything"])
def test_every_copy_is_its_original_with_a_longer_for_and_the_next_severity(tmp_path_factory, name):
    spec = _specs(tmp_path_factory, name)
    originals = _originals(spec)
    for copy in escalation_group(spec)["rules"]:
        labels, notes = copy["labels"], copy["annotations"]
        original = originals[_key(labels[naming.ESCALATED_ALERT], labels)]
        kept = original["annotations"]
        waited = _waited(spec, original["labels"][naming.SEVERITY], labels[naming.SEVERITY])
        assert waited > 0 and seconds(copy["for"]) == seconds(original["for"]) + waited, copy["alert"]
        assert copy["expr"] == original["expr"]
        assert {k: v for k, v in labels.items() if k not in (naming.ESCALATED_FROM, naming.ESCALATED_ALERT)} \
            == {**original["labels"], naming.SEVERITY: labels[naming.SEVERITY]}
        assert {k: notes.get(k) for k in LINKS} == {k: kept.get(k) for k in LINKS}
        assert notes["summary"].startswith(kept["summary"])
        assert notes["description"].startswith(kept["description"])  # with the value, as the original shows it


def test_the_default_spec_escalates_warnings_with_a_remediation():
    """So the check above covers remediation on the shipped spec (cache hit ratio, cluster capacity)."""
    copies = escalation_group(spec_of("default"))["rules"]
    assert [r for r in copies if r["labels"][naming.ESCALATED_FROM] == "warning" and "remediation" in r["annotations"]]


@pytest.mark.parametrize("name", ["small", "everything"])
def test_the_generated_escalation_tests_pass_promtool(tmp_path_factory, name):
    """Firing after the copy's ``for`` (with the real value), silent before it and on healthy inputs."""
    spec = _specs(tmp_path_factory, name)
    root = tmp_path_factory.mktemp(f"escalation-{name}")
    documents = {**alerts_builder.build(spec), **alert_tests.build(spec)}
    escalation = {p: d for p, d in documents.items() if f"/{alerts_builder.ESCALATION_FILE}." in p}
    write_documents(escalation, root)
    rule_file = root / naming.rule_file("alerts", alerts_builder.ESCALATION_FILE)
    checked = promtool.check_rules(rule_file)
    assert checked.ok and "warn" not in checked.output.lower(), checked.output
    tests = sorted((root / "tests" / "rules").glob("*.test.yml"))
    assert tests
    for test in tests:
        result = promtool.run("test", "rules", test.relative_to(root), cwd=root, timeout=300)
        assert result.ok, result.output[-3000:]
    assert coverage([yaml.safe_load(rule_file.read_text())], [yaml.safe_load(t.read_text()) for t in tests]) == {}
    for document in (yaml.safe_load(t.read_text()) for t in tests):  # "for" respected: a silent check before firing
        for group in document["tests"]:
            fired = [c for c in group["alert_rule_test"] if c["exp_alerts"]]
            assert all(any(not c["exp_alerts"] and c["alertname"] == f["alertname"]
                           and seconds(c["eval_time"]) < seconds(f["eval_time"]) for c in group["alert_rule_test"])
                       for f in fired), group["name"]


def test_every_kind_of_alert_escalates_in_the_variant(tmp_path_factory):
    """The variant exercises what the shipped specs do not: chains, absent, burn-rate and no-data copies."""
    spec = everything_escalates(tmp_path_factory.mktemp("kinds"))
    latency, availability = spec.kpi("latency_p95"), spec.kpi("availability")
    fyi, absent = (naming.alert_name(latency, a) for a in latency.alerts[2:4])
    climbed = {(r["labels"][naming.ESCALATED_ALERT], r["labels"][naming.SEVERITY])
               for r in escalation_group(spec)["rules"]}
    assert {(fyi, "next_day"), (fyi, "page_now"), (absent, "page_now"),
            (naming.burn_alert_name(availability), "page_now"),
            (naming.slo_no_data_alert_name(availability), "next_day"),
            (naming.slo_no_data_alert_name(availability), "page_now")} <= climbed
    tiers = {r["labels"].get(naming.TIER) for r in escalation_group(spec)["rules"]}
    assert naming.TIER_TICKET not in tiers


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
