"""One alerting rule per spec alert, plus the implicit ones (missing source, target down, SLO burn rates).

Every rule is a plain dict ready for a Prometheus rule file, and carries what routing
and people need: labels ``severity``, ``kpi``, ``domain``, ``family`` (the KPI id, so the
critical and warning alerts of a KPI inhibit each other), the KPI's own labels from its
series, ``trigger="escalation"`` on the daily cycle's escalation triggers, ``tier``,
``window_class`` and ``slo`` on burn-rate alerts; annotations ``summary``,
``description`` (with the humanized value), ``runbook_url``, ``dashboard_url`` and
``remediation`` when the spec gives one. Alerts read recorded series only.
"""
from __future__ import annotations

from . import kinds, naming, slo, slo_rules, targets
from .model import Alert, Kpi, Spec, seconds

UNIT_SUFFIX = {
    "seconds": "s", "milliseconds": " ms", "percent": " %", "ratio": "", "bytes": "B",
    "megabits_per_second": " Mbit/s", "requests_per_second": " req/s", "operations_per_second": " ops/s",
    "per_hour": "/h", "per_day": "/d", "count": "", "cores": " cores", "currency_per_hour": "/h",
    "currency_per_month": "/month", "currency_per_gb_month": "/GiB-month", "score": "", "times": "×",
}
VALUE = "{{ $value | humanize }}"
PERCENT = "{{ $value | humanizePercentage }}"


def kpi_rules(spec: Spec, kpi: Kpi) -> list[dict]:
    """Every alerting rule of one KPI, in spec order, then missing-source and target-down, then SLO rules."""
    rules = [_spec_alert(spec, kpi, a) for a in kpi.alerts]
    if kpi.critical_source and not any(a.absent for a in kpi.alerts):
        implicit = Alert(severity=next(iter(spec.routing.severities)), absent=True, for_=spec.defaults.absent_for,
                         name=naming.source_absent_alert_name(kpi))
        rules.append(_spec_alert(spec, kpi, implicit))
    down = targets.target_down(spec, kpi)
    if down is not None:
        rules.append(target_down_rule(spec, kpi, down))
    if kpi.slo is not None:
        rules += [burn_rule(spec, kpi, t) for t in slo.tiers(kpi)]
        if kpi.slo.no_data == "alert":
            rules.append(no_data_rule(spec, kpi))
    return rules


def condition_expr(spec: Spec, kpi: Kpi, alert: Alert) -> str:
    """The PromQL of one spec alert's condition, over the KPI's recorded series."""
    value = naming.value_record(kpi)
    if alert.condition == "when":
        return f"{value} {alert.when}"
    if alert.condition == "baseline":
        window = alert.baseline.window or spec.defaults.baseline_window
        return f"{value} > {alert.baseline.factor:g} * {naming.baseline_record(kpi, window)}"
    if alert.condition == "change":
        change = alert.change
        return f"({value} / ({value} offset {change.offset} > 0)) - 1 {change.when}"
    if alert.condition == "forecast":
        f = alert.forecast
        return f"predict_linear({value}[{f.lookback}], {seconds(f.horizon):g}) {f.when}"
    return f"absent({absent_selector(kpi)})"


def absent_selector(kpi: Kpi) -> str:
    """The series whose absence means the source vanished (with ``kpi`` when the record has it)."""
    record = kinds.presence_record(kpi)
    return record if "_bucket:" in record else f'{record}{{{naming.KPI_LABEL}="{kpi.id}"}}'


def base_labels(kpi: Kpi, severity: str) -> dict[str, str]:
    return {naming.SEVERITY: severity, naming.KPI_LABEL: kpi.id, naming.DOMAIN: kpi.domain,
            naming.FAMILY: kpi.id}


def _spec_alert(spec: Spec, kpi: Kpi, alert: Alert) -> dict:
    name = naming.alert_name(kpi, alert)
    labels = base_labels(kpi, alert.severity)
    if alert.escalation_trigger:
        labels[naming.TRIGGER] = naming.ESCALATION
    labels.update(alert.labels)
    summary, description = _texts(spec, kpi, alert)
    annotations = {"summary": alert.summary or summary, "description": alert.description or description,
                   **links(spec, kpi, name)}
    if alert.remediation:
        annotations["remediation"] = alert.remediation
    return {"alert": name, "expr": condition_expr(spec, kpi, alert), "for": alert.for_,
            "labels": labels, "annotations": annotations}


