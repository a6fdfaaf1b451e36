"""Fixtures for the dashboard tests: the default spec's dashboards as rendered text and data,
and a real Prometheus on loopback whose query parser judges every panel query."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from generators.build import dashboards
from generators.render import header, render
from generators.spec import load
from tests import support

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPEC = ROOT / "spec" / "kpis.yaml"
SCHEMA = ROOT.parent / "shared" / "schemas" / "grafana-dashboard.jsonschema.json"


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


@pytest.fixture(scope="session")
def prometheus(tmp_path_factory) -> str:
    """Base URL of a real, empty Prometheus on 127.0.0.1; stopped by PID even when tests fail."""
    with support.prometheus(tmp_path_factory.mktemp("prometheus")) as url:
        yield url
