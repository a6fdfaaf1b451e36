"""Escalation: an alert still firing after its severity's escalation time reaches the next level.

Alertmanager cannot route on how long an alert has fired (``repeat_interval`` only
re-sends to the *same* receiver), so the clock lives in Prometheus: one generic
alerting rule per escalating severity reads ``ALERTS`` and fires, ``for`` the escalation
time, a copy of every still-firing alert of that severity with the next severity. The
copy keeps the original's labels (``kpi``, ``service``…), so routing, grouping and
inhibition treat it like any alert of the higher severity; ``escalated_from`` and
``escalated_alert`` say where it came from.

The most severe level has no next level inside Alertmanager: its escalation time becomes
its re-notification interval (with group flushes frequent enough to honour it), and the
pager's own escalation policy takes over.
Burn-rate ticket-tier alerts never escalate: a slow burn lasts hours by design, and
paging for it would undo the page/ticket split. The rules themselves are built in
``generators.escalation_rules``.
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
    alertname: str


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
            out.append(Escalation(severity, to, route.escalation, naming.escalation_alert_name(severity, to)))
    return out


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
