"""Every generated dashboard validates against Grafana's own dashboard JSON schema (Grafana 12.3)."""
from __future__ import annotations

import json

import jsonschema
import pytest
from grafanalib import core as g
from grafanalib._gen import DashboardEncoder

from .conftest import SCHEMA, rendered
from .test_golden import GOLDEN


@pytest.fixture(scope="session")
def validator():
    schema = json.loads(SCHEMA.read_text())
    return jsonschema.Draft7Validator(schema)


def strip_export_keys(document: dict) -> dict:
    """Drop export-only and generator keys (``__inputs``, ``__generated``…) the schema forbids."""
    return {k: v for k, v in document.items() if not k.startswith("__")}


def test_every_dashboard_validates_against_grafanas_schema(boards, validator):
    for audience, board in boards.items():
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
                  for e in validator.iter_errors(strip_export_keys(board))]
        assert not errors, f"{audience}:\n" + "\n".join(errors[:20])


@pytest.mark.parametrize("spec", sorted(GOLDEN.glob("*.yaml")), ids=lambda p: p.stem)
def test_golden_spec_dashboards_validate_too(spec, validator):
    for path, text in rendered(spec).items():
        if path.endswith(".json"):
            errors = [e.message[:200] for e in validator.iter_errors(strip_export_keys(json.loads(text)))]
            assert not errors, f"{path}: {errors[:5]}"


def test_raw_grafanalib_output_fails_the_schema_which_is_why_we_normalise(validator):
    raw = g.Dashboard(title="raw", uid="raw-dashboard", panels=[g.TimeSeries(
        title="p", dataSource="Prometheus", targets=[g.Target(expr="up", refId="A")],
        gridPos=g.GridPos(h=8, w=12, x=0, y=0))]).auto_panel_ids()
    data = json.loads(json.dumps(raw.to_json_data(), cls=DashboardEncoder))
    assert not validator.is_valid(strip_export_keys(data))
