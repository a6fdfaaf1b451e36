"""Every generated dashboard validates against Grafana's own dashboard JSON schema (Grafana 12.3).

One known defect of the published schema is corrected, and only that one: Grafana's model
types a field override's ``value`` and a matcher's ``options`` as *any* (``value?: _`` in
``dashboard_kind.cue``; ``Value any`` / ``options?: any`` in grafana-foundation-sdk's Go and
TypeScript types), but the JSON Schema export writes *any* as an open object. That rejects
what Grafana itself saves for every unit override (``{"id": "unit", "value": "percent"}``)
and name matcher (``{"id": "byName", "options": "Before"}``).
"""
from __future__ import annotations

import copy
import json

import jsonschema
import pytest
from grafanalib import core as g
from grafanalib._gen import DashboardEncoder

from .conftest import SCHEMA, rendered
from .test_golden import GOLDEN


ANY_TYPED = [("DynamicConfigValue", "value"), ("MatcherConfig", "options")]
"""(definition, property) pairs Grafana types as *any* and the schema export as an object."""
UNIT_OVERRIDE = {"matcher": {"id": "byName", "options": "Before"}, "properties": [{"id": "unit", "value": "percent"}]}


def published_schema() -> dict:
    return json.loads(SCHEMA.read_text())


def corrected(schema: dict) -> dict:
    """The schema with the *any*-typed properties accepting any JSON value, everything else unchanged."""
    fixed = copy.deepcopy(schema)
    for definition, prop in ANY_TYPED:
        description = fixed["definitions"][definition]["properties"][prop].get("description", "")
        fixed["definitions"][definition]["properties"][prop] = {"description": description}
    return fixed


def _override_validator(schema: dict) -> jsonschema.Draft7Validator:
    definitions = schema["definitions"]
    overrides = definitions["FieldConfigSource"]["properties"]["overrides"]["items"]
    return jsonschema.Draft7Validator({**overrides, "definitions": definitions})


@pytest.fixture(scope="session")
def validator():
    return jsonschema.Draft7Validator(corrected(published_schema()))


def test_the_schema_correction_accepts_grafanas_own_override_shape_and_nothing_more():
    published, fixed = _override_validator(published_schema()), _override_validator(corrected(published_schema()))
    assert not published.is_valid(UNIT_OVERRIDE), "the published schema accepts it now: drop the correction"
    assert fixed.is_valid(UNIT_OVERRIDE)
    assert not fixed.is_valid({**UNIT_OVERRIDE, "extra": 1})
    assert not fixed.is_valid({"matcher": {"options": "Before"}, "properties": []}), "a matcher still needs its id"
    assert not fixed.is_valid({**UNIT_OVERRIDE, "properties": [{"value": "percent"}]}), "a property still needs its id"


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
