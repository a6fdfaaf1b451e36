"""Golden files: a small spec's whole dashboards and provisioning, compared byte for byte.

Set ``PERFCYCLE_UPDATE_GOLDEN=1`` to rewrite them after an intended change (see golden/README.md).
"""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from .conftest import rendered

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("PERFCYCLE_UPDATE_GOLDEN") == "1"


def _expected(spec: Path) -> dict[str, str]:
    return {path: text for path, text in rendered(spec).items()}


@pytest.mark.parametrize("spec", sorted(GOLDEN.glob("*.yaml")), ids=lambda p: p.stem)
def test_generated_dashboards_match_the_golden_files_byte_for_byte(spec):
    out_dir = GOLDEN / spec.stem
    texts = _expected(spec)
    if UPDATE:
        for path, text in texts.items():
            target = out_dir / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    on_disk = {p.relative_to(out_dir).as_posix() for p in out_dir.rglob("*") if p.is_file()}
    assert on_disk == set(texts), "golden file set differs: run with PERFCYCLE_UPDATE_GOLDEN=1"
    for path, text in texts.items():
        assert (out_dir / path).read_text(encoding="utf-8") == text, f"{path} differs from its golden file"
