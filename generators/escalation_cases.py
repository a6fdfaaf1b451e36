"""Test cases for the escalation rules (``generators.escalation_rules``, owned by routing).

An escalation rule re-raises a firing alert of the lower severity once it has fired for
``after``. Its cases feed the ``ALERTS`` series Prometheus would hold for one of the
KPI's own alerts: firing (the copy fires, with every label of the original, the next
severity and the original's name) and merely pending (nothing escalates).
"""
from __future__ import annotations

from . import alert_rules, naming
from .alert_cases import STEP, Case, by_labels, constant, expected, series
from .escalation import escalations
from .escalation_rules import escalation_group
from .model import Spec, seconds


def escalation_cases(spec: Spec) -> list[Case]:
    group = escalation_group(spec)
    if group is None:
        return []
    out = []
    kpis = {k.id: k for k in spec.kpis}  # one index, not a scan of every KPI per escalation rule
    for e in escalations(spec):
        for rule in group["rules"]:
            if rule["labels"].get(naming.ESCALATED_FROM) != e.from_severity or rule["alert"] != e.alertname:
                continue
            kpi_id = rule["expr"].split(f'{naming.KPI_LABEL}="')[1].split('"')[0]
            kpi = kpis[kpi_id]
            original = next(r for r in alert_rules.kpi_rules(spec, kpi)
                            if r["labels"][naming.SEVERITY] == e.from_severity
                            and r["labels"].get(naming.TIER) != naming.TIER_TICKET)
            labels = {**original["labels"], **by_labels(kpi)}
            hold = seconds(e.after)
            at = hold + 2 * STEP
            for state, fires in (("firing", True), ("pending", False)):
                case = Case(f"{e.alertname} {'re-raises' if fires else 'leaves alone'} {original['alert']} "
                            f"{state} for {e.after} (KPI {kpi.id})")
                fired = [expected(rule, {**labels, naming.ESCALATED_ALERT: original["alert"]}, None)] if fires else []
                if fires:
                    case.check(hold - STEP, rule, [])
                case.check(at, rule, fired)
                case.series[series(naming.ALERTS, {**labels, naming.ALERTNAME: original["alert"],
                                                   "alertstate": state})] = constant(1, at)
                out.append(case)
    return out
