"""Every record, alert, group, file and label name the bundle uses: the only place these strings live.

Recording rules follow ``level:metric:operations``: the level is the labels kept
(``service``; empty when everything is summed), the metric names what is measured, the
operations say how (``rate5m``, ``p95_rate5m``, ``ratio_rate5m``).
"""
from __future__ import annotations

import re

from .model import Alert, Kpi

KPI_LABEL = "kpi"
"""Label carrying the KPI id on every generated series and alert."""
TARGET_MET = "kpi:target_met:bool"
"""1 while a KPI series meets its target, else 0: the health score averages it."""
HEALTH_SCORE = ":platform_health_score:percent"


def level(kpi: Kpi) -> str:
    """The level part of a record name: the kept labels joined by ``_``."""
    return "_".join(kpi.source.by)


def base_metric(selector: str) -> str:
    """The metric name of a selector, without ``_total`` (``http_requests_total{…}`` -> ``http_requests``)."""
    name = re.match(r"[a-zA-Z_:][a-zA-Z0-9_:]*", selector.strip()).group(0)
    return name.removesuffix("_total")


def window_op(kpi: Kpi) -> str:
    """The operation suffix of a KPI's fast value record, by kind."""
    source, w = kpi.source, kpi.source.window
    return {
        "quantile": lambda: f"p{_percentile(source.quantile)}_rate{w}",
        "ratio": lambda: f"ratio_rate{w}",
        "rate": lambda: f"rate{w}",
        "gauge": lambda: source.aggregation,
        "expression": lambda: "value",
    }[source.kind]()


def value_record(kpi: Kpi) -> str:
    """The recorded series holding the KPI's value in its unit (alerts and panels read it)."""
    return f"{level(kpi)}:{kpi.id}:{window_op(kpi)}"


def bucket_record(kpi: Kpi) -> str:
    """Aggregated bucket rates of a quantile KPI's histogram, kept by ``le`` and the KPI's labels."""
    return f"{'_'.join(['le', *kpi.source.by])}:{kpi.source.metric}_bucket:rate{kpi.source.window}"


def numerator_record(kpi: Kpi) -> str:
    return f"{level(kpi)}:{kpi.id}_numerator:rate{kpi.source.window}"


def denominator_record(kpi: Kpi) -> str:
    """Events per second behind a ratio, so panels can show traffic and budgets in events."""
    return f"{level(kpi)}:{kpi.id}_denominator:rate{kpi.source.window}"


def baseline_record(kpi: Kpi, window: str) -> str:
    return f"{level(kpi)}:{kpi.id}:{window_op(kpi)}_avg{window}"


def camel(identifier: str) -> str:
    """``response_time_p95`` -> ``ResponseTimeP95``."""
    return "".join(part.capitalize() for part in identifier.split("_"))


def alert_name(kpi: Kpi, alert: Alert) -> str:
    """The alert's own ``name`` or a CamelCase one from the KPI id, condition and severity.

    Escalation triggers end in ``Escalation`` so they never collide with the plain
    threshold alert of the same KPI.
    """
    if alert.name:
        return alert.name
    if alert.escalation_trigger:
        return f"{camel(kpi.id)}Escalation"
    suffix = {"when": "Threshold", "baseline": "AboveBaseline", "change": "Change",
              "forecast": "Forecast", "absent": "Absent"}[alert.condition]
    return f"{camel(kpi.id)}{suffix}{alert.severity.capitalize()}"


def group_name(bundle: str, domain: str, kind: str) -> str:
    """Rule group names: ``perfcycle.kiro_platform.workload.records``."""
    return f"perfcycle.{bundle}.{domain}.{kind}"


def dashboard_uid(bundle: str, audience: str) -> str:
    """Stable Grafana uid (max 40 characters), derived from spec ids so URLs survive regeneration."""
    return f"pc-{bundle}-{audience}"[:40].replace("_", "-")


def _percentile(quantile: float) -> str:
    """0.95 -> ``95``, 0.999 -> ``999``."""
    return (f"{quantile:.6f}".split(".")[1].rstrip("0") or "0").ljust(2, "0")


# --- Alert labels (the contract between alerting rules and routing) and Alertmanager names ---
# SEVERITY … SLO and WINDOW_CLASS have the same names and values as on the ``rules`` branch:
# when both are merged, keep one copy.
SEVERITY = "severity"
DOMAIN = "domain"
FAMILY = "family"
"""The alert family (= KPI id): inhibition mutes the lesser alerts of one family."""
TRIGGER = "trigger"
ESCALATION = "escalation"
"""``trigger="escalation"`` marks the daily cycle's escalation triggers."""
TIER = "tier"
WINDOW_CLASS = "window_class"
TIER_PAGE = "page"
TIER_TICKET = "ticket"
SLO = "slo"
"""Burn-rate alerts carry the SLO's KPI id here, so a page mutes the ticket of the same SLO."""
ESCALATED_FROM = "escalated_from"
"""On escalation alerts: the severity the still-firing alert had."""
ESCALATED_ALERT = "escalated_alert"
"""On escalation alerts: the ``alertname`` of the still-firing alert."""
ALERTNAME = "alertname"
UNROUTED_RECEIVER = "unrouted"
"""Alertmanager's root receiver: no channels, so an alert of no known severity reaches no one
(the route tests prove no generated alert lands here)."""
ALERTMANAGER_CONFIG = "alertmanager/alertmanager.yml"
ALERTMANAGER_TEMPLATE = "alertmanager/templates/perfcycle.tmpl"
ALERTMANAGER_ROUTE_TESTS = "alertmanager/routes.test.yml"
TEMPLATE_PREFIX = "perfcycle"
"""Prefix of the notification template names (``perfcycle.title``, ``perfcycle.text``…)."""


def escalation_alert_name(from_severity: str, to_severity: str) -> str:
    """``warning`` -> ``critical``: ``EscalatedWarningToCritical``."""
    return f"Escalated{camel(from_severity)}To{camel(to_severity)}"


def escalation_group_name(bundle: str) -> str:
    """The rule group holding the escalation alerts."""
    return group_name(bundle, "routing", "escalation")
