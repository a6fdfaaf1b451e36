"""The live stack for the end-to-end tests: started once, in a temporary root, and always stopped.

The fast profile (spec/overlays/fast.yaml, alone: no stack flags) keeps the real rules but
caps ``for`` at 30 s, evaluates the records every 5 s and the long groups every 30 s, and
scrapes every 5 s, so the whole module finishes in a few minutes on 2 cores.
"""
from __future__ import annotations

import atexit
import signal
from pathlib import Path

import pytest

from generators.stack import procs, stack
from tests import support

ROOT = Path(__file__).resolve().parents[2]
OPTIONS = stack.Options(spec=str(ROOT / "spec/kpis.yaml"), overlays=(str(ROOT / "spec/overlays/fast.yaml"),),
                        loadgen_rate=20)


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: runs real servers for minutes (`make unit` leaves it out)")


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/e2e/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="module")
def live(tmp_path_factory, request):
    """A running stack (``procs.State``); every process it started is stopped at teardown, pass or fail."""
    for names in (("prometheus",), ("promtool",), ("prometheus-node-exporter",),
                  ("prometheus-alertmanager", "alertmanager")):
        support.tool(*names)  # a missing one fails the test, naming `make deps`
    root = tmp_path_factory.mktemp("stack")
    request.addfinalizer(lambda: stack.down(root))
    atexit.register(stack.down, root)  # also when pytest itself is interrupted or killed with SIGTERM
    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _interrupt)
    request.addfinalizer(lambda: signal.signal(signal.SIGTERM, previous))
    state = stack.up(root, OPTIONS, say=_SAID.append)
    state.info["root"] = str(root)
    _SAID.append(f"up in {state.info['ready_seconds']}s")
    return state


_SAID: list[str] = []
"""What ``stack up`` reported (history and backfill sizes and timings), shown in pytest's summary."""


def pytest_terminal_summary(terminalreporter):
    for line in _SAID:
        terminalreporter.write_line(f"live stack: {line}")


def _interrupt(*_args):
    """SIGTERM (a CI timeout) becomes an interrupt, so teardown and atexit still stop the stack."""
    raise KeyboardInterrupt("SIGTERM")


def all_stopped(state: procs.State) -> list[str]:
    """Names of recorded processes still alive (empty when everything stopped)."""
    return [p.name for p in state.procs if procs.alive(p.pid)]
