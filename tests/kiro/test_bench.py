"""The proxy's added latency stays under budget (a short run of bench/mcp_proxy.py)."""

import importlib.util
import os
import statistics
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "mcp_proxy.py"


@pytest.mark.slow
def test_proxy_adds_under_a_millisecond_median(tmp_path):
    spec = importlib.util.spec_from_file_location("bench_mcp_proxy", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    env = dict(os.environ, PERFCYCLE_SPOOL=str(tmp_path / "spool.ndjson"),
               PERFCYCLE_EXPORTER_URL="http://127.0.0.1:9")
    direct, proxied = bench.raw_bench(300, 30, env)
    added = statistics.median(proxied) - statistics.median(direct)
    assert added < bench.BUDGET_MS / 1000, f"proxy adds {added * 1e3:.3f} ms"
