"""Generation stays linear in the number of KPIs (bench/generate.py measures it at 10,000)."""
from __future__ import annotations

import gc
import sys
import time

import pytest
import yaml

from generators import gc_pause, pipeline
from generators.spec import load

from .conftest import DEFAULT_SPEC, ROOT

sys.path.insert(0, str(ROOT / "bench"))
from generate import synthetic  # noqa: E402

SMALL = 400
"""Large enough that the old quadratic steps showed (1.66x at 400 vs 1,600 KPIs), small enough to run in seconds."""


def test_the_gc_pause_nests_and_restores_the_collector():
    assert gc.isenabled()
    with gc_pause.paused():
        with gc_pause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def _cpu_per_kpi(tmp_path, base: dict, size: int) -> float:
    path = tmp_path / f"kpis-{size}.yaml"
    path.write_text(yaml.safe_dump(synthetic(base, size), sort_keys=False))
    runs = []
    for _ in range(2):
        start = time.process_time()
        pipeline.build_texts(load(path, check_promql=False))
        runs.append(time.process_time() - start)
    return min(runs) / size


@pytest.mark.slow
def test_per_kpi_cost_does_not_grow_with_the_spec(tmp_path):
    """Four times the KPIs may cost at most 1.5x as much per KPI (a quadratic step costs 4x)."""
    base = yaml.safe_load(DEFAULT_SPEC.read_text())
    small, large = _cpu_per_kpi(tmp_path, base, SMALL), _cpu_per_kpi(tmp_path, base, 4 * SMALL)
    assert large / small < 1.5, f"per-KPI CPU {small * 1e3:.2f} ms at {SMALL} KPIs, {large * 1e3:.2f} ms at {4 * SMALL}"
