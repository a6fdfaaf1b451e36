"""What several test packages share: the seed document, finding the real binaries, running a real Prometheus.

A missing binary fails the test (``make deps`` installs it); it never turns into a skip,
so a green run always means the real tool ran.
"""
from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml

from generators.stack import procs

SEED = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_bf1977971eb2357f.txt"
"""The seed document the default spec encodes (present beside the project in CI)."""


def seed_blocks() -> list[dict]:
    """The seed's YAML blocks, parsed (never copied), so tests follow the seed as it is."""
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", SEED.read_text(), re.S)]


def tool(*names: str) -> str:
    """Path of the first installed binary of ``names``."""
    for name in names:
        path = shutil.which(name)
        if path:
            return path
    pytest.fail(f"{names[0]} not found on PATH: run `make deps` (Debian packages prometheus, "
                "prometheus-alertmanager, prometheus-node-exporter)")


@contextmanager
def prometheus(work: Path, config: str = "global: {scrape_interval: 15s}\n", tsdb: Path | None = None,
               timeout: float = 30.0) -> Iterator[str]:
    """A real Prometheus on a free loopback port, with ``config`` and (optionally) an existing
    TSDB; yields its base URL and stops it by PID when the block ends."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "prometheus.yml").write_text(config)
    binary = tool("prometheus")
    storage = tsdb or work / "data"

    def argv(port: int) -> list[str]:
        return [binary, f"--config.file={work / 'prometheus.yml'}", f"--storage.tsdb.path={storage}",
                f"--web.listen-address=127.0.0.1:{port}"]

    with procs.serving("prometheus", argv, work, timeout=timeout) as url:
        yield url


@contextmanager
def alertmanager(config: Path, work: Path, timeout: float = 30.0) -> Iterator[str]:
    """A real Alertmanager (no clustering) on a free loopback port; yields its base URL."""
    binary = tool("prometheus-alertmanager", "alertmanager")

    def argv(port: int) -> list[str]:
        return [binary, f"--config.file={config}", f"--storage.path={work / 'data'}",
                f"--web.listen-address=127.0.0.1:{port}", "--cluster.listen-address="]

    with procs.serving("alertmanager", argv, work, timeout=timeout) as url:
        yield url
