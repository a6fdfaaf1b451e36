"""Whole-spec checks of the routing section against the alerts the bundle generates.

Each finding is a ``(spec path, message)`` value so one run reports them all. The
alerts are derived from the model (``alert_labels.all_alerts``), never read from
generated files: a receiver no alert reaches, an inhibition on a label no alert
carries, or a rule that could mute its own source is caught before anything is written.
"""
from __future__ import annotations

from . import naming
from .alert_labels import CONTRACT_LABELS, AlertLabelSet, all_alerts
from .escalation import target
from .model import Spec
from .model.routing import Inhibition


def routing_problems(spec: Spec) -> list[tuple[str, str]]:
    """Every routing problem of ``spec``, in spec order."""
    alerts = all_alerts(spec)
    return (_group_problems(spec, alerts) + _severity_problems(spec) + _receiver_problems(spec, alerts)
            + _inhibit_problems(spec, alerts) + _dependency_problems(spec, alerts) + _label_problems(spec))


def _group_problems(spec: Spec, alerts: list[AlertLabelSet]) -> list[tuple[str, str]]:
    """A ``group_by`` label no alert carries is a typo: every alert would share the empty value."""
    return [(f"routing.group_by[{i}]", f'label "{key}" is carried by no generated alert')
            for i, key in enumerate(spec.routing.group_by) if alerts and not any(key in a.keys for a in alerts)]


def _severity_problems(spec: Spec) -> list[tuple[str, str]]:
    routing, out = spec.routing, []
    order = list(routing.severities)
    for name, route in routing.severities.items():
        here = f"routing.severities.{name}"
        if route.receiver not in routing.receivers:
            out.append((f"{here}.receiver",
                        f'undefined receiver "{route.receiver}" (known: {", ".join(routing.receivers)})'))
        repeat_differs = route.repeat_interval is not None and route.repeat_interval != route.escalation
        if route.escalation is not None and target(routing, name) is None and repeat_differs:
            out.append((f"{here}.repeat_interval",
                        f"contradicts escalation {route.escalation}: the most severe level has no next level, "
                        "so it re-notifies at its escalation time (drop one of them)"))
        if route.escalate_to is None:
            continue
        if route.escalation is None:
            out.append((f"{here}.escalate_to", "has no effect without an escalation time"))
        elif route.escalate_to not in routing.severities:
            out.append((f"{here}.escalate_to", f'unknown severity "{route.escalate_to}" (known: {", ".join(order)})'))
        elif order.index(route.escalate_to) >= order.index(name):
            out.append((f"{here}.escalate_to", f'"{route.escalate_to}" is not more severe than "{name}" '
                                               "(severities are listed from most to least severe)"))
    return out


def _receiver_problems(spec: Spec, alerts: list[AlertLabelSet]) -> list[tuple[str, str]]:
    routing, out = spec.routing, []
    reached = {a.labels[naming.SEVERITY] for a in alerts}
    for name, receiver in routing.receivers.items():
        here = f"routing.receivers.{name}"
        if name == naming.UNROUTED_RECEIVER:
            out.append((here, f'"{name}" is reserved for alerts of no known severity'))
        if not any((receiver.pagerduty, receiver.slack, receiver.email, receiver.webhook)):
            out.append((here, "has no channel (pagerduty, slack, email or webhook)"))
        routes = [s for s, r in routing.severities.items() if r.receiver == name]
        if not routes:
            out.append((here, "is never used: no severity routes to it"))
        elif not reached & set(routes):
            out.append((here, f"is never used: no alert has severity {' or '.join(routes)}"))
    return out


def _inhibit_problems(spec: Spec, alerts: list[AlertLabelSet]) -> list[tuple[str, str]]:
    out = []
    for i, rule in enumerate(spec.routing.inhibit):
        here = f"routing.inhibit[{i}]"
        selected = {}
        for side in ("source", "target"):
            matchers = getattr(rule, side)
            problems = [(f"{here}.{side}.{key}", problem) for key, value in matchers.items()
                        if (problem := _matcher_problem(alerts, key, value))]
            if not matchers:
                problems.append((f"{here}.{side}", "needs at least one label matcher"))
            selected[side] = [a for a in alerts if a.can_match(matchers)]
            if not problems and not selected[side]:
                problems.append((f"{here}.{side}", f"no generated alert matches all of {_shown(matchers)}"))
            out += problems
        out += _equal_problems(here, rule, alerts, selected)
        if rule.source and rule.target and not _disjoint(rule.source, rule.target):
            out.append((here, "source and target can match the same alert, which would then inhibit itself: "
                              "give them a label with different values (e.g. severity)"))
    return out


