"""Test cases for every generated alert: input series that fire it, and series just on the healthy side.

Most cases feed the recorded series an alert reads (``service:error_rate:ratio_rate1m``)
directly: that tests the alert's condition, labels, annotations and ``for`` whatever the
KPI's kind. ``raw`` cases feed the source series instead (histogram buckets, counters,
gauges) to prove the recording rules in front of the alert work too.

Each case states, for promtool, what fires (labels and rendered annotations) and when:
nothing before ``for`` has elapsed, the alert at ``for`` plus a margin, nothing on the
healthy side of the threshold.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from . import alert_rules, alert_text, kinds, naming
from .model import Alert, Kpi, Spec, duration_from_seconds, seconds

STEP = 60
"""Seconds between input samples and between rule evaluations in the generated tests."""
TREND_STEP = 600
"""The same for week-over-week cases: a week of samples at 10 m keeps promtool quick."""
TEST_LABEL_VALUE = "test-{label}"


@dataclass
class Case:
    """One promtool test group: input series and the alert checks made against them."""

    name: str
    step: int = STEP
    series: dict[str, str] = field(default_factory=dict)
    """Series selector -> promtool values notation."""
    checks: list[dict] = field(default_factory=list)

    def check(self, at: float, rule: dict, fired: list[dict]) -> None:
        self.checks.append({"eval_time": duration_from_seconds(at), "alertname": rule["alert"], "exp_alerts": fired})

    def document(self) -> dict:
        return {"name": self.name, "interval": duration_from_seconds(self.step),
                "input_series": [{"series": s, "values": v} for s, v in self.series.items()],
                "alert_rule_test": self.checks}


def series(name: str, labels: dict[str, str]) -> str:
    inner = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    return f"{name}{{{inner}}}" if inner else name


def constant(value: float, until: float, step: int = STEP) -> str:
    return f"{value!r}+0x{int(until // step)}"


def by_labels(kpi: Kpi) -> dict[str, str]:
    return {label: TEST_LABEL_VALUE.format(label=label) for label in kpi.source.by}


def expected(rule: dict, series_labels: dict[str, str], value: float | None) -> dict:
    """What promtool must see fire: every label, and annotations rendered as Prometheus would."""
    labels = {**series_labels, **rule["labels"]}
    annotations = {k: alert_text.render(v, labels, value) for k, v in rule["annotations"].items()}
    return {"exp_labels": labels, "exp_annotations": annotations}


def beyond(op: str, value: float) -> float:
    """A value clearly on the firing side of ``op value``."""
    step = abs(value) * 0.1 or 1.0
    return value + step if op in (">", ">=") else value - step


def healthy(op: str, value: float) -> float:
    """A value just on the healthy side: the threshold itself for strict comparisons."""
    if op in (">", "<"):
        return value
    step = (abs(value) or 1.0) * 0.01
    return value - step if op == ">=" else value + step


def spec_alert_cases(spec: Spec, kpi: Kpi, alert: Alert, rule: dict) -> list[Case]:
    """A firing and a healthy case for one spec alert, by its condition."""
    return {"when": _when, "baseline": _baseline, "change": _change, "forecast": _forecast,
            "absent": _absent}[alert.condition](spec, kpi, alert, rule)


def pending_time(start: float, hold: float, step: int) -> float | None:
    """When to see the alert still pending: the last evaluation before ``for`` elapses; None without ``for``.

    Evaluations run every ``step`` from ``start`` (when the condition turns true), so that is
    the largest ``start + k × step`` below ``start + hold``: ``hold - step`` on a fine grid,
    ``start`` itself when ``for`` is no longer than a step (a 15m ``for`` on a 10m grid: +10m).
    """
    if hold <= 0:
        return None
    return start + (math.ceil(hold / step) - 1) * step


def timed(case: Case, rule: dict, start: float, fired: list[dict], margin: float | None = None) -> float:
    """Checks around ``for``: still pending at the last evaluation before it elapses, firing after."""
    hold = seconds(rule["for"]) if rule.get("for") else 0
    margin = 2 * case.step if margin is None else margin
    pending = pending_time(start, hold, case.step)
    if pending is not None and fired:
        case.check(pending, rule, [])
    case.check(start + hold + margin, rule, fired)
    return start + hold + margin


def _labels(kpi: Kpi) -> dict[str, str]:
    return {**by_labels(kpi), naming.KPI_LABEL: kpi.id}


def _when(spec: Spec, kpi: Kpi, alert: Alert, rule: dict) -> list[Case]:
    op, threshold = alert.when.op, alert.when.value
    labels = _labels(kpi)
    out = []
    for fires, value in ((True, beyond(op, threshold)), (False, healthy(op, threshold))):
        case = Case(f"{rule['alert']} {'fires after for when' if fires else 'stays silent at'} "
                    f"{naming.value_record(kpi)} = {value:g}")
        until = timed(case, rule, 0, [expected(rule, labels, value)] if fires else [])
        case.series[series(naming.value_record(kpi), labels)] = constant(value, until)
        out.append(case)
    return out


def _baseline(spec: Spec, kpi: Kpi, alert: Alert, rule: dict) -> list[Case]:
    window = alert.baseline.window or spec.defaults.baseline_window
    factor = alert.baseline.factor
    labels = _labels(kpi)
    out = []
    for fires, value in ((True, factor * 1.5), (False, factor)):
        case = Case(f"{rule['alert']} {'fires when' if fires else 'stays silent when'} the value is "
                    f"{value / factor:g} times {factor:g} x its {window} baseline")
        until = timed(case, rule, 0, [expected(rule, labels, value)] if fires else [])
        case.series[series(naming.value_record(kpi), labels)] = constant(value, until)
        case.series[series(naming.baseline_record(kpi, window), labels)] = constant(1.0, until)
        out.append(case)
    return out


def _change(spec: Spec, kpi: Kpi, alert: Alert, rule: dict) -> list[Case]:
    """The value is 100 for one offset, then moves: 1.5 x the threshold change, or 0.9 x it."""
    offset = seconds(alert.change.offset)
    limit = alert.change.when.value
    labels = _labels(kpi)
    out = []
    for fires, moved in ((True, 100 * (1 + limit * 1.5)), (False, 100 * (1 + limit * 0.9))):
        case = Case(f"{rule['alert']} {'fires when' if fires else 'stays silent when'} the value moves "
                    f"from 100 to {moved:g} against {alert.change.offset} ago", step=TREND_STEP)
        until = timed(case, rule, offset, [expected(rule, labels, moved / 100.0 - 1)] if fires else [])
        before = int(offset // TREND_STEP)
        case.series[series(naming.value_record(kpi), labels)] = (
            f"100+0x{before - 1} {moved!r}+0x{int((until - offset) // TREND_STEP)}")
        out.append(case)
    return out


def _forecast(spec: Spec, kpi: Kpi, alert: Alert, rule: dict) -> list[Case]:
    """A trend that crosses the limit within the horizon, and a flat line just inside it."""
    f = alert.forecast
    op, limit = f.when.op, f.when.value
    horizon = seconds(f.horizon)
    rising = op in (">", ">=")
    start = limit * 0.5 if rising else limit * 1.5 or 1.0
    per_step = (abs(limit) or 1.0) * 0.6 * STEP / horizon * (1 if rising else -1)
    labels = _labels(kpi)
    out = []
    fire = Case(f"{rule['alert']} fires when the trend reaches {f.when} within {f.horizon}")
    hold = seconds(rule["for"])
    at = hold + 2 * STEP
    predicted = _predicted(start, per_step, at, horizon)
    while not alert_text.stable(predicted, alert_text.humanize):  # step off a rounding tie
        at += STEP
        predicted = _predicted(start, per_step, at, horizon)
    timed(fire, rule, 0, [expected(rule, labels, predicted)], margin=at - hold)
    fire.series[series(naming.value_record(kpi), labels)] = f"{start!r}{per_step:+}x{int(at // STEP)}"
    flat = Case(f"{rule['alert']} stays silent on a flat line at {healthy(op, limit):g}")
    until = timed(flat, rule, 0, [])
    flat.series[series(naming.value_record(kpi), labels)] = constant(healthy(op, limit), until)
    return [fire, flat]


def _predicted(start: float, per_step: float, at: float, horizon: float) -> float:
    """``predict_linear`` of an exact line: the value now plus the slope times the horizon."""
    return start + per_step * (at // STEP) + per_step / STEP * horizon


def _absent(spec: Spec, kpi: Kpi, alert: Alert, rule: dict) -> list[Case]:
    """Fires with no source series at all; silent while the source's recorded series exists."""
    record = kinds.presence_record(kpi)
    present_labels = {**by_labels(kpi), "le": "+Inf"} if "_bucket:" in record else _labels(kpi)
    gone = Case(f"{rule['alert']} fires when {record} is absent for {rule['for']}")
    matcher = {} if "_bucket:" in record else {naming.KPI_LABEL: kpi.id}
    until = timed(gone, rule, 0, [expected(rule, matcher, None)])
    gone.series[series("perfcycle_test_unrelated", {})] = constant(1, until)
    there = Case(f"{rule['alert']} stays silent while {record} is present")
    until = timed(there, rule, 0, [])
    there.series[series(record, present_labels)] = constant(1, until)
    return [gone, there]


def implicit_absent_alert(spec: Spec, kpi: Kpi) -> Alert:
    """The missing-source alert ``alert_rules`` adds for a ``critical_source`` KPI."""
    return Alert(severity=next(iter(spec.routing.severities)), absent=True, for_=spec.defaults.absent_for,
                 name=naming.source_absent_alert_name(kpi))


def alert_pairs(spec: Spec, kpi: Kpi) -> list[tuple[Alert, dict]]:
    """Each spec alert (and the implicit absent one) with the rule generated for it."""
    rules = alert_rules.kpi_rules(spec, kpi)
    pairs = list(zip(kpi.alerts, rules))
    if kpi.critical_source and not any(a.absent for a in kpi.alerts):
        pairs.append((implicit_absent_alert(spec, kpi), rules[len(kpi.alerts)]))
    return pairs
