"""Rendering is deterministic whichever YAML emitter PyYAML has: libyaml's and the pure-Python one agree."""
from __future__ import annotations

import yaml

from generators import pipeline, render
from generators.spec import load

from .conftest import DEFAULT_SPEC


class _PythonDumper(yaml.SafeDumper):
    """The pure-Python emitter with our representers: what a PyYAML without libyaml would use."""

    def ignore_aliases(self, data: object) -> bool:
        return True


_PythonDumper.add_representer(str, render._str)


def test_libyaml_and_python_emitters_give_the_same_bytes(monkeypatch):
    documents: dict[str, object] = {}
    original = render.render

    def capture(path, document, head):
        documents[path] = document
        return original(path, document, head)

    monkeypatch.setattr(pipeline, "render", capture)
    pipeline.build_texts(load(DEFAULT_SPEC, check_promql=False))
    yaml_documents = {p: d for p, d in documents.items() if p.endswith((".yml", ".yaml"))}
    assert len(yaml_documents) > 40
    for path, document in yaml_documents.items():
        python = yaml.dump(document, Dumper=_PythonDumper, sort_keys=False, allow_unicode=True, width=10_000)
        assert render.dump_yaml(document) == python, path
