"""PromQL of every panel, variable and annotation: recorded series only, filtered by dashboard variables.

Panels read ``naming.value_record(kpi)`` (recorded for every KPI by the rules), never the
raw source, so a dashboard costs Prometheus one cheap selector per panel. Summary panels
derive their series names from ``naming`` too; only ``query`` panels run spec-written PromQL.
"""
from __future__ import annotations

from dataclasses import dataclass

from .. import naming
from ..model import Kpi, Spec, seconds

SLOW_REFRESH = 3600
"""Dashboards refreshing this rarely (seconds) read long-window averages, not the fast value."""


@dataclass(frozen=True)
class Query:
    """One panel query: PromQL, legend, and whether Grafana asks for one instant or a range."""

    expr: str
    legend: str = ""
    instant: bool = False
    format: str = "time_series"
    """``time_series``, ``table`` (one row per series) or ``heatmap`` (buckets by ``le``)."""


def variable(name: str) -> str:
    return f"${name}"


def filtered(series: str, variables: dict[str, str]) -> str:
    """``series{a=~"$a", b=~"$b_x"}``: each filtered label of the series matched by its variable."""
    if not variables:
        return series
    return series + "{" + ", ".join(f'{label}=~"{variable(name)}"' for label, name in variables.items()) + "}"


def legend(labels: list[str], fallback: str = "") -> str:
    """``{{service}} {{instance}}``: one legend entry per label combination."""
    return " ".join(f"{{{{{label}}}}}" for label in labels) or fallback


def value_series(kpi: Kpi, refresh: str) -> str:
    """The recorded series a panel reads: the KPI value, or its average over the dashboard's
    refresh when that is an hour or more (hourly executive, daily FinOps views). The rules
    record those averages for exactly these audiences (``naming.baseline_record``)."""
    if seconds(refresh) >= SLOW_REFRESH and seconds(refresh) > seconds(kpi.source.window):
        return naming.baseline_record(kpi, refresh)
    return naming.value_record(kpi)


def kpi_queries(kpi: Kpi, panel: str, variables: dict[str, str], refresh: str) -> list[Query]:
    """The query of a KPI's panel: its value series, or its bucket record for a heatmap,
    filtered by ``variables`` (label -> the dashboard variable for this KPI's label)."""
    kept = {label: variables[label] for label in kpi.source.by if label in variables}
    if panel == "heatmap" and kpi.source.kind == "quantile":
        buckets = filtered(naming.bucket_record(kpi), kept)
        return [Query(f"sum by (le) ({buckets})", "{{le}}", format="heatmap")]
    expr = filtered(value_series(kpi, refresh), kept)
    instant = panel in ("table", "bargauge")
    return [Query(expr, legend(kpi.source.by, kpi.title), instant=instant,
                  format="table" if panel == "table" else "time_series")]


def _tagged(expr: str, kpi: Kpi) -> str:
    """The expression with a ``kpi`` label naming the KPI, so series of several KPIs stay apart."""
    return f'label_replace({expr}, "{naming.KPI_LABEL}", "{kpi.id}", "", "")'


def _kpi_matcher(kpis: list[Kpi]) -> str:
    return f'{naming.KPI_LABEL}=~"{"|".join(k.id for k in kpis)}"'


def health_score(kpis: list[Kpi] | None) -> Query:
    """Percent of KPI series meeting their target; ``None`` scores the whole platform."""
    series = naming.TARGET_MET if kpis is None else f"{naming.TARGET_MET}{{{_kpi_matcher(kpis)}}}"
    return Query(f"100 * avg({series})", "Health score")


def baseline_window(spec: Spec, kpi: Kpi) -> str | None:
    """Window of the KPI's recorded baseline, or None when no alert compares with a baseline."""
    for alert in kpi.alerts:
        if alert.baseline is not None:
            return alert.baseline.window or spec.defaults.baseline_window
    return None


def bottlenecks(spec: Spec, kpis: list[Kpi], limit: int) -> Query | None:
    """The ``limit`` KPI series furthest above their own baseline (value / baseline, 1 = normal),
    worst first."""
    parts = []
    for kpi in kpis:
        window = baseline_window(spec, kpi)
        if window is not None:
            parts.append(_tagged(f"{naming.value_record(kpi)} / {naming.baseline_record(kpi, window)}", kpi))
    if not parts:
        return None
    labels = _union_labels([k for k in kpis if baseline_window(spec, k)])
    return Query(f"sort_desc(topk({limit}, {' or '.join(parts)}))", legend([naming.KPI_LABEL, *labels]),
                 instant=True)


def below_target_band(kpis: list[Kpi], limit: int) -> Query | None:
    """KPI series under the low end of their target band: over-provisioned against 70-80 %."""
    banded = [k for k in kpis if k.target is not None and k.target.is_band]
    if not banded:
        return None
    parts = [_tagged(f"{naming.value_record(k)} < {k.target.low:g}", k) for k in banded]
    return Query(f"bottomk({limit}, {' or '.join(parts)})",
                 legend([naming.KPI_LABEL, *_union_labels(banded)]), instant=True)


def firing_alerts(kpis: list[Kpi]) -> Query:
    """Alerts firing now on this dashboard's KPIs, one table row per alert and severity."""
    selector = f'{naming.ALERTS}{{alertstate="firing", {_kpi_matcher(kpis)}}}'
    return Query(f"sum by (alertname, severity, {naming.KPI_LABEL}) ({selector})",
                 instant=True, format="table")


def alert_annotation(kpis: list[Kpi]) -> str:
    """The annotation query overlaying this dashboard's firing alerts on every time series."""
    return f'{naming.ALERTS}{{alertstate="firing", {_kpi_matcher(kpis)}}}'


def _union_labels(kpis: list[Kpi]) -> list[str]:
    seen: list[str] = []
    for kpi in kpis:
        seen += [label for label in kpi.source.by if label not in seen]
    return seen
