"""Dashboards, rules, alerts and exporters agree: links resolve, every queried series has a producer.

The rules and alerts come from their builders (``generators.build.recording_rules`` and
``generators.build.alerts``), the same pure functions ``perfcycle generate`` writes from.
"""
from __future__ import annotations

import fnmatch
import re
from urllib.parse import parse_qs, urlparse

import pytest

from generators import naming
from generators.build import alerts as alerts_builder
from generators.build import recording_rules as recording_rules_builder

from .conftest import leaf_panels, panels
from .promql_names import metric_names
from .test_promql import LABEL_VALUES

PROMETHEUS_BUILT_IN = {naming.ALERTS, "ALERTS_FOR_STATE"}
"""Series Prometheus itself produces from its alerting rules."""


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


def test_every_metric_a_dashboard_queries_has_a_producer(boards, spec):
    recorded = {rule["record"] for rule in _rules(recording_rules_builder.build(spec)) if "record" in rule}
    patterns = [m for exporter in spec.exporters.values() for m in exporter.metrics]
    orphans = set()
    for audience, board in boards.items():
        exprs = [t["expr"] for p in leaf_panels(board) for t in p["targets"]]
        exprs += [a["expr"] for a in board["annotations"]["list"] if "expr" in a]
        exprs += [LABEL_VALUES.match(v["query"]).group(1) for v in board["templating"]["list"] if v["type"] == "query"]
        for name in set().union(*map(metric_names, exprs)):
            if name in recorded or name in PROMETHEUS_BUILT_IN:
                continue
            if not any(fnmatch.fnmatchcase(name, p) for p in patterns):
                orphans.add(f"{audience}: {name}")
    assert not orphans, "queried but produced by no rule or exporter:\n" + "\n".join(sorted(orphans))


def test_panels_read_recorded_series_not_raw_sources(boards, spec):
    recorded_like = re.compile(r"^[a-z_]*:[a-z0-9_]+:[a-z0-9_]+$")
    for board in boards.values():
        for panel in leaf_panels(board):
            names = set().union(*(metric_names(t["expr"]) for t in panel["targets"]))
            kpi_panel = any(naming.panel_id(k, a) == panel["id"] for k in spec.kpis for a in k.audiences)
            if kpi_panel:
                assert all(recorded_like.match(n) for n in names), f"{panel['title']} reads {names}"
