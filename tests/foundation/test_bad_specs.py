"""Bad specs fail with one clear, located message each, exit code 2, and nothing written.

Each case mutates the default spec, runs ``perfcycle generate`` in a project whose outputs
were already generated, and checks the exact problem line and that no file changed.
"""
from __future__ import annotations

import shutil

import pytest
import yaml

from .conftest import run_cli, snapshot


_DELETE = object()


def change(*keys, value=_DELETE, reported: int | None = None):
    """A mutation setting (or deleting) the value at ``keys``; a ``kpi:<id>`` key selects a KPI by id.

    It returns the spec path the error should name: the whole path, or its first
    ``reported`` keys when the problem belongs to an enclosing object.
    """
    def mutate(data: dict) -> str:
        node, path = data, []
        for key in keys[:-1]:
            if isinstance(key, str) and key.startswith("kpi:"):
                index = next(i for i, k in enumerate(data["kpis"]) if k["id"] == key[4:])
                node, path = data["kpis"][index], path + ["kpis", index]
            else:
                node, path = node[key], path + [key]
        if value is _DELETE:
            del node[keys[-1]]
        else:
            node[keys[-1]] = value
        path = (path + [keys[-1]])[: (reported + 1 if reported is not None else None)]
        return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else p) for i, p in enumerate(path))
    return mutate


CASES = [
    pytest.param(change("kpi:cpu_utilization", "colour", value="red"), 'unknown key "colour"',
                 id="An unknown key is rejected, not ignored"),
    pytest.param(change("kpi:response_time_p95", "alerts", 0, "for", value="5 minutes"),
                 '"5 minutes" is not a duration like 5m', id="A duration in words is rejected"),
    pytest.param(change("kpi:error_rate", "decimals", value="two"), "Input should be a valid integer",
                 id="A string where a number belongs is rejected"),
    pytest.param(change("kpi:memory_utilization", "id", value="cpu_utilization"),
                 'duplicate id "cpu_utilization" (first at kpis[0])', id="Two KPIs cannot share an id"),
    pytest.param(change("kpi:error_rate", "audiences", "boardroom", value="stat"), 'unknown audience "boardroom"',
                 id="A KPI cannot name an audience that does not exist"),
    pytest.param(change("routing", "severities", "critical", "receiver", value="nobody"),
                 'undefined receiver "nobody"', id="A severity cannot route to an undefined receiver"),
    pytest.param(change("kpi:error_rate", "alerts", 0, "when", value="> 0.05"),
                 '"> 0.05" fires while the target "< 0.1" is met',
                 id="An alert threshold inside the target's healthy range is rejected"),
    pytest.param(change("kpi:cpu_utilization", "source", "expr",
                        value="100 * (1 - avg by (instance) (rate(node_cpu_seconds_total[1m]))"),
                 "invalid PromQL: 1:", id="PromQL that Prometheus cannot parse is rejected"),
    pytest.param(change("audiences", "finops", "panels", 1, "queries", 0, "expr",
                        value="730 * sum(kiro_optimization_realized_hourly_savings"),
                 "invalid PromQL: 1:", id="A panel query that Prometheus cannot parse is rejected"),
    pytest.param(change("kpi:cpu_utilization", "domain", value="mainframe"), 'unknown domain "mainframe"',
                 id="A KPI cannot name a domain that does not exist"),
    pytest.param(change("kpi:cpu_utilization", "alerts", 0, "severity", value="page"),
                 'severity "page" has no route in routing.severities', id="An alert severity needs a route"),
    pytest.param(change("routing", "receivers", "on_call_engineer", "pagerduty", value={"routing_key": "abc123"}),
                 "inline secret 'routing_key' is not allowed: put it in a file and use 'routing_key_file'",
                 id="An inline secret is rejected and the file field named"),
    pytest.param(change("kpi:memory_utilization", "alerts", 0, "when", value="above 85"),
                 '"above 85" is not a comparison like "> 2"', id="A threshold in words is rejected"),
    pytest.param(change("kpi:memory_utilization", "alerts", 0, "baseline", value={"factor": 1.5}, reported=3),
                 "needs exactly one condition of when, baseline, change, forecast, absent (got when, baseline)",
                 id="An alert with two conditions is rejected"),
    pytest.param(change("kpi:pod_density", "source", "kind", value="summary", reported=2),
                 "kind must be one of expression, gauge, quantile, rate, ratio", id="An unknown KPI kind is rejected"),
    pytest.param(change("kpi:hourly_cost", "slo", value={"objective": 99.9}), "an SLO needs a ratio source, not gauge",
                 id="An SLO on a gauge KPI is rejected"),
    pytest.param(change("kpi:cpu_utilization", "target", value="80..70"), '"80..70" is a band with low > high',
                 id="A target band upside down is rejected"),
    pytest.param(change("kpi:response_time_p99", "source", "quantile", value=99), "Input should be less than 1",
                 id="A quantile above 1 is rejected"),
    pytest.param(change("version", value=2), "Input should be 1", id="An unknown spec version is rejected"),
    pytest.param(change("kpi:disk_io_operations", "title"), "required key is missing",
                 id="A KPI without a title is rejected"),
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
    change("kpi:response_time_p95", "alerts", 0, "for", value="5 minutes")(spec_data)
    change("kpi:cpu_utilization", "colour", value="red")(spec_data)
    (tmp_path / "spec" / "kpis.yaml").write_text(yaml.safe_dump(spec_data, sort_keys=False))
    done = run_cli("validate", cwd=tmp_path)
    errors = [line for line in done.stderr.splitlines() if line.startswith("ERROR:")]
    assert len(errors) == 2, done.stderr
    assert len(set(errors)) == 2


def _errors(tmp_path, spec_data) -> list[str]:
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "kpis.yaml").write_text(yaml.safe_dump(spec_data, sort_keys=False))
    done = run_cli("validate", cwd=tmp_path)
    assert done.returncode == 2, done.stdout + done.stderr
    return [line for line in done.stderr.splitlines() if line.startswith("ERROR:")]


