"""Fixtures for the Kiro sources: the real exporter as a process, and its scrape.

Every process a test starts is stopped by its PID in a fixture finaliser, also when
the test fails, so a failing run leaves nothing behind on the machine.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from generators.stack.ports import free_ports

VENV_BIN = Path(sys.executable).parent
HERE = Path(__file__).parent


def free_port() -> int:
    return free_ports(1)[0]


def stop_pid(proc: subprocess.Popen, grace: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after `grace`; always reaps."""
    if proc.poll() is None:
        try:
            os.kill(proc.pid, signal.SIGTERM)
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
        except ProcessLookupError:
            pass


def script(name: str) -> str:
    path = VENV_BIN / name
    if not path.exists():
        pytest.fail(f"{name} is not installed in this venv (make venv)")
    return str(path)


class Exporter:
    """A running `perfcycle-exporter`, tailing `spool`, with a scrape helper."""

    def __init__(self, tmp: Path, spool: Path, port: int | None = None, args=()):
        self.port = port or free_port()
        self.args = list(args)
        self.url = f"http://127.0.0.1:{self.port}"
        self.spool, self.tmp = spool, tmp
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Exporter":
        self.proc = subprocess.Popen(
            [script("perfcycle-exporter"), "--web.listen-address", f"127.0.0.1:{self.port}",
             "--file", str(self.spool), "--checkpoint-dir", str(self.tmp / "ckpt"), *self.args],
            stdout=subprocess.DEVNULL, stderr=open(self.tmp / "exporter.log", "ab"))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((self.tmp / "exporter.log").read_text())
            try:
                with urllib.request.urlopen(self.url + "/-/ready", timeout=1) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("exporter did not become ready")

    def stop(self) -> None:
        if self.proc is not None:
            stop_pid(self.proc)

    def text(self) -> str:
        with urllib.request.urlopen(self.url + "/metrics", timeout=5) as r:
            return r.read().decode()

    def samples(self) -> dict:
        """{(sample name, frozenset(labels)): value} from one scrape."""
        text = self.text()
        out = {}
        for fam in text_string_to_metric_families(text):
            for s in fam.samples:
                out[(s.name, frozenset(s.labels.items()))] = s.value
        return out

    def value(self, name: str, **labels) -> float:
        """Sum of the samples of `name` whose labels include `labels`."""
        want = set(labels.items())
        return sum(v for (n, ls), v in self.samples().items() if n == name and want <= ls)

    def wait_for(self, name: str, expected: float, timeout: float = 10, **labels) -> float:
        deadline = time.monotonic() + timeout
        while True:
            got = self.value(name, **labels)
            if got >= expected or time.monotonic() > deadline:
                return got
            time.sleep(0.1)


@pytest.fixture
def spawn():
    """`spawn(cmd, **popen_kwargs)`: a process stopped by its PID when the test ends."""
    procs = []

    def start(cmd, **kw) -> subprocess.Popen:
        proc = subprocess.Popen(cmd, **kw)
        procs.append(proc)
        return proc
    try:
        yield start
    finally:
        for proc in reversed(procs):
            stop_pid(proc)


@pytest.fixture
def process_groups():
    """A list to add process-group ids to; each group still alive at the end is killed.
    For the grandchildren a wrapped hook runs in a group of its own."""
    groups: list[int] = []
    try:
        yield groups
    finally:
        for pgid in groups:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


@pytest.fixture
def make_exporter(tmp_path):
    """`make_exporter(spool, port=None, args=())`: a started exporter, stopped at the end."""
    made = []

    def make(spool: Path, port: int | None = None, args=()) -> Exporter:
        exp = Exporter(tmp_path, spool, port, args)
        made.append(exp)
        return exp.start()
    try:
        yield make
    finally:
        for exp in made:
            exp.stop()


@pytest.fixture
def spool(tmp_path) -> Path:
    return tmp_path / "spool" / "kiro-events.ndjson"


@pytest.fixture(scope="module")
def exporter(tmp_path_factory):
    """One exporter per test module (start-up costs a second or two on a busy machine);
    tests keep apart by using their own hook and server names."""
    tmp = tmp_path_factory.mktemp("exporter")
    exp = Exporter(tmp, tmp / "spool" / "kiro-events.ndjson")
    try:
        yield exp.start()
    finally:
        exp.stop()


@pytest.fixture
def kiro_env(spool, monkeypatch):
    """Point the wrapper and the proxy at a per-test spool and a closed port by default."""
    monkeypatch.setenv("PERFCYCLE_SPOOL", str(spool))
    monkeypatch.setenv("PERFCYCLE_EXPORTER_URL", f"http://127.0.0.1:{free_port()}")
    return os.environ.copy()
