"""Per-target down alerts for critical sources: which jobs, ``for`` and severity, routing labels."""
from __future__ import annotations

import pytest
import yaml

from generators import alert_labels, alert_rules, naming, targets
from generators.errors import SpecError
from generators.spec import load

from .conftest import ROOT


def _down_rules(spec) -> dict[str, dict]:
    return {r["labels"]["kpi"]: r for k in spec.kpis for r in alert_rules.kpi_rules(spec, k)
            if r["alert"] == naming.target_down_alert_name(k)}


def _spec(tmp_path, change) -> object:
    document = yaml.safe_load((ROOT / "spec" / "kpis.yaml").read_text())
    change(document)
    (tmp_path / "kpis.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    return load(tmp_path / "kpis.yaml").spec


def test_every_critical_source_alerts_per_target_of_the_jobs_it_reads(spec):
    rules = _down_rules(spec)
    assert set(rules) == {k.id for k in spec.kpis if k.critical_source}
    assert rules["cpu_utilization"]["expr"] == 'up{job="node"} == 0'
    assert rules["error_rate"]["expr"] == 'up{job="application"} == 0'  # no job given: the exporter id
    assert rules["hook_success_rate"]["expr"] == 'up{job="perfcycle-exporter"} == 0'


def test_down_alerts_carry_the_routing_labels_and_the_spec_defaults(spec):
    rule = _down_rules(spec)["cpu_utilization"]
    assert rule["for"] == spec.defaults.target_down_for == "5m"
    assert rule["labels"] == {"severity": "warning", "kpi": "cpu_utilization", "domain": "compute",
                              "family": "cpu_utilization"}
    assert {"summary", "description", "runbook_url", "dashboard_url"} <= set(rule["annotations"])


def test_the_routing_contract_lists_them_with_the_target_labels(spec):
    found = [a for a in alert_labels.all_alerts(spec) if a.alertname == "CpuUtilizationTargetDown"]
    assert [(a.labels["severity"], a.series_labels) for a in found] == [("warning", ("job", "instance"))]


def test_an_exporter_sets_its_own_job_for_and_severity(tmp_path):
    def change(document):
        document["exporters"]["node_exporter"].update({"job": "node-exporter", "down_for": "2m", "down_severity": "critical"})
    rule = _down_rules(_spec(tmp_path, change))["cpu_utilization"]
    assert (rule["expr"], rule["for"], rule["labels"]["severity"]) == ('up{job="node-exporter"} == 0', "2m", "critical")


def test_a_kpi_reading_two_exporters_watches_both_jobs_shortest_for_most_severe(tmp_path):
    def change(document):
        kpi = next(k for k in document["kpis"] if k["id"] == "cpu_utilization")
        kpi["source"]["expr"] = '100 * (1 - avg by (instance) (rate(node_cpu_seconds_total{mode="idle"}[1m]))) + 0 * sum(up{job="x"}) + 0 * sum(pg_up)'
        document["exporters"]["postgres_exporter"].update({"down_for": "1m", "down_severity": "critical"})
    spec = _spec(tmp_path, change)
    down = targets.target_down(spec, spec.kpi("cpu_utilization"))
    assert down == targets.TargetDown(("node", "postgres_exporter"), "1m", "critical")
    assert targets.down_expr(down) == 'up{job="node"} == 0 or up{job="postgres_exporter"} == 0'


def test_no_down_alert_without_a_critical_source_or_a_declared_exporter(tmp_path, spec):
    assert targets.target_down(spec, spec.kpi("memory_utilization")) is None  # not critical_source

    def change(document):
        document["exporters"].pop("perfcycle_exporter")
    spec = _spec(tmp_path, change)
    assert targets.target_down(spec, spec.kpi("hook_success_rate")) is None


@pytest.mark.parametrize("path, change", [
    pytest.param("defaults.target_down_severity", lambda d: d["defaults"].update(target_down_severity="urgent"),
                 id="An unrouted default severity is a located spec error."),
    pytest.param("exporters.node_exporter.down_severity",
                 lambda d: d["exporters"]["node_exporter"].update(down_severity="urgent"),
                 id="An unrouted exporter severity is a located spec error."),
])
def test_an_unrouted_down_severity_is_reported(tmp_path, path, change):
    with pytest.raises(SpecError) as err:
        _spec(tmp_path, change)
    assert path in {p.path for p in err.value.problems}
