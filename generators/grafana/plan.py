"""Plan one audience's dashboard from the spec: plain data, no Grafana JSON yet.

A plan says which panels an audience sees (its summary panels, then one row per domain,
ordered by layer so the performance view reads application -> platform -> infrastructure),
what each panel queries, how it is coloured, and where it sits on the 24-column grid.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import naming
from ..model import Audience, AudiencePanel, Comparison, Kpi, Spec, Target
from . import queries
from .filters import Filter, plan_filters, variables
from .layout import place
from .queries import Query
from .style import Step, resolution, threshold_steps, value_range

DEFAULT_PANEL = {"quantile": "timeseries", "ratio": "timeseries", "rate": "timeseries",
                 "gauge": "stat", "expression": "timeseries"}
"""Panel type of a KPI whose audience entry is ``null``, by kind."""
LAYERS = ["application", "platform", "infrastructure"]
RECIPE_UNITS = {"health_score": "percent", "bottlenecks": "times", "below_target_band": "percent",
                "firing_alerts": "count", "query": None}
AS_USUAL = Target(op="<=", value=1.0)
"""A bottleneck bar's healthy side: value / baseline at or below 1, no worse than usual."""
BOTTLENECK_HEADROOM = 1.5
"""The bottleneck bars end at this multiple of the largest baseline alert factor."""


@dataclass(frozen=True)
class Link:
    title: str
    url: str


@dataclass(frozen=True)
class FieldOverride:
    """Settings for some of a panel's fields only: a table column by name, or series by a regex
    over their display name (``unit`` is a spec unit; ``steps`` replace the thresholds)."""

    match: str
    regex: bool = False
    unit: str | None = None
    steps: tuple[Step, ...] = ()


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
    range: tuple[float, float] | None = None
    """Fixed (min, max) of gauges, bar gauges and tables; None lets Grafana scale to the data."""
    overrides: list[FieldOverride] = field(default_factory=list)
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
    filters: list[Filter]
    alert_expr: str
    links: list[Link]
    rows: list[RowPlan]


def plan(spec: Spec, name: str) -> DashboardPlan:
    """The whole dashboard of audience ``name``."""
    audience = spec.audiences[name]
    kpis = [k for k in spec.kpis if name in k.audiences]
    filters = plan_filters(spec, kpis, _filter_labels(audience, kpis), audience.refresh)
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
        filters=filters,
        alert_expr=queries.alert_annotation(kpis) if kpis else "",
        links=[Link(other.title, f"/d/{naming.dashboard_uid(spec.bundle.name, key)}")
               for key, other in spec.audiences.items() if key != name],
        rows=rows)


def panel_type(kpi: Kpi, audience: str) -> str:
    return kpi.audiences[audience] or DEFAULT_PANEL[kpi.source.kind]


def _filter_labels(audience: Audience, kpis: list[Kpi]) -> list[str]:
    """The audience's ``filters`` (default: every label its KPIs keep), kept only where a KPI has it."""
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


def _kpi_panel(spec: Spec, audience: str, kpi: Kpi, filters: list[Filter], refresh: str) -> PanelPlan:
    kind = panel_type(kpi, audience)
    alerts = [(a.severity, a.when) for a in kpi.alerts if a.when is not None]
    description = kpi.description + (f" Target: {kpi.target}." if kpi.target else "")
    return PanelPlan(
        key=kpi.id, id=naming.panel_id(kpi, audience), type=kind, title=kpi.title,
        description=description.strip(), queries=queries.kpi_queries(kpi, kind, variables(filters, kpi), refresh),
        unit=kpi.unit, decimals=kpi.decimals, range=value_range(kpi.unit),
        steps=threshold_steps(kpi.target, alerts, resolution(kpi.unit, kpi.decimals)),
        links=[Link(f"Runbook: {kpi.title}", naming.runbook_url(spec.bundle, kpi))])


def _summary_panel(spec: Spec, audience: str, panel: AudiencePanel, kpis: list[Kpi]) -> PanelPlan | None:
    query = _recipe(spec, panel, kpis)
    if query is None:
        return None
    key = naming.summary_panel_key(panel.id)
    unit = panel.unit or RECIPE_UNITS[panel.show]
    plan = PanelPlan(
        key=key, id=naming.panel_id(key, audience), type=panel.panel, title=panel.title,
        description=panel.description, queries=query, unit=unit, decimals=panel.decimals,
        steps=threshold_steps(panel.target, [], panel.decimals), range=value_range(unit))
    plan.overrides = _column_units(panel, plan)
    if panel.show == "bottlenecks":
        _scale_bottlenecks(spec, panel, kpis, plan)
    return plan


def column_names(panel: PanelPlan) -> list[str]:
    """The table column each query's values land in: the panel title for a single query,
    else each query's legend (its expression when it has none)."""
    if len(panel.queries) == 1:
        return [panel.title]
    return [q.legend or q.expr for q in panel.queries]


def _column_units(panel: AudiencePanel, plan: PanelPlan) -> list[FieldOverride]:
    """One unit override per table column whose query names a unit (the spec allows it on tables only)."""
    names = column_names(plan) if panel.show == "query" else []
    return [FieldOverride(name, unit=q.unit) for name, q in zip(names, panel.queries) if q.unit]


def _scale_bottlenecks(spec: Spec, panel: AudiencePanel, kpis: list[Kpi], plan: PanelPlan) -> None:
    """Bars of value / baseline (1× = usual), each coloured by its own KPI's baseline alerts.

    One panel-wide limit would paint p95 (critical above 1.2×) and p99 (warning above 2×)
    alike, so every KPI gets a threshold override; the bars end with room above the
    largest factor.
    """
    decimals = resolution(plan.unit, panel.decimals)
    factors = {k.id: found for k in kpis if (found := _baseline_factors(spec, k))}
    if panel.target is None:
        plan.steps = threshold_steps(AS_USUAL, [], decimals)
    plan.range = (0, BOTTLENECK_HEADROOM * max(f for found in factors.values() for _, f in found))
    plan.overrides += [FieldOverride(_kpi_series(kpi), regex=True, steps=tuple(_factor_steps(found, decimals)))
                       for kpi, found in factors.items()]


def _kpi_series(kpi_id: str) -> str:
    """A regex for the display names of one KPI's series: the recipe's legend starts with ``{{kpi}}``."""
    return f"^{kpi_id}(\\s|$)"


def _factor_steps(factors: list[tuple[str, float]], decimals: int | None) -> list[Step]:
    """Green up to 1×, yellow above, each baseline alert's colour past its factor."""
    return threshold_steps(AS_USUAL, [(severity, Comparison(op=">", value=factor)) for severity, factor in factors],
                           decimals)


def _baseline_factors(spec: Spec, kpi: Kpi) -> list[tuple[str, float]]:
    """(severity, factor) of each baseline alert comparing with the baseline the panel divides by."""
    window = queries.baseline_window(spec, kpi)
    return [(a.severity, a.baseline.factor) for a in kpi.alerts
            if a.baseline is not None and (a.baseline.window or spec.defaults.baseline_window) == window]


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