def burn_rule(spec: Spec, kpi: Kpi, tier: slo.BurnTier) -> dict:
    """One burn-rate tier as its own rule, so each can be switched off and routed by ``tier``."""
    name = naming.burn_alert_name(kpi)
    labels = {**kpi.slo.labels, **(kpi.slo.page_labels if tier.tier == "page" else kpi.slo.ticket_labels),
              **base_labels(kpi, slo.severity(kpi, tier)), naming.SLO: kpi.id, naming.TIER: tier.tier,
              naming.WINDOW_CLASS: tier.speed}  # ours last: an imported ``tier: "2"`` must not hide page/ticket
    objective = f"{kpi.slo.objective:g} % over {kpi.slo.period}"
    summary = kpi.slo.summary or f"{kpi.title}: error budget burning {tier.factor:g}x too fast ({tier.tier})"
    description = (f"Error ratio {PERCENT} over {tier.long}, and over {tier.short} too, is above "
                   f"{tier.factor:g} times the error budget of the SLO {objective}: "
                   f"{tier.budget_consumed:.0%} of the budget goes in {tier.long}.")
    return {"alert": name, "expr": slo_rules.burn_expr(spec.bundle.name, kpi, tier), "for": burn_for(tier),
            "labels": labels,
            "annotations": {"summary": summary, "description": description, **links(spec, kpi, name)}}


def burn_for(tier: slo.BurnTier) -> str:
    """The tier's ``for`` from the SLO (``slo.for``; page 2m, ticket 15m by default)."""
    return tier.for_


def target_down_rule(spec: Spec, kpi: Kpi, down: targets.TargetDown) -> dict:
    """``up == 0`` for a scrape target the KPI reads: per target, where ``absent()`` needs all gone."""
    name = naming.target_down_alert_name(kpi)
    target = "{{ $labels.instance }} (job {{ $labels.job }})"
    return {"alert": name, "expr": targets.down_expr(down), "for": down.for_,
            "labels": base_labels(kpi, down.severity),
            "annotations": {"summary": f"{kpi.title}: scrape target {target} down",
                            "description": f"Prometheus has failed to scrape {target} for {down.for_}: "
                                           f"{kpi.title} lacks that target's series and may look healthy while blind there.",
                            **links(spec, kpi, name)}}


def no_data_rule(spec: Spec, kpi: Kpi) -> dict:
    name = naming.slo_no_data_alert_name(kpi)
    window = slo.tiers(kpi, enabled_only=False)[0].long
    return {"alert": name, "expr": slo_rules.no_data_expr(spec.bundle.name, kpi), "for": "5m",
            "labels": {**kpi.slo.labels, **base_labels(kpi, kpi.slo.ticket_severity), naming.SLO: kpi.id},
            "annotations": {"summary": f"{kpi.title}: SLO has no data",
                            "description": f"No events for the SLO of {kpi.title} over {window}: "
                                           "its source is gone or traffic stopped; the budget is not being measured.",
                            **links(spec, kpi, name)}}


def links(spec: Spec, kpi: Kpi, alert_name: str) -> dict[str, str]:
    """``runbook_url`` from the KPI or bundle template, ``dashboard_url`` to the KPI's panel."""
    dashboard = naming.dashboard_url(spec.bundle, kpi)
    if dashboard is None:  # a KPI on no dashboard: link to the first audience's overview
        dashboard = f"{spec.bundle.grafana_url.rstrip('/')}/d/{naming.dashboard_uid(spec.bundle.name, next(iter(spec.audiences)))}"
    return {"runbook_url": naming.runbook_url(spec.bundle, kpi, alert_name), "dashboard_url": dashboard}


def _texts(spec: Spec, kpi: Kpi, alert: Alert) -> tuple[str, str]:
    """Default summary and description, in the KPI's unit."""
    unit = UNIT_SUFFIX.get(kpi.unit, "")
    title = kpi.title
    if alert.condition == "when":
        return (f"{title} {alert.when}{unit}", f"{title} is {VALUE}{unit} (alert when {alert.when}{unit}).")
    if alert.condition == "baseline":
        window = alert.baseline.window or spec.defaults.baseline_window
        return (f"{title} above {alert.baseline.factor:g}x its {window} baseline",
                f"{title} is {VALUE}{unit}, more than {alert.baseline.factor:g} times its {window} baseline.")
    if alert.condition == "change":
        c = alert.change
        return (f"{title} changed {c.when.op} {c.when.value:+.0%} against {c.offset} ago",
                f"{title} changed by {PERCENT} against the same time {c.offset} ago "
                f"(alert when {c.when.op} {c.when.value:+.0%}).")
    if alert.condition == "forecast":
        f = alert.forecast
        return (f"{title} predicted {f.when}{unit} within {f.horizon}",
                f"At the trend of the last {f.lookback}, {title} reaches {VALUE}{unit} within {f.horizon} "
                f"(alert when {f.when}{unit}).")
    return (f"{title}: source data missing",
            f"No data for {title} for {alert.for_}: the exporter is down or its series are gone.")
