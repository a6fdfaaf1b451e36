"""Audiences (who looks at a dashboard and how often) and KPI domains (how rules are grouped)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from .base import Duration, Frozen, Identifier, LabelName, TargetSpec
from .kpi import PanelType, Unit


class PanelQuery(Frozen):
    """One raw PromQL query of a ``query`` panel: for views no single KPI gives (before/after tables)."""

    expr: str
    legend: str = ""
    """Grafana legend format, e.g. ``{{id}} ({{strategy}})``; also the table column name."""
    unit: Unit | None = None
    """Unit of this table column, when it differs from the panel's (currency next to percent)."""


class AudiencePanel(Frozen):
    """A panel of one audience's dashboard that is not one KPI's value.

    ``show`` picks a recipe whose PromQL is derived from generated series names (the spec
    never spells record names): ``health_score`` averages every KPI's target-met series,
    ``bottlenecks`` lists the KPIs furthest above their baseline, ``below_target_band`` the
    utilisation KPIs under their band (over-provisioned), ``firing_alerts`` the alerts firing
    now, and ``query`` runs the raw ``queries`` given here (source series only).
    """

    id: Identifier
    title: str
    description: str = ""
    show: Literal["health_score", "bottlenecks", "below_target_band", "firing_alerts", "query"]
    panel: PanelType = "stat"
    unit: Unit | None = None
    """A KPI unit (``percent``, ``ratio``…); defaults to the recipe's own unit."""
    decimals: int | None = None
    limit: int = Field(10, gt=0, le=50)
    """How many series top-k style recipes keep."""
    target: TargetSpec | None = None
    """Colour thresholds as a KPI target (``"> 90"``, ``"70..80"``), e.g. for the health score."""
    queries: list[PanelQuery] = []
    scope: Literal["dashboard", "platform"] = "dashboard"
    """Whether a health score covers this dashboard's KPIs or every KPI of the platform."""

    @model_validator(mode="after")
    def _queries_only_for_query(self) -> "AudiencePanel":
        if (self.show == "query") != bool(self.queries):
            raise ValueError('"queries" is needed by show: query and only by it')
        if self.panel != "table" and any(q.unit for q in self.queries):
            raise ValueError('a query\'s "unit" is a table column\'s: use the panel\'s "unit" here')
        return self


class Audience(Frozen):
    """A dashboard audience of the seed: executive, operational, performance engineering, FinOps."""

    title: str
    refresh: Duration
    team: str = ""
    """Who reads it (the seed's ``leadership_team``, ``platform_team``…)."""
    description: str = ""
    covers: list[str] = []
    """The seed's dashboard items this audience's dashboard stands for."""
    time: Duration = "6h"
    """Default time range shown (``now-<time>`` to now): a week for executives, hours for operators."""
    filters: list[LabelName] | None = None
    """Labels offered as dashboard filters; ``null`` offers every label its KPIs keep."""
    panels: list[AudiencePanel] = []
    """Summary panels shown above the per-domain rows (health score, bottlenecks…)."""
    kiro: bool = False
    """A Kiro area dashboard (hooks, MCP, autonomy) rather than one of the seed's four audiences."""

    @model_validator(mode="after")
    def _unique_panel_ids(self) -> "Audience":
        ids = [p.id for p in self.panels]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate panel ids: {', '.join(duplicates)}")
        return self


class Domain(Frozen):
    """A group of related KPIs: one rule group and one dashboard row each."""

    title: str
    interval: Duration = "1m"
    """Rule evaluation interval, fitting the seed's collection frequency for these metrics."""
    long_interval: Duration | None = None
    """Interval of the domain's ``long`` group (hour and day averages, baselines, SLO periods);
    unset: the domain interval, at least 5 m. The fast overlay sets 30 s, so a test sees them in minutes."""
    layer: str = ""
    """The seed's layer (application, platform, infrastructure) for per-layer views."""


__all__ = ["Audience", "AudiencePanel", "Domain", "PanelQuery"]
