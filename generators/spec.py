"""Read a spec file (YAML or Jsonnet, wire format ``version: 1``) into the validated model.

This is the only module that knows file formats; it returns a ``Spec`` or raises one
``SpecError`` that lists every problem with its file and spec path.
"""
from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import ValidationError

from . import gc_pause, importers, overlay, promtool
from .errors import Problem, SpecError, format_path
from .model import Spec, cross_problems
from .model.kpi import Source
from .promcheck import checked_fragments, document_fragments, promql_problems

_JSONNET = (".jsonnet", ".libsonnet")
_KINDS = {"quantile", "ratio", "rate", "gauge", "expression"}
_TYPE_WORDS = {"Comparison", "Target", "function-before"}


@dataclass(frozen=True)
class LoadedSpec:
    """A validated spec with where it came from: outputs cite the file and its hash."""

    spec: Spec
    path: str
    """The spec (`` + overlay`` for each overlay) as the user spelled it: problems cite this."""
    sha256: str
    files: tuple[str, ...] = ()
    """The spec file, then its overlays, as given."""

    def named_from(self, root: str | Path = ".") -> str:
        """The spec as output headers name it: relative to ``root`` in posix form.

        However ``--spec`` was spelled (``./spec/kpis.yaml``, an absolute path), the headers
        stay the same, so they neither drift nor carry a machine's paths.
        """
        if not self.files:
            return self.path
        return " + ".join(Path(os.path.relpath(f, root)).as_posix() for f in self.files)


@gc_pause.paused()
def load(path: str | Path, check_promql: bool = True, overlays: tuple[str | Path, ...] = ()) -> LoadedSpec:
    """Load, validate and cross-check a spec (with overlays applied in order); raise ``SpecError`` on any problem."""
    shown = str(path)
    raw_bytes = _read(path, shown)
    document = _parse(raw_bytes, shown)
    raw_bytes = _with_imports(raw_bytes, document, shown)
    for overlay_path in overlays:
        overlay_shown = str(overlay_path)
        overlay_bytes = _read(overlay_path, overlay_shown)
        parsed = _parse(overlay_bytes, overlay_shown)
        overlay_bytes = _with_imports(overlay_bytes, parsed, overlay_shown)
        patch = overlay.parse(parsed, overlay_shown)
        document = overlay.apply(document, patch, overlay_shown) if isinstance(document, dict) else document
        raw_bytes += b"\0" + overlay_bytes
        shown += f" + {overlay_shown}"
    if isinstance(document, dict) and document.get("slo_files"):
        document, included = _include_slos(document, Path(path).parent, shown)
        raw_bytes += included
    spec, problems = _validate(document, shown)
    if spec is not None:
        problems += [Problem(shown, where, what) for where, what in cross_problems(spec)]
    if check_promql:
        problems += _promql(spec, document, shown)
    if problems:
        raise SpecError(problems)
    return LoadedSpec(spec=spec, path=shown, sha256=hashlib.sha256(raw_bytes).hexdigest(),
                      files=tuple(str(f) for f in (path, *overlays)))


def _promql(spec: Spec | None, document: dict, shown: str) -> list[Problem]:
    """PromQL problems, reported with every other problem of the same run.

    A valid model gives every fragment; a structurally invalid spec gives those of the KPIs
    and panels that validate on their own. Without promtool the structural problems are
    still worth reporting, so a missing tool only stops a run that has none.
    """
    pieces = checked_fragments(spec) if spec is not None else document_fragments(document)
    try:
        return [Problem(shown, where, what) for where, what in promql_problems(pieces)]
    except promtool.ToolMissing:
        if spec is not None:
            raise
        return []


def _with_imports(raw: bytes, document: object, shown: str) -> bytes:
    """What the header's sha256 covers: a Jsonnet file's own bytes and what it evaluates to.

    Jsonnet imports other files (``spec/kpis.jsonnet`` imports ``kpis.yaml``); hashing the
    evaluated document too makes the hash change when an imported file does.
    """
    if not shown.endswith(_JSONNET):
        return raw
    return raw + b"\0" + json.dumps(document, sort_keys=True).encode()


