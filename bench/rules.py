"""Benchmark: rule evaluation cost of the generated rules in a real Prometheus over 10,000 source series.

Starts a local /metrics target on 127.0.0.1 serving 10,000 series shaped like the default
spec's sources (request histograms and counters per service, node CPU, memory, network and
disk per instance, Envoy and MCP histograms), then a real Prometheus (temporary storage,
loopback only) scraping it every 15 s and evaluating a rule set, and reads
``prometheus_rule_group_last_duration_seconds`` and ``prometheus_rule_group_interval_seconds``.

Two runs, printed side by side:
- ``generated``: ``recording_rules/*.yml`` and ``alerts/*.yml`` as ``perfcycle generate`` writes them;
- ``naive``: the same KPIs written the plain way, every value and every long window straight
  from raw source series (``histogram_quantile(…, rate(x_bucket[7d]))`` …), one group per domain.

The figure of merit is the sum over groups of duration / interval: the share of one core
the rule evaluation keeps busy. Target: under 2 %. Run: ``.venv/bin/python bench/rules.py``.
Fresh storage means long windows hold only the run's own samples, so 7-day averages are
cheaper here than after a week; they read a few hundred recorded series either way.
"""
from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import requests
import yaml
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generators import kinds, naming  # noqa: E402
from generators.build import alerts, recording_rules  # noqa: E402
from generators.model import seconds  # noqa: E402
from generators.render import dump_yaml  # noqa: E402
from generators.spec import load  # noqa: E402
from generators.stack import procs  # noqa: E402

SERIES = 10_000
LE = ("0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf")
HEALTHY_LATENCY = (0.1, 0.2, 0.35, 0.5, 0.7, 0.9, 0.97, 0.99, 0.997, 0.999, 1.0, 1.0)
"""Cumulative share of requests per bucket: a healthy service (p95 near 0.4 s, errors 0.035 %),
so the run measures steady-state evaluation rather than dozens of firing alerts."""


