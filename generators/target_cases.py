"""Test cases for the target-down alerts: a target of the KPI's job down, and all of them up.

Fed ``up`` directly, as Prometheus writes it per scrape target. The silent case also has a
target of some other job down, which the KPI does not read and so must not alert on.
"""
from __future__ import annotations

from . import alert_rules, targets
from .alert_cases import Case, constant, expected, series, timed
from .model import Kpi, Spec

OTHER_JOB = "perfcycle-test-unrelated"


def target_down_cases(spec: Spec, kpi: Kpi, rule: dict | None = None) -> list[Case]:
    """A firing case (first job's target down) and a silent one, or none without a down alert;
    checked against ``rule``: the down alert by default, or one of its escalation copies."""
    down = targets.target_down(spec, kpi)
    if down is None:
        return []
    rule = rule or alert_rules.target_down_rule(spec, kpi, down)
    job = down.jobs[0]
    target = {"job": job, "instance": f"{job}-0:9100"}
    fire = Case(f"{rule['alert']} fires when a {job} target has been down for {rule['for']}")
    at = timed(fire, rule, 0, [expected(rule, target, 0.0)])
    fire.series[series(targets.UP, target)] = constant(0, at)
    fire.series[series(targets.UP, {**target, "instance": f"{job}-1:9100"})] = constant(1, at)
    quiet = Case(f"{rule['alert']} stays silent while every {job} target is up (a target of another job is down)")
    timed(quiet, rule, 0, [])
    quiet.series[series(targets.UP, target)] = constant(1, at)
    quiet.series[series(targets.UP, {"job": OTHER_JOB, "instance": f"{OTHER_JOB}:9100"})] = constant(0, at)
    return [fire, quiet]
