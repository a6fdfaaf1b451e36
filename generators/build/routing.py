"""Alertmanager config, notification templates and route tests, from the spec's routing section.

The route tree has one route per severity, in the spec's order, under a root whose
receiver has no channels: an alert of no known severity reaches no one, and the
generated route tests (``routes.test.yml``, run through ``amtool`` by the tests) prove
that every generated alert reaches exactly its severity's receiver. Escalation lives
in Prometheus (see ``generators.escalation``); here it only sets re-notification.
"""
from __future__ import annotations

import json
import re

from .. import naming
from ..alert_labels import CONTRACT_LABELS, AlertLabelSet, all_alerts
from ..escalation import escalations, flush_interval, renotify_interval
from ..model import Spec
from ..model.routing import Inhibition, Receiver
from ..routing_checks import dependencies
from .routing_templates import TEMPLATE, use

EXAMPLE_VALUE = "example"
"""Value given to series labels (``service``, ``instance``…) in route tests: routing must not depend on it."""


def build(spec: Spec) -> dict[str, object]:
    """The Alertmanager documents, by path relative to the bundle root."""
    return {
        naming.ALERTMANAGER_CONFIG: config(spec),
        naming.ALERTMANAGER_TEMPLATE: TEMPLATE,
        naming.ALERTMANAGER_ROUTE_TESTS: route_tests(spec),
    }


def config(spec: Spec) -> dict:
    """``alertmanager.yml``: route tree, receivers, inhibition, templates (next to the config)."""
    routing = spec.routing
    return {
        "route": route_tree(spec),
        "receivers": [{"name": naming.UNROUTED_RECEIVER}]
                     + [receiver(name, r) for name, r in routing.receivers.items()],
        "inhibit_rules": inhibit_rules(spec),
        "templates": [naming.ALERTMANAGER_TEMPLATE.removeprefix("alertmanager/")],
    }


def write_override(spec: Spec, url: str) -> dict:
    """A config for local use: the same routes and inhibition, every receiver a webhook to ``url``.

    The root route's catch-all (``unrouted``) posts there too, so an alert no route matches
    shows up under that receiver instead of vanishing. The live stack's tests point it at a
    recording webhook; no secret files are needed.
    """
    base = config(spec)
    base["receivers"] = [{"name": name, "webhook_configs": [{"url": url, "send_resolved": True}]}
                         for name in (naming.UNROUTED_RECEIVER, *spec.routing.receivers)]
    del base["templates"]
    return base


def route_tree(spec: Spec) -> dict:
    routing = spec.routing
    routes = []
    for severity, route in routing.severities.items():
        child = {"receiver": route.receiver, "matchers": [matcher(naming.SEVERITY, severity)]}
        flush, repeat = flush_interval(routing, severity), renotify_interval(routing, severity)
        if flush is not None:
            child["group_interval"] = flush
        if repeat is not None:
            child["repeat_interval"] = repeat
        routes.append(child)
    return {
        "receiver": naming.UNROUTED_RECEIVER,
        "group_by": list(routing.group_by),
        "group_wait": routing.group_wait,
        "group_interval": routing.group_interval,
        "repeat_interval": routing.repeat_interval,
        "routes": routes,
    }


def receiver(name: str, r: Receiver) -> dict:
    """One Alertmanager receiver with a config per channel the spec gives it."""
    out: dict = {"name": name}
    if r.pagerduty:
        pd = {"routing_key_file": r.pagerduty.routing_key_file, "send_resolved": True,
              "description": use("title"),
              "details": {"summary": use("text")},
              "links": [{"href": use("runbook_url"), "text": "Runbook"},
                        {"href": use("dashboard_url"), "text": "Dashboard"}]}
        if r.pagerduty.severity:
            pd["severity"] = r.pagerduty.severity
        out["pagerduty_configs"] = [pd]
    if r.slack:
        out["slack_configs"] = [{"api_url_file": r.slack.api_url_file, "channel": r.slack.channel,
                                 "send_resolved": True, "title": use("title"),
                                 "title_link": use("dashboard_url"), "text": use("text")}]
    if r.email:
        e = r.email
        email = {"to": e.to, "from": e.sender, "smarthost": e.smarthost, "send_resolved": True,
                 "headers": {"Subject": use("title")}, "html": use("html"), "text": use("text")}
        if e.auth_username:
            email["auth_username"] = e.auth_username
        if e.auth_password_file:
            email["auth_password_file"] = e.auth_password_file
        out["email_configs"] = [email]
    if r.webhook:
        out["webhook_configs"] = [{"url": r.webhook.url, "send_resolved": True}]
    return out


def inhibit_rules(spec: Spec) -> list[dict]:
    """The spec's inhibitions, the same for escalation copies, then one rule per dependant service and severity."""
    alerts = all_alerts(spec)
    rules = [*spec.routing.inhibit, *escalated_inhibitions(spec, alerts)]
    return [_inhibition(rule, alerts) for rule in rules] + _dependency_rules(spec)


