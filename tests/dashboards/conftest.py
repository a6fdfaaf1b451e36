"""Fixtures for the dashboard tests: the default spec's dashboards as rendered text and data,
and a real Prometheus on loopback whose query parser judges every panel query."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

from generators.build import dashboards
from generators.render import header, render
from generators.spec import load

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPEC = ROOT / "spec" / "kpis.yaml"
SCHEMA = ROOT.parent / "shared" / "schemas" / "grafana-dashboard.jsonschema.json"
PROMETHEUS = "/usr/bin/prometheus"


def rendered(spec_path: Path) -> dict[str, str]:
    """Every dashboards-builder output as the pipeline writes it (header included)."""
    loaded = load(spec_path, check_promql=False)
    head = header(spec_path.relative_to(ROOT).as_posix(), loaded.sha256)
    return {path: render(path, doc, head) for path, doc in dashboards.build(loaded.spec).items()}


@pytest.fixture(scope="session")
def spec():
    return load(DEFAULT_SPEC, check_promql=False).spec


@pytest.fixture(scope="session")
def texts() -> dict[str, str]:
    return rendered(DEFAULT_SPEC)


@pytest.fixture(scope="session")
def boards(texts) -> dict[str, dict]:
    """Audience name -> dashboard JSON, parsed from the rendered text."""
    return {Path(p).stem: json.loads(t) for p, t in texts.items() if p.startswith("dashboards/")}


def panels(board: dict) -> list[dict]:
    """Every panel of a dashboard, rows and panels inside collapsed rows included."""
    found = []
    for panel in board["panels"]:
        found.append(panel)
        found += panel.get("panels", [])
    return found


def leaf_panels(board: dict) -> list[dict]:
    return [p for p in panels(board) if p["type"] != "row"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory) -> str:
    """Base URL of a real, empty Prometheus on 127.0.0.1; stopped by PID even when tests fail."""
    if not Path(PROMETHEUS).exists() and shutil.which("prometheus") is None:
        pytest.fail("prometheus not installed: run `make deps` (Debian package prometheus)")
    binary = PROMETHEUS if Path(PROMETHEUS).exists() else shutil.which("prometheus")
    work = tmp_path_factory.mktemp("prometheus")
    config = work / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 15s\n")
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = (work / "prometheus.log").open("w")
    proc = subprocess.Popen([binary, f"--config.file={config}", f"--storage.tsdb.path={work / 'data'}",
                             f"--web.listen-address=127.0.0.1:{port}"], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"prometheus did not start: {(work / 'prometheus.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
