"""Inhibition: checked statically against every generated alert, then live in a real Alertmanager."""
from __future__ import annotations

import functools
import json
import re

import pytest

from generators import naming
from generators.alert_labels import all_alerts
from generators.build import routing

from .routing_support import SPECS, spec_of

_MATCHER = re.compile(r'^([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)(".*")$')


def matches(matcher: str, labels: dict[str, str]) -> bool:
    """Alertmanager's matcher semantics (anchored regexes, a missing label is the empty string)."""
    key, op, quoted = _MATCHER.match(matcher).groups()
    value, actual = json.loads(quoted), labels.get(key, "")
    return {"=": actual == value, "!=": actual != value,
            "=~": re.fullmatch(value, actual) is not None, "!~": re.fullmatch(value, actual) is None}[op]


@functools.cache
def population(name: str) -> list[dict[str, str]]:
    """Every generated alert's labels, series labels filled in, once per service ``depends_on`` names."""
    spec = spec_of(name)
    services = sorted({*spec.routing.depends_on, *(s for v in spec.routing.depends_on.values() for s in v)})
    out = []
    for a in all_alerts(spec):
        base = {naming.ALERTNAME: a.alertname, **{k: routing.EXAMPLE_VALUE for k in a.series_labels},
                **a.labels}
        out.append(base)
        if spec.routing.dependency_label in a.series_labels:
            out += [{**base, spec.routing.dependency_label: s} for s in services]
    return out


def _rules():
    for name in sorted(SPECS):
        for i, rule in enumerate(routing.config(spec_of(name))["inhibit_rules"]):
            yield pytest.param(name, rule, id=f"{name}: inhibit_rules[{i}]")


@pytest.mark.parametrize("name, rule", list(_rules()))
def test_no_alert_can_inhibit_itself(name, rule):
    both = [labels for labels in population(name)
            if all(matches(m, labels) for m in rule["source_matchers"] + rule["target_matchers"])]
    assert both == []


@pytest.mark.parametrize("name, rule", list(_rules()))
def test_inhibition_names_alerts_that_exist_with_the_labels_it_uses(name, rule):
    alerts = population(name)
    for side in ("source_matchers", "target_matchers"):
        named = [a for a in alerts if all(matches(m, a) for m in rule[side])]
        assert named, f"no generated alert matches {side} {rule[side]}"
        for m in rule[side]:
            if not matches(m, {}):  # ``escalated_from=""`` asks for the label's absence
                assert all(_MATCHER.match(m).group(1) in a for a in named)
    for key in rule.get("equal", []):
        assert any(key in a for a in alerts), f'equal label "{key}" is carried by no generated alert'
