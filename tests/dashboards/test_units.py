"""The pure pieces: threshold colours, units, grid placement, stable panel ids, audience panels."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from generators import naming
from generators.grafana.filters import plan_filters, variables
from generators.grafana.layout import GRID_COLUMNS, place
from generators.grafana.plan import PanelPlan, RowPlan
from generators.grafana.style import (COLOUR_RAMP, GRAFANA_UNITS, PANEL_SIZES, SEVERITY_COLOURS, Step,
                                      threshold_steps)
from generators.model import AudiencePanel, Comparison, ExpressionSource, Target
from generators.model.base import parse_comparison, parse_target
from generators.model.kpi import Unit

from .grafana_units import is_grafana_unit


def target(text: str) -> Target:
    return Target.model_validate(parse_target(text))


def when(text: str) -> Comparison:
    return Comparison.model_validate(parse_comparison(text))


@pytest.mark.parametrize("tgt, alerts, decimals, expected", [
    pytest.param(None, [], None, [Step(None, "green")], id="No target and no alert is one neutral step."),
    pytest.param("< 0.5", [("critical", "> 2")], 3,
                 [Step(None, "green"), Step(0.5, "yellow"), Step(2.001, "red")],
                 id="Latency: green under target, yellow above, red past the critical alert."),
    pytest.param("70..80", [("warning", "> 80")], None,
                 [Step(None, "yellow"), Step(70, "green"), Step(80.001, "orange")],
                 id="A 70-80 band is green inside, yellow under (over-provisioned), orange over the alert."),
    pytest.param("> 99.9", [("critical", "< 99.5")], 3,
                 [Step(None, "red"), Step(99.5, "yellow"), Step(99.901, "green")],
                 id="Availability: red under the critical alert, green only above the target."),
    pytest.param("<= 0", [("critical", "> 0")], 0, [Step(None, "green"), Step(1, "red")],
                 id="A count of 0 under '> 0' stays green: the boundary moves up by the display resolution."),
    pytest.param("> 95", [("critical", "< 80"), ("warning", "< 90")], None,
                 [Step(None, "red"), Step(80, "orange"), Step(90, "yellow"), Step(95.001, "green")],
                 id="The most severe firing alert wins its range."),
    pytest.param(None, [("warning", "> 85")], None, [Step(None, "green"), Step(85.001, "orange")],
                 id="Without a target, everything below the alert is green."),
    pytest.param("< 10", [("info", "> 20"), ("warning", "> 40")], None,
                 [Step(None, "green"), Step(10, "yellow"), Step(20.001, "light-orange"), Step(40.001, "orange")],
                 id="An info alert is light orange: above the missed target's yellow, below warning's orange."),
    pytest.param(None, [("page", "> 5"), ("warning", "> 3")], None,
                 [Step(None, "green"), Step(3.001, "orange"), Step(5.001, "red")],
                 id="A severity with no colour of its own is coloured as critical."),
])
def test_threshold_steps_colour_target_and_alert_ranges(tgt, alerts, decimals, expected):
    got = threshold_steps(target(tgt) if tgt else None, [(s, when(c)) for s, c in alerts], decimals)
    assert got == expected


def test_colours_darken_with_severity_from_target_met_to_critical():
    assert COLOUR_RAMP == ("green", "yellow", "light-orange", "orange", "red")
    assert [SEVERITY_COLOURS[s] for s in ("info", "warning", "critical")] == list(COLOUR_RAMP[2:])


@pytest.mark.parametrize("unit", list(Unit.__args__))
def test_every_spec_unit_maps_to_a_grafana_unit(unit):
    assert is_grafana_unit(GRAFANA_UNITS[unit])


def _panel(kind: str, n: int) -> PanelPlan:
    return PanelPlan(key=f"p{n}", id=n, type=kind, title=f"p{n}", description="", queries=[])


@pytest.mark.parametrize("kinds", [
    pytest.param(["stat"] * 7, id="Seven stats wrap after six."),
    pytest.param(["timeseries", "stat", "gauge", "table", "bargauge", "stat", "timeseries"], id="Mixed sizes."),
    pytest.param(["table"] * 3 + ["gauge"] * 5, id="Tables then gauges."),
    pytest.param([], id="An empty row takes one line."),
])
def test_layout_keeps_panels_in_the_grid_without_overlap(kinds):
    rows = [RowPlan("r1", 1, "one", [_panel(k, i) for i, k in enumerate(kinds)]),
            RowPlan("r2", 2, "two", [_panel("timeseries", 100)])]
    height = place(rows)
    boxes = [(0, r.y, GRID_COLUMNS, 1) for r in rows] + [p.pos for r in rows for p in r.panels]
    for i, (x, y, w, h) in enumerate(boxes):
        assert 0 <= x and x + w <= GRID_COLUMNS and y + h <= height
        for (x2, y2, w2, h2) in boxes[i + 1:]:
            assert x + w <= x2 or x2 + w2 <= x or y + h <= y2 or y2 + h2 <= y
    assert rows[1].y > max((p.pos[1] for p in rows[0].panels), default=0)
    assert all(PANEL_SIZES[p.type] == p.pos[2:] for r in rows for p in r.panels)


def test_panel_ids_depend_only_on_spec_ids(spec):
    kpi = spec.kpis[0]
    assert naming.panel_id(kpi, "operational") == naming.panel_id(kpi.id, "operational")
    assert naming.panel_id(kpi, "operational") != naming.panel_id(kpi, "finops")
    assert 1000 <= naming.panel_id(kpi, "operational") < 1_000_000


def test_adding_a_kpi_keeps_every_other_panel_id(spec):
    from generators.build.dashboards import build
    before = build(spec)["dashboards/operational.json"]
    extra = spec.kpis[0].model_copy(update={"id": "brand_new_kpi", "audiences": {"operational": None}})
    grown = spec.model_copy(update={"kpis": [extra, *spec.kpis]})
    after = build(grown)["dashboards/operational.json"]
    old = {p["title"]: p["id"] for p in before["panels"]}
    new = {p["title"]: p["id"] for p in after["panels"]}
    assert all(new[t] == i for t, i in old.items())


@pytest.mark.parametrize("data, ok", [
    pytest.param({"id": "h", "title": "H", "show": "health_score"}, True, id="A health score needs no query."),
    pytest.param({"id": "q", "title": "Q", "show": "query", "queries": [{"expr": "up"}]}, True,
                 id="A query panel with queries is fine."),
    pytest.param({"id": "q", "title": "Q", "show": "query"}, False, id="A query panel without queries fails."),
    pytest.param({"id": "h", "title": "H", "show": "health_score", "queries": [{"expr": "up"}]}, False,
                 id="Queries on a recipe panel fail: they would be ignored."),
    pytest.param({"id": "h", "title": "H", "show": "nonsense"}, False, id="An unknown recipe fails."),
    pytest.param({"id": "b", "title": "B", "show": "bottlenecks", "limit": 0}, False, id="A top-0 list fails."),
    pytest.param({"id": "t", "title": "T", "show": "query", "panel": "table",
                  "queries": [{"expr": "up", "unit": "percent"}]}, True, id="A table column may have its own unit."),
    pytest.param({"id": "t", "title": "T", "show": "query", "panel": "timeseries",
                  "queries": [{"expr": "up", "unit": "percent"}]}, False,
                 id="A query unit outside a table fails: it would be ignored."),
])
def test_audience_panels_are_validated(data, ok):
    if ok:
        AudiencePanel.model_validate(data)
    else:
        with pytest.raises(ValidationError):
            AudiencePanel.model_validate(data)


def _reading(spec, kpi_id: str, expr: str):
    """A copy of the default spec's KPI ``kpi_id`` whose source is the expression ``expr`` by instance."""
    source = ExpressionSource(kind="expression", by=["instance"], expr=expr)
    return spec.kpi("cpu_utilization").model_copy(update={"id": kpi_id, "source": source})


@pytest.mark.parametrize("extra, expected", [
    pytest.param([], ["instance_node_exporter", "instance_blackbox_exporter"],
                 id="Nodes and probed endpoints are two filters."),
    pytest.param([("bridge", "max by (instance) (node_load1) * on (instance) max by (instance) (probe_success)")],
                 ["instance"], id="A KPI reading both exporters joins them into one filter."),
    pytest.param([("custom", "max by (instance) (my_app_queue_depth)")],
                 ["instance_node_exporter", "instance_blackbox_exporter", "instance_other"],
                 id="Sources no declared exporter matches share one filter of their own."),
])
def test_filters_split_a_label_by_the_exporters_its_kpis_read(spec, extra, expected):
    kpis = [spec.kpi("cpu_utilization"), spec.kpi("network_latency"), *(_reading(spec, i, e) for i, e in extra)]
    filters = plan_filters(spec, kpis, ["instance"], "30s")
    assert [f.name for f in filters] == expected
    assert sorted(k for f in filters for k in f.kpis) == sorted(k.id for k in kpis), "every KPI in one filter"
    assert variables(filters, kpis[0]) == {"instance": expected[0]}
