"""Dashboards, rules, alerts and exporters agree: links resolve, every queried series has a producer.

The rules and alerts come from their builders (``generators.build.recording_rules`` and
``generators.build.alerts``), the same pure functions ``perfcycle generate`` writes from.
"""
from __future__ import annotations

import copy
import fnmatch
import re
from urllib.parse import parse_qs, urlparse

import pytest

from exporter import catalog
from generators import naming
from generators.build import alerts as alerts_builder
from generators.build import recording_rules as recording_rules_builder

from .conftest import leaf_panels, panels
from .promql_names import metric_names
from .test_promql import LABEL_VALUES

PROMETHEUS_BUILT_IN = {naming.ALERTS, "ALERTS_FOR_STATE"}
"""Series Prometheus itself produces from its alerting rules."""
OUR_EXPORTER = "perfcycle_exporter"
"""The spec's ``exporters`` entry for perfcycle-exporter (see ``_producers``)."""


def _rules(documents: dict) -> list[dict]:
    return [rule for doc in documents.values() for group in doc["groups"] for rule in group["rules"]]


@pytest.mark.parametrize("expr, names", [
    pytest.param('sum by (le) (rate(x_bucket{a="b"}[5m]))', {"x_bucket"}, id="Functions and matchers are not metrics."),
    pytest.param('label_replace(a:b:c / a:b:c_avg7d, "kpi", "x", "", "")', {"a:b:c", "a:b:c_avg7d"},
                 id="Recorded names with colons are metrics; strings are not."),
    pytest.param('{__name__=~"r1|r2"}', {"r1", "r2"}, id="__name__ regexes list their names."),
    pytest.param("100 * avg(kpi:target_met:bool) > bool 1 and on (x) y offset 1w", {"kpi:target_met:bool", "y"},
                 id="Keywords and numbers are not metrics."),
])
def test_metric_names_are_read_from_promql(expr, names):
    assert metric_names(expr) == names


def test_every_alerts_dashboard_url_points_at_a_generated_dashboard_and_panel(boards, spec):
    documents = alerts_builder.build(spec)
    by_uid = {b["uid"]: {p["id"] for p in panels(b)} for b in boards.values()}
    checked = 0
    for rule in _rules(documents):
        url = rule.get("annotations", {}).get("dashboard_url")
        if url is None:
            continue
        parsed = urlparse(url)
        assert url.startswith(spec.bundle.grafana_url.rstrip("/") + "/d/"), url
        uid = parsed.path.split("/")[2]
        assert uid in by_uid, f"{rule['alert']}: no dashboard {uid}"
        for panel in parse_qs(parsed.query).get("viewPanel", []):
            assert int(panel.removeprefix("panel-")) in by_uid[uid], f"{rule['alert']}: no panel {panel} on {uid}"
        checked += 1
    assert checked, "no alert carries a dashboard_url"


def test_every_alert_carries_the_kpi_label_the_annotations_filter_by(spec):
    alerts = [r for r in _rules(alerts_builder.build(spec)) if "alert" in r]
    kpi_ids = {k.id for k in spec.kpis}
    assert alerts
    for rule in alerts:
        assert rule.get("labels", {}).get(naming.KPI_LABEL) in kpi_ids, rule["alert"]


def _producers(spec) -> tuple[set[str], list[str]]:
    """Exact series names with a producer, and the globs of the external exporters the spec declares.

    perfcycle-exporter's own globs (``kiro_*``) would accept any typo, so its entry is replaced
    by the series the exporter really publishes (``exporter.catalog``, read from its collectors).
    """
    assert OUR_EXPORTER in spec.exporters, f"the spec declares no {OUR_EXPORTER}"
    recorded = {rule["record"] for rule in _rules(recording_rules_builder.build(spec)) if "record" in rule}
    patterns = [glob for key, exporter in spec.exporters.items() if key != OUR_EXPORTER
                for glob in exporter.metrics]
    return recorded | PROMETHEUS_BUILT_IN | catalog.series_names(), patterns


def _queried_names(board: dict) -> set[str]:
    """Every metric a dashboard reads: panel targets, annotations and filter variables."""
    exprs = [t["expr"] for p in leaf_panels(board) for t in p["targets"]]
    exprs += [a["expr"] for a in board["annotations"]["list"] if "expr" in a]
    exprs += [LABEL_VALUES.match(v["query"]).group(1) for v in board["templating"]["list"] if v["type"] == "query"]
    return set().union(*map(metric_names, exprs))


def _orphans(boards: dict, spec) -> set[str]:
    exact, patterns = _producers(spec)
    return {f"{audience}: {name}" for audience, board in boards.items() for name in _queried_names(board)
            if name not in exact and not any(fnmatch.fnmatchcase(name, p) for p in patterns)}


def test_every_metric_a_dashboard_queries_has_a_producer(boards, spec):
    orphans = _orphans(boards, spec)
    assert not orphans, "queried but produced by no rule or exporter:\n" + "\n".join(sorted(orphans))


@pytest.mark.parametrize("expr, orphan", [
    pytest.param("100 * kiro_optimization_improvement_ratio_TYPO", True,
                 id="A typo in one of our exporter's names is caught, though kiro_* would match it."),
    pytest.param("kiro_hook_executions", True, id="A counter's bare family name is no series: its samples end in _total."),
    pytest.param("kiro_optimization_target_before - kiro_optimization_target_after", False,
                 id="The exporter's real series pass."),
    pytest.param("rate(kiro_hook_execution_duration_seconds_bucket[5m])", False,
                 id="Histogram series pass with their suffixes."),
    pytest.param("node_load1", False, id="External exporters keep the spec's globs."),
])
def test_the_producer_check_tells_real_exporter_series_from_typos(boards, spec, expr, orphan):
    board = copy.deepcopy(boards["performance_engineering"])
    board["panels"].append({"type": "stat", "title": "probe", "targets": [{"expr": expr, "refId": "A"}]})
    assert bool(_orphans({"probe": board}, spec)) == orphan


def test_panels_read_recorded_series_not_raw_sources(boards, spec):
    recorded_like = re.compile(r"^[a-z_]*:[a-z0-9_]+:[a-z0-9_]+$")
    for board in boards.values():
        for panel in leaf_panels(board):
            names = set().union(*(metric_names(t["expr"]) for t in panel["targets"]))
            kpi_panel = any(naming.panel_id(k, a) == panel["id"] for k in spec.kpis for a in k.audiences)
            if kpi_panel:
                assert all(recorded_like.match(n) for n in names), f"{panel['title']} reads {names}"
