"""SLO files teams already have, read as perfcycle specs: Sloth ``prometheus/v1`` and OpenSLO.

Each importer turns its format into a perfcycle spec *document* (the ``version: 1`` wire
format), which then goes through the same validation as a hand-written spec: an imported
SLO becomes an ordinary ratio KPI with an ``slo:``, so it gets the same recording rules,
burn-rate alerts, tests and dashboards. Queries must be ``sum(rate(<selector>[window]))``
(optionally ``by (…)``), the form both formats' examples use; anything else is reported.
"""
from __future__ import annotations

import re

from . import openslo, sloth
from .common import ImportError_

__all__ = ["ImportError_", "recognises", "to_spec_document"]


def recognises(documents: list[object]) -> str | None:
    """``sloth`` or ``openslo`` when the YAML documents are in that format, else None."""
    first = next((d for d in documents if isinstance(d, dict)), {})
    if first.get("version") == "prometheus/v1":
        return "sloth"
    if re.match(r"^openslo/v1", str(first.get("apiVersion", ""))):
        return "openslo"
    return None


def to_spec_document(documents: list[object], source: str) -> dict:
    """A perfcycle spec document from a Sloth or OpenSLO file's YAML documents."""
    kind = recognises(documents)
    if kind == "sloth":
        return sloth.to_spec_document(documents[0], source)
    if kind == "openslo":
        return openslo.to_spec_document([d for d in documents if isinstance(d, dict)], source)
    raise ImportError_("", "neither a Sloth prometheus/v1 nor an OpenSLO document")
