"""promtool tests that no recording rule records NaN or ±Inf when there is no traffic.

Every source series the recording rules read is fed flat: counters that never move (every
rate is 0) and gauges at 0 (every gauge denominator is 0); the minute grid also feeds
everything at 1, so joins on ``== 1`` gauges are taken too. An unguarded
ratio is then 0/0 = NaN, a cost divided by a zero request rate +Inf, a quantile of empty
buckets NaN, and any of those would reach panels, the health score and alerts as a number.
The label sets come from ``generators.stack.series`` (the synthetic stack's planner), so
every selector, ``by`` and ``on (…)`` join of the rules finds data.

Checks, per input: no recorded series is NaN or ±Inf; ratio and quantile KPIs have neither a
value nor a ``kpi:target_met:bool`` (absent, not 0: no traffic is no missed target); their
denominators or bucket rates do exist (the source is there, so missing-data alerts stay quiet).

Two files, because one grid cannot serve both ends cheaply: ``no_traffic.test.yml`` samples
every minute for a few hours (``rate(x[1m])``, ``offset 10m``), ``no_traffic.long.test.yml``
once a day over the longest look-back of the rules (``[90d] offset 90d``), where a minute
grid would mean hundreds of thousands of evaluations.
"""
from __future__ import annotations

from . import alert_rules, naming
from .model import Spec, duration_from_seconds
from .stack import history, selectors, series

FAST_FILE = "no_traffic"
LONG_FILE = "no_traffic.long"
FAST_STEP, FAST_SPAN = 60, 2 * 3600
"""A minute grid over two hours: two samples in every window, ``offset 10m`` reached."""
LONG_STEP = 86400
RECORD = "perfcycle_record"
"""A copy of ``__name__``: set operators ignore the name, so two records with equal labels would mask each other."""
ANY_RECORD = '{__name__=~".+:.+"}'
"""Every recorded series (source metrics have no colon)."""
JOB = "no-traffic"


def documents(spec: Spec, rule_files: list[str], group_order: list[str], rule_exprs: list[str]) -> dict[str, dict]:
    """``{tests/rules/no_traffic*.test.yml: document}`` for the given recording rules."""
    found = selectors.scan(rule_exprs)
    inputs = _series_names(found)
    long_span = _days(found.lookback) * LONG_STEP
    return {
        naming.test_file(FAST_FILE): _file(rule_files, group_order, FAST_STEP,
                                           [_group(spec, inputs, value, FAST_STEP, FAST_SPAN, presence=True)
                                            for value in (0, 1)]),
        naming.test_file(LONG_FILE): _file(rule_files, group_order, LONG_STEP,
                                           [_group(spec, inputs, 0, LONG_STEP, long_span, presence=False)]),
    }


def _series_names(found: selectors.Found) -> list[str]:
    """Every source series as promtool input text, histograms expanded to buckets, sum and count."""
    plans = series.plans(found, lambda metric: _job(found, metric))
    return sorted({text for plan in plans for text, _ in history.value_functions(plan)})


def _job(found: selectors.Found, metric: str) -> str:
    """The ``job`` a selector asks for (``{job="checkout"}``, common in SLO files), else a fixed one.

    The planner sets ``job`` itself, so a selector naming one would otherwise find nothing.
    """
    names = [metric] + [f"{metric}_{part}" for part in ("bucket", "sum", "count")]
    wanted = [m.value for name in names for use in found.uses.get(name, [])
              for m in use.matchers if m.label == "job" and m.op == "="]
    return wanted[0] if wanted else JOB


def _days(lookback: float) -> int:
    """Whole days past the longest look-back, so the deepest ``offset`` finds two samples."""
    return int(lookback // LONG_STEP) + 2


def _file(rule_files: list[str], group_order: list[str], step: int, tests: list[dict]) -> dict:
    return {"rule_files": rule_files, "evaluation_interval": duration_from_seconds(step),
            "group_eval_order": group_order, "tests": tests}


def _group(spec: Spec, inputs: list[str], value: int, step: int, span: int, presence: bool) -> dict:
    at = duration_from_seconds(span)
    checks = [{"expr": finite_violations(), "eval_time": at, "exp_samples": []}]
    if presence:
        checks += _traffic_checks(spec, at)
    return {"name": f"No traffic: counters flat, gauges at {value}, sampled every {duration_from_seconds(step)}: "
                    "no recorded series is NaN or Inf",
            "interval": duration_from_seconds(step),
            "input_series": [{"series": s, "values": f"{value}+0x{span // step}"} for s in inputs],
            "promql_expr_test": checks}


def finite_violations(selector: str = ANY_RECORD) -> str:
    """Recorded series whose value is NaN or ±Inf (``x > -Inf < +Inf`` keeps exactly the finite ones)."""
    named = lambda expr: f'label_replace({expr}, "{RECORD}", "$1", "__name__", "(.+)")'  # noqa: E731
    return f"{named(selector)} unless {named(f'{selector} > -Inf < +Inf')}"


def _traffic_checks(spec: Spec, at: str) -> list[dict]:
    """Ratio and quantile KPIs: no value and no target-met series, but their event series exist."""
    kpis = [k for k in spec.kpis if k.source.kind in ("ratio", "quantile")]
    if not kpis:
        return []
    names = "|".join(dict.fromkeys([naming.TARGET_MET, *(naming.value_record(k) for k in kpis)]))
    ids = "|".join(k.id for k in kpis)
    checks = [{"expr": f'{{__name__=~"{names}", {naming.KPI_LABEL}=~"{ids}"}}', "eval_time": at, "exp_samples": []}]
    for kpi in kpis:  # the series whose absence the missing-data alerts watch
        checks.append({"expr": f"count({alert_rules.absent_selector(kpi)}) > bool 0", "eval_time": at,
                       "exp_samples": [{"labels": "{}", "value": 1}]})
    return checks
