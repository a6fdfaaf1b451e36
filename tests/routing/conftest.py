"""Fixtures of the routing tests: each test spec's Alertmanager documents, written once per session."""
from __future__ import annotations

import pytest
from .routing_support import SPECS, write_documents

from generators.build import routing
from generators.spec import load


@pytest.fixture(scope="session")
def bundles(tmp_path_factory):
    """``get(name) -> (spec, root)``: the spec and a directory holding its Alertmanager documents."""
    cache: dict = {}

    def get(name: str) -> tuple:
        if name not in cache:
            spec = load(SPECS[name], check_promql=False).spec
            root = tmp_path_factory.mktemp(f"alertmanager-{name}")
            write_documents(routing.build(spec), root)
            cache[name] = (spec, root)
        return cache[name]

    return get
