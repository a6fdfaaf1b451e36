"""Fixtures that run the real exporter (and Prometheus) as processes on loopback ports.

Every process started here is stopped by its PID in the fixture's teardown, even when
the test fails. Exporters listen on port 0 and report the bound port in their log.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

ROOT = Path(__file__).resolve().parents[2]


class Proc:
    """One exporter process: its PID, port and a small HTTP client."""

    def __init__(self, args: list[str], workdir: Path, env: dict | None = None):
        self.log = workdir / f"exporter-{time.monotonic_ns()}.log"
        self.workdir = workdir
        with open(self.log, "wb") as fh:
            self.p = subprocess.Popen([sys.executable, "-m", "exporter",
                                       "--web.listen-address", "127.0.0.1:0", *args],
                                      cwd=workdir, stdout=fh, stderr=subprocess.STDOUT,
                                      env={**os.environ, **(env or {})})
        self.pid = self.p.pid
        self.port = self._wait_port()

    def _wait_port(self) -> int:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            m = re.search(r"listening on [\d.]+:(\d+)", self.log.read_text())
            if m:
                return int(m.group(1))
            if self.p.poll() is not None:
                raise RuntimeError(f"exporter exited {self.p.returncode}: "
                                   f"{self.log.read_text()}")
            time.sleep(0.05)
        raise RuntimeError("exporter did not start: " + self.log.read_text())

    def stop(self) -> int | None:
        if self.p.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.p.wait(5)
        return self.p.returncode

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict | None = None) -> tuple[int, bytes, dict]:
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            c.request(method, path, body, headers or {})
            r = c.getresponse()
            return r.status, r.read(), dict(r.getheaders())
        finally:
            c.close()

    def post(self, body, ctype: str = "application/json", headers: dict | None = None):
        if not isinstance(body, bytes):
            body = json.dumps(body).encode()
        status, data, _ = self.request("POST", "/api/v1/events", body,
                                       {"Content-Type": ctype, **(headers or {})})
        return status, json.loads(data)

    def scrape(self) -> str:
        status, data, _ = self.request("GET", "/metrics")
        assert status == 200
        return data.decode()

    def samples(self) -> dict:
        """{(sample name, frozenset(labels)): value} from a real scrape."""
        out = {}
        for fam in text_string_to_metric_families(self.scrape()):
            for s in fam.samples:
                out[(s.name, frozenset(s.labels.items()))] = s.value
        return out

    def value(self, name: str, **labels) -> float:
        return self.samples().get((name, frozenset(labels.items())), 0.0)

    @staticmethod
    def wait_for(pred, timeout: float = 10):
        return wait_for(pred, timeout)

    def total(self, name: str, **match) -> float:
        return sum(v for (n, lab), v in self.samples().items()
                   if n == name and all((k, x) in lab for k, x in match.items()))


@pytest.fixture
def start_exporter(tmp_path):
    """Factory: start_exporter(*flags, workdir=None) -> Proc; all are stopped at teardown."""
    procs: list[Proc] = []

    def start(*args: str, workdir: Path | None = None, env: dict | None = None) -> Proc:
        p = Proc(list(args), workdir or tmp_path, env)
        procs.append(p)
        return p

    yield start
    for p in procs:
        p.stop()


@pytest.fixture
def exporter(start_exporter):
    return start_exporter()


def wait_for(pred, timeout: float = 10, interval: float = 0.05):
    """Poll until pred() is truthy; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() > deadline:
            return v
        time.sleep(interval)


@pytest.fixture(name="wait_for")
def wait_for_fixture():
    """The `wait_for` helper, for tests (fixtures avoid importing conftest by name)."""
    return wait_for