def source_families() -> list[tuple[str, str, dict[str, str], float]]:
    """(kind, metric, labels, rate per second) for 10,000 series."""
    out = []
    services = [f"svc-{i:02d}" for i in range(40)]
    for s_i, service in enumerate(services):
        tier = "customer-facing" if s_i % 4 == 0 else "internal"
        for pod in range(4):
            base = {"service": service, "pod": f"{service}-{pod}", "tier": tier}
            for le, share in zip(LE, HEALTHY_LATENCY):
                out.append(("counter", "http_request_duration_seconds_bucket", {**base, "le": le}, 2.0 * share))
            out.append(("counter", "http_request_duration_seconds_count", base, 2.0))
            out.append(("counter", "http_request_duration_seconds_sum", base, 0.2))
            for code, share in (("200", 1.95), ("404", 0.0493), ("500", 0.0005), ("503", 0.0002)):
                out.append(("counter", "http_requests_total", {**base, "code": code}, share))
    for i in range(60):
        instance = f"node-{i:02d}:9100"
        for cpu in range(8):
            for mode in ("idle", "user", "system", "iowait"):
                out.append(("counter", "node_cpu_seconds_total", {"instance": instance, "cpu": str(cpu), "mode": mode},
                            {"idle": 0.6, "user": 0.25, "system": 0.1, "iowait": 0.05}[mode]))
        out.append(("gauge", "node_memory_MemAvailable_bytes", {"instance": instance}, 4e9 + i * 1e7))
        out.append(("gauge", "node_memory_MemTotal_bytes", {"instance": instance}, 16e9))
        for device in ("eth0", "eth1", "lo"):
            for direction in ("receive", "transmit"):
                out.append(("counter", f"node_network_{direction}_bytes_total", {"instance": instance, "device": device}, 1e6))
        for device in ("nvme0n1", "nvme1n1"):
            for metric, rate in (("reads_completed", 50.0), ("writes_completed", 50.0), ("read_bytes", 2e6),
                                 ("written_bytes", 2e6), ("read_time_seconds", 0.05), ("write_time_seconds", 0.1)):
                out.append(("counter", f"node_disk_{metric}_total", {"instance": instance, "device": device}, rate))
    clusters = [f"outbound|80||svc-{i:02d}" for i in range(40)]
    for cluster in clusters:
        for j, le in enumerate(("1", "5", "10", "25", "50", "100", "250", "500", "1000", "+Inf")):
            out.append(("counter", "envoy_cluster_upstream_rq_time_bucket", {"envoy_cluster_name": cluster, "le": le}, 1.0 * (j + 1)))
        out.append(("counter", "envoy_cluster_upstream_rq_total", {"envoy_cluster_name": cluster}, 10.0))
    i = 0
    while len(out) < SERIES:  # MCP request histograms fill the rest
        server = f"mcp-{i // 13:03d}"
        le = ("0.01", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf", "count", "sum", "total")[i % 13]
        if le == "count":
            out.append(("counter", "mcp_client_request_duration_seconds_count", {"server": server}, 5.0))
        elif le == "sum":
            out.append(("counter", "mcp_client_request_duration_seconds_sum", {"server": server}, 0.5))
        elif le == "total":
            out.append(("counter", "mcp_client_requests_total", {"server": server, "outcome": "success"}, 5.0))
        else:
            out.append(("counter", "mcp_client_request_duration_seconds_bucket", {"server": server, "le": le}, 5.0))
        i += 1
    return out[:SERIES]


class Target:
    """A /metrics endpoint on loopback whose counters grow with wall time."""

    def __init__(self, families):
        self.started = time.time()
        self.lines = [(f"{metric}{{{','.join(f'{k}={chr(34)}{v}{chr(34)}' for k, v in labels.items())}}}",
                       kind == "counter", rate) for kind, metric, labels, rate in families]
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _handler(self):
        target = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                body = target.exposition().encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass
        return Handler

    def exposition(self) -> str:
        elapsed = time.time() - self.started + 3600
        factor = elapsed * (1 + 0.01 * math.sin(elapsed / 300))
        return "".join(f"{name} {rate * factor if counter else rate:.3f}\n" for name, counter, rate in self.lines)

    def stop(self):
        self.server.shutdown()


def naive_rule_files(spec, directory: Path) -> list[Path]:
    """The KPIs the plain way: each value and each long window from raw source series."""
    files = []
    for domain in spec.domains:
        rules = []
        for kpi in (k for k in spec.kpis if k.domain == domain):
            rules.append({"record": f"naive:{kpi.id}:value", "expr": kinds.raw_value_expr(kpi)})
            for window in recording_rules.long_windows(spec, kpi):
                if kpi.source.kind in ("quantile", "ratio", "rate"):
                    longer = kpi.model_copy(update={"source": kpi.source.model_copy(update={"window": window})})
                    expr = kinds.raw_value_expr(longer)
                else:
                    expr = f"avg_over_time(({kinds.raw_value_expr(kpi)})[{window}:1m])"
                rules.append({"record": f"naive:{kpi.id}:avg{window}", "expr": expr})
        if rules:
            path = directory / f"naive-{domain}.yml"
            path.write_text(dump_yaml({"groups": [{"name": f"naive.{domain}",
                                                   "interval": spec.domains[domain].interval, "rules": rules}]}))
            files.append(path)
    return files


def generated_rule_files(spec, directory: Path) -> list[Path]:
    files = []
    for builder in (recording_rules, alerts):
        for rel, doc in builder.build(spec).items():
            path = directory / rel.replace("/", "-")
            path.write_text(dump_yaml(doc))
            files.append(path)
    return files


def measure(name: str, rule_files: list[Path], target_port: int, work: Path, duration: float) -> dict[str, tuple[float, float]]:
    """Run Prometheus with ``rule_files`` for ``duration`` s; return group -> (mean last duration s, interval s)."""
    data = work / f"data-{name}"
    config = work / f"prometheus-{name}.yml"
    config.write_text(yaml.safe_dump({
        "global": {"scrape_interval": "15s", "evaluation_interval": "15s"},
        "rule_files": [str(f) for f in rule_files],
        "scrape_configs": [{"job_name": "bench", "static_configs": [{"targets": [f"127.0.0.1:{target_port}"]}]}],
    }))
    def argv(port: int) -> list[str]:
        return ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={data}",
                f"--web.listen-address=127.0.0.1:{port}"]

    with procs.serving(f"prometheus-{name}", argv, work, timeout=60) as base:
        time.sleep(duration)
        samples: dict[str, list[float]] = {}
        intervals: dict[str, float] = {}
        for _ in range(4):  # average a few readings of the last evaluation's duration
            for group, value in _query(base, "prometheus_rule_group_last_duration_seconds").items():
                samples.setdefault(group, []).append(value)
            intervals.update(_query(base, "prometheus_rule_group_interval_seconds"))
            time.sleep(15)
        rules = requests.get(f"{base}/api/v1/rules", timeout=10).json()["data"]["groups"]
        slowest = sorted(((r["evaluationTime"], g["name"], r["name"]) for g in rules for r in g["rules"]), reverse=True)
        print(f"\n{name}: slowest rules (last evaluation)")
        for took, group, rule in slowest[:6]:
            print(f"  {took * 1000:9.2f} ms  {group}  {rule}")
        return {g: (sum(v) / len(v), intervals[g]) for g, v in samples.items()}


