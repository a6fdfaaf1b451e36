"""Deterministic text for every document: the same model always gives the same bytes.

YAML keeps the builders' key order (builders choose a readable order), long PromQL stays
on one line or in a literal block, JSON is indented with a final newline, and every file
carries the "generated from …, do not edit" header in its format's comment syntax.
"""
from __future__ import annotations

import json
import re

import yaml

MARKER = "do not edit"


_HEADER = re.compile(rf"generated from .+? \(sha256 [0-9a-f]+\), {MARKER}")


def header(spec_path: str, sha256: str) -> str:
    """The first line of every generated file: where it came from and that it is not to be edited."""
    return f"generated from {spec_path} (sha256 {sha256}), {MARKER}"


def without_header(text: str) -> str:
    """The text with its header blanked: what is left differs only if the content does.

    Any spec edit changes every header's sha256; ``check`` compares this to tell real
    drift from header-only drift.
    """
    return _HEADER.sub(MARKER, text, count=1)


def render(path: str, document: object, head: str) -> str:
    """The full text of one output file, header included, chosen by the file's extension."""
    if path.endswith((".yml", ".yaml")):
        return f"# {head}\n{dump_yaml(document)}"
    if path.endswith(".json"):
        return dump_json(_with_json_header(document, head))
    if path.endswith(".md"):
        return f"<!-- {head} -->\n{document}"
    if path.endswith(".tmpl"):
        return f"{{{{/* {head} */}}}}\n{document}"
    raise ValueError(f"no renderer for {path}")


def dump_yaml(document: object) -> str:
    return yaml.dump(document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=10_000)


def dump_json(document: object) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _with_json_header(document: object, head: str) -> object:
    """JSON has no comments: the header is the first key (``$comment`` in JSON Schemas)."""
    if not isinstance(document, dict):
        return document
    key = "$comment" if "$schema" in document else "__generated"
    return {key: head, **{k: v for k, v in document.items() if k != key}}


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    """Safe YAML with literal blocks for multi-line strings and no anchors or aliases.

    libyaml's emitter when present (5x faster, the same bytes for our documents: the
    committed outputs are the check), like the loader in ``generators.spec``.
    """

    def ignore_aliases(self, data: object) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_Dumper.add_representer(str, _str)