def test_panel_queries_with_template_variables_pass(tmp_path, spec_data):
    query = 'sum by (namespace) (rate(x_total{namespace=~"$namespace", pod=~"${pod:regex}"}[$__rate_interval]))'
    spec_data["audiences"]["finops"]["panels"][1]["queries"][0]["expr"] = query
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "kpis.yaml").write_text(yaml.safe_dump(spec_data, sort_keys=False))
    done = run_cli("validate", cwd=tmp_path)
    assert done.returncode == 0, done.stderr


def test_promql_problems_are_reported_with_structural_ones_in_one_run(tmp_path, spec_data):
    """A structural error elsewhere does not hide a broken query: every KPI and panel that validates is parsed."""
    change("kpi:cpu_utilization", "colour", value="red")(spec_data)
    bad_kpi = change("kpi:memory_utilization", "source", "expr", value="avg(node_memory_MemAvailable_bytes")(spec_data)
    bad_panel = change("audiences", "finops", "panels", 1, "queries", 0, "expr", value="sum(")(spec_data)
    errors = _errors(tmp_path, spec_data)
    assert any(e.startswith("ERROR: spec/kpis.yaml: kpis[0].colour: unknown key") for e in errors), errors
    assert any(e.startswith(f"ERROR: spec/kpis.yaml: {bad_kpi}: invalid PromQL:") for e in errors), errors
    assert any(e.startswith(f"ERROR: spec/kpis.yaml: {bad_panel}: invalid PromQL:") for e in errors), errors
    assert len(errors) == 3, errors


def test_promql_problems_are_reported_with_cross_reference_ones(tmp_path, spec_data):
    change("kpi:cpu_utilization", "domain", value="mainframe")(spec_data)
    bad = change("kpi:memory_utilization", "source", "expr", value="avg(node_memory_MemAvailable_bytes")(spec_data)
    errors = _errors(tmp_path, spec_data)
    assert any('unknown domain "mainframe"' in e for e in errors), errors
    assert any(e.startswith(f"ERROR: spec/kpis.yaml: {bad}: invalid PromQL:") for e in errors), errors
