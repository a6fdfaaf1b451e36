"""Every metric family perfcycle-exporter can publish, read from its own collectors.

Other parts of the project check names against this list: the dashboards' consistency
test accepts a queried series as ours only when it is here, so a typo such as
``kiro_optimization_improvement_ratio_TYPO`` fails instead of slipping through the
spec's ``kiro_*`` glob. The names are collected from the collectors themselves (an
offline exporter: no socket, no Prometheus query, no disk scan) rather than kept in a
second list that could drift from the code.
"""

from __future__ import annotations

from .config import Config
from .server import Exporter
from .sources import discovery

SAMPLE_SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"),
                   "summary": ("", "_sum", "_count")}
"""Suffixes of the series a family of each type exposes; other types expose the bare name."""


def families() -> dict[str, str]:
    """Family name (counters without ``_total``) -> type, for everything ``/metrics`` can show.

    Workspace discovery is registered only when configured, so its families are taken
    from its family builder over an empty inventory.
    """
    app = Exporter(Config())
    found = {name: family.kind for name, family in app.store.families.items()}
    found.update((metric.name, metric.type) for metric in app.registry.collect())
    empty = discovery.Inventory()
    found.update((metric.name, metric.type)
                 for metric in discovery.families(empty, dict.fromkeys(discovery.FILE_KINDS, 0)))
    return found


def series_names() -> set[str]:
    """Every series name a scrape can hold: ``_total`` for counters, buckets/sum/count for histograms."""
    return {name + suffix for name, kind in families().items()
            for suffix in SAMPLE_SUFFIXES.get(kind, ("",))}
