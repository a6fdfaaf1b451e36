"""Fixtures for the foundation tests: the default spec as data, and the CLI run in a temp project."""
from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SPEC = ROOT / "spec" / "kpis.yaml"
_DEFAULT = yaml.safe_load(DEFAULT_SPEC.read_text())


@pytest.fixture
def spec_data() -> dict:
    """A fresh deep copy of the default spec, to mutate into a bad one."""
    return copy.deepcopy(_DEFAULT)


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``perfcycle`` as a user would, in ``cwd``."""
    return subprocess.run([sys.executable, "-m", "generators.cli", *args], cwd=cwd, capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin:/usr/local/bin"},
                          check=False)


@pytest.fixture(scope="session")
def generated_project(tmp_path_factory) -> Path:
    """A temp project root holding the default spec and its freshly generated outputs."""
    root = tmp_path_factory.mktemp("project")
    (root / "spec").mkdir()
    (root / "spec" / "kpis.yaml").write_text(DEFAULT_SPEC.read_text())
    done = run_cli("generate", cwd=root)
    assert done.returncode == 0, done.stderr
    return root


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its bytes, to prove a failed run changed nothing."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
