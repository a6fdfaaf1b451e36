"""One domain error for everything wrong with a spec, raised only after collecting all problems.

Problems are values (file, path, message) so one run reports every problem at once;
the CLI is the only place that turns a ``SpecError`` into an exit code.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    """A single thing wrong with the spec, located by file and spec path (``kpis[3].alerts[0].for``)."""

    file: str
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: {self.message}"


class SpecError(Exception):
    """The spec cannot be turned into a bundle; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems), key=lambda p: (p.file, _path_key(p.path), p.message))
        super().__init__("\n".join(str(p) for p in self.problems))


def _path_key(path: str) -> list:
    """Sort ``kpis[10]`` after ``kpis[9]``: split on indexes and compare numbers as numbers."""
    key: list = []
    for part in path.replace("]", "").split("["):
        for piece in part.split("."):
            key.append((0, int(piece), "") if piece.isdigit() else (1, 0, piece))
    return key


def format_path(loc: tuple) -> str:
    """Turn a location tuple ``('kpis', 3, 'alerts', 0, 'for')`` into ``kpis[3].alerts[0].for``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out
