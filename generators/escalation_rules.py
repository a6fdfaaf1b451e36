"""The Prometheus alerting rules that implement escalation (see ``generators.escalation``).

One rule per escalation and per KPI that has alerts of the lower severity: it reads
``ALERTS`` for that KPI, so the copy it raises links the KPI's own runbook and dashboard
panel. The copy keeps every label of the original (``max without (alertstate, alertname)``),
records the original's name in ``escalated_alert``, and takes the next severity.
"""
from __future__ import annotations

from . import naming
from .alert_labels import all_alerts
from .escalation import Escalation, escalations
from .model import Kpi, Spec

ORIGINAL = f"{{{{ $labels.{naming.ESCALATED_ALERT} }}}}"
"""The escalated alert's name, as a Go template over the copy's labels (for annotations)."""


def escalation_rules(spec: Spec) -> list[dict]:
    """Every escalation rule, by escalation (most severe level first), then in KPI order."""
    alerts = all_alerts(spec)
    rules = []
    for e in escalations(spec):
        escalating = {a.labels[naming.KPI_LABEL] for a in alerts
                      if a.labels[naming.SEVERITY] == e.from_severity and a.labels.get(naming.TIER) != naming.TIER_TICKET}
        rules += [_rule(spec, e, kpi) for kpi in spec.kpis if kpi.id in escalating]
    return rules


def escalation_group(spec: Spec) -> dict | None:
    """One rule group holding every escalation rule, or ``None`` when nothing escalates."""
    rules = escalation_rules(spec)
    return {"name": naming.escalation_group_name(spec.bundle.name), "rules": rules} if rules else None


def _rule(spec: Spec, e: Escalation, kpi: Kpi) -> dict:
    selector = ", ".join([
        'alertstate="firing"', f'{naming.SEVERITY}="{e.from_severity}"',
        f'{naming.KPI_LABEL}="{kpi.id}"', f'{naming.TIER}!="{naming.TIER_TICKET}"'])
    receiver = spec.routing.severities[e.to_severity].receiver
    annotations = {
        "summary": f"{kpi.title}: {ORIGINAL} still firing after {e.after}, escalated from {e.from_severity} "
                   f"to {e.to_severity}",
        "description": (f"The {e.from_severity} alert {ORIGINAL} of {kpi.title} has fired for more than "
                        f"{e.after} without resolving, so it now reaches the {e.to_severity} receiver "
                        f"({receiver})."),
        "runbook_url": naming.runbook_url(spec.bundle, kpi, ORIGINAL),
    }
    dashboard = naming.dashboard_url(spec.bundle, kpi)
    if dashboard:
        annotations["dashboard_url"] = dashboard
    return {
        "alert": e.alertname,
        "expr": (f"max without (alertstate, {naming.ALERTNAME}) (label_replace(ALERTS{{{selector}}}, "
                 f'"{naming.ESCALATED_ALERT}", "$1", "{naming.ALERTNAME}", "(.+)"))'),
        "for": e.after,
        "labels": {naming.SEVERITY: e.to_severity, naming.ESCALATED_FROM: e.from_severity},
        "annotations": annotations,
    }
