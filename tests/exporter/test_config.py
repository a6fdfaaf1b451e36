"""The config file, flags over it, TLS, config gauges and the extra-collector hook."""

from __future__ import annotations

import http.client
import json
import ssl
import subprocess
import sys

import pytest

CONFIG = """
web:
  max_body_bytes: 2000
cardinality: {max_values_per_label: 50}
budgets: {cluster: 12000, team-a: 3000.5}
ebs_volumes: {vol-0abc: 3000}
collectors: ["plugin_for_test:make"]
"""

PLUGIN = '''
from prometheus_client.core import GaugeMetricFamily

class C:
    def describe(self):
        return []

    def collect(self):
        g = GaugeMetricFamily("kiro_test_plugin_up", "Registered through collectors:.")
        g.add_metric([], 1)
        yield g

def make(exporter):
    return C()
'''


def test_config_file_keys_and_flag_overrides(start_exporter, tmp_path):
    (tmp_path / "exporter.yaml").write_text(CONFIG)
    (tmp_path / "plugin_for_test.py").write_text(PLUGIN)
    p = start_exporter("--config", "exporter.yaml", "--web.max-body-bytes", "100",
                       env={"PYTHONPATH": str(tmp_path)})
    assert p.value("kiro_budget_monthly_cost", scope="cluster") == 12000
    assert p.value("kiro_budget_monthly_cost", scope="team-a") == 3000.5
    assert p.value("kiro_ebs_volume_provisioned_iops", volume_id="vol-0abc") == 3000
    assert p.value("kiro_test_plugin_up") == 1
    body = json.dumps([{"type": "feature", "team": "a"}] * 5).encode()
    assert p.post(body)[0] == 413  # the flag (100) wins over the file (2000)


@pytest.mark.parametrize("config,message", [
    pytest.param("budgets: {cluster: lots}\n", "budgets.cluster: must be a number",
                 id="A budget that is not a number is a config error."),
    pytest.param("web: {tls: {cert_file: a.pem}}\n", "cert_file and key_file go together",
                 id="TLS with a cert but no key is a config error."),
    pytest.param("collectors: ['no_such_module:x']\n", "cannot load",
                 id="An extra collector that cannot be imported is a config error."),
    pytest.param("web: {max_body_bytes: 10MB}\n", "web.max_body_bytes: must be a positive integer, got '10MB'",
                 id="A body limit with a unit is a config error naming the key, not a traceback."),
    pytest.param("cardinality: {max_values_per_label: 0}\n",
                 "cardinality.max_values_per_label: must be a positive integer",
                 id="A zero cardinality cap is a config error."),
    pytest.param("poll_interval: -1\n", "poll_interval: must be a positive duration",
                 id="A negative poll interval (a busy loop) is a config error."),
    pytest.param("prometheus: {timeout: 0s}\n", "prometheus.timeout: must be a positive duration",
                 id="A zero query timeout is a config error naming the key."),
    pytest.param("prometheus: {refresh_interval: soon}\n", "prometheus.refresh_interval: must be a positive duration",
                 id="A refresh interval that is not a duration is a config error naming the key."),
])
def test_bad_config_exits_2_with_one_error_line(tmp_path, config, message):
    (tmp_path / "bad.yaml").write_text(config)
    r = subprocess.run([sys.executable, "-m", "exporter", "--config", "bad.yaml",
                        "--web.listen-address", "127.0.0.1:0"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 2
    assert r.stderr.startswith("ERROR: ") and message in r.stderr


def test_tls_serves_metrics_and_ingest(start_exporter, tmp_path):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", "key.pem", "-out", "cert.pem"],
                   cwd=tmp_path, check=True, capture_output=True, timeout=60)
    p = start_exporter("--web.tls-cert-file", "cert.pem", "--web.tls-key-file", "key.pem")
    ctx = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
    ctx.check_hostname = False
    c = http.client.HTTPSConnection("127.0.0.1", p.port, context=ctx, timeout=10)
    c.request("POST", "/api/v1/events", json.dumps({"type": "feature", "team": "t"}),
              {"Content-Type": "application/json"})
    r = c.getresponse()
    assert (r.status, json.loads(r.read())) == (200, {"accepted": 1, "rejected": 0})
    c.request("GET", "/metrics")
    r = c.getresponse()
    assert r.status == 200 and b'kiro_features_delivered_total{team="t"} 1' in r.read()
    c.close()
