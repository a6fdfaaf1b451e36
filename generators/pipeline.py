"""Build every output from a loaded spec, then write or compare: the only code that touches outputs.

``build_texts`` is pure (model in, file texts out). ``write`` replaces files atomically,
all or nothing per file set, and removes stale generated files. ``drift`` regenerates in
memory and lists every committed file that differs, is missing or is stale; files whose
only difference is the header (the spec's sha256) are counted apart from real changes.
"""
from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path

from . import gc_pause
from .render import MARKER, header, render, without_header
from .spec import LoadedSpec

BUILDERS = ("catalog", "schema", "dashboards", "routing", "recording_rules", "alerts", "alert_tests")
"""Builder modules under ``generators.build``, each with ``build(spec) -> {path: document}``."""
GENERATED_ROOTS = ("recording_rules", "alerts", "alertmanager", "dashboards", "provisioning",
                   "tests/rules", "docs/kpis.md", "spec/kpis.schema.json")
"""Where generated files live; a file there whose first line carries the marker is ours to replace."""


@gc_pause.paused()
def build_texts(loaded: LoadedSpec, root: str | Path = ".") -> dict[str, str]:
    """Every output file's text, keyed by path relative to the project ``root``, in sorted order.

    Headers name the spec relative to ``root``, however it was spelled on the command line.
    """
    head = header(loaded.named_from(root), loaded.sha256)
    documents: dict[str, object] = {}
    for name in BUILDERS:
        built = import_module(f"generators.build.{name}").build(loaded.spec)
        clash = documents.keys() & built.keys()
        if clash:
            raise RuntimeError(f"builder {name} writes {sorted(clash)} already written by another builder")
        documents.update(built)
    return {path: render(path, documents[path], head) for path in sorted(documents)}


@dataclass(frozen=True)
class Drift:
    """How committed outputs differ from what the spec generates (any difference fails ``check``)."""

    changed: list[str]
    missing: list[str]
    stale: list[str]
    header_only: list[str] = field(default_factory=list)
    """Files whose content matches and whose header names another spec hash or path."""

    def __bool__(self) -> bool:
        return bool(self.changed or self.missing or self.stale or self.header_only)

    def lines(self) -> list[str]:
        """One line per really drifted file, then one summary line for the header-only ones."""
        lines = ([f"changed: {p}" for p in self.changed] + [f"missing: {p}" for p in self.missing]
                 + [f"stale:   {p}" for p in self.stale])
        if self.header_only:
            count = len(self.header_only)
            lines.append(f"{count} file{'s differ' if count > 1 else ' differs'} only in the spec hash header")
        return lines


def drift(texts: dict[str, str], root: Path) -> Drift:
    """Compare generated texts with the files under ``root``."""
    changed, missing, header_only = [], [], []
    for path, text in texts.items():
        committed = _current(root / path)
        if committed is None:
            missing.append(path)
        elif committed != text:
            (header_only if without_header(committed) == without_header(text) else changed).append(path)
    return Drift(changed, missing, stale_files(texts, root), header_only)


def write(texts: dict[str, str], root: Path) -> list[str]:
    """Write the whole bundle: every changed file atomically, then remove stale generated ones."""
    changed = write_files(texts, root)
    stale = stale_files(texts, root)
    for path in stale:
        (root / path).unlink()
    return changed + stale


def write_files(texts: dict[str, str], root: Path) -> list[str]:
    """Write the changed files atomically (temp file + rename, all staged before any rename)."""
    pending = {path: text for path, text in texts.items() if _current(root / path) != text}
    staged: list[tuple[Path, Path]] = []
    try:
        for path, text in pending.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            staged.append((Path(tmp), target))
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
    return sorted(pending)


def stale_files(texts: dict[str, str], root: Path) -> list[str]:
    """Generated files (marker in their first line) under the generated roots that the spec no longer makes."""
    found = []
    for entry in GENERATED_ROOTS:
        base = root / entry
        candidates = [base] if base.is_file() else sorted(p for p in base.rglob("*") if p.is_file())
        for file in candidates:
            rel = file.relative_to(root).as_posix()
            if rel not in texts and not file.name.startswith(".") and _is_generated(file):
                found.append(rel)
    return sorted(found)


def _is_generated(file: Path) -> bool:
    try:
        with file.open(encoding="utf-8") as handle:
            head = handle.read(400)
    except (OSError, UnicodeDecodeError):
        return False
    first = head.lstrip("{\n ").split("\n", 1)[0]
    return MARKER in first


def _current(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
