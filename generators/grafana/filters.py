"""Dashboard filter variables: one per label, split where the label names different things.

Labels such as ``instance`` or ``server`` are set by each exporter for its own targets:
node_exporter's instances are nodes, postgres_exporter's database hosts, blackbox's probed
endpoints; CoreDNS's ``server`` is a DNS server block, perfcycle-exporter's an MCP server.
One variable over all of them offers values that blank every panel of the other exporters.
So a label's KPIs are grouped by the spec exporters their sources read (a KPI reading two
exporters joins their groups), and each group gets its own variable listing the values of
that group's series only. Kubernetes object labels name the same objects whichever exporter
reports them, so they stay one variable.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..model import Kpi, Spec
from ..targets import exporters_of
from .queries import value_series

SHARED_LABELS = frozenset({"namespace", "pod", "node", "container", "persistentvolumeclaim"})
"""Labels meaning the same Kubernetes object in every exporter: never split."""
UNKNOWN = ""
"""The group of KPIs whose sources match no exporter the spec declares."""


@dataclass(frozen=True)
class Filter:
    """One multi-value variable: its name, the label it matches, and the KPIs it filters."""

    name: str
    label: str
    title: str
    kpis: tuple[str, ...]
    query: str
    """Grafana's ``label_values`` over exactly the series of those KPIs' panels."""


def plan_filters(spec: Spec, kpis: list[Kpi], labels: list[str], refresh: str) -> list[Filter]:
    """The variables for ``labels`` over this dashboard's KPIs, in label order."""
    found = []
    for label in labels:
        keeping = [k for k in kpis if label in k.source.by]
        groups = [keeping] if label in SHARED_LABELS else _by_exporter(spec, keeping)
        found += [_filter(spec, label, group, len(groups) > 1, refresh) for group in groups]
    return found


def variables(filters: list[Filter], kpi: Kpi) -> dict[str, str]:
    """Label -> name of the variable that filters this KPI's panels."""
    return {f.label: f.name for f in filters if kpi.id in f.kpis}


def _by_exporter(spec: Spec, kpis: list[Kpi]) -> list[list[Kpi]]:
    """KPIs grouped so that two KPIs reading a common exporter are in one group."""
    groups: list[tuple[set[str], list[Kpi]]] = []
    for kpi in kpis:
        exporters, members = set(exporters_of(spec, kpi) or [UNKNOWN]), [kpi]
        for joined in [g for g in groups if g[0] & exporters]:
            groups.remove(joined)
            exporters |= joined[0]
            members = joined[1] + members
        groups.append((exporters, members))
    order = {k.id: i for i, k in enumerate(kpis)}
    groups.sort(key=lambda g: min(order[k.id] for k in g[1]))
    return [sorted(members, key=lambda k: order[k.id]) for _, members in groups]


def _filter(spec: Spec, label: str, group: list[Kpi], split: bool, refresh: str) -> Filter:
    name, title = label, label
    if split:
        read = {e for k in group for e in exporters_of(spec, k)}
        exporters = [e for e in spec.exporters if e in read] or [UNKNOWN]
        name = f"{label}_{exporters[0] or 'other'}"
        titles = [spec.exporters[e].title for e in exporters if e != UNKNOWN] or ["other sources"]
        title = f"{label} ({', '.join(titles)})"
    return Filter(name, label, title, tuple(k.id for k in group), _label_values(group, label, refresh))


def _label_values(kpis: list[Kpi], label: str, refresh: str) -> str:
    """``label_values(series, label)``, or over a ``__name__`` regex when several series."""
    records = sorted({value_series(k, refresh) for k in kpis})
    selector = records[0] if len(records) == 1 else f'{{__name__=~"{"|".join(records)}"}}'
    return f"label_values({selector}, {label})"
