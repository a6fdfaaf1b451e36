"""Every record, alert, group, file and label name the bundle uses: the only place these strings live.

Recording rules follow ``level:metric:operations``: the level is the labels kept
(``service``; empty when everything is summed), the metric names what is measured, the
operations say how (``rate5m``, ``p95_rate5m``, ``ratio_rate5m``).
"""
from __future__ import annotations

import re
import zlib

from .model import Alert, Bundle, Kpi

KPI_LABEL = "kpi"
"""Label carrying the KPI id on every generated series and alert."""
TARGET_MET = "kpi:target_met:bool"
"""1 while a KPI series meets its target, else 0: the health score averages it."""
HEALTH_SCORE = ":platform_health_score:percent"
ALERTS = "ALERTS"
"""Prometheus's own series of pending and firing alerts: dashboards overlay it as annotations."""
DATASOURCE_VARIABLE = "datasource"
"""The dashboard variable (type prometheus) every panel and target reads its datasource from."""
DASHBOARD_TAG = "perfcycle"
"""Tag on every generated dashboard, so links and searches find the whole set."""


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


def window_record(kpi: Kpi, window: str) -> str:
    """The KPI's value over a long window (1h executive, 1d FinOps, 7d baseline), from recorded series."""
    return baseline_record(kpi, window)


def group_kinds() -> tuple[str, ...]:
    """Rule group kinds of one domain, in evaluation order."""
    return ("records", "slo", "long", "alerts")


def rule_file(directory: str, domain: str) -> str:
    """``recording_rules/workload.yml``, ``alerts/workload.yml``."""
    return f"{directory}/{domain}.yml"


def test_file(domain: str) -> str:
    return f"tests/rules/{domain}.test.yml"


# ---------------------------------------------------------------- SLOs (Sloth-compatible names)
SLI_ERROR = "slo:sli_error:ratio_rate{window}"
SLO_OBJECTIVE = "slo:objective:ratio"
SLO_ERROR_BUDGET = "slo:error_budget:ratio"
SLO_TIME_PERIOD = "slo:time_period:days"
SLO_CURRENT_BURN = "slo:current_burn_rate:ratio"
SLO_PERIOD_BURN = "slo:period_burn_rate:ratio"
SLO_BUDGET_REMAINING = "slo:period_error_budget_remaining:ratio"
SLO_INFO = "sloth_slo_info"
SLOTH_ID, SLOTH_SERVICE, SLOTH_SLO, SLOTH_WINDOW = "sloth_id", "sloth_service", "sloth_slo", "sloth_window"


def sli_error_record(window: str) -> str:
    """Sloth's name for the error ratio over ``window``: ``slo:sli_error:ratio_rate5m``."""
    return SLI_ERROR.format(window=window)


def slo_events_record(kpi: Kpi, what: str, window: str) -> str:
    """Bad (``errors``) or all (``events``) events per second behind an SLO, at its base window."""
    return f"{level(kpi)}:{kpi.id}_slo_{what}:rate{window}"


def sloth_labels(bundle: str, kpi: Kpi) -> dict[str, str]:
    """``sloth_id``, ``sloth_service``, ``sloth_slo``: what Sloth's dashboards select SLOs by."""
    service = kpi.slo.service or bundle
    name = kpi.slo.name or kpi.id
    return {SLOTH_ID: f"{service}-{name}", SLOTH_SERVICE: service, SLOTH_SLO: name}


def burn_alert_name(kpi: Kpi) -> str:
    return kpi.slo.alert_name or f"{camel(kpi.id)}ErrorBudgetBurn"


def slo_no_data_alert_name(kpi: Kpi) -> str:
    return f"{camel(kpi.id)}SloNoData"


def source_absent_alert_name(kpi: Kpi) -> str:
    """The implicit missing-data alert of a ``critical_source`` KPI."""
    return f"{camel(kpi.id)}SourceAbsent"


def target_down_alert_name(kpi: Kpi) -> str:
    """The implicit alert of a ``critical_source`` KPI when one of its scrape targets is down."""
    return f"{camel(kpi.id)}TargetDown"


