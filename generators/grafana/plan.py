"""Plan one audience's dashboard from the spec: plain data, no Grafana JSON yet.

A plan says which panels an audience sees (its summary panels, then one row per domain,
ordered by layer so the performance view reads application -> platform -> infrastructure),
what each panel queries, how it is coloured, and where it sits on the 24-column grid.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import naming
from ..model import Audience, AudiencePanel, Kpi, Spec
from . import queries
from .layout import place
from .queries import Query
from .style import Step, resolution, threshold_steps

DEFAULT_PANEL = {"quantile": "timeseries", "ratio": "timeseries", "rate": "timeseries",
                 "gauge": "stat", "expression": "timeseries"}
"""Panel type of a KPI whose audience entry is ``null``, by kind."""
LAYERS = ["application", "platform", "infrastructure"]
RECIPE_UNITS = {"health_score": "percent", "bottlenecks": "ratio", "below_target_band": "percent",
                "firing_alerts": "count", "query": None}


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass
class PanelPlan:
    """One panel: identity, what it shows and how; ``pos`` is (x, y, w, h) once placed."""

    key: str
    id: int
    type: str
    title: str
    description: str
    queries: list[Query]
    unit: str | None = None
    decimals: int | None = None
    steps: list[Step] = field(default_factory=lambda: [Step(None, "green")])
    links: list[Link] = field(default_factory=list)
    pos: tuple[int, int, int, int] = (0, 0, 0, 0)


@dataclass
class RowPlan:
    key: str
    id: int
    title: str
    panels: list[PanelPlan]
    y: int = 0


@dataclass
class DashboardPlan:
    audience: str
    uid: str
    title: str
    description: str
    refresh: str
    time_from: str
    tags: list[str]
    filters: dict[str, str]
    """Filter variable name -> its ``label_values`` query."""
    alert_expr: str
    links: list[Link]
    rows: list[RowPlan]


def plan(spec: Spec, name: str) -> DashboardPlan:
    """The whole dashboard of audience ``name``."""
    audience = spec.audiences[name]
    kpis = [k for k in spec.kpis if name in k.audiences]
    filters = _filters(audience, kpis)
    rows = []
    summary = [p for p in (_summary_panel(spec, name, s, kpis) for s in audience.panels) if p]
    if summary:
        rows.append(_row(name, "summary", "Summary", summary))
    for domain in _domains(spec, kpis):
        title = spec.domains[domain].title
        layer = spec.domains[domain].layer
        panels = [_kpi_panel(spec, name, k, filters, audience.refresh) for k in kpis if k.domain == domain]
        rows.append(_row(name, domain, f"{title} ({layer} layer)" if layer else title, panels))
    place(rows)
    return DashboardPlan(
        audience=name, uid=naming.dashboard_uid(spec.bundle.name, name), title=audience.title,
        description=audience.description, refresh=audience.refresh, time_from=audience.time,
        tags=[naming.DASHBOARD_TAG, spec.bundle.name, "kiro" if audience.kiro else "audience"],
        filters={label: queries.label_values(kpis, label, audience.refresh) for label in filters},
        alert_expr=queries.alert_annotation(kpis) if kpis else "",
        links=[Link(other.title, f"/d/{naming.dashboard_uid(spec.bundle.name, key)}")
               for key, other in spec.audiences.items() if key != name],
        rows=rows)


def panel_type(kpi: Kpi, audience: str) -> str:
    return kpi.audiences[audience] or DEFAULT_PANEL[kpi.source.kind]


def _filters(audience: Audience, kpis: list[Kpi]) -> list[str]:
    kept = [label for k in kpis for label in k.source.by]
    wanted = audience.filters if audience.filters is not None else kept
    return [label for label in dict.fromkeys(wanted) if label in kept]


def _domains(spec: Spec, kpis: list[Kpi]) -> list[str]:
    used = {k.domain for k in kpis}
    order = [d for d in spec.domains if d in used]
    return sorted(order, key=lambda d: LAYERS.index(spec.domains[d].layer)
                  if spec.domains[d].layer in LAYERS else len(LAYERS))


def _row(audience: str, key: str, title: str, panels: list[PanelPlan]) -> RowPlan:
    row_key = naming.row_panel_key(key)
    return RowPlan(row_key, naming.panel_id(row_key, audience), title, panels)


def _kpi_panel(spec: Spec, audience: str, kpi: Kpi, filters: list[str], refresh: str) -> PanelPlan:
    kind = panel_type(kpi, audience)
    alerts = [(a.severity, a.when) for a in kpi.alerts if a.when is not None]
    description = kpi.description + (f" Target: {kpi.target}." if kpi.target else "")
    return PanelPlan(
        key=kpi.id, id=naming.panel_id(kpi, audience), type=kind, title=kpi.title,
        description=description.strip(), queries=queries.kpi_queries(kpi, kind, filters, refresh),
        unit=kpi.unit, decimals=kpi.decimals,
        steps=threshold_steps(kpi.target, alerts, resolution(kpi.unit, kpi.decimals)),
        links=[Link(f"Runbook: {kpi.title}", naming.runbook_url(spec.bundle, kpi))])


def _summary_panel(spec: Spec, audience: str, panel: AudiencePanel, kpis: list[Kpi]) -> PanelPlan | None:
    query = _recipe(spec, panel, kpis)
    if query is None:
        return None
    key = naming.summary_panel_key(panel.id)
    return PanelPlan(
        key=key, id=naming.panel_id(key, audience), type=panel.panel, title=panel.title,
        description=panel.description, queries=query, unit=panel.unit or RECIPE_UNITS[panel.show],
        decimals=panel.decimals, steps=threshold_steps(panel.target, [], panel.decimals))


def _recipe(spec: Spec, panel: AudiencePanel, kpis: list[Kpi]) -> list[Query] | None:
    table = panel.panel == "table"
    if panel.show == "query":
        return [Query(q.expr, q.legend, instant=table, format="table" if table else "time_series")
                for q in panel.queries]
    if panel.show == "health_score":
        one = queries.health_score(None if panel.scope == "platform" else kpis)
    elif panel.show == "bottlenecks":
        one = queries.bottlenecks(spec, kpis, panel.limit)
    elif panel.show == "below_target_band":
        one = queries.below_target_band(kpis, panel.limit)
    else:
        one = queries.firing_alerts(kpis) if kpis else None
    if one is None:
        return None
    return [Query(one.expr, one.legend, instant=one.instant or table, format="table" if table else one.format)]