def _equal_problems(here: str, rule: Inhibition, alerts: list[AlertLabelSet],
                    selected: dict[str, list[AlertLabelSet]]) -> list[tuple[str, str]]:
    """An ``equal`` label that none of the alerts one side selects carries.

    Alertmanager compares a missing label as the empty string, so such a rule either never
    applies (the other side has the label) or ignores it (neither has it): a typo or a rule
    aimed at the wrong alerts. Checked against the alerts each side's matchers select, not
    against every generated alert, since a label carried elsewhere does not help.
    """
    out = []
    for key in rule.equal:
        if not any(key in a.keys for a in alerts):
            out.append((f"{here}.equal", f'label "{key}" is carried by no generated alert'))
            continue
        out += [(f"{here}.equal", f'label "{key}" is carried by none of the alerts the {side} selects '
                                  f"({_shown(getattr(rule, side))})")
                for side, chosen in selected.items() if chosen and not any(key in a.keys for a in chosen)]
    return out


def _shown(matchers: dict[str, str]) -> str:
    """Matchers as the user would write them in Alertmanager: ``severity="critical", tier="page"``."""
    return ", ".join(f'{key}="{value}"' for key, value in matchers.items())


def _matcher_problem(alerts: list[AlertLabelSet], key: str, value: str) -> str | None:
    """Why a matcher ``key=value`` matches no generated alert, or ``None`` when it can match one."""
    if any(a.can_match({key: value}) for a in alerts):
        return None
    if not any(key in a.keys for a in alerts):
        return f'label "{key}" is carried by no generated alert'
    known = sorted({a.alertname if key == naming.ALERTNAME else a.labels[key] for a in alerts if key in a.keys})
    return f'no generated alert has {key}="{value}" (known: {", ".join(known)})'


def _disjoint(source: dict[str, str], target: dict[str, str]) -> bool:
    """Whether no alert can match both sides: some label is required with two different values."""
    return any(key in target and target[key] != value for key, value in source.items())


def _dependency_problems(spec: Spec, alerts: list[AlertLabelSet]) -> list[tuple[str, str]]:
    routing, out = spec.routing, []
    label = routing.dependency_label
    if routing.depends_on and not any(label in a.keys for a in alerts):
        out.append(("routing.dependency_label", f'label "{label}" is carried by no generated alert'))
    for service, needs in routing.depends_on.items():
        if service in needs:
            out.append((f"routing.depends_on.{service}", f'"{service}" depends on itself'))
        elif service in dependencies(routing.depends_on, service):
            out.append((f"routing.depends_on.{service}", f'"{service}" depends on itself through a cycle'))
    return out


def dependencies(depends_on: dict[str, list[str]], service: str) -> list[str]:
    """Everything ``service`` depends on, directly or through other services, sorted."""
    seen: set[str] = set()
    stack = list(depends_on.get(service, []))
    while stack:
        name = stack.pop()
        if name not in seen:
            seen.add(name)
            stack += depends_on.get(name, [])
    return sorted(seen)


def _label_problems(spec: Spec) -> list[tuple[str, str]]:
    """Labels a KPI's series or an alert's ``labels`` would bring that clash with the bundle's own."""
    out = []
    for i, kpi in enumerate(spec.kpis):
        triggers = any(a.escalation_trigger for a in kpi.alerts)
        reserved = CONTRACT_LABELS | ({naming.TRIGGER} if triggers else set())
        out += [(f"kpis[{i}].source.by", f'label "{key}" is set on alerts by the bundle; rename it in the query')
                for key in kpi.source.by if key in reserved]
        for j, alert in enumerate(kpi.alerts):
            own = reserved | ({naming.TRIGGER} if alert.escalation_trigger else set())
            out += [(f"kpis[{i}].alerts[{j}].labels.{key}", f'label "{key}" is set by the bundle')
                    for key in alert.labels if key in own]
    return out

