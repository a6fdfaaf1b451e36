"""The synthetic history must satisfy every selector, join and look-back of the bundle's PromQL."""
from __future__ import annotations

import math

import pytest

from generators.stack import history, selectors, series


def _plans(*exprs):
    return {p.name: p for p in series.plans(selectors.scan(list(exprs)), lambda _n: "job")}


@pytest.mark.parametrize("expr, metric, label, wanted", [
    pytest.param('rate(http_requests_total{code=~"5.."}[5m])', "http_requests_total", "code", "500",
                 id="A regex matcher gets a value that matches it."),
    pytest.param('rate(node_network_receive_bytes_total{device!~"lo|veth.*"}[5m])', "node_network_receive_bytes_total",
                 "device", "eth0", id="A negative regex gets a value outside it."),
    pytest.param('kube_pod_status_phase{phase="Running"} == 1', "kube_pod_status_phase", "phase", "Running",
                 id="An equality matcher gets exactly its value."),
    pytest.param('sum by (service) (rate(x_total[5m]))', "x_total", "service", "api",
                 id="A by label gets values from the shared pool."),
])
def test_every_matcher_and_grouping_label_is_satisfied(expr, metric, label, wanted):
    plan = _plans(expr)[metric]
    assert wanted in {ls[label] for ls in plan.labels}


def test_the_one_side_of_group_left_keeps_only_the_join_labels():
    """Two namespaces on one node must not make node_cpu_hourly_cost duplicate per node."""
    plans = _plans("sum by (namespace) (container_cpu_allocation * on (node) group_left() node_cpu_hourly_cost)")
    assert {k for ls in plans["node_cpu_hourly_cost"].labels for k in ls} == {"node", "job", "instance"}
    assert {"namespace", "node"} <= {k for ls in plans["container_cpu_allocation"].labels for k in ls}


def test_histograms_get_buckets_sum_and_count_with_named_le_values():
    plan = _plans('sum(rate(h_seconds_bucket{le="2"}[5m])) / sum(rate(h_seconds_count[5m]))')["h_seconds"]
    names = [s for s, _ in history.value_functions(plan)]
    assert any('le="2"' in n for n in names) and any('le="+Inf"' in n for n in names)
    assert any(n.startswith("h_seconds_sum") for n in names) and any(n.startswith("h_seconds_count") for n in names)


def test_lookback_counts_the_longest_range_plus_offset():
    found = selectors.scan(["sum(rate(x_total[30d] offset 90d))"])
    assert found.uses["x_total"][0].lookback == 120 * 86400
    assert found.offsets == {90 * 86400}


def test_counters_never_decrease_and_bad_outcomes_get_a_sliver():
    plan = _plans('sum(rate(r_total{code=~"5.."}[5m])) / sum(rate(r_total[5m]))')["r_total"]
    times = history.grid(1_800_000_000, plan.lookback, plan.offsets, 30)
    rates = {}
    for name, value_at in history.value_functions(plan):
        values = [value_at(t) for t in times]
        assert all(b >= a for a, b in zip(values, values[1:])), name
        rates[name] = values[-1] - values[-2]
    bad = sum(v for n, v in rates.items() if 'code="500"' in n)
    assert 0 < bad < 0.001 * sum(rates.values())


def test_grid_ends_before_now_and_is_fine_around_offsets():
    now = 1_800_000_000
    times = history.grid(now, 7 * 86400, frozenset({7 * 86400}), 30)
    assert max(times) < now
    week_ago = [t for t in times if now - 7 * 86400 - 600 <= t <= now - 7 * 86400 + 600]
    assert len(week_ago) >= 30  # 30 s steps: short rate() windows work a week back


def test_spec_targets_shape_latency_medians_and_gauge_levels():
    """A p95 < 0.5 s target puts the median where p95 is half the bound; gauges sit inside their target."""
    from generators.spec import load
    from generators.stack import shape
    hints = shape.hints(load("spec/kpis.yaml").spec)
    median = hints["http_request_duration_seconds"]["median"]
    assert 0.24 < median * math.exp(1.645 * shape.SIGMA) < 0.26  # p95 of the log-normal: half of 0.5 s
    assert hints["gatekeeper_violations"]["level"] == 0
