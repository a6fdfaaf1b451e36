"""Every generated dashboard, panel by panel: ids, grid, targets, units, refresh, navigation."""
from __future__ import annotations

import itertools
import json
import re

import pytest

from generators import naming
from generators.model import seconds
from generators.grafana.queries import value_series
from .promql_names import metric_names

from .conftest import leaf_panels, panels
from .grafana_units import is_grafana_unit

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
AUDIENCES = ["executive", "operational", "performance_engineering", "finops",
             "kiro_hooks", "kiro_mcp", "kiro_autonomy"]


def test_there_is_one_dashboard_per_seed_audience_and_kiro_area(boards):
    assert sorted(boards) == sorted(AUDIENCES)


def test_every_dashboard_is_valid_json_with_a_final_newline(texts):
    for path, text in texts.items():
        if path.endswith(".json"):
            assert text.endswith("}\n"), path
            json.loads(text)


@pytest.mark.parametrize("audience", AUDIENCES)
def test_panel_ids_are_unique_and_derived_from_spec_ids(boards, spec, audience):
    board = boards[audience]
    ids = [p["id"] for p in panels(board)]
    assert len(ids) == len(set(ids)), "duplicate panel ids"
    for kpi in (k for k in spec.kpis if audience in k.audiences):
        assert naming.panel_id(kpi, audience) in ids, kpi.id


@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_panel_sits_inside_the_24_column_grid_without_overlap(boards, audience):
    boxes = []
    for panel in panels(boards[audience]):
        pos = panel["gridPos"]
        assert pos["x"] >= 0 and pos["y"] >= 0 and pos["w"] > 0 and pos["h"] > 0, panel["title"]
        assert pos["x"] + pos["w"] <= 24, panel["title"]
        boxes.append((panel["title"], pos))
    for (a, p), (b, q) in itertools.combinations(boxes, 2):
        apart = (p["x"] + p["w"] <= q["x"] or q["x"] + q["w"] <= p["x"]
                 or p["y"] + p["h"] <= q["y"] or q["y"] + q["h"] <= p["y"])
        assert apart, f"{a!r} overlaps {b!r}"


@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_target_has_expr_refid_and_the_datasource_variable(boards, audience):
    for panel in leaf_panels(boards[audience]):
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert panel["targets"], panel["title"]
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip(), panel["title"]
            assert target["refId"], panel["title"]
            assert target["datasource"] == DATASOURCE, panel["title"]


@pytest.mark.parametrize("audience", AUDIENCES)
def test_every_unit_is_a_grafana_unit_id(boards, audience):
    for panel in leaf_panels(boards[audience]):
        defaults = panel["fieldConfig"]["defaults"]
        units = [defaults["unit"]] if "unit" in defaults else []
        units += [panel["options"]["yAxis"]["unit"]] if panel["type"] == "heatmap" else []
        assert units, f"{panel['title']} has no unit"
        for unit in units:
            assert is_grafana_unit(unit), f"{panel['title']}: {unit!r}"


@pytest.mark.parametrize("audience, check", [
    pytest.param("executive", lambda s: s == 3600, id="Executives see hourly refreshes."),
    pytest.param("operational", lambda s: s <= 30, id="Operations is real time: 30 s or faster."),
    pytest.param("performance_engineering", lambda s: s <= 30, id="Performance engineering is real time."),
    pytest.param("finops", lambda s: s == 86400, id="FinOps refreshes daily."),
    pytest.param("kiro_hooks", lambda s: s <= 60, id="Kiro hooks refresh every minute."),
    pytest.param("kiro_mcp", lambda s: s <= 60, id="Kiro MCP refreshes every minute."),
    pytest.param("kiro_autonomy", lambda s: s <= 60, id="Kiro autonomy refreshes every minute."),
])
def test_refresh_is_what_the_audience_needs_and_offered_by_the_picker(boards, audience, check):
    board = boards[audience]
    assert check(seconds(board["refresh"]))
    assert board["refresh"] in board["timepicker"]["refresh_intervals"]


@pytest.mark.parametrize("audience", AUDIENCES)
def test_identity_is_stable_and_the_schema_version_current(boards, spec, audience):
    board = boards[audience]
    assert board["uid"] == naming.dashboard_uid(spec.bundle.name, audience)
    assert 8 <= len(board["uid"]) <= 40
    assert board["schemaVersion"] >= 41
    assert naming.DASHBOARD_TAG in board["tags"]


FILTER_QUERY = re.compile(r"^label_values\((.*), (\w+)\)$")


def _filters(board: dict) -> dict[str, tuple[str, set[str]]]:
    """Filter variable name -> (the label it matches, the series its values come from)."""
    found = {}
    for variable in board["templating"]["list"]:
        if variable["name"] != naming.DATASOURCE_VARIABLE:
            selector, label = FILTER_QUERY.match(variable["query"]).groups()
            found[variable["name"]] = (label, metric_names(selector))
    return found


