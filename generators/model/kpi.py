"""A KPI: where its value comes from (its kind), what good looks like, and who gets told.

The kind of a KPI decides how it is recorded, alerted on and plotted (see ``generators.kinds``);
everything here is plain validated data.
"""
from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import BeforeValidator, Field, model_validator

from .base import IDENTIFIER_SCHEMA, AlsoAccepts, Condition, Duration, Frozen, Identifier, LabelName, TargetSpec

PanelType = Literal["stat", "timeseries", "gauge", "bargauge", "table", "heatmap"]
Severity = Identifier
Unit = Literal[
    "seconds", "milliseconds", "percent", "ratio", "bytes", "megabits_per_second",
    "requests_per_second", "operations_per_second", "per_hour", "per_day", "count",
    "cores", "currency_per_hour", "currency_per_month", "currency_per_gb_month", "score", "times",
]


def _one_or_many(value: object) -> object:
    return [value] if isinstance(value, str) else value


Selectors = Annotated[list[str], BeforeValidator(_one_or_many), AlsoAccepts({"type": "string"})]
"""PromQL selectors; one may be written as a plain string instead of a one-item list."""


class _Source(Frozen):
    """Fields every kind shares: the label matchers added to its series and the labels it keeps."""

    by: list[LabelName] = []
    """Labels the KPI keeps (``service``, ``instance``…): one value per combination."""
    window: Duration = "5m"
    """The rate window of the fast recorded series; slower windows are derived from it."""
    scale: float = 1.0
    """Multiply the raw value into the KPI's unit (100 for percent, 1000 for ms, 8/1e6 for Mbit/s)."""


class QuantileSource(_Source):
    """A percentile of a Prometheus histogram: ``histogram_quantile(q, sum by (le, …) (rate(x_bucket[w])))``."""

    kind: Literal["quantile"]
    metric: str
    """The histogram's base name, without ``_bucket``."""
    quantile: float = Field(gt=0, lt=1)
    selector: str = ""
    """Label matchers without braces, e.g. ``reporter="source"``."""


class RatioSource(_Source):
    """A ratio of two counters' rates: numerator / denominator, absent (not NaN) with no traffic."""

    kind: Literal["ratio"]
    numerator: Selectors
    """Counter selectors summed into the numerator, e.g. ``http_requests_total{code=~"5.."}``."""
    denominator: Selectors
    """Counter selectors summed into the denominator (hits and misses for a hit ratio)."""
    numerator_counts: Literal["errors", "successes"] = "errors"
    """Whether the numerator counts bad events (error rate) or good ones (availability); SLOs need it."""


class RateSource(_Source):
    """Per-second rate of one or more counters, summed by ``by`` (scale 3600 for per hour)."""

    kind: Literal["rate"]
    counters: Selectors


class GaugeSource(_Source):
    """A gauge aggregated by ``by`` (``avg``, ``sum``, ``max``, ``min``)."""

    kind: Literal["gauge"]
    metric: str
    """The gauge selector, e.g. ``node_total_hourly_cost`` or ``probe_success{job="web"}``."""
    aggregation: Literal["avg", "sum", "max", "min"] = "avg"


class ExpressionSource(_Source):
    """Raw PromQL for what no other kind expresses; ``by`` must list the labels it returns."""

    kind: Literal["expression"]
    expr: str


Source = Annotated[
    Union[QuantileSource, RatioSource, RateSource, GaugeSource, ExpressionSource],
    Field(discriminator="kind"),
]


class BaselineRule(Frozen):
    """Alert when the value exceeds ``factor`` times its own average over ``window`` (p95 > baseline × 1.5)."""

    factor: float = Field(gt=0)
    window: Duration | None = None
    """Defaults to the spec's ``defaults.baseline_window`` (7d)."""


class ChangeRule(Frozen):
    """Alert on the relative change against ``offset`` ago: ``value / value offset 1w - 1`` compared with ``when``."""

    offset: Duration = "1w"
    when: Condition
    """A fraction: ``"< -0.2"`` is a drop of more than 20 %, ``"> 0.1"`` a rise of more than 10 %."""


class ForecastRule(Frozen):
    """Alert when ``predict_linear`` over ``lookback`` says the value crosses ``when`` within ``horizon``."""

    horizon: Duration = "24h"
    lookback: Duration = "6h"
    when: Condition


