"""Optimization savings against a real Prometheus holding backfilled data we control."""

from __future__ import annotations

import http.server
import subprocess
import threading
import time
from datetime import datetime, timezone

import pytest

from exporter.derived import Derived, QueryError
from generators.stack import ports
from tests import support

NOW = int(time.time()) // 60 * 60
APPLIED = NOW - 1800  # the optimization went live 30 minutes ago


def rfc3339(t: float) -> str:
    return datetime.fromtimestamp(t, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    """A real Prometheus whose TSDB holds: latency 0.2 s and cost 10/h before APPLIED,
    0.1 s and 6/h after, one sample every 15 s over the last three hours."""
    d = tmp_path_factory.mktemp("prom")
    lat, cost = [], []
    for t in range(NOW - 3 * 3600, NOW, 15):
        before = t < APPLIED
        lat.append(f"test_latency_seconds {0.2 if before else 0.1} {t}")
        cost.append(f"test_cost_hourly {10 if before else 6} {t}")
    om = ["# TYPE test_latency_seconds gauge", *lat, "# TYPE test_cost_hourly gauge", *cost,
          "# EOF"]
    (d / "data.om").write_text("\n".join(om) + "\n")
    subprocess.run([support.tool("promtool"), "tsdb", "create-blocks-from", "openmetrics", "-q",
                    str(d / "data.om"), str(d / "tsdb")], check=True, timeout=60)
    with support.prometheus(d, "global: {scrape_interval: 1m}\n", tsdb=d / "tsdb") as url:
        yield url


OPT = {"type": "optimization", "id": "opt-1", "strategy": "rightsizing",
       "applied_at": rfc3339(APPLIED), "target_query": "test_latency_seconds",
       "cost_query": "test_cost_hourly", "better": "lower", "estimated_hourly_savings": 5,
       "window": "10m"}


def test_savings_are_derived_from_before_and_after_windows(start_exporter, prometheus,
                                                            wait_for):
    p = start_exporter("--prometheus.url", prometheus, "--prometheus.refresh-interval", "1s")
    bad = dict(OPT, id="opt-bad", cost_query="sum(")
    assert p.post([OPT, bad]) == (200, {"accepted": 2, "rejected": 0})
    labels = {"id": "opt-1", "strategy": "rightsizing"}
    assert wait_for(lambda: p.value("kiro_optimization_realized_hourly_savings", **labels), 20)
    assert p.value("kiro_optimization_improvement_ratio", **labels) == pytest.approx(0.5,
                                                                                     rel=0.02)
    assert p.value("kiro_optimization_realized_hourly_savings", **labels) == pytest.approx(4,
                                                                                           rel=0.02)
    assert p.value("kiro_optimization_estimated_hourly_savings", **labels) == 5
    assert p.value("kiro_optimization_target_before", **labels) == pytest.approx(0.2, rel=0.02)
    assert p.value("kiro_optimization_target_after", **labels) == pytest.approx(0.1, rel=0.02)
    # a query Prometheus rejects is an error metric, and the other query still works
    assert wait_for(lambda: p.value("kiro_optimization_query_errors_total", id="opt-bad",
                                    query="cost") >= 1)
    assert p.value("kiro_optimization_improvement_ratio", id="opt-bad",
                   strategy="rightsizing") == pytest.approx(0.5, rel=0.02)
    assert p.value("kiro_optimization_query_errors_total", id="opt-1", query="cost") == 0


def test_higher_is_better_flips_the_sign(start_exporter, prometheus, wait_for):
    p = start_exporter("--prometheus.url", prometheus, "--prometheus.refresh-interval", "1s")
    assert p.post(dict(OPT, id="opt-h", better="higher"))[0] == 200
    assert wait_for(lambda: p.value("kiro_optimization_improvement_ratio", id="opt-h",
                                    strategy="rightsizing"), 20) == pytest.approx(-0.5, rel=0.02)


def test_an_unreachable_prometheus_shows_as_errors_and_metrics_still_work(start_exporter,
                                                                          wait_for):
    p = start_exporter("--prometheus.url", ports.url(ports.free_ports(1)[0]),
                       "--prometheus.refresh-interval", "1s", "--prometheus.timeout", "1s")
    assert p.post(OPT)[0] == 200
    assert wait_for(lambda: p.value("kiro_optimization_query_errors_total", id="opt-1",
                                    query="target") >= 2, 20)
    text = p.scrape()
    assert "kiro_optimization_improvement_ratio{" not in text
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")


def test_optimizations_from_the_config_file_are_measured_too(start_exporter, prometheus,
                                                             wait_for, tmp_path):
    import yaml
    opt = {k: v for k, v in OPT.items() if k != "type"}
    opt["applied_at"] = datetime.fromtimestamp(APPLIED, timezone.utc)  # a YAML timestamp
    (tmp_path / "exporter.yaml").write_text(yaml.safe_dump({
        "prometheus": {"url": prometheus, "refresh_interval": "1s"},
        "optimizations": [dict(opt, id="from-config")]}))
    p = start_exporter("--config", "exporter.yaml")
    assert wait_for(lambda: p.value("kiro_optimization_realized_hourly_savings",
                                    id="from-config", strategy="rightsizing"), 20) == \
        pytest.approx(4, rel=0.02)


@pytest.mark.parametrize("answer", [
    b'[1, 2]',
    b'{"status": "success"}',
    b'{"status": "success", "data": {"resultType": "vector", "result": [{"metric": {}}]}}',
    b'{"status": "success", "data": {"resultType": "scalar", "result": "x"}}',
], ids=["not an object", "no data", "a sample without a value", "a scalar that is not a pair"])
def test_a_malformed_answer_is_a_query_error_not_a_crash(answer):
    """A proxy or some other server answering in Prometheus's place is counted as an error."""
    class Answer(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        derived = Derived(f"http://127.0.0.1:{server.server_port}", timeout=5, interval=60)
        with pytest.raises(QueryError):
            derived._query("up", time.time())
    finally:
        server.shutdown()
        server.server_close()
