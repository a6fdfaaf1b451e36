"""The load generator posts a realistic stream, and its incidents show in the metrics."""

from __future__ import annotations

import subprocess
import sys


def run_loadgen(*args: str) -> str:
    r = subprocess.run([sys.executable, "-m", "exporter", "loadgen", "--seed", "1", *args],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stderr


def test_a_hook_failure_spike_shows_as_a_higher_failure_ratio(start_exporter):
    steady, spike = start_exporter(), start_exporter()
    url = "http://127.0.0.1:{}"
    run_loadgen("--url", url.format(steady.port), "--rate", "4000", "--duration", "1")
    run_loadgen("--url", url.format(spike.port), "--rate", "4000", "--duration", "1",
                "--incident", "hook-failures", "--incident-start", "0")

    def failure_ratio(p):
        return (p.total("kiro_hook_executions_total", outcome="failure")
                / p.total("kiro_hook_executions_total"))
    assert failure_ratio(steady) < 0.05 < 0.2 < failure_ratio(spike)
    assert steady.total("mcp_client_operation_duration_seconds_count") > 500
    assert steady.value("kiro_exporter_events_rejected_total") == 0


def test_spool_mode_feeds_the_file_source(start_exporter, tmp_path, wait_for):
    spool = tmp_path / "spool.ndjson"
    out = run_loadgen("--spool", str(spool), "--rate", "5000", "--duration", "0.5",
                      "--batch", "500")
    sent = int(out.split("sent ")[1].split()[0])
    p = start_exporter("--file", str(spool), "--checkpoint-dir", "ck")
    assert wait_for(lambda: sum(v for (n, lab), v in p.samples().items()
                                if n == "kiro_exporter_events_accepted_total") == sent)
