"""The spec's JSON Schema, generated from the model so editors validate and complete the YAML."""
from __future__ import annotations

from ..model import Spec
from . import Documents

SCHEMA_PATH = "spec/kpis.schema.json"


def build(spec: Spec) -> Documents:
    """``spec/kpis.schema.json``: the model's schema (by alias, so ``for`` stays ``for``)."""
    return {SCHEMA_PATH: schema()}


def schema() -> dict:
    body = Spec.model_json_schema(by_alias=True, mode="validation")
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "https://perfcycle.dev/schemas/kpis.schema.json",
        "title": "perfcycle KPI spec (version 1)",
        **{k: v for k, v in body.items() if k != "title"},
    }