def escalated_inhibitions(spec: Spec, alerts: list[AlertLabelSet]) -> list[Inhibition]:
    """Escalation never un-mutes an alert: whatever mutes an original alert also mutes its copies.

    Each spec inhibition whose target an escalating severity's alerts can match is repeated
    for that severity's copies (next severity, ``escalated_from``), with its source narrowed
    to original alerts (``escalated_from=""``). So a warning muted by a critical of its family
    and series does not page again when its copy fires: one incident, one page. A copy is
    never a source here, so copies never mute each other, and no rule can mute itself (its
    source and target differ on ``escalated_from``). Rules that name ``escalated_from``
    themselves, or whose copies' target no alert can match, are left alone.
    """
    out = []
    for rule in spec.routing.inhibit:
        if naming.ESCALATED_FROM in rule.source or naming.ESCALATED_FROM in rule.target:
            continue
        for e in escalations(spec):
            if rule.target.get(naming.SEVERITY, e.from_severity) != e.from_severity:
                continue
            target = {**rule.target, naming.SEVERITY: e.to_severity, naming.ESCALATED_FROM: e.from_severity}
            if any(a.can_match(target) for a in alerts):
                out.append(rule.model_copy(update={"source": {**rule.source, naming.ESCALATED_FROM: ""},
                                                   "target": target}))
    return out


def series_labels(alerts: list[AlertLabelSet]) -> list[str]:
    """Labels that tell one series of a KPI from another, over all alerts (the bundle's own excluded)."""
    own = CONTRACT_LABELS | {naming.TRIGGER}
    return sorted({key for a in alerts for key in a.series_labels} - own)


def _inhibition(rule: Inhibition, alerts: list[AlertLabelSet]) -> dict:
    equal = list(rule.equal) + (series_labels(alerts) if rule.same_series else [])
    return {
        "source_matchers": [matcher(k, v) for k, v in rule.source.items()],
        "target_matchers": [matcher(k, v) for k, v in rule.target.items()],
        "equal": list(dict.fromkeys(equal)),
    }


def _dependency_rules(spec: Spec) -> list[dict]:
    """An alert on a dependency mutes the alerts of its dependants of the same or a lower severity.

    One rule per dependant and per severity some alert with the dependency label has; a
    dependant never depends on itself (checked), so no rule's source can match its own target.
    """
    routing = spec.routing
    label, order = routing.dependency_label, list(routing.severities)
    carried = {a.labels[naming.SEVERITY] for a in all_alerts(spec) if label in a.keys}
    rules = []
    for service in sorted(routing.depends_on):
        needs = dependencies(routing.depends_on, service)
        for i, severity in enumerate(order):
            if severity not in carried:
                continue  # no alert of this severity carries the label: the rule could never apply
            rules.append({
                "source_matchers": [matcher(label, any_of(needs), "=~"),
                                    matcher(naming.SEVERITY, any_of(order[:i + 1]), "=~")],
                "target_matchers": [matcher(label, service), matcher(naming.SEVERITY, severity)],
            })
    return rules


def route_tests(spec: Spec) -> dict:
    """Label sets and the exact receivers Alertmanager must pick for them, as data for amtool."""
    routing = spec.routing
    cases = [{"name": f"An alert of severity {s} reaches {r.receiver} only.",
              "labels": {naming.SEVERITY: s}, "receivers": [r.receiver]}
             for s, r in routing.severities.items()]
    cases.append({"name": "An alert of no known severity reaches no one.",
                  "labels": {naming.SEVERITY: "no_such_severity"}, "receivers": [naming.UNROUTED_RECEIVER]})
    seen = set()
    for a in all_alerts(spec):
        labels = {naming.ALERTNAME: a.alertname,
                  **{k: EXAMPLE_VALUE for k in a.series_labels}, **a.labels}
        key = json.dumps(labels, sort_keys=True)
        if key in seen:
            continue
        seen.add(key)
        severity = labels[naming.SEVERITY]
        receiver_name = routing.severities[severity].receiver
        cases.append({"name": f"{a.origin} ({labels[naming.ALERTNAME]}, {severity}) reaches {receiver_name}.",
                      "labels": labels, "receivers": [receiver_name]})
    return {"run_each_with": f"amtool config routes test --config.file={naming.ALERTMANAGER_CONFIG} "
                             "LABEL=VALUE… (prints the receivers, comma-separated)",
            "tests": cases}


def matcher(key: str, value: str, op: str = "=") -> str:
    """An Alertmanager matcher string, the value quoted: ``severity="critical"``."""
    return f"{key}{op}{json.dumps(value, ensure_ascii=False)}"


def any_of(values: list[str]) -> str:
    """An RE2 alternation matching exactly one of ``values``."""
    return "|".join(re.escape(v) for v in values)
