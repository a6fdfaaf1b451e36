"""``docs/kpis.md`` shows each alert's condition, so a threshold edit shows in the catalog."""
from __future__ import annotations

import pytest

from generators.build.catalog import CATALOG_PATH, build, condition
from generators.model import Alert
from generators.spec import load

from .conftest import DEFAULT_SPEC


@pytest.fixture(scope="module")
def spec():
    return load(DEFAULT_SPEC, check_promql=False).spec


@pytest.mark.parametrize("alert, shown", [
    ({"when": "> 80"}, "> 80"),
    ({"baseline": {"factor": 1.5}}, "> baseline x1.5 (7d)"),
    ({"baseline": {"factor": 2, "window": "1d"}}, "> baseline x2 (1d)"),
    ({"change": {"when": "< -0.2"}}, "change < -20% vs 1w"),
    ({"change": {"when": "> 0.15", "offset": "1d"}}, "change > +15% vs 1d"),
    ({"forecast": {"when": "> 100"}}, "forecast > 100 within 24h (6h trend)"),
    ({"absent": True}, "source absent"),
])
def test_each_condition_is_phrased(spec, alert, shown):
    assert condition(spec, Alert(severity="warning", **alert)) == shown


def test_the_catalog_row_names_the_threshold(spec):
    text = build(spec)[CATALOG_PATH]
    row = next(line for line in text.splitlines() if line.startswith("| **memory_utilization**"))
    assert "(warning: > 85, for 5m)" in row
    edited = spec.model_copy(update={"kpis": [
        k.model_copy(update={"alerts": [a.model_copy(update={"when": a.when.model_copy(update={"value": 90.0})})
                                        if a.when else a for a in k.alerts]})
        if k.id == "memory_utilization" else k for k in spec.kpis]})
    assert build(edited)[CATALOG_PATH] != text
