"""Dashboard plans to Grafana dashboard JSON through grafanalib: the one module speaking camelCase.

grafanalib builds the structure (dashboard, templating, rows, panels, targets); fields it
only knows in their legacy form (gauge and bar gauge options, table cell colours) are set
through ``extraJson``, and ``normalise`` removes what the current schema no longer has.
"""
from __future__ import annotations

import json

from grafanalib import core as g
from grafanalib._gen import DashboardEncoder

from .. import naming
from .filters import Filter
from .normalise import normalise
from .plan import DashboardPlan, FieldOverride, Link, PanelPlan, RowPlan, column_names
from .style import Step, grafana_unit

SCHEMA_VERSION = 42
"""Grafana 12.3's dashboard schema version (the JSON schema the tests validate against)."""
DATASOURCE = {"type": "prometheus", "uid": f"${{{naming.DATASOURCE_VARIABLE}}}"}
REFRESH_INTERVALS = ["5s", "10s", "30s", "1m", "5m", "15m", "30m", "1h", "2h", "1d"]
ANNOTATION_STEP = "60s"
REDUCE = {"calcs": ["lastNotNull"], "fields": "", "values": False}


def render(plan: DashboardPlan) -> dict:
    """The dashboard as schema-valid JSON data (insertion order kept: the writer must not sort)."""
    panels: list = []
    for row in plan.rows:
        panels.append(_row(row))
        panels += [_panel(p) for p in row.panels]
    dashboard = g.Dashboard(
        title=plan.title, uid=plan.uid, description=plan.description, tags=plan.tags,
        editable=False, graphTooltip=g.GRAPH_TOOLTIP_MODE_SHARED_CROSSHAIR, refresh=plan.refresh,
        time=g.Time(f"now-{plan.time_from}", "now"), timezone="utc",
        timePicker=g.TimePicker(refreshIntervals=_intervals(plan.refresh), timeOptions=[]),
        templating=g.Templating([_datasource_variable(), *(_filter(f) for f in plan.filters)]),
        annotations=g.Annotations(_annotations(plan)),
        links=[_link(link, icon="dashboard", keep_time=True) for link in plan.links],
        panels=panels, schemaVersion=SCHEMA_VERSION)
    return normalise(json.loads(json.dumps(dashboard.to_json_data(), cls=DashboardEncoder)))


def _intervals(refresh: str) -> list[str]:
    return REFRESH_INTERVALS if refresh in REFRESH_INTERVALS else [*REFRESH_INTERVALS, refresh]


def _datasource_variable() -> g.Template:
    return g.Template(name=naming.DATASOURCE_VARIABLE, label="Data source", query="prometheus",
                      type="datasource", regex="", refresh=g.REFRESH_ON_DASHBOARD_LOAD)


def _filter(variable: Filter) -> g.Template:
    return g.Template(name=variable.name, label=variable.title, query=variable.query, dataSource=DATASOURCE,
                      default="$__all", includeAll=True, multi=True, allValue=".*", regex="",
                      refresh=g.REFRESH_ON_TIME_RANGE_CHANGE, sort=g.SORT_ALPHA_ASC)


def _annotations(plan: DashboardPlan) -> list[dict]:
    builtin = {"builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"}, "enable": True,
               "hide": True, "iconColor": "rgba(0, 211, 255, 1)", "name": "Annotations & Alerts",
               "type": "dashboard"}
    if not plan.alert_expr:
        return [builtin]
    alerts = {"datasource": DATASOURCE, "enable": True, "hide": False, "iconColor": "red",
              "name": "Firing alerts", "expr": plan.alert_expr, "step": ANNOTATION_STEP,
              "titleFormat": "{{alertname}}", "textFormat": "{{severity}}: {{kpi}}",
              "tagKeys": "severity,kpi", "useValueForTime": False}
    return [builtin, alerts]


def _link(link: Link, icon: str, keep_time: bool = False, new_tab: bool = False) -> g.DashboardLink:
    return g.DashboardLink(type="link", title=link.title, uri=link.url, icon=icon, tooltip=link.title,
                           keepTime=keep_time, targetBlank=new_tab)


def _row(row: RowPlan) -> g.RowPanel:
    return g.RowPanel(title=row.title, id=row.id, gridPos=g.GridPos(h=1, w=24, x=0, y=row.y))


def _targets(panel: PanelPlan) -> list[g.Target]:
    return [g.Target(expr=q.expr, legendFormat=q.legend, refId=_ref_id(i), instant=q.instant,
                     format=q.format, datasource=DATASOURCE)
            for i, q in enumerate(panel.queries)]


