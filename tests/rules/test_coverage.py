"""Every alerting rule in ``alerts/`` has a firing case, a silent case and, with ``for``, a pending check.

Coverage is per rule, not per alert name: rules sharing a name (the burn-rate tiers of an
SLO, one escalation rule per KPI) are told apart by the labels whose values differ among
them (``tier``, ``window_class``, ``kpi``…). A firing check covers the rules whose
distinguishing labels it expects. A test group counts as a silent case of a name only when
none of its checks of that name fires: the empty check made before ``for`` elapses, in a
group where the alert fires later, is the pending check, not a healthy-side input. A silent
group covers the rules its input series could concern: those whose distinguishing labels
no input series contradicts (escalation input ``ALERTS{kpi="a"}`` concerns the rule of
``a`` only; burn-rate input without ``tier`` concerns every tier).
"""
from __future__ import annotations

import re
from collections import defaultdict

import pytest

from generators.build import alert_tests
from generators.model import seconds

from .conftest import read_yaml

KINDS = ("firing", "silent", "pending")
Key = tuple[str, tuple[tuple[str, str], ...]]
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:\\.|[^"\\])*)"')


def rule_keys(alert_files: list[dict]) -> dict[Key, dict]:
    """Each alerting rule by (name, its values of the labels that tell same-named rules apart)."""
    by_name: dict[str, list[dict]] = defaultdict(list)
    for doc in alert_files:
        for group in doc["groups"]:
            for rule in group["rules"]:
                by_name[rule["alert"]].append(rule)
    keys: dict[Key, dict] = {}
    for name, rules in by_name.items():
        telling = distinguishing(rules)
        for rule in rules:
            keys[(name, tuple((k, rule.get("labels", {}).get(k, "")) for k in telling))] = rule
    return keys


def distinguishing(rules: list[dict]) -> list[str]:
    """Label keys whose values differ among rules of one name (missing counts as empty)."""
    keys = {k for r in rules for k in r.get("labels", {})}
    return sorted(k for k in keys if len({r.get("labels", {}).get(k, "") for r in rules}) > 1)


def coverage(alert_files: list[dict], test_files: list[dict]) -> dict[str, set[str]]:
    """Rule (``Name{label="value"}``) -> the kinds of case it lacks; only rules lacking some."""
    keys = rule_keys(alert_files)
    by_name: dict[str, list[Key]] = defaultdict(list)
    for key in keys:
        by_name[key[0]].append(key)
    seen: dict[Key, set[str]] = {key: set() for key in keys}
    for doc in test_files:
        for group in doc["tests"]:
            _group_coverage(group, by_name, seen)
    missing = {}
    for key, rule in keys.items():
        wanted = set(KINDS) if rule.get("for") and seconds(rule["for"]) > 0 else {"firing", "silent"}
        if wanted - seen[key]:
            missing[_show(key)] = wanted - seen[key]
    return missing


def _group_coverage(group: dict, by_name: dict[str, list[Key]], seen: dict[Key, set[str]]) -> None:
    """What one promtool test group proves, per alert name it checks."""
    checks: dict[str, list[dict]] = defaultdict(list)
    for check in group.get("alert_rule_test", []):
        checks[check["alertname"]].append(check)
    inputs = [_labels(s["series"]) for s in group.get("input_series", [])]
    for name, found in checks.items():
        candidates = by_name.get(name, [])
        firing = [(seconds(c["eval_time"]), a["exp_labels"]) for c in found for a in c.get("exp_alerts") or []]
        if not firing:
            for key in candidates:
                if _concerned(key, inputs):
                    seen[key].add("silent")
            continue
        quiet_times = [seconds(c["eval_time"]) for c in found if not c.get("exp_alerts")]
        for at, labels in firing:
            for key in candidates:
                if all(labels.get(k, "") == v for k, v in key[1]):
                    seen[key].add("firing")
                    if any(t < at for t in quiet_times):
                        seen[key].add("pending")


def _concerned(key: Key, inputs: list[dict[str, str]]) -> bool:
    """Whether some input series could be what this rule reads: none of its telling labels contradicted."""
    return any(all(series.get(k, v) == v for k, v in key[1]) for series in inputs) or not inputs


def _labels(series: str) -> dict[str, str]:
    inner = series.split("{", 1)[1].rsplit("}", 1)[0] if "{" in series else ""
    return dict(_LABEL.findall(inner))


def _show(key: Key) -> str:
    name, labels = key
    return name + ("{" + ", ".join(f'{k}="{v}"' for k, v in labels) + "}" if labels else "")


# ---------------------------------------------------------------- the checker itself

def _rule(name: str, for_: str | None = None, **labels: str) -> dict:
    rule = {"alert": name, "expr": "up == 0", "labels": labels}
    if for_:
        rule["for"] = for_
    return rule


def _alerts(*rules: dict) -> list[dict]:
    return [{"groups": [{"name": "g", "rules": list(rules)}]}]


def _group(name: str, *checks: tuple[str, dict | None], series: tuple[str, ...] = ("x",)) -> dict:
    """A test group: ``(eval_time, exp_labels or None for silence)`` checks of alert ``name``."""
    return {"input_series": [{"series": s, "values": "1"} for s in series],
            "alert_rule_test": [{"alertname": name, "eval_time": at, "exp_alerts": [{"exp_labels": fired}] if fired is not None else []}
                                for at, fired in checks]}


def _tests(*groups: dict) -> list[dict]:
    return [{"tests": list(groups)}]


FIRES, QUIET = _group("A", ("5m", {})), _group("A", ("5m", None))


@pytest.mark.parametrize("alerts, tests, missing", [
    pytest.param(_alerts(_rule("A")), _tests(FIRES, QUIET), {},
                 id="A rule without for, with a firing and a silent case, is covered."),
    pytest.param(_alerts(_rule("A")), _tests(FIRES), {"A": {"silent"}},
                 id="A rule only ever seen firing lacks a silent case."),
    pytest.param(_alerts(_rule("A")), _tests(QUIET), {"A": {"firing"}},
                 id="A rule only ever seen silent lacks a firing case."),
    pytest.param(_alerts(_rule("A"), _rule("B")), _tests(FIRES, QUIET), {"B": {"firing", "silent"}},
                 id="A rule no test names lacks both."),
    pytest.param(_alerts(_rule("A", "5m")), _tests(_group("A", ("4m", None), ("7m", {})), QUIET), {},
                 id="A rule with for needs a check before for elapses in the group where it fires."),
    pytest.param(_alerts(_rule("A", "5m")), _tests(_group("A", ("4m", None), ("7m", {}))), {"A": {"silent"}},
                 id="That pending check is no silent case: a healthy-side input is still missing."),
    pytest.param(_alerts(_rule("A", "5m")), _tests(FIRES, QUIET), {"A": {"pending"}},
                 id="A rule with for, fired without an earlier empty check, lacks the pending check."),
    pytest.param(_alerts(_rule("A", tier="page"), _rule("A", tier="ticket")),
                 _tests(_group("A", ("5m", {"tier": "page"})), QUIET), {'A{tier="ticket"}': {"firing"}},
                 id="Same-named rules are told apart by their labels: one tier firing leaves the other uncovered."),
    pytest.param(_alerts(_rule("E", kpi="a"), _rule("E", kpi="b")),
                 _tests(_group("E", ("5m", {"kpi": "a"})), _group("E", ("5m", {"kpi": "b"})),
                        _group("E", ("5m", None), series=('ALERTS{kpi="a"}',))), {'E{kpi="b"}': {"silent"}},
                 id="A silent case covers only the rules its input could concern (kpi a, not b)."),
])
def test_coverage_finds_missing_cases(alerts, tests, missing):
    assert coverage(alerts, tests) == missing


# ---------------------------------------------------------------- the generated bundle

def test_every_generated_alert_has_a_firing_a_silent_and_a_pending_case(bundle):
    root, _ = bundle
    alert_files = [read_yaml(p) for p in sorted((root / "alerts").glob("*.yml"))]
    test_files = [read_yaml(p) for p in sorted((root / "tests" / "rules").glob("*.test.yml"))]
    assert alert_files and test_files
    assert coverage(alert_files, test_files) == {}


def test_same_named_rules_are_counted_one_by_one(bundle):
    """Four burn-rate tiers share a name: each is its own rule; so is every escalation copy."""
    root, _ = bundle
    keys = rule_keys([read_yaml(p) for p in sorted((root / "alerts").glob("*.yml"))])
    burn = [k for k in keys if k[0] == "AvailabilityErrorBudgetBurn"]
    assert {dict(k[1])["tier"] + "/" + dict(k[1])["window_class"] for k in burn} == {
        "page/fast", "page/slow", "ticket/fast", "ticket/slow"}
    copies = read_yaml(root / "alerts" / "escalation.yml")["groups"][0]["rules"]
    assert len(copies) > 1
    assert len([k for k in keys if "EscalatedTo" in k[0]]) == len(copies)


def test_the_committed_alerts_are_covered_too(spec):
    """The same check on what the repository holds (``perfcycle check`` keeps it equal to the spec)."""
    from .conftest import ROOT
    alert_files = [read_yaml(p) for p in sorted((ROOT / "alerts").glob("*.yml"))]
    test_files = [read_yaml(p) for p in sorted((ROOT / "tests" / "rules").glob("*.test.yml"))]
    per_domain = [p for p in alert_tests.build(spec) if ".trend." not in p and "/no_traffic" not in p]
    assert len(alert_files) == len(per_domain)
    assert coverage(alert_files, test_files) == {}


def test_every_kind_that_alerts_has_a_case_fed_from_source_series(spec):
    """Proof the recording rules in front of the alerts work: quantile, ratio and gauge KPIs."""
    raw_kinds = set()
    for domain in spec.domains:
        for case in alert_tests.cases(spec, domain):
            if "from source series" in case.name:
                raw_kinds.add(case.name.split("(")[1].split(",")[0])
    assert {"quantile", "ratio", "gauge"} <= raw_kinds
