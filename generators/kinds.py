"""What each KPI kind records: the fast recorded series its alerts and panels read.

Adding a kind means adding one function here; builders ask ``records(kpi)`` and
``naming.value_record(kpi)`` and never branch on the kind themselves.
"""
from __future__ import annotations

from dataclasses import dataclass

from . import naming, promql
from .model import Kpi


@dataclass(frozen=True)
class Record:
    """One recording rule: the series name and the expression that produces it."""

    record: str
    expr: str


def records(kpi: Kpi) -> list[Record]:
    """The recording rules of one KPI at its fast window, intermediate series first."""
    return _BY_KIND[kpi.source.kind](kpi)


def raw_value_expr(kpi: Kpi) -> str:
    """The KPI's value straight from source series (no recorded series), in its unit."""
    return _RAW_BY_KIND[kpi.source.kind](kpi)


def _quantile(kpi: Kpi) -> list[Record]:
    s = kpi.source
    buckets = Record(naming.bucket_record(kpi), _bucket_rates(kpi))
    value = promql.quantile_with_traffic(s.quantile, buckets.record)
    return [buckets, Record(naming.value_record(kpi), promql.scaled(value, s.scale))]


def _ratio(kpi: Kpi) -> list[Record]:
    s = kpi.source
    numerator = Record(naming.numerator_record(kpi), promql.sum_rates(s.numerator, s.window, s.by))
    denominator = Record(naming.denominator_record(kpi), promql.sum_rates(s.denominator, s.window, s.by))
    value = promql.scaled(promql.guarded_ratio(numerator.record, denominator.record), s.scale)
    return [numerator, denominator, Record(naming.value_record(kpi), value)]


def _single(kpi: Kpi) -> list[Record]:
    return [Record(naming.value_record(kpi), raw_value_expr(kpi))]


def _bucket_rates(kpi: Kpi) -> str:
    s = kpi.source
    return promql.sum_rate(promql.selector(s.metric, s.selector, "_bucket"), s.window, ["le", *s.by])


def _raw_quantile(kpi: Kpi) -> str:
    s = kpi.source
    return promql.scaled(promql.quantile_with_traffic(s.quantile, _bucket_rates(kpi)), s.scale)


def _raw_ratio(kpi: Kpi) -> str:
    s = kpi.source
    return promql.scaled(promql.guarded_ratio(f"({promql.sum_rates(s.numerator, s.window, s.by)})",
                                              f"({promql.sum_rates(s.denominator, s.window, s.by)})"), s.scale)


_RAW_BY_KIND = {
    "quantile": _raw_quantile,
    "ratio": _raw_ratio,
    "rate": lambda k: promql.scaled(promql.sum_rates(k.source.counters, k.source.window, k.source.by), k.source.scale),
    "gauge": lambda k: promql.scaled(
        f"{k.source.aggregation}{promql.by_clause(k.source.by)} ({k.source.metric})", k.source.scale),
    "expression": lambda k: promql.scaled(k.source.expr, k.source.scale),
}

_BY_KIND = {"quantile": _quantile, "ratio": _ratio, "rate": _single, "gauge": _single, "expression": _single}


def window_expr(kpi: Kpi, window: str) -> str:
    """The KPI's value over a long ``window``, read from its fast recorded series only.

    A quantile re-derives the percentile from the averaged bucket rates (the mean of p95s
    is not a p95); a ratio divides the averaged numerator by the averaged denominator;
    everything else averages its value.
    """
    s = kpi.source
    avg = lambda record: f"avg_over_time({record}[{window}])"  # noqa: E731
    if s.kind == "quantile":
        buckets = naming.bucket_record(kpi)
        return promql.scaled(promql.quantile_with_traffic(s.quantile, avg(buckets)), s.scale)
    if s.kind == "ratio":
        return promql.scaled(promql.guarded_ratio(avg(naming.numerator_record(kpi)),
                                                  avg(naming.denominator_record(kpi))), s.scale)
    return avg(f'{naming.value_record(kpi)}{{{naming.KPI_LABEL}="{kpi.id}"}}')


def presence_record(kpi: Kpi) -> str:
    """The recorded series that exists while the KPI's sources do, even with no traffic.

    A ratio's value is absent without traffic, its denominator is not; a quantile's
    buckets likewise. ``absent()`` of this series means the source itself vanished.
    """
    return {"quantile": naming.bucket_record, "ratio": naming.denominator_record}.get(
        kpi.source.kind, naming.value_record)(kpi)


def shared(record: Record) -> bool:
    """Whether a record is about a metric rather than a KPI (bucket rates), so KPIs share it."""
    return "_bucket:" in record.record


def target_met_expr(kpi: Kpi) -> str | None:
    """1 while the KPI's value meets its target, else 0 (``bool`` comparisons); None without a target."""
    target, value = kpi.target, naming.value_record(kpi)
    if target is None:
        return None
    if target.is_band:
        return f"({value} >= bool {target.low:g}) * ({value} <= bool {target.high:g})"
    return f"{value} {target.op} bool {target.value:g}"
