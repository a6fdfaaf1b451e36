"""Bad specs fail with one clear, located message each, exit code 2, and nothing written.

Each case mutates the default spec, runs ``perfcycle generate`` in a project whose outputs
were already generated, and checks the exact problem line and that no file changed.
"""
from __future__ import annotations

import shutil

import pytest
import yaml

from .conftest import run_cli, snapshot


def _kpi(data: dict, kpi_id: str) -> tuple[int, dict]:
    return next((i, k) for i, k in enumerate(data["kpis"]) if k["id"] == kpi_id)


def _set_kpi(kpi_id: str, **fields):
    def mutate(data: dict) -> str:
        i, kpi = _kpi(data, kpi_id)
        kpi.update(fields)
        return f"kpis[{i}]"
    return mutate


def _unknown_key(data):
    i, kpi = _kpi(data, "cpu_utilization")
    kpi["colour"] = "red"
    return f"kpis[{i}].colour"


def _bad_duration(data):
    i, kpi = _kpi(data, "response_time_p95")
    kpi["alerts"][0]["for"] = "5 minutes"
    return f"kpis[{i}].alerts[0].for"


def _wrong_type(data):
    i, kpi = _kpi(data, "error_rate")
    kpi["decimals"] = "two"
    return f"kpis[{i}].decimals"


def _duplicate_id(data):
    i, kpi = _kpi(data, "memory_utilization")
    kpi["id"] = "cpu_utilization"
    return f"kpis[{i}].id"


def _unknown_audience(data):
    i, kpi = _kpi(data, "error_rate")
    kpi["audiences"]["boardroom"] = "stat"
    return f"kpis[{i}].audiences.boardroom"


def _undefined_receiver(data):
    data["routing"]["severities"]["critical"]["receiver"] = "nobody"
    return "routing.severities.critical.receiver"


def _contradicting_threshold(data):
    i, kpi = _kpi(data, "error_rate")
    kpi["alerts"][0]["when"] = "> 0.05"
    return f"kpis[{i}].alerts[0].when"


def _invalid_promql(data):
    i, kpi = _kpi(data, "cpu_utilization")
    kpi["source"]["expr"] = "100 * (1 - avg by (instance) (rate(node_cpu_seconds_total[1m]))"
    return f"kpis[{i}].source.expr"


def _unknown_domain(data):
    i, kpi = _kpi(data, "cpu_utilization")
    kpi["domain"] = "mainframe"
    return f"kpis[{i}].domain"


def _severity_without_route(data):
    i, kpi = _kpi(data, "cpu_utilization")
    kpi["alerts"][0]["severity"] = "page"
    return f"kpis[{i}].alerts[0].severity"


def _inline_secret(data):
    data["routing"]["receivers"]["on_call_engineer"]["pagerduty"] = {"routing_key": "abc123"}
    return "routing.receivers.on_call_engineer.pagerduty"


def _bad_comparison(data):
    i, kpi = _kpi(data, "memory_utilization")
    kpi["alerts"][0]["when"] = "above 85"
    return f"kpis[{i}].alerts[0].when"


def _two_conditions(data):
    i, kpi = _kpi(data, "memory_utilization")
    kpi["alerts"][0]["baseline"] = {"factor": 1.5}
    return f"kpis[{i}].alerts[0]"


def _unknown_kind(data):
    i, kpi = _kpi(data, "pod_density")
    kpi["source"]["kind"] = "summary"
    return f"kpis[{i}].source"


def _slo_on_gauge(data):
    i, kpi = _kpi(data, "hourly_cost")
    kpi["slo"] = {"objective": 99.9}
    return f"kpis[{i}].slo"


def _inverted_band(data):
    i, kpi = _kpi(data, "cpu_utilization")
    kpi["target"] = "80..70"
    return f"kpis[{i}].target"


def _quantile_out_of_range(data):
    i, kpi = _kpi(data, "response_time_p99")
    kpi["source"]["quantile"] = 99
    return f"kpis[{i}].source.quantile"


def _wrong_version(data):
    data["version"] = 2
    return "version"


