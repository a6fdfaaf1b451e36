"""Helpers of the routing tests: the test specs and writing builder output to a temp dir."""
from __future__ import annotations

import copy
import functools
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPEC = ROOT / "spec" / "kpis.yaml"
SMALL_SPEC = Path(__file__).parent / "specs" / "small.yaml"
SPECS = {"default": DEFAULT_SPEC, "small": SMALL_SPEC}


def small_document() -> dict:
    """The small spec as a fresh, mutable document."""
    return copy.deepcopy(yaml.safe_load(SMALL_SPEC.read_text()))


def write_documents(documents: dict[str, object], root: Path) -> None:
    """Write builder output as the pipeline renders it (header included) under ``root``."""
    from generators.render import header, render

    for relative, document in documents.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(relative, document, header("spec/test.yaml", "0" * 64)))


@functools.cache
def spec_of(name: str):
    """A test spec's model, loaded at collection time to parametrize tests by its content."""
    from generators.spec import load

    return load(SPECS[name], check_promql=False).spec
