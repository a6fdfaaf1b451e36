"""The generated Alertmanager config through the real amtool: it loads, and every route test holds."""
from __future__ import annotations

import subprocess
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from tests.support import tool

from .routing_support import ROOT, SPECS, spec_of, write_documents

from generators import naming
from generators.build import routing

def amtool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([tool("amtool"), *args], capture_output=True, text=True, timeout=30)


def _route_cases():
    for name in sorted(SPECS):
        for i, case in enumerate(routing.route_tests(spec_of(name))["tests"]):
            yield pytest.param(name, i, id=f"{name}: {case['name']}")


@pytest.mark.parametrize("name", sorted(SPECS))
def test_amtool_accepts_the_generated_config(bundles, name):
    _, root = bundles(name)
    result = amtool("check-config", str(root / naming.ALERTMANAGER_CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 templates" in result.stdout  # the notification templates were found and parsed


@pytest.mark.parametrize("name", sorted(SPECS))
def test_amtool_accepts_the_webhook_override(bundles, name, tmp_path):
    spec, _ = bundles(name)
    override = routing.write_override(spec, "http://127.0.0.1:9999/hook")
    write_documents({"override.yml": override}, tmp_path)
    result = amtool("check-config", str(tmp_path / "override.yml"))
    assert result.returncode == 0, result.stdout + result.stderr
    urls = {c["url"] for r in override["receivers"] for c in r.get("webhook_configs", [])}
    assert urls == {"http://127.0.0.1:9999/hook"}
    assert [r["name"] for r in override["receivers"]] == [naming.UNROUTED_RECEIVER, *spec.routing.receivers]
    assert all(set(r) <= {"name", "webhook_configs"} for r in override["receivers"])
    assert override["route"] == routing.config(spec)["route"]


@pytest.fixture(scope="session")
def routed(bundles):
    """``get(name) -> [(case, amtool result)]``: every route test of a spec, run through amtool in parallel."""
    cache: dict = {}

    def get(name: str) -> list:
        if name not in cache:
            _, root = bundles(name)
            config = f"--config.file={root / naming.ALERTMANAGER_CONFIG}"
            cases = yaml.safe_load((root / naming.ALERTMANAGER_ROUTE_TESTS).read_text())["tests"]
            with ThreadPoolExecutor(max_workers=8) as pool:
                results = pool.map(lambda c: amtool("config", "routes", "test", config,
                                                    *[f"{k}={v}" for k, v in c["labels"].items()]), cases)
                cache[name] = list(zip(cases, results))
        return cache[name]

    return get


@pytest.mark.parametrize("name, index", list(_route_cases()))
def test_route(routed, name, index):
    case, result = routed(name)[index]
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().split(",") == case["receivers"], case["labels"]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_severity_and_receiver_has_a_route_test(bundles, name):
    spec, root = bundles(name)
    cases = yaml.safe_load((root / naming.ALERTMANAGER_ROUTE_TESTS).read_text())["tests"]
    tested = {c["labels"][naming.SEVERITY] for c in cases}
    assert set(spec.routing.severities) <= tested
    assert {r for c in cases for r in c["receivers"]} == {*spec.routing.receivers, naming.UNROUTED_RECEIVER}



def test_the_committed_config_passes_amtool():
    """What ships in alertmanager/ loads as committed (``perfcycle check`` keeps it equal to the spec's)."""
    checked = amtool("check-config", str(ROOT / naming.ALERTMANAGER_CONFIG))
    assert checked.returncode == 0, checked.stdout + checked.stderr
