"""The spec's JSON Schema, generated from the model so editors validate and complete the YAML."""
from __future__ import annotations

from ..model import Spec
from . import Documents

SCHEMA_PATH = "spec/kpis.schema.json"
DIALECT = "http://json-schema.org/draft-07/schema#"
"""Draft-07: the newest dialect the YAML language server (VS Code, vim, …) validates with."""
_DEFINITIONS = "definitions"
"""Draft-07's name for shared sub-schemas (pydantic writes 2020-12's ``$defs`` by default)."""


def build(spec: Spec) -> Documents:
    """``spec/kpis.schema.json``: the model's schema (by alias, so ``for`` stays ``for``)."""
    return {SCHEMA_PATH: schema()}


def schema() -> dict:
    """The model's validation schema in the draft-07 dialect: ``definitions`` and refs to them."""
    body = Spec.model_json_schema(by_alias=True, mode="validation", ref_template=f"#/{_DEFINITIONS}/{{model}}")
    definitions = body.pop("$defs", {})
    return {
        "$schema": DIALECT,
        "$id": "https://perfcycle.dev/schemas/kpis.schema.json",
        "title": "perfcycle KPI spec (version 1)",
        **{k: v for k, v in body.items() if k != "title"},
        _DEFINITIONS: definitions,
    }
