"""Recording rules: names, safe maths, one domain per group, Sloth-compatible SLO series."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from generators import naming, no_traffic_cases, promtool
from generators.build import recording_rules
from generators.model import seconds
from generators.spec import load

from .conftest import ROOT, write_bundle

RECORD_NAME = re.compile(r"^[a-zA-Z0-9_]*:[a-zA-Z0-9_]+:[a-zA-Z0-9_]+$")


def _rules(spec):
    return [(domain, g, r) for domain, groups in recording_rules.domain_groups(spec).items()
            for g in groups for r in g["rules"]]


def test_every_record_name_is_level_metric_operations(spec):
    """Except ``sloth_slo_info``, whose name Sloth's dashboards select by."""
    bad = [r["record"] for _, _, r in _rules(spec)
           if not RECORD_NAME.match(r["record"]) and r["record"] != naming.SLO_INFO]
    assert bad == []


def test_every_group_holds_one_domain_and_runs_at_its_interval(spec):
    for domain, groups in recording_rules.domain_groups(spec).items():
        for group in groups:
            assert group["name"].split(".")[2] == domain
            assert naming.group_name(spec.bundle.name, domain, group["name"].rsplit(".", 1)[1]) == group["name"]
        assert groups[0]["interval"] == spec.domains[domain].interval


def test_percentiles_read_aggregated_bucket_rates_never_raw_buckets(spec):
    for _, _, rule in _rules(spec):
        if "histogram_quantile" in rule["expr"] and rule.get("labels", {}).get("kpi") in \
                {k.id for k in spec.kpis if k.source.kind == "quantile"}:
            assert "_bucket:" in rule["expr"] and "rate(" not in rule["expr"], rule


def test_only_the_fast_group_reads_raw_sources_except_slow_expressions(spec):
    """Long windows are derived from recorded series: ``avg_over_time`` of records, not ``rate(x[7d])``."""
    slow = {k.id for k in spec.kpis if k.source.kind == "expression" and seconds(k.source.window) >= 3600}
    for _, group, rule in _rules(spec):
        if group["name"].endswith((".long", ".slo")) and rule.get("labels", {}).get("kpi") not in slow:
            assert "rate(" not in rule["expr"] or ":" in rule["expr"].split("rate(")[1].split("[")[0], rule


def test_every_ratio_records_its_denominator(spec):
    records = {r["record"] for _, _, r in _rules(spec)}
    for kpi in (k for k in spec.kpis if k.source.kind == "ratio"):
        assert naming.denominator_record(kpi) in records


def _no_traffic(root: Path, *which: str) -> dict[str, promtool.Result]:
    """Run the generated no-traffic promtool tests of the bundle under ``root``."""
    files = [root / naming.test_file(name) for name in which]
    return {f.name: promtool.run("test", "rules", f.relative_to(root), cwd=root, timeout=300) for f in files}


def test_no_recording_rule_records_nan_or_inf_without_traffic(spec, bundle):
    """Flat counters and zero gauges into every rule: nothing NaN or Inf, ratio and quantile
    KPIs absent with no ``kpi:target_met:bool`` (not 0), their denominators and buckets present."""
    root, documents = bundle
    for name in (no_traffic_cases.FAST_FILE, no_traffic_cases.LONG_FILE):
        loaded = {f.removeprefix("../../") for f in documents[naming.test_file(name)]["rule_files"]}
        assert loaded == set(recording_rules.build(spec)), name
    results = _no_traffic(root, no_traffic_cases.FAST_FILE, no_traffic_cases.LONG_FILE)
    failed = {name: result.output[-3000:] for name, result in results.items() if not result.ok}
    assert not failed, failed


@pytest.mark.parametrize("kpi_id, expr, record", [
    pytest.param("cost_efficiency_trend", "sum(node_total_hourly_cost) / (sum(rate(http_requests_total[1h])) * 3600 / 1000)",
                 ":cost_efficiency_trend:value", id="A cost divided by a request rate of 0 is +Inf."),
    pytest.param("load_balancing_efficiency", "100 * (1 - stddev(rate(istio_requests_total[5m])) / avg(rate(istio_requests_total[5m])))",
                 ":load_balancing_efficiency:value", id="A spread over a mean of 0 is NaN."),
])
def test_the_no_traffic_test_catches_an_unguarded_division(tmp_path, kpi_id, expr, record):
    """The same generated test fails, naming the record, when a spec expression divides unguarded."""
    document = yaml.safe_load((ROOT / "spec" / "kpis.yaml").read_text())
    kpi = next(k for k in document["kpis"] if k["id"] == kpi_id)
    kpi["source"] = {**kpi["source"], "expr": expr, "by": []}
    (tmp_path / "kpis.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    write_bundle(load(tmp_path / "kpis.yaml").spec, tmp_path)
    [result] = _no_traffic(tmp_path, no_traffic_cases.FAST_FILE).values()
    assert not result.ok and f'__name__="{record}"' in result.output, result.output[-2000:]


def test_slo_kpis_record_sloths_series_with_its_identifying_labels(spec):
    wanted = {naming.sli_error_record("5m"), naming.sli_error_record("1h"), naming.sli_error_record("3d"),
              naming.sli_error_record("30d"), naming.SLO_OBJECTIVE, naming.SLO_ERROR_BUDGET,
              naming.SLO_TIME_PERIOD, naming.SLO_CURRENT_BURN, naming.SLO_PERIOD_BURN,
              naming.SLO_BUDGET_REMAINING, naming.SLO_INFO}
    for kpi in (k for k in spec.kpis if k.slo):
        got = {r["record"] for _, _, r in _rules(spec) if r.get("labels", {}).get(naming.SLOTH_ID)
               == naming.sloth_labels(spec.bundle.name, kpi)[naming.SLOTH_ID]}
        assert wanted <= got, wanted - got


def test_baselines_and_slow_audience_windows_are_recorded(spec):
    records = {r["record"] for _, _, r in _rules(spec)}
    p95 = spec.kpi("response_time_p95")
    assert naming.baseline_record(p95, "7d") in records
    assert naming.window_record(p95, "1h") in records  # executive dashboard, hourly
    assert naming.window_record(spec.kpi("hourly_cost"), "1d") in records  # FinOps, daily


def test_an_aggregation_two_kpis_share_is_computed_once(spec):
    raw = [r["expr"] for _, _, r in _rules(spec) if "rate(" in r["expr"]]
    assert len(raw) == len(set(raw))
