"""Small PromQL builders shared by the kinds and the alert builders; they only format strings."""
from __future__ import annotations


def by_clause(labels: list[str] | tuple[str, ...]) -> str:
    """`` by (a, b)`` or nothing, so ``sum`` keeps exactly the KPI's labels."""
    return f" by ({', '.join(labels)})" if labels else ""


def selector(metric: str, matchers: str = "", suffix: str = "") -> str:
    """``metric_suffix{matchers}``, merging matchers into a selector that may already have some."""
    if "{" in metric:
        name, inner = metric.split("{", 1)
        inner = inner.rstrip("}")
        extra = ", ".join(m for m in (inner, matchers) if m)
        return f"{name}{suffix}{{{extra}}}"
    return f"{metric}{suffix}{{{matchers}}}" if matchers else f"{metric}{suffix}"


def sum_rate(counter: str, window: str, labels: list[str]) -> str:
    """``sum by (labels) (rate(counter[window]))``."""
    return f"sum{by_clause(labels)} (rate({counter}[{window}]))"


def sum_rates(counters: list[str], window: str, labels: list[str]) -> str:
    """The sum of several counters' rates, each aggregated to the same labels."""
    return " + ".join(sum_rate(c, window, labels) for c in counters)


def scaled(expr: str, factor: float) -> str:
    """``factor * (expr)``, or ``expr`` alone when the factor is 1."""
    return expr if factor == 1 else f"{factor:g} * ({expr})"


def guarded_ratio(numerator: str, denominator: str) -> str:
    """A ratio that is absent, not NaN or +Inf, when the denominator is zero (no traffic)."""
    return f"{numerator} / ({denominator} > 0)"


def quantile_with_traffic(quantile: float, buckets: str) -> str:
    """``histogram_quantile`` kept only where it is a number: absent, not NaN, with no traffic.

    With every bucket rate at 0 ``histogram_quantile`` returns NaN, which would reach
    panels and targets as a value. NaN compares false with everything, so ``>= -Inf``
    drops exactly the NaN samples and keeps every other one: the series is absent
    instead, as ratios are. It costs one comparison per series and reads no other series,
    so records of it can still be inlined by the live stack's backfill.
    """
    return f"histogram_quantile({quantile:g}, {buckets}) >= -Inf"
