"""Scrape targets a critical source depends on, for per-target down alerts.

``absent(<aggregated record>)`` only fires once every instance of a source is gone: with
one node exporter of ten down, ``avg by (instance)`` simply has nine series and the KPI
goes silent for that node. Prometheus knows better: ``up{job=…}`` is 0 for each target
it cannot scrape. So each ``critical_source`` KPI gets ``<Kpi>TargetDown`` on
``up{job="<job>"} == 0``, the jobs being those of the spec's ``exporters`` whose metric
names the KPI's source reads. Per-series ``absent_over_time`` would catch a vanished
series of a target still up too, but fires on every routine scale-down; ``up`` is one
cheap series per target and only says what we want: a target we read is unreachable.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from . import kinds
from .model import Kpi, Spec, seconds
from .stack import selectors

UP = "up"
"""Prometheus's own series per scrape target: 1 when the last scrape worked, 0 when not."""
TARGET_LABELS = ("job", "instance")
"""Labels ``up`` carries that the alert keeps: which target is down."""


@dataclass(frozen=True)
class TargetDown:
    """The down alert of one critical KPI: which jobs, how long, how severe."""

    jobs: tuple[str, ...]
    for_: str
    severity: str


def metric_names(kpi: Kpi) -> set[str]:
    """Raw metric names the KPI's value reads (``http_requests_total``, ``x_bucket``…)."""
    return set(selectors.scan([kinds.raw_value_expr(kpi)]).uses)


def exporters_of(spec: Spec, kpi: Kpi) -> list[str]:
    """Ids of the spec's exporters publishing a metric the KPI reads, in spec order."""
    names = metric_names(kpi)
    return [eid for eid, e in spec.exporters.items()
            if any(_publishes(pattern, name) for pattern in e.metrics for name in names)]


def target_down(spec: Spec, kpi: Kpi) -> TargetDown | None:
    """The KPI's down alert, or None when its source is not critical or comes from no declared exporter.

    Several exporters may differ in ``for`` and severity: the shortest ``for`` and the most
    severe severity win, so the alert is never later or milder than any of them asks.
    """
    if not kpi.critical_source:
        return None
    ids = exporters_of(spec, kpi)
    if not ids:
        return None
    found = [spec.exporters[i] for i in ids]
    order = list(spec.routing.severities)
    rank = lambda s: order.index(s) if s in order else len(order)  # noqa: E731 (unrouted: reported by the spec checks)
    jobs = tuple(dict.fromkeys(e.job or i for i, e in zip(ids, found)))
    holds = [e.down_for or spec.defaults.target_down_for for e in found]
    severities = [e.down_severity or default_severity(spec) for e in found]
    return TargetDown(jobs, min(holds, key=seconds), min(severities, key=rank))


def default_severity(spec: Spec) -> str:
    """``defaults.target_down_severity``, else the second most severe routed severity (or the only one)."""
    order = list(spec.routing.severities)
    return spec.defaults.target_down_severity or order[min(1, len(order) - 1)]


def down_expr(down: TargetDown) -> str:
    """``up{job="node"} == 0``, one such comparison per job joined by ``or`` (no regex to escape)."""
    return " or ".join(f"{UP}{{job={json.dumps(job)}}} == 0" for job in down.jobs)


def _publishes(pattern: str, metric: str) -> bool:
    """``node_*`` publishes ``node_cpu_seconds_total``; ``http_request_duration_seconds*`` its ``_bucket``."""
    return metric.startswith(pattern[:-1]) if pattern.endswith("*") else metric == pattern
