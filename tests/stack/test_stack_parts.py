"""The stack's pure parts (prometheus.yml, panel variables, Alertmanager override) and its process handling."""
from __future__ import annotations

import json
import sys
import time
import urllib.request

import pytest
import yaml

from generators.stack import alertmanager, bundle, ports, procs, promconfig


def test_prometheus_config_scrapes_both_exporters_loads_rules_and_alerts_locally():
    config = promconfig.build(exporter="127.0.0.1:1", node_exporter="127.0.0.1:2", alertmanager="127.0.0.1:3",
                              rule_files=["/r/a.yml"], synthetic="127.0.0.1:4", scrape_interval="5s")
    jobs = {j["job_name"]: j for j in config["scrape_configs"]}
    assert set(jobs) == {"perfcycle-exporter", "node", "synthetic"}
    assert jobs["synthetic"]["honor_labels"] is True
    assert config["rule_files"] == ["/r/a.yml"] and config["global"]["scrape_interval"] == "5s"
    assert config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["127.0.0.1:3"]


@pytest.mark.parametrize("expr, variables, expected", [
    pytest.param('x{service=~"$service"}', {"service": {"type": "query", "multi": True}}, 'x{service=~".*"}',
                 id="A multi-value variable becomes .*"),
    pytest.param('rate(x[$__rate_interval])', {}, "rate(x[1m])", id="Grafana's rate interval becomes 1m."),
    pytest.param('x{a=~"${a}"}[$__range]', {"a": {"type": "query", "includeAll": True}}, 'x{a=~".*"}[1h]',
                 id="Braced variables and the range are substituted."),
])
def test_panel_variables_are_substituted_like_grafana_all(expr, variables, expected):
    assert bundle.substitute(expr, variables) == expected


def test_override_points_every_receiver_at_the_webhook_and_keeps_routes():
    config = {"global": {"smtp_smarthost": "x"}, "route": {"receiver": "a", "routes": [{"receiver": "b"}]},
              "receivers": [{"name": "a", "email_configs": [{}]}, {"name": "b", "slack_configs": [{}]}],
              "inhibit_rules": [{"equal": ["family"]}]}
    out = alertmanager.override(config, "http://127.0.0.1:9/alerts")
    assert out["route"] == config["route"] and out["inhibit_rules"] == config["inhibit_rules"]
    assert [r["webhook_configs"][0]["url"] for r in out["receivers"]] == ["http://127.0.0.1:9/alerts"] * 2
    assert "global" not in out
    catch_all = alertmanager.override({"route": {"receiver": "unrouted"}, "receivers": [{"name": "b"}]}, "http://x/alerts")
    assert [r["name"] for r in catch_all["receivers"]] == ["unrouted", "b"], "the root receiver gets a webhook too"


def test_local_config_gives_every_receiver_the_root_catch_all_included_a_webhook(tmp_path):
    """An alert no route matches lands in the root receiver: in the stack it must reach the sink too."""
    from generators.spec import load
    config = yaml.safe_load(alertmanager.write_local(load("spec/kpis.yaml").spec, tmp_path, "http://127.0.0.1:9/alerts")
                            .read_text())
    names = {r["name"] for r in config["receivers"]}
    assert config["route"]["receiver"] in names
    assert all(r.get("webhook_configs") == [{"url": "http://127.0.0.1:9/alerts", "send_resolved": True}]
               for r in config["receivers"]), config["receivers"]
    assert "templates" not in config


def test_stop_ends_the_whole_process_group_of_each_recorded_process(tmp_path):
    state = procs.State(tmp_path / "state.json")
    child = procs.start(state, "sleeper", [sys.executable, "-c",
                                           "import subprocess, sys, time; subprocess.Popen([sys.executable, '-c', "
                                           "'import time; time.sleep(60)']); time.sleep(60)"], tmp_path)
    time.sleep(0.5)
    assert procs.State.load(state.path).procs[0].pid == child.pid  # recorded before anything else happens
    assert procs.stop(state) == ["sleeper"]
    assert not procs.alive(child.pid)
    assert procs.State.load(state.path).procs == []


def test_sink_records_each_notification(tmp_path):
    port = ports.free_ports(1)[0]
    state = procs.State(tmp_path / "state.json")
    try:
        sink = procs.start(state, "sink", [sys.executable, "-m", "generators.stack.sink", "--listen",
                                           f"127.0.0.1:{port}", "--out", str(tmp_path / "n.jsonl")], tmp_path)
        procs.wait_http(ports.url(port, "/-/ready"), 20, sink)
        body = json.dumps({"receiver": "on_call_engineer", "alerts": []}).encode()
        urllib.request.urlopen(urllib.request.Request(ports.url(port, "/alerts"), body), timeout=5).read()
        with urllib.request.urlopen(ports.url(port, "/notifications"), timeout=5) as resp:
            recorded = json.loads(resp.read())
        assert [r["payload"]["receiver"] for r in recorded] == ["on_call_engineer"]
    finally:
        procs.stop(state)


def test_records_read_with_an_offset_are_found_and_their_record_inputs_inlined(tmp_path):
    from generators.stack import rulesfill
    rules = {"groups": [{"name": "g", "rules": [
        {"record": "a:x:rate5m", "expr": "sum(rate(x_total[5m]))"},
        {"record": "a:y:ratio", "expr": "a:x:rate5m / a:x:rate5m{kpi=\"k\"}"},
        {"alert": "Drop", "expr": "a:y:ratio / a:y:ratio offset 1w < 0.5"}]}]}
    (tmp_path / "alerts").mkdir()
    (tmp_path / "alerts" / "g.yml").write_text(json.dumps(rules))
    assert rulesfill.offset_reads(tmp_path) == {"a:y:ratio": {7 * 86400}}
    records = {r["record"]: r for r in rules["groups"][0]["rules"] if "record" in r}
    assert rulesfill.inline(records["a:y:ratio"]["expr"], records) == '(sum(rate(x_total[5m]))) / a:x:rate5m{kpi="k"}'