@pytest.mark.parametrize("audience", AUDIENCES)
def test_the_datasource_variable_is_prometheus_and_filters_query_it(boards, audience):
    variables = {v["name"]: v for v in boards[audience]["templating"]["list"]}
    source = variables.pop(naming.DATASOURCE_VARIABLE)
    assert source["type"] == "datasource" and source["query"] == "prometheus"
    exprs = " ".join(t["expr"] for p in leaf_panels(boards[audience]) for t in p["targets"])
    for name, (label, _) in _filters(boards[audience]).items():
        variable = variables[name]
        assert variable["type"] == "query" and variable["datasource"] == DATASOURCE, name
        assert variable["multi"], name
        assert f'{label}=~"${name}"' in exprs, f"filter {name} is used by no panel"


@pytest.mark.parametrize("audience", AUDIENCES)
def test_each_filter_lists_values_of_exactly_the_series_it_filters(boards, spec, audience):
    """Picking a value never blanks a panel whose series cannot have it, and every value filters a panel."""
    board, refresh = boards[audience], spec.audiences[audience].refresh
    by_id = {naming.panel_id(k, audience): k for k in spec.kpis if audience in k.audiences}
    for name, (_, listed) in _filters(board).items():
        using = [by_id[p["id"]] for p in leaf_panels(board) if any(f'=~"${name}"' in t["expr"] for t in p["targets"])]
        assert {value_series(k, refresh) for k in using} == listed, name


@pytest.mark.parametrize("audience, expected", [
    pytest.param("executive", {"service"}, id="Executives see per-service panels, so filter services."),
    pytest.param("operational", {"service", "instance", "hook", "server"}, id="Operators filter services."),
    pytest.param("kiro_hooks", {"hook", "trigger", "source"}, id="Hooks filter by hook."),
    pytest.param("kiro_mcp", {"server", "mcp_method_name"}, id="MCP filters by server."),
    pytest.param("finops", {"namespace"}, id="FinOps filters namespaces."),
])
def test_filters_are_the_labels_the_kpis_keep(boards, audience, expected):
    assert {label for label, _ in _filters(boards[audience]).values()} == expected


@pytest.mark.parametrize("audience, label, variables", [
    pytest.param("performance_engineering", "server", {"server_coredns", "server_perfcycle_exporter"},
                 id="DNS servers and MCP servers are two filters."),
    pytest.param("performance_engineering", "instance",
                 {"instance_node_exporter", "instance_postgres_exporter", "instance_blackbox_exporter"},
                 id="Nodes, database pool hosts and probed TLS/ICMP endpoints are three filters."),
    pytest.param("operational", "instance", {"instance_node_exporter", "instance_blackbox_exporter"},
                 id="Operators pick nodes apart from probed endpoints."),
    pytest.param("performance_engineering", "namespace", {"namespace"},
                 id="Kubernetes namespaces are one filter whichever exporter reports them."),
    pytest.param("kiro_mcp", "server", {"server"}, id="One exporter's label stays one filter named as the label."),
])
def test_a_label_meaning_different_things_per_exporter_gets_one_filter_per_exporter(boards, audience, label,
                                                                                    variables):
    assert {name for name, (lbl, _) in _filters(boards[audience]).items() if lbl == label} == variables


@pytest.mark.parametrize("audience", AUDIENCES)
def test_firing_alerts_are_overlaid_as_annotations(boards, audience):
    annotations = boards[audience]["annotations"]["list"]
    alerts = [a for a in annotations if a.get("expr", "").startswith(naming.ALERTS + "{")]
    assert len(alerts) == 1 and alerts[0]["enable"] and alerts[0]["datasource"] == DATASOURCE
    assert 'alertstate="firing"' in alerts[0]["expr"]


@pytest.mark.parametrize("audience", AUDIENCES)
def test_each_dashboard_links_every_other_audience(boards, spec, audience):
    urls = {link["url"] for link in boards[audience]["links"]}
    others = {f"/d/{naming.dashboard_uid(spec.bundle.name, a)}" for a in spec.audiences if a != audience}
    assert urls == others


@pytest.mark.parametrize("audience", AUDIENCES)
def test_kpi_panels_link_their_runbook_and_show_spec_text(boards, spec, audience):
    by_id = {p["id"]: p for p in panels(boards[audience])}
    for kpi in (k for k in spec.kpis if audience in k.audiences):
        panel = by_id[naming.panel_id(kpi, audience)]
        assert panel["title"] == kpi.title
        assert panel["description"].startswith(kpi.description)
        assert [link["url"] for link in panel["links"]] == [naming.runbook_url(spec.bundle, kpi)]
        if kpi.decimals is not None:
            assert panel["fieldConfig"]["defaults"]["decimals"] == kpi.decimals


