"""Every alert in ``alerts/`` has a firing and a silent case in the generated promtool tests."""
from __future__ import annotations

import pytest

from generators.build import alert_tests

from .conftest import read_yaml


def coverage(alert_files: list[dict], test_files: list[dict]) -> dict[str, set[str]]:
    """Alert name -> the kinds of case it lacks (``firing``, ``silent``); empty when covered."""
    names = {r["alert"] for doc in alert_files for g in doc["groups"] for r in g["rules"]}
    seen: dict[str, set[str]] = {n: set() for n in names}
    for doc in test_files:
        for group in doc["tests"]:
            for check in group.get("alert_rule_test", []):
                kind = "firing" if check.get("exp_alerts") else "silent"
                seen.setdefault(check["alertname"], set()).add(kind)
    return {n: {"firing", "silent"} - seen[n] for n in names if {"firing", "silent"} - seen[n]}


def _alerts(*names: str) -> list[dict]:
    return [{"groups": [{"name": "g", "rules": [{"alert": n, "expr": "up == 0"} for n in names]}]}]


def _tests(*checks: tuple[str, bool]) -> list[dict]:
    return [{"tests": [{"alert_rule_test": [
        {"alertname": n, "eval_time": "1m", "exp_alerts": [{"exp_labels": {}}] if fires else []}
        for n, fires in checks]}]}]


@pytest.mark.parametrize("alerts, tests, missing", [
    pytest.param(_alerts("A"), _tests(("A", True), ("A", False)), {},
                 id="An alert with a firing and a silent case is covered."),
    pytest.param(_alerts("A"), _tests(("A", True)), {"A": {"silent"}},
                 id="An alert that is only ever seen firing lacks a silent case."),
    pytest.param(_alerts("A"), _tests(("A", False)), {"A": {"firing"}},
                 id="An alert that is only ever seen silent lacks a firing case."),
    pytest.param(_alerts("A", "B"), _tests(("A", True), ("A", False)), {"B": {"firing", "silent"}},
                 id="An alert no test names lacks both."),
])
def test_coverage_finds_missing_cases(alerts, tests, missing):
    assert coverage(alerts, tests) == missing


def test_every_generated_alert_has_a_firing_and_a_silent_case(bundle):
    root, _ = bundle
    alert_files = [read_yaml(p) for p in sorted((root / "alerts").glob("*.yml"))]
    test_files = [read_yaml(p) for p in sorted((root / "tests" / "rules").glob("*.test.yml"))]
    assert alert_files and test_files
    assert coverage(alert_files, test_files) == {}


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