def _ref_id(index: int) -> str:
    """A, B, C…: the refId of the index-th query, which also names its table column ``Value #A``."""
    return chr(ord("A") + index)


def _common(panel: PanelPlan) -> dict:
    x, y, w, h = panel.pos
    return dict(title=panel.title, description=panel.description, id=panel.id, dataSource=DATASOURCE,
                gridPos=g.GridPos(h=h, w=w, x=x, y=y), targets=_targets(panel),
                links=[_link(link, icon="doc", new_tab=True) for link in panel.links],
                thresholds=_steps(panel.steps))


def _steps(steps: list[Step] | tuple[Step, ...]) -> list[dict]:
    return [{"color": s.colour, "value": s.value} for s in steps]


def _range(panel: PanelPlan) -> dict:
    if panel.range is None:
        return {}
    low, high = panel.range
    return {"min": low, "max": high}


def _override(override: FieldOverride) -> dict:
    """One ``fieldConfig.overrides`` entry: a column by name or series by regex, with its own unit/thresholds."""
    properties = []
    if override.unit:
        properties.append({"id": "unit", "value": grafana_unit(override.unit)})
    if override.steps:
        properties.append({"id": "thresholds", "value": {"mode": "absolute", "steps": _steps(override.steps)}})
    return {"matcher": {"id": "byRegexp" if override.regex else "byName", "options": override.match},
            "properties": properties}


def _field_defaults(panel: PanelPlan, **extra) -> dict:
    defaults = {"unit": grafana_unit(panel.unit), "decimals": panel.decimals,
                "color": {"mode": "thresholds"}, **_range(panel), **extra}
    return {"fieldConfig": {"defaults": defaults, "overrides": []}}


def _panel(panel: PanelPlan) -> g.Panel:
    """The typed panel, with the plan's field overrides set the same way for every type
    (grafanalib has no ``overrides`` on gauges and bar gauges, but all panels take ``extraJson``)."""
    built = _typed_panel(panel)
    if panel.overrides:
        extra = built.extraJson or {}
        extra.setdefault("fieldConfig", {})["overrides"] = [_override(o) for o in panel.overrides]
        built.extraJson = extra
    return built


def _typed_panel(panel: PanelPlan) -> g.Panel:
    unit = grafana_unit(panel.unit)
    common = _common(panel)
    if panel.type == "stat":
        return g.Stat(**common, format=unit, decimals=panel.decimals, reduceCalc="lastNotNull",
                      color={"mode": "thresholds"}, noValue="No data", textMode="auto")
    if panel.type == "gauge":
        return g.GaugePanel(**common, extraJson={
            **_field_defaults(panel), "options": {"reduceOptions": REDUCE, "showThresholdMarkers": True,
                                                 "showThresholdLabels": False, "orientation": "auto"}})
    if panel.type == "bargauge":
        return g.BarGauge(**common, extraJson={
            **_field_defaults(panel), "options": {
                "reduceOptions": REDUCE, "displayMode": "gradient", "orientation": "horizontal",
                "showUnfilled": True, "valueMode": "color", "namePlacement": "auto", "sizing": "auto"}})
    if panel.type == "table":
        return g.Table(**common, unit=unit, extraJson={
            **_field_defaults(panel, custom={"align": "auto", "cellOptions": {"type": "color-text"}}),
            "transformations": _table_transformations(panel)})
    if panel.type == "heatmap":
        return g.Heatmap(**common, extraJson={"options": {
            "calculate": False, "yAxis": {"unit": unit}, "color": {"mode": "scheme", "scheme": "Oranges"},
            "cellGap": 1}, "fieldConfig": {"defaults": {}, "overrides": []}})
    return g.TimeSeries(**common, unit=unit, valueDecimals=panel.decimals, tooltipMode="multi",
                        legendDisplayMode="list", legendPlacement="bottom",
                        thresholdsStyleMode="line" if len(panel.steps) > 1 else "off")


def _table_transformations(panel: PanelPlan) -> list[dict]:
    """One row per series: merge the queries, hide time and series name, name value columns by legend."""
    names = column_names(panel)
    if len(names) == 1:
        rename = {"Value": names[0]}
    else:
        rename = {f"Value #{_ref_id(i)}": name for i, name in enumerate(names)}
    return [{"id": "merge", "options": {}},
            {"id": "organize", "options": {"excludeByName": {"Time": True, "__name__": True},
                                          "renameByName": rename}}]
