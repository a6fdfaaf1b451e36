"""``stack up`` failing half-way stops, by PID, every process it had started: none is left alive.

Real processes (webhook sink, node_exporter, perfcycle-exporter and its load generator) start
first; then a fake Alertmanager or Prometheus on ``PATH`` breaks the start-up. The fakes leave
a child behind in their process group, as a real server's helpers would, so the test also
proves that stopping covers the whole group, even once its leader has exited.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from generators.stack import procs, stack

ROOT = Path(__file__).resolve().parents[2]
BAD_BINARY = "#!/bin/sh\nsleep 300 &\necho 'cannot start' >&2\nexit 3\n"
"""Exits at once with an error, leaving a child in its process group."""
NEVER_READY = "#!/bin/sh\nsleep 300 &\nexec sleep 300\n"
"""Runs but never answers on its port."""

pytestmark = pytest.mark.skipif(not shutil.which("prometheus-node-exporter"), reason="needs prometheus-node-exporter (make deps)")


def _fake(tmp_path: Path, name: str, script: str) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text(script)
    path.chmod(0o755)
    return bin_dir


@pytest.mark.parametrize("binary, script, error", [
    pytest.param("prometheus-alertmanager", BAD_BINARY, "exited during start-up", id="a bad Alertmanager binary"),
    pytest.param("prometheus", NEVER_READY, "did not answer", id="a Prometheus that never becomes ready"),
])
def test_a_failed_up_stops_every_process_it_started(tmp_path, monkeypatch, binary, script, error):
    monkeypatch.setenv("PATH", f"{_fake(tmp_path, binary, script)}{os.pathsep}{os.environ['PATH']}")
    started: list[procs.Proc] = []
    real_start, real_wait = procs.start, procs.wait_http

    def recording_start(*args, **kwargs):
        started.append(real_start(*args, **kwargs))
        return started[-1]
    monkeypatch.setattr(procs, "start", recording_start)
    monkeypatch.setattr(procs, "wait_http", lambda url, timeout, proc=None: real_wait(url, min(timeout, 5), proc))
    options = stack.Options(spec=str(ROOT / "spec/kpis.yaml"), overlays=(str(ROOT / "spec/overlays/fast.yaml"),),
                            history=False, loadgen_rate=5)
    with pytest.raises((RuntimeError, TimeoutError), match=error):
        stack.up(tmp_path, options, say=lambda _msg: None)
    names = [p.name for p in started]
    assert {"webhook-sink", "node-exporter", binary.removeprefix("prometheus-")} <= set(names), names
    assert names.index(binary.removeprefix("prometheus-")) > 2, "the failure should come half-way"
    alive = {p.name: procs.group_members(p.pid) for p in started if procs.running(p.pid)}
    assert not alive, f"left running after the failed up: {alive}"
    assert procs.State.load(stack.state_path(tmp_path)).procs == [], "the state file still lists processes"
