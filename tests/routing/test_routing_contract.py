"""The contract between the halves: generated alerting rules carry exactly the labels routing is checked against.

Routing derives every alert's labels from the model (``generators.alert_labels``); this
test compares them with the rules the alerting-rules builder really generates, escalation
copies included.
"""
from __future__ import annotations

from collections import Counter

import pytest

from generators.alert_labels import all_alerts
from generators.build import alerts as alerts_builder
from generators.escalation_rules import escalation_group

from .routing_support import SPECS, spec_of



def _generated_rules(spec) -> list[dict]:
    return [rule for document in alerts_builder.build(spec).values() for group in document["groups"]
            for rule in group["rules"] if "alert" in rule]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_generated_alert_carries_the_name_and_labels_routing_expects(name):
    spec = spec_of(name)
    generated = Counter((r["alert"], tuple(sorted(r["labels"].items()))) for r in _generated_rules(spec))
    expected = Counter((a.alertname, tuple(sorted(a.labels.items()))) for a in all_alerts(spec))
    assert generated == expected


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_alerting_rules_include_the_escalation_rules(name):
    spec = spec_of(name)
    generated = _generated_rules(spec)
    missing = [r for r in escalation_group(spec)["rules"] if r not in generated]
    assert missing == []
