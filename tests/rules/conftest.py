"""Fixtures for the rules tests: the rule builders' outputs written to a temp project, as the pipeline writes them."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generators.build import alert_tests, alerts, recording_rules
from generators.render import header, render
from generators.spec import load

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPEC = ROOT / "spec" / "kpis.yaml"
SLOTH = ROOT.parent / "shared" / "thirdparty-specs" / "sloth"
BUILDERS = (recording_rules, alerts, alert_tests)


def write_bundle(spec, root: Path) -> dict[str, object]:
    """Write the three rule builders' files under ``root``; return their documents by path."""
    documents = {}
    for builder in BUILDERS:
        documents.update(builder.build(spec))
    for path, doc in documents.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(render(path, doc, header("spec", "0" * 64)))
    return documents


@pytest.fixture(scope="session")
def spec():
    return load(DEFAULT_SPEC).spec


@pytest.fixture(scope="session")
def bundle(spec, tmp_path_factory) -> tuple[Path, dict[str, object]]:
    """(root, documents) of the default spec's rules, alerts and promtool tests."""
    root = tmp_path_factory.mktemp("rules")
    return root, write_bundle(spec, root)


def read_yaml(path: Path) -> object:
    return yaml.safe_load(path.read_text())
