"""promtool unit tests for every generated alert: ``tests/rules/<domain>.test.yml``.

Each file loads its domain's alerts and the recording rules they depend on (paths
relative to the test file, so ``promtool test rules tests/rules/*.test.yml`` works from
the project root) and holds, per alert, a case that fires it (labels, rendered
annotations, after ``for``) and one just on the healthy side; target-down alerts are fed
``up``; SLOs add one burn per tier, a burn below every threshold and a quiet service.
See ``generators.alert_cases``.
``no_traffic*.test.yml`` feed every recording rule flat sources and check nothing
records NaN or Inf (``generators.no_traffic_cases``).
"""
from __future__ import annotations

import re

from .. import alert_cases, escalation_cases, naming, no_traffic_cases, raw_cases, slo_cases, target_cases
from ..escalation_rules import escalation_group
from ..model import Spec
from . import alerts as alert_builder
from . import recording_rules

RULES_FROM_TEST = "../.."
"""The project root as seen from ``tests/rules/``."""
_RECORD = re.compile(r"\b[a-zA-Z_]*:[a-zA-Z0-9_:]*\b")


def build(spec: Spec) -> dict[str, object]:
    """Per domain with alerts: ``<domain>.test.yml`` and, for week-over-week alerts, ``<domain>.trend.test.yml``."""
    out: dict[str, object] = {}
    for domain, group in alert_builder.domain_groups(spec).items():
        found = cases(spec, domain)
        quick = [c for c in found if c.step == alert_cases.STEP]
        trend = [c for c in found if c.step == alert_cases.TREND_STEP]
        out[naming.test_file(domain)] = _file(spec, domain, group, quick, rule_files(spec, domain, group))
        if trend:  # fed recorded series only: the alert file alone keeps a week of evaluations quick
            out[naming.test_file(f"{domain}.trend")] = _file(
                spec, domain, group, trend, [f"{RULES_FROM_TEST}/{naming.rule_file('alerts', domain)}"])
    escalation = escalation_group(spec)
    if escalation is not None:  # fed ALERTS directly: the escalation file alone
        found = escalation_cases.escalation_cases(spec)
        out[naming.test_file(alert_builder.ESCALATION_FILE)] = _file(
            spec, alert_builder.ESCALATION_FILE, escalation, found,
            [f"{RULES_FROM_TEST}/{naming.rule_file('alerts', alert_builder.ESCALATION_FILE)}"])
    extra = no_traffic(spec)
    if out.keys() & extra.keys():  # a domain named no_traffic
        raise RuntimeError(f"domain test files clash with the no-traffic tests: {sorted(out.keys() & extra.keys())}")
    return {**out, **extra}


def no_traffic(spec: Spec) -> dict[str, object]:
    """The no-traffic tests over every recording rule file (``generators.no_traffic_cases``)."""
    groups = recording_rules.domain_groups(spec)
    files = [f"{RULES_FROM_TEST}/{naming.rule_file('recording_rules', d)}" for d in groups]
    order = [g["name"] for gs in groups.values() for g in gs]
    exprs = [r["expr"] for gs in groups.values() for g in gs for r in g["rules"]]
    return no_traffic_cases.documents(spec, files, order, exprs)


def cases(spec: Spec, domain: str) -> list[alert_cases.Case]:
    """Every case of a domain's alerts, in spec order."""
    out: list[alert_cases.Case] = []
    for kpi in (k for k in spec.kpis if k.domain == domain):
        for alert, rule in alert_cases.alert_pairs(spec, kpi):
            out += alert_cases.spec_alert_cases(spec, kpi, alert, rule)
            out += raw_cases.raw_cases(kpi, alert, rule)
        out += target_cases.target_down_cases(spec, kpi)
        if kpi.slo is not None:
            out += slo_cases.burn_cases(spec, kpi)
            if kpi.slo.no_data == "alert":
                out += slo_cases.no_data_cases(spec, kpi)
    return out


def rule_files(spec: Spec, domain: str, alert_group: dict) -> list[str]:
    """The domain's alert file and every recording file its alerts' inputs come from, transitively."""
    owners = recording_rules.record_owners(spec)
    by_domain = recording_rules.domain_groups(spec)
    needed: list[str] = []
    pending = [domain]
    while pending:
        current = pending.pop()
        if current in needed or current not in by_domain:
            continue
        needed.append(current)
        for group in by_domain[current]:
            for rule in group["rules"]:
                pending += [owners[name] for name in _RECORD.findall(rule["expr"]) if name in owners]
    for rule in alert_group["rules"]:
        needed += [owners[n] for n in _RECORD.findall(rule["expr"]) if n in owners and owners[n] not in needed]
    files = [f"{RULES_FROM_TEST}/{naming.rule_file('recording_rules', d)}" for d in dict.fromkeys(needed)]
    return files + [f"{RULES_FROM_TEST}/{naming.rule_file('alerts', domain)}"]


def _file(spec: Spec, domain: str, alert_group: dict, found: list, files: list[str]) -> dict:
    by_domain = recording_rules.domain_groups(spec)
    order = [g["name"] for f in files if f.startswith(f"{RULES_FROM_TEST}/recording_rules/")
             for g in by_domain[f.rsplit("/", 1)[1].removesuffix(".yml")]]
    return {"rule_files": files,
            "evaluation_interval": f"{found[0].step // 60}m",
            "group_eval_order": [*order, alert_group["name"]],
            "tests": [c.document() for c in found]}