@pytest.mark.parametrize("audience", AUDIENCES)
def test_rows_are_the_domains_and_every_panel_follows_its_row(boards, spec, audience):
    board = boards[audience]
    rows = {p["id"]: p for p in board["panels"] if p["type"] == "row"}
    for domain in {k.domain for k in spec.kpis if audience in k.audiences}:
        row = rows[naming.panel_id(naming.row_panel_key(domain), audience)]
        assert row["title"].startswith(spec.domains[domain].title)
    assert board["panels"][0]["type"] == "row"


@pytest.mark.parametrize("audience", AUDIENCES)
def test_threshold_steps_ascend_and_time_series_draw_them_as_lines(boards, audience):
    for panel in leaf_panels(boards[audience]):
        steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
        assert steps[0]["value"] is None
        values = [s["value"] for s in steps[1:]]
        assert values == sorted(values) and len(set(values)) == len(values), panel["title"]
        if panel["type"] == "timeseries":
            style = panel["fieldConfig"]["defaults"]["custom"]["thresholdsStyle"]["mode"]
            assert style == ("line" if len(steps) > 1 else "off"), panel["title"]


@pytest.mark.parametrize("audience, kpi_id, steps", [
    pytest.param("operational", "response_time_p95", [(None, "green"), (0.5, "yellow"), (2.001, "red")],
                 id="p95 latency: target 0.5 s, critical above 2 s."),
    pytest.param("operational", "cpu_utilization", [(None, "yellow"), (70, "green"), (80.001, "orange")],
                 id="CPU: the 70-80 % band is green, the 80 % warning orange."),
    pytest.param("executive", "availability", [(None, "red"), (99.5, "yellow"), (99.901, "green")],
                 id="Availability against its 99.9 % target and 99.5 % escalation."),
    pytest.param("operational", "compliance_violations", [(None, "green"), (1, "red")],
                 id="Zero compliance violations is green, one is red."),
])
def test_default_spec_thresholds_follow_targets_and_alerts(boards, spec, audience, kpi_id, steps):
    panel_id = naming.panel_id(spec.kpi(kpi_id), audience)
    panel = next(p for p in panels(boards[audience]) if p["id"] == panel_id)
    got = [(s["value"], s["color"]) for s in panel["fieldConfig"]["defaults"]["thresholds"]["steps"]]
    assert got == steps


def _summary(boards, audience: str, panel: str) -> dict:
    panel_id = naming.panel_id(naming.summary_panel_key(panel), audience)
    return next(p for p in panels(boards[audience]) if p["id"] == panel_id)


def _overrides(panel: dict) -> dict[str, dict]:
    """Matcher options -> {property id: value} of a panel's field overrides."""
    return {o["matcher"]["options"]: {p["id"]: p["value"] for p in o["properties"]}
            for o in panel["fieldConfig"]["overrides"]}


def _steps(thresholds: dict) -> list[tuple]:
    return [(s["value"], s["color"]) for s in thresholds["steps"]]


def test_bottleneck_bars_show_times_baseline_coloured_by_each_kpis_own_alert_factors(boards, spec):
    panel = _summary(boards, "performance_engineering", "bottlenecks")
    defaults = panel["fieldConfig"]["defaults"]
    assert (defaults["unit"], defaults["min"], defaults["max"]) == ("suffix:×", 0, 3.0), "1× is usual; room above 2×"
    assert _steps(defaults["thresholds"]) == [(None, "green"), (1.01, "yellow")]
    by_kpi = _overrides(panel)
    assert _steps(by_kpi[r"^response_time_p95(\s|$)"]["thresholds"]) == [
        (None, "green"), (1.01, "yellow"), (1.21, "red")], "p95: critical above 1.2× (and warning at 1.5×)"
    assert _steps(by_kpi[r"^response_time_p99(\s|$)"]["thresholds"]) == [
        (None, "green"), (1.01, "yellow"), (2.01, "orange")], "p99: warning above 2×, not p95's 1.5×"
    assert panel["targets"][0]["expr"].startswith("sort_desc(topk(10, ")


@pytest.mark.parametrize("audience, panel, units", [
    pytest.param("performance_engineering", "experiments",
                 {"Before": None, "After": None, "Improvement": "percent",
                  "Realized savings / month": "currencyUSD", "Promised savings / month": "currencyUSD"},
                 id="Experiments: before/after in the target's unit, improvement in %, savings in currency."),
    pytest.param("finops", "savings", {"Realized / month": "currencyUSD", "Promised / month": "currencyUSD"},
                 id="FinOps savings: both columns in currency."),
])
def test_optimization_tables_give_each_column_its_unit(boards, spec, audience, panel, units):
    table = _summary(boards, audience, panel)
    columns = table["transformations"][1]["options"]["renameByName"]
    assert list(columns.values()) == list(units)
    overrides = _overrides(table)
    assert {name: overrides.get(name, {}).get("unit") for name in units} == units