def _read(path: str | Path, shown: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as err:
        raise SpecError([Problem(shown, "", f"cannot read: {err.strerror}")]) from None


def _parse(raw: bytes, shown: str) -> object:
    if shown.endswith(_JSONNET):
        return _evaluate_jsonnet(shown)
    try:
        documents = list(yaml.load_all(raw, Loader=_UniqueKeyLoader))
        if importers.recognises(documents):  # a Sloth or OpenSLO file: its SLOs become KPIs
            return _imported(documents, shown)
        if len(documents) > 1:
            raise SpecError([Problem(shown, "", "a spec is one YAML document, not several")])
        return documents[0] if documents else None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise SpecError([Problem(shown, where, f"not valid YAML: {getattr(err, 'problem', err)}")]) from None


def _include_slos(document: dict, base: Path, shown: str) -> tuple[dict, bytes]:
    """The spec with the KPIs of its ``slo_files`` appended (and their services as domains)."""
    kpis, domains, raw = list(document.get("kpis") or []), dict(document.get("domains") or {}), b""
    audiences = document.get("audiences") or {}
    for i, name in enumerate(document["slo_files"]):
        where = f"slo_files[{i}]"
        file = base / name
        data = _read(file, f"{shown}: {where}")
        raw += b"\0" + data
        try:
            recognised = importers.recognises(list(yaml.load_all(data, Loader=_UniqueKeyLoader)))
        except yaml.YAMLError:
            recognised = None
        if not recognised:
            raise SpecError([Problem(shown, where, f"{name} is not a Sloth or OpenSLO file")])
        imported = _parse(data, str(file))
        for domain, settings in imported["domains"].items():
            domains.setdefault(domain, settings)
        for kpi in imported["kpis"]:
            kpi["audiences"] = [a for a in kpi.get("audiences", []) if a in audiences]
            kpis.append(kpi)
    return {**document, "kpis": kpis, "domains": domains}, raw


def _imported(documents: list[object], shown: str) -> object:
    try:
        return importers.to_spec_document(documents, shown)
    except (importers.ImportError_, KeyError, TypeError, ValueError) as err:
        where, message = (err.where, err.message) if isinstance(err, importers.ImportError_) else ("", f"cannot import: {err}")
        raise SpecError([Problem(shown, where, message)]) from None


def _evaluate_jsonnet(shown: str) -> object:
    import _jsonnet

    try:
        return json.loads(_jsonnet.evaluate_file(shown))
    except RuntimeError as err:
        first = str(err).strip().splitlines()[0]
        raise SpecError([Problem(shown, "", f"Jsonnet error: {first}")]) from None


def _validate(document: object, shown: str) -> tuple[Spec | None, list[Problem]]:
    """The model, or None and every structural problem (a non-mapping is not worth checking further)."""
    if not isinstance(document, dict):
        raise SpecError([Problem(shown, "", "the spec must be a mapping with version, bundle, kpis, …")])
    try:
        return Spec.model_validate(document), []
    except ValidationError as err:
        return None, [_problem(shown, e) for e in err.errors()]


def _problem(shown: str, error: dict) -> Problem:
    """Phrase one pydantic error as a located problem, in the spec's own words."""
    raw = error["loc"]
    loc = [part for k, part in enumerate(raw) if part not in _TYPE_WORDS
           and not (k and raw[k - 1] == "source" and part in _KINDS)]
    kind = error["type"]
    if kind == "extra_forbidden":
        message = f'unknown key "{loc[-1]}"'
    elif kind == "missing":
        message = "required key is missing"
    elif kind == "union_tag_invalid":
        message = f"kind must be one of {', '.join(sorted(_KINDS))}"
    elif kind == "union_tag_not_found":
        message = f"needs a kind: one of {', '.join(sorted(_KINDS))}"
    else:
        message = error["msg"].removeprefix("Value error, ")
        if kind not in ("duration", "identifier", "label", "comparison", "target", "value_error"):
            message += f" (got {error['input']!r})" if not isinstance(error["input"], (dict, list)) else ""
    return Problem(shown, format_path(tuple(loc)), message)


class _UniqueKeyLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
    """A YAML loader (libyaml when present: 20x faster) that refuses duplicate keys instead of keeping the last."""


def _no_duplicates(loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return loader.construct_mapping(node, deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)

__all__ = ["LoadedSpec", "Source", "load"]
