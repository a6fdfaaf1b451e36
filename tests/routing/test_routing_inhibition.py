"""Inhibition rules checked statically against the generated alerts (live behaviour: ``test_routing_live.py``).

Two kinds of check, with two kinds of sample alert:

* "No alert can match both sides" must hold for *every* value a series label may take,
  so it is tried on many values: the example value and every literal the rules' matchers
  name for that label (a rule ``service="a"`` -> ``service="a"`` is only caught on ``a``).
* "Each side selects some alert, and the ``equal`` labels are carried by the alerts it
  selects" must hold for *some* alert, so it must not be helped by values taken from the
  matchers under test: it reads the model's alerts (``alert_labels.all_alerts``), where a
  series label has an unknown run-time value and so matches only by being carried.
"""
from __future__ import annotations

import functools
import json
import re

import pytest

from generators import naming
from generators.alert_labels import AlertLabelSet, all_alerts
from generators.build import routing

from .routing_support import SPECS, spec_of

_MATCHER = re.compile(r'^([a-zA-Z_][a-zA-Z0-9_]*)(=~|!~|!=|=)(".*")$')
_LITERALS = re.compile(r"^[a-zA-Z0-9_.\-]+(?:\|[a-zA-Z0-9_.\-]+)*$")


def parse(matcher: str) -> tuple[str, str, str]:
    key, op, quoted = _MATCHER.match(matcher).groups()
    return key, op, json.loads(quoted)


def matches(matcher: str, labels: dict[str, str]) -> bool:
    """Alertmanager's matcher semantics (anchored regexes, a missing label is the empty string)."""
    key, op, value = parse(matcher)
    actual = labels.get(key, "")
    return {"=": actual == value, "!=": actual != value,
            "=~": re.fullmatch(value, actual) is not None, "!~": re.fullmatch(value, actual) is None}[op]


def selects(matchers: list[str], alert: AlertLabelSet) -> bool:
    """Whether an alert of the model can match every matcher: static labels by value, series
    labels (value unknown until run time) by being carried, missing labels as the empty string."""
    static = {naming.ALERTNAME: alert.alertname, **alert.labels}

    def can(matcher: str) -> bool:
        key = parse(matcher)[0]
        return (key in alert.series_labels and key not in static) or matches(matcher, static)

    return all(can(m) for m in matchers)


def equal_problems(rule: dict, spec_equal: list[str], alerts: list[AlertLabelSet]) -> list[str]:
    """What is wrong with a rule's sides and ``equal`` labels, judged on the alerts each side selects.

    ``spec_equal`` (the spec's own ``equal``) must be carried by some alert of each side; the
    labels ``same_series`` adds must at least be series labels of some alert.
    """
    out = []
    series = {key for a in alerts for key in a.series_labels}
    for side in ("source_matchers", "target_matchers"):
        chosen = [a for a in alerts if selects(rule[side], a)]
        if not chosen:
            out.append(f"no generated alert matches {side} {rule[side]}")
        out += [f'equal label "{key}" is carried by none of the alerts {side} selects' for key in spec_equal
                if chosen and not any(key in a.keys for a in chosen)]
    out += [f'equal label "{key}" is neither the spec\'s nor a series label' for key in rule.get("equal", [])
            if key not in spec_equal and key not in series]
    return out


def _named_values(rules: list[dict]) -> dict[str, set[str]]:
    """Every literal value the rules' matchers name, by label (``service=~"a|b"`` names a and b)."""
    out: dict[str, set[str]] = {}
    for rule in rules:
        for m in rule["source_matchers"] + rule["target_matchers"]:
            key, op, value = parse(m)
            if op in ("=", "=~") and _LITERALS.match(value):
                out.setdefault(key, set()).update(value.split("|"))
    return out


@functools.cache
def population(name: str) -> list[dict[str, str]]:
    """Every generated alert's labels, once per value tried for each series label (see the module doc)."""
    spec = spec_of(name)
    named = _named_values(routing.config(spec)["inhibit_rules"])
    out = []
    for a in all_alerts(spec):
        base = {naming.ALERTNAME: a.alertname, **{k: routing.EXAMPLE_VALUE for k in a.series_labels}, **a.labels}
        out.append(base)
        out += [{**base, key: value} for key in a.series_labels if key not in a.labels
                for value in sorted(named.get(key, ()))]
    return out


def _rules():
    for name in sorted(SPECS):
        for i, rule in enumerate(routing.config(spec_of(name))["inhibit_rules"]):
            yield pytest.param(name, i, rule, id=f"{name}: inhibit_rules[{i}]")


def _spec_equal(name: str, index: int) -> list[str]:
    """The ``equal`` labels the spec itself gives rule ``index`` (spec rules, then their escalated repeats)."""
    spec = spec_of(name)
    stated = [*spec.routing.inhibit, *routing.escalated_inhibitions(spec, all_alerts(spec))]
    return list(stated[index].equal) if index < len(stated) else []


@pytest.mark.parametrize("name, index, rule", list(_rules()))
def test_no_alert_can_inhibit_itself(name, index, rule):
    both = [labels for labels in population(name)
            if all(matches(m, labels) for m in rule["source_matchers"] + rule["target_matchers"])]
    assert both == []


@pytest.mark.parametrize("name, index, rule", list(_rules()))
def test_each_side_selects_alerts_that_carry_the_equal_labels(name, index, rule):
    assert equal_problems(rule, _spec_equal(name, index), all_alerts(spec_of(name))) == []


SAMPLE = [AlertLabelSet("a", "DbDown", {"severity": "critical", "family": "db"}, ("service",)),
          AlertLabelSet("b", "DbSlow", {"severity": "warning"}, ("service",))]


@pytest.mark.parametrize("rule, spec_equal, expected", [
    pytest.param({"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
                  "equal": ["service"]}, ["service"], [],
                 id="Equal on a series label both sides carry passes."),
    pytest.param({"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
                  "equal": ["family"]}, ["family"],
                 ['equal label "family" is carried by none of the alerts target_matchers selects'],
                 id="Equal on a label only the source carries fails, though some alert carries it."),
    pytest.param({"source_matchers": ['severity="critical"'], "target_matchers": ['severity="info"']}, [],
                 ["no generated alert matches target_matchers ['severity=\"info\"']"],
                 id="A side that selects no alert fails."),
    pytest.param({"source_matchers": ['service=~"db"'], "target_matchers": ['service="app"', 'severity="warning"']},
                 [], [], id="A series label matches by being carried, whatever value the rule names."),
    pytest.param({"source_matchers": ['severity="critical"'], "target_matchers": ['severity="warning"'],
                  "equal": ["cluster"]}, [],
                 ['equal label "cluster" is neither the spec\'s nor a series label'],
                 id="An added equal label no alert has as a series label fails."),
])
def test_the_equal_check_can_fail(rule, spec_equal, expected):
    """The check above on hand-made alerts: it finds what it is meant to find."""
    assert equal_problems(rule, spec_equal, SAMPLE) == expected
