"""Escalation: an alert still firing after its severity's escalation time reaches the next level.

Alertmanager cannot route on how long an alert has fired (``repeat_interval`` only
re-sends to the *same* receiver), so the clock lives in Prometheus: every generated
alerting rule of an escalating severity gets a copy, the same rule with ``for`` longer by
the escalation time and the next severity (``generators.escalation_rules``). The copy
keeps the original's labels (``kpi``, ``service``…) and annotations, so routing, grouping,
inhibition and notifications treat it like any alert of the higher severity;
``escalated_from`` and ``escalated_alert`` say where it came from.

The most severe level has no next level inside Alertmanager: its escalation time becomes
its re-notification interval (with group flushes frequent enough to honour it), and the
pager's own escalation policy takes over.
Burn-rate ticket-tier alerts never escalate: a slow burn lasts hours by design, and
paging for it would undo the page/ticket split.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import naming
from .model import Spec, duration_from_seconds, seconds
from .model.routing import Routing


@dataclass(frozen=True)
class Escalation:
    """Alerts of ``from_severity`` still firing after ``after`` are re-raised as ``to_severity``."""

    from_severity: str
    to_severity: str
    after: str


def target(routing: Routing, severity: str) -> str | None:
    """The severity an unresolved alert escalates to: ``escalate_to`` or the next more severe one."""
    route = routing.severities[severity]
    if route.escalation is None:
        return None
    if route.escalate_to is not None:
        return route.escalate_to
    order = list(routing.severities)
    index = order.index(severity)
    return order[index - 1] if index > 0 else None


def escalations(spec: Spec) -> list[Escalation]:
    """Every escalation the routing section asks for, from the most severe level down."""
    routing = spec.routing
    out = []
    for severity, route in routing.severities.items():
        to = target(routing, severity)
        if to is not None and to in routing.severities:
            out.append(Escalation(severity, to, route.escalation))
    return out


def climb(spec: Spec, labels: dict[str, str]) -> list[tuple[Escalation, float]]:
    """The escalations an alert with ``labels`` climbs, one level after another, each with the
    seconds it must have fired before it is re-raised at that level (empty: it never escalates).

    Ticket-tier burn-rate alerts never escalate. The chain is bounded by the number of
    escalations, so a cycle (rejected by the routing checks) cannot loop here first.
    """
    if labels.get(naming.TIER) == naming.TIER_TICKET:
        return []
    by_level = {e.from_severity: e for e in escalations(spec)}
    out: list[tuple[Escalation, float]] = []
    severity, waited = labels.get(naming.SEVERITY), 0.0
    while severity in by_level and len(out) < len(by_level):
        e = by_level[severity]
        waited += seconds(e.after)
        out.append((e, waited))
        severity = e.to_severity
    return out


def escalated_labels(labels: dict[str, str], original: str, e: Escalation) -> dict[str, str]:
    """An escalation copy's labels: the original's, the next severity, and where it came from."""
    return {**labels, naming.SEVERITY: e.to_severity, naming.ESCALATED_FROM: e.from_severity,
            naming.ESCALATED_ALERT: original}


def renotify_interval(routing: Routing, severity: str) -> str | None:
    """A route's ``repeat_interval``: as given, else its escalation time when it has no next level."""
    route = routing.severities[severity]
    if route.repeat_interval is not None:
        return route.repeat_interval
    if route.escalation is not None and target(routing, severity) is None:
        return route.escalation
    return None


RENOTIFY_SLACK = 5
"""Alertmanager re-sends only when a group flushes (every ``group_interval``), so a route that
re-notifies every R flushes at least every R / 5: a re-notification is at most 20 % late."""


def flush_interval(routing: Routing, severity: str) -> str | None:
    """A route's own ``group_interval``, when its re-notification needs more frequent flushes."""
    route = routing.severities[severity]
    if route.group_interval is not None:
        return route.group_interval
    repeat = renotify_interval(routing, severity)
    if repeat is None or seconds(routing.group_interval) <= seconds(repeat) / RENOTIFY_SLACK:
        return None
    return duration_from_seconds(seconds(repeat) / RENOTIFY_SLACK)
