"""The labels every generated alert carries, derived from the model alone.

This is the contract between the alerting rules and Alertmanager routing: the rules
builder labels its alerts with these functions, and routing (receivers, inhibition,
route tests) is checked against ``all_alerts(spec)``, so neither side reads the
other's output. Labels whose values are known from the spec are in ``labels``; the
KPI's ``by`` labels, whose values come from the series at run time, are in ``series_labels``.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from . import naming, targets
from .escalation import climb, escalated_labels
from .model import Alert, Kpi, Spec, duration_from_seconds

CONTRACT_LABELS = frozenset({
    naming.ALERTNAME, naming.SEVERITY, naming.KPI_LABEL, naming.DOMAIN,
    naming.FAMILY, naming.TIER, naming.SLO, naming.ESCALATED_FROM,
    naming.ESCALATED_ALERT, naming.WINDOW_CLASS,
})
"""Labels the bundle sets itself: a KPI's ``by`` or an alert's ``labels`` must not reuse them."""


@dataclass(frozen=True)
class AlertLabelSet:
    """One generated alert as routing sees it."""

    origin: str
    """Where the alert comes from in the spec (``kpis[9].alerts[0]``), for messages."""
    alertname: str
    """The alert's name, as ``generators.naming`` derives it (escalation copies name their original)."""
    labels: dict[str, str]
    series_labels: tuple[str, ...] = field(default=())

    @property
    def keys(self) -> set[str]:
        """Every label key the alert carries, ``alertname`` included."""
        return {naming.ALERTNAME, *self.labels, *self.series_labels}

    def can_match(self, matchers: dict[str, str]) -> bool:
        """Whether the alert can match every ``key="value"`` of ``matchers`` as Alertmanager compares
        them: a label it lacks is the empty string, a series label may take any value at run time."""
        return all(self._can_be(key, value) for key, value in matchers.items())

    def _can_be(self, key: str, value: str) -> bool:
        if key == naming.ALERTNAME:
            return self.alertname == value
        if key in self.labels:
            return self.labels[key] == value
        return key in self.series_labels or value == ""


def kpi_labels(kpi: Kpi) -> dict[str, str]:
    """Labels every alert of a KPI carries."""
    return {naming.KPI_LABEL: kpi.id, naming.DOMAIN: kpi.domain, naming.FAMILY: kpi.id}


def alert_labels(kpi: Kpi, alert: Alert) -> dict[str, str]:
    """The static labels of one spec alert: its own ``labels``, then the contract's (which win)."""
    labels = {**alert.labels, **kpi_labels(kpi), naming.SEVERITY: alert.severity}
    if alert.escalation_trigger:
        labels[naming.TRIGGER] = naming.ESCALATION
    return labels


def burn_rate_labels(kpi: Kpi, tier: str, speed: str | None = None) -> dict[str, str]:
    """The static labels of a burn-rate alert of ``tier`` (``page`` or ``ticket``) of the KPI's SLO."""
    severity = kpi.slo.page_severity if tier == naming.TIER_PAGE else kpi.slo.ticket_severity
    labels = {**kpi_labels(kpi), naming.SEVERITY: severity, naming.TIER: tier, naming.SLO: kpi.id}
    if speed is not None:
        labels[naming.WINDOW_CLASS] = speed
    return labels


def burn_rate_tiers(kpi: Kpi) -> list[tuple[str, str]]:
    """The enabled burn-rate tiers of a KPI's SLO as ``(tier, speed)``: ``("page", "fast")``…"""
    if kpi.slo is None:
        return []
    names = ("page_fast", "page_slow", "ticket_fast", "ticket_slow")
    return [tuple(name.split("_")) for name in names if getattr(kpi.slo.tiers, name)]


def implicit_alerts(spec: Spec, i: int, kpi: Kpi) -> list[AlertLabelSet]:
    """Alerts the rules add without a spec entry: missing source, target down, burn-rate tiers, SLO without data.

    Their names belong to the alerting rules; routing only needs their labels.
    """
    by, here = tuple(kpi.source.by), f"kpis[{i}]"
    out = []
    if kpi.critical_source and not any(a.absent for a in kpi.alerts):
        most_severe = next(iter(spec.routing.severities))
        out.append(AlertLabelSet(f"{here}.critical_source", naming.source_absent_alert_name(kpi),
                                 {**kpi_labels(kpi), naming.SEVERITY: most_severe}, by))
    down = targets.target_down(spec, kpi)
    if down is not None:  # ``up`` of the target: its job and instance, not the KPI's labels
        out.append(AlertLabelSet(f"{here}.critical_source (target down)", naming.target_down_alert_name(kpi),
                                 {**kpi_labels(kpi), naming.SEVERITY: down.severity}, targets.TARGET_LABELS))
    for tier, speed in burn_rate_tiers(kpi):
        out.append(AlertLabelSet(f"{here}.slo ({tier} tier, {speed})", naming.burn_alert_name(kpi),
                                 burn_rate_labels(kpi, tier, speed), by))
    if kpi.slo is not None and kpi.slo.no_data == "alert":
        out.append(AlertLabelSet(f"{here}.slo.no_data", naming.slo_no_data_alert_name(kpi),
                                 {**kpi_labels(kpi), naming.SEVERITY: kpi.slo.ticket_severity, naming.SLO: kpi.id},
                                 by))
    return out


def all_alerts(spec: Spec) -> list[AlertLabelSet]:
    """Every alert the bundle generates (spec alerts, implicit ones, escalations), in spec order."""
    out: list[AlertLabelSet] = []
    for i, kpi in enumerate(spec.kpis):
        by = tuple(kpi.source.by)
        for j, alert in enumerate(kpi.alerts):
            out.append(AlertLabelSet(f"kpis[{i}].alerts[{j}]", naming.alert_name(kpi, alert),
                                     alert_labels(kpi, alert), by))
        out += implicit_alerts(spec, i, kpi)
    return out + escalated(spec, out)


def escalated(spec: Spec, alerts: list[AlertLabelSet]) -> list[AlertLabelSet]:
    """The escalation copies of ``alerts``: one per level each climbs (``escalation.climb``)."""
    return [AlertLabelSet(f"{a.origin} escalated after {duration_from_seconds(waited)}",
                          naming.escalated_alert_name(a.alertname, e.to_severity),
                          escalated_labels(a.labels, a.alertname, e), a.series_labels)
            for a in alerts for e, waited in climb(spec, a.labels)]