def _missing_title(data):
    i, kpi = _kpi(data, "disk_io_operations")
    del kpi["title"]
    return f"kpis[{i}].title"


CASES = [
    pytest.param(_unknown_key, 'unknown key "colour"', id="An unknown key is rejected, not ignored"),
    pytest.param(_bad_duration, '"5 minutes" is not a duration like 5m', id="A duration in words is rejected"),
    pytest.param(_wrong_type, "Input should be a valid integer", id="A string where a number belongs is rejected"),
    pytest.param(_duplicate_id, 'duplicate id "cpu_utilization" (first at kpis[0])', id="Two KPIs cannot share an id"),
    pytest.param(_unknown_audience, 'unknown audience "boardroom"', id="A KPI cannot name an audience that does not exist"),
    pytest.param(_undefined_receiver, 'undefined receiver "nobody"', id="A severity cannot route to an undefined receiver"),
    pytest.param(_contradicting_threshold, '"> 0.05" fires while the target "< 0.1" is met',
                 id="An alert threshold inside the target's healthy range is rejected"),
    pytest.param(_invalid_promql, "invalid PromQL: 1:", id="PromQL that Prometheus cannot parse is rejected"),
    pytest.param(_unknown_domain, 'unknown domain "mainframe"', id="A KPI cannot name a domain that does not exist"),
    pytest.param(_severity_without_route, 'severity "page" has no route in routing.severities',
                 id="An alert severity needs a route"),
    pytest.param(_inline_secret, "inline secret 'routing_key' is not allowed: put it in a file and use 'routing_key_file'",
                 id="An inline secret is rejected and the file field named"),
    pytest.param(_bad_comparison, '"above 85" is not a comparison like "> 2"', id="A threshold in words is rejected"),
    pytest.param(_two_conditions, "needs exactly one condition of when, baseline, change, forecast, absent (got when, baseline)",
                 id="An alert with two conditions is rejected"),
    pytest.param(_unknown_kind, "kind must be one of expression, gauge, quantile, rate, ratio",
                 id="An unknown KPI kind is rejected"),
    pytest.param(_slo_on_gauge, "an SLO needs a ratio source, not gauge", id="An SLO on a gauge KPI is rejected"),
    pytest.param(_inverted_band, '"80..70" is a band with low > high', id="A target band upside down is rejected"),
    pytest.param(_quantile_out_of_range, "Input should be less than 1", id="A quantile above 1 is rejected"),
    pytest.param(_wrong_version, "Input should be 1", id="An unknown spec version is rejected"),
    pytest.param(_missing_title, "required key is missing", id="A KPI without a title is rejected"),
]


@pytest.mark.parametrize(("mutate", "message"), CASES)
def test_bad_spec_is_rejected_with_its_path_and_nothing_is_written(generated_project, tmp_path, spec_data, mutate, message):
    project = tmp_path / "project"
    shutil.copytree(generated_project, project)
    path = mutate(spec_data)
    (project / "spec" / "kpis.yaml").write_text(yaml.safe_dump(spec_data, sort_keys=False))
    before = snapshot(project)

    done = run_cli("generate", cwd=project)

    assert done.returncode == 2, done.stdout + done.stderr
    assert f"ERROR: spec/kpis.yaml: {path}: {message}" in done.stderr
    assert "nothing written" in done.stderr
    assert snapshot(project) == before


def test_invalid_yaml_names_the_line(tmp_path):
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "kpis.yaml").write_text("version: 1\nkpis:\n  - id: a\n   title: b\n")
    done = run_cli("validate", cwd=tmp_path)
    assert done.returncode == 2
    assert "ERROR: spec/kpis.yaml: line 4, column 4: not valid YAML" in done.stderr


def test_every_problem_is_reported_once_in_one_run(tmp_path, spec_data):
    (tmp_path / "spec").mkdir()
    _bad_duration(spec_data)
    _unknown_key(spec_data)
    (tmp_path / "spec" / "kpis.yaml").write_text(yaml.safe_dump(spec_data, sort_keys=False))
    done = run_cli("validate", cwd=tmp_path)
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 2, done.stderr
    assert len(set(errors)) == 2
