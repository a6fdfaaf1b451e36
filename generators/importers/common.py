"""What both importers share: query parsing, identifiers, and the spec skeleton around imported KPIs."""
from __future__ import annotations

import re

_SELECTOR = r'[a-zA-Z_:][\w:]*(?:\{(?:[^{}"]|"[^"]*")*\})?'
_SUM_RATE = re.compile(
    r"^\s*sum\s*(?:by\s*\((?P<by1>[^)]*)\)\s*)?\(\s*rate\s*\(\s*(?P<sel>" + _SELECTOR + r")\s*\[\s*[^\]]+\]\s*\)\s*\)"
    r"\s*(?:by\s*\((?P<by2>[^)]*)\))?\s*$", re.S)


class ImportError_(ValueError):
    """A part of an SLO file perfcycle cannot express; ``where`` is its path in the file."""

    def __init__(self, where: str, message: str):
        super().__init__(f"{where}: {message}" if where else message)
        self.where, self.message = where, message


def counter_selector(query: str, where: str) -> tuple[str, list[str]]:
    """``sum by (x) (rate(sel[{{.window}}]))`` -> (``sel``, [``x``])."""
    match = _SUM_RATE.match(query.replace("{{.window}}", "5m").replace("{{ .window }}", "5m"))
    if not match:
        raise ImportError_(where, f"only sum(rate(<counter>[window])) queries can be imported, not {query.strip()!r}")
    by = match.group("by1") or match.group("by2") or ""
    return match.group("sel"), [label.strip() for label in by.split(",") if label.strip()]


def snake(text: str) -> str:
    """A spec identifier from any name: ``myservice-requests-availability`` -> ``myservice_requests_availability``."""
    out = re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")
    return out if out and out[0].isalpha() else f"slo_{out}"


def skeleton(bundle: str, domains: list[str], severities: dict[str, str], receivers: dict[str, dict]) -> dict:
    """A spec around imported KPIs: one domain per service, an operations dashboard, routes per severity."""
    return {
        "version": 1,
        "bundle": {"name": snake(bundle)},
        "domains": {d: {"title": f"SLOs of {d}", "interval": "1m"} for d in domains},
        "audiences": {"operational": {"title": "SLOs", "refresh": "1m"}},
        "routing": {"group_by": ["alertname", "slo"], "receivers": receivers,
                    "severities": {sev: {"receiver": rcv} for sev, rcv in severities.items()}},
    }


def placeholder_receiver(name: str) -> dict:
    """A receiver reachable only on loopback, for SLO files that name no notification target."""
    return {"description": f"{name} (from an imported SLO file; point it at a real channel)",
            "webhook": {"url": f"http://127.0.0.1:9095/{name}"}}
