"""History depth and shape, and which recorded series are backfilled over which windows."""
from __future__ import annotations

import datetime
import json

import pytest

from generators.stack import history, rulesfill, selectors, series

DAY, HOUR = 86400, 3600
NOW = 1_796_300_000  # a Friday, 2026-12-04
WEDNESDAY, SATURDAY = (datetime.datetime(2026, 12, d, 15, tzinfo=datetime.timezone.utc).timestamp() for d in (2, 5))


def _plan(expr: str, name: str) -> series.Plan:
    return {p.name: p for p in series.plans(selectors.scan([expr]), lambda _n: "job")}[name]


def _hourly_rate(value_at, t: float) -> float:
    return (value_at(t) - value_at(t - HOUR)) / HOUR


def test_every_metric_gets_five_weeks_even_with_short_ranges():
    plan = _plan("sum(rate(x_total[5m]))", "x_total")
    times = history.grid(NOW, plan.lookback, plan.offsets, 30)
    assert NOW - min(times) > 35 * DAY - HOUR
    assert all(b - a <= HOUR for a, b in zip(times, times[1:])), "a gap longer than the hourly grid"


@pytest.mark.parametrize("expr, name", [
    pytest.param("sum(rate(http_requests_total[1h]))", "http_requests_total", id="a counter"),
    pytest.param("histogram_quantile(0.95, sum by (le) (rate(h_seconds_bucket[5m])))", "h_seconds", id="a histogram"),
])
def test_counter_and_histogram_rates_dip_on_weekends(expr, name):
    """Saturday's traffic is 70 % of Wednesday's at the same hour, like the gauges' swing."""
    for series_name, value_at in history.value_functions(_plan(expr, name)):
        ratio = _hourly_rate(value_at, SATURDAY) / _hourly_rate(value_at, WEDNESDAY)
        assert ratio == pytest.approx(history.WEEKEND, rel=0.01), series_name


def test_weekdays_are_named_right():
    assert datetime.datetime.fromtimestamp(SATURDAY, datetime.timezone.utc).strftime("%a") == "Sat"
    assert history.wave(SATURDAY) == pytest.approx(history.WEEKEND * history.wave(WEDNESDAY))


def test_counters_stay_monotonic_across_the_weekend_step():
    value_at = history.value_functions(_plan("rate(c_total[5m])", "c_total"))[0][1]
    times = [SATURDAY - 2 * DAY + k * 600 for k in range(3 * 144)]
    values = [value_at(t) for t in times]
    assert all(b > a for a, b in zip(values, values[1:]))


def test_bursts_give_a_full_short_window_before_every_hour_mark_back_to_their_depth():
    times = set(history.grid(NOW, 0, frozenset(), 30, burst_depth=7 * DAY, burst_span=300))
    marks = [m for m in range((NOW - 7 * DAY) // HOUR * HOUR, NOW - 2 * HOUR, HOUR)]
    for mark in marks:
        window = [t for t in times if mark - 300 <= t <= mark]
        assert len(window) >= 5 and mark in times and mark + 60 in times, mark
    old = (NOW - 20 * DAY) // HOUR * HOUR
    assert not [t for t in times if old - 300 <= t < old], "bursts beyond their depth"


def _bundle(tmp_path, rules: list[dict]):
    (tmp_path / "recording_rules").mkdir()
    (tmp_path / "recording_rules" / "g.yml").write_text(json.dumps({"groups": [{"name": "g", "rules": rules}]}))
    return tmp_path


BASELINE_RULES = [
    {"record": "le:h_bucket:rate5m", "expr": "sum by (le) (rate(h_bucket[5m]))"},
    {"record": "h:p95_avg7d", "expr": "histogram_quantile(0.95, avg_over_time(le:h_bucket:rate5m[7d]))"},
    {"record": "g:value", "expr": "sum(g)"},
    {"record": "g:forecast", "expr": "predict_linear(g:value[6h], 86400)"},
    {"record": "r:rate1m", "expr": "sum(rate(r_total[1m]))"},
    {"record": "r:wow", "expr": "r:rate1m / r:rate1m offset 1w"},
]


def test_records_read_over_windows_are_found_with_their_depth(tmp_path):
    bundle = _bundle(tmp_path, BASELINE_RULES)
    assert rulesfill.windowed_reads(bundle) == {"le:h_bucket:rate5m": 7 * DAY, "g:value": 6 * HOUR}
    assert rulesfill.offset_reads(bundle) == {"r:rate1m": {7 * DAY}}
    assert rulesfill.raw_needs(bundle) == {"h_bucket": (7 * DAY, 300), "g": (6 * HOUR, 0)}
    assert rulesfill.raw_offsets(bundle) == {"r_total": {7 * DAY}}


def test_passes_cover_offset_points_the_last_hour_finely_and_windows_hourly(tmp_path):
    passes = {p.name: p for p in rulesfill.passes(_bundle(tmp_path, BASELINE_RULES), NOW)}
    assert set(passes) == {f"offset-{7 * DAY}", "recent", "window-6h", "window-168h"}
    assert passes["recent"].interval == "30s" and passes["recent"].end < NOW
    week = passes["window-168h"]
    assert week.interval == "1h" and week.records == ("le:h_bucket:rate5m",)
    assert week.start % HOUR == 0 and week.start <= NOW - 7 * DAY and week.end < passes["recent"].start