class Alert(Frozen):
    """One alerting rule of a KPI: exactly one condition, a severity, and how long it must hold."""

    severity: Severity
    when: Condition | None = None
    """Static threshold on the KPI value, in the KPI's unit."""
    baseline: BaselineRule | None = None
    change: ChangeRule | None = None
    forecast: ForecastRule | None = None
    absent: bool = False
    """Fire when the KPI's source series vanish (exporter down), instead of going silent."""
    for_: Duration = Field("5m", alias="for")
    name: str | None = None
    """Alert name; derived from the KPI id and condition when omitted."""
    summary: str | None = None
    description: str | None = None
    remediation: str | None = None
    """A suggested automated remediation, shown in notifications."""
    escalation_trigger: bool = False
    """Part of the daily cycle's escalation triggers (labelled ``trigger="escalation"``)."""
    labels: dict[LabelName, str] = {}

    model_config = {**Frozen.model_config, "populate_by_name": True}

    @model_validator(mode="after")
    def _one_condition(self) -> "Alert":
        given = [n for n in ("when", "baseline", "change", "forecast") if getattr(self, n) is not None]
        given += ["absent"] if self.absent else []
        if len(given) != 1:
            raise ValueError(
                "needs exactly one condition of when, baseline, change, forecast, absent"
                + (f" (got {', '.join(given)})" if given else ""))
        return self

    @property
    def condition(self) -> str:
        """Which condition this alert uses: ``when``, ``baseline``, ``change``, ``forecast`` or ``absent``."""
        for name in ("when", "baseline", "change", "forecast"):
            if getattr(self, name) is not None:
                return name
        return "absent"


class BurnRateTiers(Frozen):
    """Switch the SRE workbook's burn-rate tiers on or off one by one."""

    page_fast: bool = True
    page_slow: bool = True
    ticket_fast: bool = True
    ticket_slow: bool = True


class BurnWindow(Frozen):
    """One burn-rate tier stated as "alert when ``budget_consumed`` of the budget burns within ``long``".

    The factor follows: ``budget_consumed × period / long`` (2 % in 1 h of 30 d is 14.4).
    """

    long: Duration
    short: Duration | None = None
    """Defaults to ``long / 12``, as in the SRE workbook."""
    budget_consumed: float = Field(gt=0, le=1)
    """Fraction of the period's error budget, e.g. 0.02."""


TierName = Literal["page_fast", "page_slow", "ticket_fast", "ticket_slow"]
BURN_FOR_DEFAULTS = {"page": "2m", "ticket": "15m"}
"""``for`` of the burn-rate alerts unless the SLO says otherwise: a page fires almost at once
(the short window already debounces it), a ticket waits out brief bursts."""


class Slo(Frozen):
    """An SLO on a ratio KPI, alerted with multiwindow multi-burn-rate rules."""

    model_config = {**Frozen.model_config, "populate_by_name": True}

    objective: float = Field(gt=0, lt=100)
    """Percent of good events, e.g. 99.9."""
    period: Duration = "30d"
    tiers: BurnRateTiers = BurnRateTiers()
    windows: dict[TierName, BurnWindow] = {}
    """Per-tier overrides; by default the SRE workbook's 30-day windows scaled to ``period``."""
    for_: dict[Literal["page", "ticket"] | TierName, Duration] = Field({}, alias="for")
    """How long a tier's windows must both burn before its alert fires (the alert's ``for``), by
    tier (``page_fast``…) or for both speeds of ``page``/``ticket``; the tier name wins.
    Defaults: page 2m, ticket 15m. OpenSLO's ``alertAfter`` lands here."""
    name: str | None = None
    """The SLO's name in Sloth's labels (``sloth_slo``); defaults to the KPI id."""
    service: str | None = None
    """The service in Sloth's labels (``sloth_service``); defaults to the bundle name."""
    alert_name: str | None = None
    """Name of the burn-rate alerts; defaults to ``<KpiId>ErrorBudgetBurn``."""
    labels: dict[LabelName, str] = {}
    """Extra labels on every SLO series and alert (Sloth's ``labels``)."""
    page_labels: dict[LabelName, str] = {}
    ticket_labels: dict[LabelName, str] = {}
    summary: str | None = None
    min_traffic: float = 0.0
    """Minimum events per second, averaged over the tier's long window, before a burn-rate alert
    may fire: a quiet service's few errors would otherwise look like a burn in both windows."""
    no_data: Literal["ok", "alert"] = "ok"
    """``alert`` adds a rule that fires when the SLI has no data for the page window."""
    page_severity: Severity = "critical"
    ticket_severity: Severity = "warning"


def _list_means_default_panels(value: object) -> object:
    return {name: None for name in value} if isinstance(value, list) else value


AudiencePanels = Annotated[dict[Identifier, PanelType | None], BeforeValidator(_list_means_default_panels),
                           AlsoAccepts({"type": "array", "items": IDENTIFIER_SCHEMA})]
"""Audience -> panel type; a plain list of audiences picks each kind's default panel."""


class Kpi(Frozen):
    """One KPI of the spec: source query, unit, target, alerts, SLO, audiences, runbook."""

    id: Identifier
    title: str
    description: str = ""
    domain: Identifier
    unit: Unit
    decimals: int | None = None
    source: Source
    target: TargetSpec | None = None
    alerts: list[Alert] = []
    slo: Slo | None = None
    audiences: AudiencePanels = {}
    """Audience -> panel type (``null`` picks the kind's default), or a list of audiences."""
    runbook: str | None = None
    """Runbook URL; defaults to the bundle's ``runbook_url`` template."""
    covers: list[str] = []
    """The seed document's snake_case names this KPI stands for."""
    critical_source: bool = False
    """Alert when the source disappears (``absent``) even without an explicit absent alert."""