def _query(base: str, metric: str) -> dict[str, float]:
    """One gauge of Prometheus' own /metrics, by rule group name (it does not scrape itself here)."""
    text = requests.get(f"{base}/metrics", timeout=10).text
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == metric:
                out[sample.labels["rule_group"].split(";", 1)[1]] = sample.value
    return out


def report(name: str, groups: dict[str, tuple[float, float]]) -> float:
    print(f"\n{name}: {len(groups)} groups")
    print(f"  {'group':58} {'ms':>9} {'interval':>9} {'% of interval':>14}")
    share = 0.0
    for group, (last, interval) in sorted(groups.items(), key=lambda kv: -kv[1][0] / kv[1][1]):
        share += last / interval
        print(f"  {group:58} {last * 1000:9.2f} {interval:8.0f}s {100 * last / interval:13.3f}%")
    total_ms = sum(last for last, _ in groups.values()) * 1000
    print(f"  total: {total_ms:.1f} ms per round of evaluations; {100 * share:.3f} % of one core "
          f"(sum over groups of duration / interval)")
    return share


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spec", default=str(ROOT / "spec" / "kpis.yaml"))
    parser.add_argument("--duration", type=float, default=90, help="seconds of scraping before reading (default 90)")
    parser.add_argument("--budget", type=float, default=2.0, help="percent of the interval allowed (default 2)")
    args = parser.parse_args(argv)
    if shutil.which("prometheus") is None:
        print("prometheus not found: run `make deps`", file=sys.stderr)
        return 3
    spec = load(args.spec).spec
    families = source_families()
    target = Target(families)
    work = Path(tempfile.mkdtemp(prefix="perfcycle-bench-"))
    try:
        print(f"source series: {len(families)} on 127.0.0.1:{target.port}; work dir {work}")
        generated = measure("generated", generated_rule_files(spec, work), target.port, work, args.duration)
        naive = measure("naive", naive_rule_files(spec, work), target.port, work, args.duration)
    finally:
        target.stop()
    ours, theirs = report("generated rules", generated), report("naive raw expressions", naive)
    verdict = "PASS" if 100 * ours < args.budget else "FAIL"
    print(f"\ngenerated: {100 * ours:.3f} % of the evaluation interval (budget {args.budget:g} %) -> {verdict}; "
          f"naive: {100 * theirs:.3f} %; ratio naive/generated = {theirs / ours if ours else float('inf'):.1f}x")
    shutil.rmtree(work, ignore_errors=True)
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
