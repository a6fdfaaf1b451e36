"""The Prometheus alerting rules that implement escalation (see ``generators.escalation``).

An escalation copy is the original alerting rule re-raised one level up: the same
expression, labels and annotations (runbook, dashboard panel, ``remediation``), ``for``
the original's ``for`` plus the escalation time, the next severity, and
``escalated_from`` / ``escalated_alert`` saying where it came from. Evaluating the
original's own expression is what keeps the context: ``$value`` in the description is
the KPI's real value (a rule over ``ALERTS`` only sees 1), and both ``for`` clocks start
when the condition first holds, so the copy fires exactly when the original has been
firing for the escalation time.
"""
from __future__ import annotations

from . import alert_rules, naming
from .escalation import Escalation, climb, escalated_labels
from .model import Spec, duration_from_seconds, seconds


def escalation_rules(spec: Spec) -> list[dict]:
    """Every escalation copy, in KPI and rule order, each rule's copies level after level."""
    return [copy for kpi in spec.kpis for rule in alert_rules.kpi_rules(spec, kpi) for copy in copies(spec, rule)]


def escalation_group(spec: Spec) -> dict | None:
    """One rule group holding every escalation rule, or ``None`` when nothing escalates."""
    rules = escalation_rules(spec)
    return {"name": naming.escalation_group_name(spec.bundle.name), "rules": rules} if rules else None


def copies(spec: Spec, rule: dict) -> list[dict]:
    """The escalation copies of one generated alerting rule (none when it never escalates)."""
    return [_copy(spec, rule, e, waited) for e, waited in climb(spec, rule["labels"])]


def _copy(spec: Spec, original: dict, e: Escalation, waited: float) -> dict:
    """``original`` re-raised at ``e.to_severity`` once it has fired for ``waited`` seconds."""
    after = duration_from_seconds(waited)
    receiver = spec.routing.severities[e.to_severity].receiver
    notes = original["annotations"]
    annotations = {
        **notes,
        "summary": f"{notes['summary']} (still firing after {after}, escalated from {e.from_severity})",
        "description": f"{notes['description']} Still firing after {after}, so it escalated from "
                       f"{e.from_severity} to {e.to_severity} and now reaches {receiver}.",
    }
    return {
        "alert": naming.escalated_alert_name(original["alert"], e.to_severity),
        "expr": original["expr"],
        "for": duration_from_seconds(seconds(original["for"]) + waited),
        "labels": escalated_labels(original["labels"], original["alert"], e),
        "annotations": annotations,
    }
