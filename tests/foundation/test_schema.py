"""The generated JSON Schema accepts what the model accepts: the shipped specs validate against it.

Editors check the YAML with ``spec/kpis.schema.json``; a schema stricter than the model
(a shorthand the loader takes but the schema refuses) marks valid specs red.
"""
from __future__ import annotations

import copy
import json

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from generators.build.schema import DIALECT, schema
from generators.model import Spec

from .conftest import DEFAULT_SPEC, ROOT

TEST_SPECS = ["spec/kpis.yaml", "tests/routing/specs/small.yaml", "tests/dashboards/golden/small.yaml"]
_ANNOTATIONS = {"$ref", "default", "description", "title", "examples", "$comment"}


def _validator() -> jsonschema.protocols.Validator:
    generated = schema()
    cls = jsonschema.validators.validator_for(generated)
    cls.check_schema(generated)
    return cls(generated)


def _errors(document: dict) -> list[str]:
    return [f"{e.json_path}: {e.message[:200]}" for e in _validator().iter_errors(document)]


@pytest.mark.parametrize("path", TEST_SPECS)
def test_the_shipped_specs_validate_against_the_generated_schema(path):
    assert _errors(yaml.safe_load((ROOT / path).read_text())) == []


def test_the_jsonnet_spec_validates_against_the_generated_schema():
    import _jsonnet

    assert _errors(json.loads(_jsonnet.evaluate_file(str(ROOT / "spec" / "kpis.jsonnet")))) == []


def test_the_committed_schema_is_the_generated_one_and_validates_the_default_spec():
    committed = json.loads((ROOT / "spec" / "kpis.schema.json").read_text())
    committed.pop("$comment")
    assert committed == schema()
    jsonschema.validate(yaml.safe_load(DEFAULT_SPEC.read_text()), committed)


def test_the_dialect_matches_the_keywords():
    """Draft-07 names shared schemas ``definitions`` ($defs is 2019-09+) and ignores siblings of ``$ref``."""
    generated = schema()
    assert generated["$schema"] == DIALECT
    assert jsonschema.validators.validator_for(generated) is jsonschema.Draft7Validator
    text = json.dumps(generated)
    assert "$defs" not in text
    refs = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "$ref" in node:
                refs.append(node["$ref"])
                assert set(node) <= _ANNOTATIONS, f"draft-07 ignores {set(node) - _ANNOTATIONS} next to $ref"
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(generated)
    assert refs and all(r.split("/")[-1] in generated["definitions"] for r in refs)
    assert all(r.startswith("#/definitions/") for r in refs)


def _kpi(document: dict, kind: str) -> dict:
    return next(k for k in document["kpis"] if k["source"]["kind"] == kind)


def _one_string(doc):
    _kpi(doc, "ratio")["source"]["numerator"] = 'http_requests_total{code=~"5.."}'


def _lists(doc):
    _kpi(doc, "ratio")["source"]["denominator"] = ["a_total", "b_total"]
    _kpi(doc, "rate")["source"]["counters"] = "c_total"


def _audience_list(doc):
    doc["kpis"][0]["audiences"] = list(doc["kpis"][0]["audiences"])


def _number_selector(doc):
    _kpi(doc, "ratio")["source"]["numerator"] = 5


def _unknown_key(doc):
    doc["kpis"][0]["colour"] = "red"


def _bad_duration(doc):
    doc["kpis"][0]["source"]["window"] = "5 minutes"


@pytest.mark.parametrize("mutate, accepted", [
    pytest.param(_one_string, True, id="one selector as a string"),
    pytest.param(_lists, True, id="selector lists and a single counter"),
    pytest.param(_audience_list, True, id="audiences as a list"),
    pytest.param(_number_selector, False, id="a number as a selector"),
    pytest.param(_unknown_key, False, id="an unknown key"),
    pytest.param(_bad_duration, False, id="a duration in words"),
])
def test_the_schema_and_the_model_agree(mutate, accepted):
    document = copy.deepcopy(yaml.safe_load(DEFAULT_SPEC.read_text()))
    mutate(document)
    try:
        Spec.model_validate(document)
        model_accepts = True
    except ValidationError:
        model_accepts = False
    assert model_accepts is accepted
    assert (not _errors(document)) is accepted
