"""Recording and alerting rules of one SLO, Sloth-compatible in names and labels.

Series names are Sloth's (``slo:sli_error:ratio_rate5m``, ``slo:objective:ratio``, …) with
its identifying labels (``sloth_id``, ``sloth_service``, ``sloth_slo``, ``sloth_window``),
so Sloth's Grafana dashboards work on them. Unlike Sloth, only the shortest window reads
raw counters: the error and event rates recorded there are averaged over the longer
windows (``avg_over_time`` of a rate is the rate over the longer window), which keeps a
3-day window cheap on a large Prometheus.
"""
from __future__ import annotations

from . import naming, promql, slo
from .model import Kpi, seconds


def _labels(bundle: str, kpi: Kpi, **extra: str) -> dict[str, str]:
    return {naming.KPI_LABEL: kpi.id, **kpi.slo.labels, **naming.sloth_labels(bundle, kpi), **extra}


def _select(bundle: str, kpi: Kpi) -> str:
    return f'{{{naming.SLOTH_ID}="{naming.sloth_labels(bundle, kpi)[naming.SLOTH_ID]}"}}'


def _events_exprs(kpi: Kpi, base: str) -> tuple[str, str]:
    """Bad events and all events per second at the base window, from raw counters."""
    s = kpi.source
    if s.window == base:  # the KPI already records both rates at this window
        total, numerator = naming.denominator_record(kpi), naming.numerator_record(kpi)
        return (numerator if s.numerator_counts == "errors" else f"{total} - {numerator}"), total
    total = promql.sum_rates(s.denominator, base, s.by)
    numerator = promql.sum_rates(s.numerator, base, s.by)
    if s.numerator_counts == "errors":
        return numerator, total
    return f"({total}) - ({numerator})", total


def fast_records(bundle: str, kpi: Kpi) -> list[dict]:
    """Event rates and error ratios at every burn-rate window, for the domain's fast group."""
    base = slo.base_window(kpi)
    errors_name = naming.slo_events_record(kpi, "errors", base)
    events_name = naming.slo_events_record(kpi, "events", base)
    errors, events = _events_exprs(kpi, base)
    rules = [
        {"record": errors_name, "expr": errors, "labels": {naming.KPI_LABEL: kpi.id}},
        {"record": events_name, "expr": events, "labels": {naming.KPI_LABEL: kpi.id}},
    ]
    for window in slo.windows(kpi):
        if window == base:
            expr = promql.guarded_ratio(errors_name, events_name)
        else:
            expr = promql.guarded_ratio(f"avg_over_time({errors_name}[{window}])",
                                        f"avg_over_time({events_name}[{window}])")
        rules.append({"record": naming.sli_error_record(window), "expr": expr,
                      "labels": _labels(bundle, kpi, **{naming.SLOTH_WINDOW: window})})
    rules.append({
        "record": naming.SLO_CURRENT_BURN,
        "expr": f"{naming.sli_error_record(base)}{_select(bundle, kpi)} / on ({naming.SLOTH_ID}) group_left "
                f"{naming.SLO_ERROR_BUDGET}{_select(bundle, kpi)}",
        "labels": _labels(bundle, kpi)})
    return rules


def long_records(bundle: str, kpi: Kpi) -> list[dict]:
    """The period's error ratio, budget remaining and Sloth's metadata series, for the slow group."""
    base = slo.base_window(kpi)
    period = kpi.slo.period
    errors_name = naming.slo_events_record(kpi, "errors", base)
    events_name = naming.slo_events_record(kpi, "events", base)
    sel = _select(bundle, kpi)
    labels = _labels(bundle, kpi)
    return [
        {"record": naming.sli_error_record(period),
         "expr": promql.guarded_ratio(f"avg_over_time({errors_name}[{period}])",
                                      f"avg_over_time({events_name}[{period}])"),
         "labels": _labels(bundle, kpi, **{naming.SLOTH_WINDOW: period})},
        {"record": naming.SLO_OBJECTIVE, "expr": f"vector({kpi.slo.objective / 100:.12g})", "labels": labels},
        {"record": naming.SLO_ERROR_BUDGET, "expr": f"vector({slo.error_budget(kpi):.12g})", "labels": labels},
        {"record": naming.SLO_TIME_PERIOD, "expr": f"vector({seconds(period) / 86400:g})", "labels": labels},
        {"record": naming.SLO_PERIOD_BURN,
         "expr": f"{naming.sli_error_record(period)}{sel} / on ({naming.SLOTH_ID}) group_left "
                 f"{naming.SLO_ERROR_BUDGET}{sel}", "labels": labels},
        {"record": naming.SLO_BUDGET_REMAINING, "expr": f"1 - {naming.SLO_PERIOD_BURN}{sel}", "labels": labels},
        {"record": naming.SLO_INFO, "expr": "vector(1)",
         "labels": {**labels, "sloth_objective": f"{kpi.slo.objective:g}", "sloth_spec": "perfcycle/v1"}},
    ]


def burn_expr(bundle: str, kpi: Kpi, tier: slo.BurnTier) -> str:
    """Both windows above ``factor × budget``, and enough traffic over the long window.

    ``max without (sloth_window)`` drops the one label the two windows differ in, as Sloth does.
    """
    sel = _select(bundle, kpi)
    threshold = f"({tier.factor:g} * {slo.error_budget(kpi):.12g})"
    parts = [f"max without ({naming.SLOTH_WINDOW}) ({naming.sli_error_record(w)}{sel} > {threshold})"
             for w in (tier.long, tier.short)]
    expr = f"{parts[0]}\nand\n{parts[1]}"
    if kpi.slo.min_traffic > 0:
        events = naming.slo_events_record(kpi, "events", slo.base_window(kpi))
        on = ", ".join(kpi.source.by)
        expr += (f"\nand on ({on})\navg_over_time({events}[{tier.long}]) >= {kpi.slo.min_traffic:g}")
    return expr


def no_data_expr(bundle: str, kpi: Kpi) -> str:
    """No events at all over the page window: the SLI vanished or traffic stopped."""
    events = naming.slo_events_record(kpi, "events", slo.base_window(kpi))
    window = slo.tiers(kpi, enabled_only=False)[0].long
    return (f'absent_over_time({events}{{{naming.KPI_LABEL}="{kpi.id}"}}[{window}])\n'
            f"or\nmax_over_time({events}[{window}]) == 0")
