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


def escalation_rules(spec: Spec) -> list[dict]:
    """The Prometheus alerting rules (plain data) that implement ``escalations(spec)``."""
    return [_rule(spec, e) for e in escalations(spec)]


def escalation_group(spec: Spec) -> dict | None:
    """One rule group holding every escalation rule, or ``None`` when nothing escalates."""
    rules = escalation_rules(spec)
    return {"name": naming.escalation_group_name(spec.bundle.name), "rules": rules} if rules else None


def _rule(spec: Spec, e: Escalation) -> dict:
    selector = ", ".join([
        'alertstate="firing"', f'{naming.SEVERITY}="{e.from_severity}"',
        f'{naming.KPI_LABEL}!=""', f'{naming.TIER}!="{naming.TIER_TICKET}"'])
    original = f"$labels.{naming.ESCALATED_ALERT}"
    receiver = spec.routing.severities[e.to_severity].receiver
    return {
        "alert": e.alertname,
        "expr": (f"max without (alertstate, {naming.ALERTNAME}) (label_replace(ALERTS{{{selector}}}, "
                 f'"{naming.ESCALATED_ALERT}", "$1", "{naming.ALERTNAME}", "(.+)"))'),
        "for": e.after,
        "labels": {naming.SEVERITY: e.to_severity, naming.ESCALATED_FROM: e.from_severity},
        "annotations": {
            "summary": f"{{{{ {original} }}}} still firing after {e.after}: escalated from {e.from_severity} "
                       f"to {e.to_severity}",
            "description": (f"The {e.from_severity} alert {{{{ {original} }}}} of KPI {{{{ $labels.kpi }}}} has "
                            f"fired for more than {e.after} without resolving, so it now reaches the "
                            f"{e.to_severity} receiver ({receiver})."),
            "runbook_url": _runbook(spec),
            "dashboard_url": f"{spec.bundle.grafana_url.rstrip('/')}/dashboards?query={{{{ $labels.kpi }}}}",
        },
    }


def _runbook(spec: Spec) -> str:
    """The runbook of the escalated alert's KPI, as a Go template over its labels."""
    default = (spec.bundle.runbook_url.replace("{kpi}", "{{ $labels.kpi }}")
               .replace("{alert}", f"{{{{ $labels.{naming.ESCALATED_ALERT} }}}}"))
    explicit = [(k.id, k.runbook) for k in spec.kpis if k.runbook]
    if not explicit:
        return default
    branches = "".join(f'{{{{ {"if" if i == 0 else "else if"} eq $labels.kpi "{kpi}" }}}}{url}'
                       for i, (kpi, url) in enumerate(explicit))
    return f"{branches}{{{{ else }}}}{default}{{{{ end }}}}"