def _percentile(quantile: float) -> str:
    """0.95 -> ``95``, 0.999 -> ``999``."""
    return (f"{quantile:.6f}".split(".")[1].rstrip("0") or "0").ljust(2, "0")


def folder_uid(bundle: str, audience: str) -> str:
    """Uid of the Grafana folder holding an audience's dashboard (folders and dashboards share uids)."""
    return f"pcf-{bundle}-{audience}"[:40].replace("_", "-")


DASHBOARD_PROVIDERS_FILE = "provisioning/dashboards/perfcycle.yaml"
DATASOURCES_FILE = "provisioning/datasources/prometheus.yaml"
DATASOURCE_NAME = "Prometheus"
DATASOURCE_UID = "perfcycle-prometheus"
"""The provisioned Prometheus datasource (the dashboards' ``$datasource`` variable defaults to it)."""


def provider_name(audience: str) -> str:
    """Name of the Grafana dashboard provider that loads one audience's dashboard."""
    return f"perfcycle-{audience}"


def dashboard_file(audience: str) -> str:
    """Where an audience's dashboard is written, relative to the bundle root."""
    return f"dashboards/{audience}.json"


def panel_id(kpi: Kpi | str, audience: str) -> int:
    """A stable Grafana panel id for the KPI's panel on an audience's dashboard (``?viewPanel=``).

    Derived from the ids alone (a KPI, or a ``row/<domain>`` / ``panel/<id>`` key), not from
    positions: alerts link to the panel without knowing the layout, and adding or moving KPIs
    never changes another panel's id. 1000..999999 keeps clear of small hand-made ids.
    """
    key = kpi.id if isinstance(kpi, Kpi) else kpi
    return 1000 + zlib.crc32(f"{audience}/{key}".encode()) % 999_000


def row_panel_key(domain: str) -> str:
    """The ``panel_id`` key of a domain's row (``row/workload``)."""
    return f"row/{domain}"


def summary_panel_key(panel: str) -> str:
    """The ``panel_id`` key of an audience's summary panel (``panel/health_score``)."""
    return f"panel/{panel}"


def home_audience(kpi: Kpi) -> str | None:
    """The dashboard an alert on this KPI links to: the first audience the KPI lists."""
    return next(iter(kpi.audiences), None)


def dashboard_url(bundle: Bundle, kpi: Kpi) -> str | None:
    """``<grafana>/d/<uid>?viewPanel=<id>`` of the KPI's panel on its home dashboard (None: no dashboard)."""
    audience = home_audience(kpi)
    if audience is None:
        return None
    uid = dashboard_uid(bundle.name, audience)
    return f"{bundle.grafana_url.rstrip('/')}/d/{uid}?viewPanel={panel_id(kpi, audience)}"


def runbook_url(bundle: Bundle, kpi: Kpi, alert: str = "") -> str:
    """The KPI's own runbook, or the bundle's template filled with the KPI id (and alert name)."""
    return kpi.runbook or bundle.runbook_url.replace("{kpi}", kpi.id).replace("{alert}", alert or kpi.id)


# --- Alert labels (the contract between alerting rules and routing) and Alertmanager names ---
SEVERITY = "severity"
DOMAIN = "domain"
FAMILY = "family"
"""The alert family (= KPI id): the critical and warning alerts of one KPI share it, so
inhibition mutes the lesser alerts of one family."""
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


def escalated_alert_name(original: str, to_severity: str) -> str:
    """The escalation copy of ``CacheHitRatioThresholdWarning`` at ``critical``:
    ``CacheHitRatioThresholdWarningEscalatedToCritical``.

    One name per original (not one per severity pair) so a page names what is wrong, and
    so promtool, which checks alerts by name, tells the copies of different alerts apart.
    """
    return f"{original}EscalatedTo{camel(to_severity)}"


def escalation_group_name(bundle: str) -> str:
    """The rule group holding the escalation alerts."""
    return group_name(bundle, "routing", "escalation")
