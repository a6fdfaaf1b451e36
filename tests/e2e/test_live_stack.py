"""End to end: the generated bundle in a real Prometheus, Alertmanager and exporters, step by step.

Each test is one promise of issue 8, in order; a missing component fails the step with its
name, never skips or fakes it.
"""
from __future__ import annotations

import copy
import json
import re
import threading
import time
import urllib.parse
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml

from generators import naming
from generators.model.base import seconds
from generators.spec import load
from generators.stack import bundle, history, procs, rulesfill, stack
from generators.stack.synthetic import load_plans

from .conftest import OPTIONS, all_stopped
from .live import Alertmanager, Injector, Prometheus, deliveries, post, wait_for

HOOK, MCP_SERVER, SERVICE = "e2e-hook", "e2e-mcp", "e2e-svc"


SPEC = load(OPTIONS.spec, overlays=OPTIONS.overlays).spec


def _alert_names(kpi_id: str, severity: str, condition: str = "when") -> list[str]:
    """Alert names of a spec KPI, from naming.py (never retyped): its threshold alerts of one severity."""
    kpi = next(k for k in SPEC.kpis if k.id == kpi_id)
    return [naming.alert_name(kpi, a) for a in kpi.alerts if a.severity == severity and a.condition == condition]


HOOK_CRITICAL, = _alert_names("hook_success_rate", "critical")
HOOK_WARNING, = _alert_names("hook_success_rate", "warning")
MCP_CRITICAL, = _alert_names("mcp_request_response_time", "critical")
INFO_ALERTS = tuple(_alert_names("deployment_duration", "info") + _alert_names("lead_time", "info"))
ON_CALL = SPEC.routing.severities["critical"].receiver
DASHBOARD = SPEC.routing.severities["info"].receiver


def _bundle(live) -> Path:
    return Path(live.info["bundle"])


def _rule(live, alertname: str) -> dict | None:
    return next((r for r in bundle.rules(_bundle(live)) if r.get("alert") == alertname), None)


def _require_rules(live, *alertnames: str) -> None:
    """The bundle's rule files are loaded and hold the named alerts: a missing one fails the test."""
    assert bundle.rule_files(_bundle(live)), "no rule files in the bundle"
    missing = [a for a in alertnames if _rule(live, a) is None]
    assert not missing, f"the bundle has no alert {', '.join(missing)}"


def _exporter_url(live) -> str:
    assert "exporter" in live.urls, "the stack started no perfcycle-exporter"
    return live.urls["exporter"]


def _route_timing(live) -> tuple[float, float]:
    """(group_wait, group_interval) of the local Alertmanager config, in seconds."""
    config = yaml.safe_load((_bundle(live) / "alertmanager" / "alertmanager.local.yml").read_text())
    route = config.get("route", {})
    return seconds(route.get("group_wait", "30s")), seconds(route.get("group_interval", "5m"))


def _all_groups_evaluated(prom: Prometheus):
    groups = prom.groups()
    pending = [g["name"] for g in groups if not g.get("lastEvaluation") or g["lastEvaluation"].startswith("0001")]
    return groups if groups and not pending else None


def test_every_rule_group_loads_and_evaluates_without_error(live, request):
    """1. /api/v1/rules: every group of the bundle loaded, evaluated, health ok, no lastError."""
    _start_incidents(request)
    _require_rules(live)
    prom = Prometheus(live.urls["prometheus"])
    groups = wait_for("every rule group's first evaluation", lambda: _all_groups_evaluated(prom), timeout=75)
    expected = {r["group"] for r in bundle.rules(_bundle(live))}
    assert expected <= {g["name"] for g in groups}, f"groups not loaded: {sorted(expected - {g['name'] for g in groups})}"
    broken = [f"{g['name']} / {r.get('name')}: health={r.get('health')} {r.get('lastError', '')}"
              for g in groups for r in g["rules"] if r.get("health") != "ok" or r.get("lastError")]
    assert not broken, "rules failing in the live Prometheus:\n" + "\n".join(broken)


def test_every_dashboard_panel_query_returns_data(live, request):
    """2. Every panel target, variables substituted as Grafana's "All", returns a non-empty result."""
    queries = bundle.panel_queries(_bundle(live))
    assert queries, "no dashboard panel queries in the bundle"
    _start_incidents(request)
    _require_rules(live)
    prom = Prometheus(live.urls["prometheus"])
    wait_for("every rule group's first evaluation", lambda: _all_groups_evaluated(prom), timeout=75)

    def empty_panels():
        out = []
        for q in queries:
            answer = prom.query(q.expr)
            if answer.get("status") != "success" or not answer["data"]["result"]:
                out.append(f"{q.dashboard} / {q.panel}: {q.expr} {answer.get('error', '')}")
        return out

    deadline, empty = time.monotonic() + 30, empty_panels()
    while empty and time.monotonic() < deadline:  # a record written by a 30s group may still be on its way
        time.sleep(5)
        empty = empty_panels()
    assert not empty, f"{len(empty)} of {len(queries)} panel queries return nothing:\n" + "\n".join(empty)


def _hook_batch(outcome: str, n: int, successes: int = 0):
    """``n`` executions with ``outcome``, plus some successes: a ratio needs a numerator series to exist."""
    return lambda: [{"type": "hook.execution", "hook": HOOK, "trigger": "fileEdited",
                     "outcome": outcome if i < n else "success", "duration_seconds": 0.2, "cpu_seconds": 0.05}
                    for i in range(n + successes)]


def _mcp_batch(duration: float, n: int):
    return lambda: [{"type": "mcp.request", "server": MCP_SERVER, "method": "tools/call", "tool": "search",
                     "outcome": "success", "duration_seconds": duration} for _ in range(n)]


@pytest.fixture(scope="module")
def incidents(live):
    """Hook failures and slow MCP calls posted to the live exporter, plus a burst of slow deployments."""
    exporter = _exporter_url(live)
    _require_rules(live, HOOK_CRITICAL, HOOK_WARNING, MCP_CRITICAL)
    deployment = {"type": "deployment", "service": SERVICE, "outcome": "success"}
    # One quick deployment first: rate() counts increases only after a series' first scrape.
    post(f"{exporter}/api/v1/events", [{**deployment, "lead_time_seconds": 60, "duration_seconds": 60}])
    slow_deployments = threading.Timer(15, post, (f"{exporter}/api/v1/events",
                                                  [{**deployment, "lead_time_seconds": 50000, "duration_seconds": 5000}] * 2000))
    slow_deployments.start()
    # Enough to cross the thresholds (hook success 30 % < 80 %, MCP p95 8 s > 5 s), little enough
    # that a burst of good events drowns them in the 5m rate window for the recovery step.
    injectors = [Injector(exporter, _hook_batch("failure", 7, successes=3)), Injector(exporter, _mcp_batch(8.0, 2))]
    for injector in injectors:
        injector.start()
    yield {"exporter": exporter, "injectors": injectors, "started": time.time()}
    slow_deployments.cancel()
    for injector in injectors:
        injector.stop()


def _deadline(live, alertname: str) -> float:
    """for + group_wait + two evaluation intervals of the alert's group: the promised delivery bound."""
    rule = _rule(live, alertname)
    group_wait, _ = _route_timing(live)
    return seconds(rule.get("for", "0s")) + group_wait + 2 * seconds(rule.get("interval") or "5s")


def _active_at(prom: Prometheus, alertname: str, **labels) -> float | None:
    """When the alert became pending (Prometheus's ``activeAt``, nanoseconds trimmed), epoch seconds."""
    firing = prom.alerts(alertname, **labels)
    if not firing:
        return None
    stamp = re.sub(r"(\.\d{1,6})\d*", r"\1", firing[0]["activeAt"]).replace("Z", "+00:00")
    return datetime.fromisoformat(stamp).timestamp()


def _start_incidents(request) -> None:
    """Start the injected incidents early, so their alerts ripen while other checks run."""
    request.getfixturevalue("incidents")


@pytest.mark.parametrize("alertname, labels", [
    pytest.param(HOOK_CRITICAL, {"hook": HOOK}, id="a hook failure spike pages the on-call engineer"),
    pytest.param(MCP_CRITICAL, {"server": MCP_SERVER}, id="an MCP latency regression pages the on-call engineer"),
])
def test_incident_pages_on_call_in_time_with_links(live, incidents, alertname, labels):
    """3. The critical alert reaches the on-call receiver within for + group_wait + 2 evaluations."""
    prom, sink = Prometheus(live.urls["prometheus"]), Path(live.info["notifications"])
    bound = _deadline(live, alertname)
    got = wait_for(f"{alertname} delivered to {ON_CALL}",
                   lambda: deliveries(sink, alertname, "firing", **labels), timeout=150)
    received, receiver, alert = got[0]
    assert receiver == ON_CALL, f"{alertname} went to {receiver}"
    active_at = _active_at(prom, alertname, **labels)
    assert active_at is not None, f"{alertname} delivered but not active in Prometheus"
    assert received - active_at <= bound + 1, (
        f"{alertname} took {received - active_at:.1f}s from pending to the sink; promised <= {bound:.0f}s")
    for key in ("summary", "runbook_url", "dashboard_url"):
        assert alert["annotations"].get(key), f"{alertname} notification lacks {key}: {alert['annotations']}"
    _assert_links_resolve(live, alert)
    assert {r for _, r, _ in deliveries(sink, alertname, **labels)} == {ON_CALL}


def _dashboard_panels(live) -> dict[str, set[int]]:
    """Generated dashboards' uid -> every panel id (rows' panels included)."""
    boards = [json.loads(p.read_text()) for p in sorted((_bundle(live) / "dashboards").glob("*.json"))]
    return {board["uid"]: {panel["id"] for panel in bundle.panels(board)} for board in boards}


def _assert_links_resolve(live, alert: dict) -> None:
    """Summary expanded; the runbook is the spec's page of the alert's KPI; the dashboard link names a
    generated dashboard's uid and one of its panels."""
    notes, kpi = alert["annotations"], alert["labels"].get("kpi")
    assert "{{" not in notes["summary"] and "$labels" not in notes["summary"], notes["summary"]
    assert kpi in {k.id for k in SPEC.kpis}, f"alert kpi label {kpi!r} is no KPI of the spec"
    assert notes["runbook_url"] == SPEC.bundle.runbook_url.replace("{kpi}", kpi), notes["runbook_url"]
    link = urllib.parse.urlsplit(notes["dashboard_url"])
    assert notes["dashboard_url"].startswith(SPEC.bundle.grafana_url.rstrip("/") + "/d/"), notes["dashboard_url"]
    uid = link.path.split("/d/", 1)[1].split("/")[0]
    panels = _dashboard_panels(live)
    assert uid in panels, f"dashboard uid {uid} is not among the generated dashboards {sorted(panels)}"
    panel = urllib.parse.parse_qs(link.query).get("viewPanel", [None])[0]
    assert panel is not None and int(panel) in panels[uid], f"panel {panel} is not on dashboard {uid}"


def test_warning_of_the_same_hook_is_inhibited(live, incidents):
    """3. While the critical fires, the warning of the same hook is muted: firing in Prometheus, never delivered."""
    prom, am = Prometheus(live.urls["prometheus"]), Alertmanager(live.urls["alertmanager"])
    wait_for(f"{HOOK_WARNING} firing in Prometheus",
             lambda: [a for a in prom.alerts(HOOK_WARNING, hook=HOOK) if a["state"] == "firing"], timeout=150)
    muted = wait_for(f"{HOOK_WARNING} in Alertmanager", lambda: am.alerts(HOOK_WARNING, hook=HOOK), timeout=30)
    assert muted[0]["status"]["state"] == "suppressed" and muted[0]["status"]["inhibitedBy"], muted[0]["status"]
    assert not deliveries(Path(live.info["notifications"]), HOOK_WARNING, hook=HOOK), "inhibited warning was delivered"


@pytest.mark.parametrize("alertname, labels, recover", [
    pytest.param(HOOK_CRITICAL, {"hook": HOOK}, _hook_batch("success", 2000), id="hook failures recover"),
    pytest.param(MCP_CRITICAL, {"server": MCP_SERVER}, _mcp_batch(0.05, 2000), id="MCP latency recovers"),
])
def test_recovery_sends_resolved(live, incidents, alertname, labels, recover):
    """3. After recovery the on-call receiver gets a resolved notification."""
    sink = Path(live.info["notifications"])
    wait_for(f"{alertname} firing delivery", lambda: deliveries(sink, alertname, "firing", **labels), timeout=150)
    injector = incidents["injectors"][0 if alertname == HOOK_CRITICAL else 1]
    injector.stop()
    for _ in range(10):  # drown the bad events of the 5m rate window in good ones
        post(f"{incidents['exporter']}/api/v1/events", recover())
    resolved = wait_for(f"{alertname} resolved notification",
                        lambda: deliveries(sink, alertname, "resolved", **labels), timeout=120)
    assert {r for _, r, _ in resolved} == {ON_CALL}


def test_info_alert_reaches_only_the_dashboard_receiver(live, incidents):
    """4. Info alerts (slow deployments) go to monitoring_dashboard and nowhere else."""
    present = [a for a in INFO_ALERTS if _rule(live, a)]
    assert present, f"the bundle has none of {INFO_ALERTS}"
    sink = Path(live.info["notifications"])
    got = wait_for(f"one of {present} delivered",
                   lambda: [d for a in present for d in deliveries(sink, a)], timeout=150)
    receivers = {r for a in present for _, r, _ in deliveries(sink, a)}
    assert receivers == {DASHBOARD}, f"info alerts went to {receivers}"
    assert got[0][2]["labels"]["severity"] == "info"


def _history_reads(live) -> list[str]:
    """PromQL that returns data only if the backfill worked: the far end of every window a recorded
    series is read over (``avg_over_time(r[7d])``, ``predict_linear(r[6h])``, ``r[30d]``) and every
    offset point (``r offset 1w``)."""
    windowed, offsets = rulesfill.windowed_reads(_bundle(live)), rulesfill.offset_reads(_bundle(live))
    assert max(windowed.values()) >= 7 * 86400 and any(7 * 86400 in o for o in offsets.values()), (windowed, offsets)
    reads = [f"last_over_time({name}[1h] offset {int(depth) - 3600}s)" if depth > 2 * 3600
             else f"count_over_time({name}[{int(depth)}s])" for name, depth in windowed.items()]
    return reads + [f"{name} offset {int(offset)}s" for name, points in offsets.items() for offset in points]


def _empty(prom: Prometheus, exprs: list[str]) -> list[str]:
    return [e for e in exprs if not prom.query(e)["data"]["result"]]


def test_backfill_gives_baselines_forecasts_and_week_over_week_their_history(live):
    """History: the records baselines, forecasts, SLO windows and offsets read exist in the past,
    every source metric reaches back five weeks, and traffic dips on weekends."""
    filled = live.info["recorded_backfill"]
    assert filled["errors"] == [] and filled["blocks"] > 0, filled
    prom = Prometheus(live.urls["prometheus"])
    reads = _history_reads(live)
    # Blocks moved in after start are loaded by Prometheus's next compaction cycle (every minute).
    deadline, missing = time.monotonic() + 90, _empty(prom, reads)
    while missing and time.monotonic() < deadline:
        time.sleep(5)
        missing = _empty(prom, reads)
    assert not missing, f"{len(missing)} of {len(reads)} reads of backfilled records return nothing:\n" + "\n".join(missing)
    baseline = "min(count_over_time(le_service:http_request_duration_seconds_bucket:rate5m[7d]))"
    assert float(prom.query(baseline)["data"]["result"][0]["value"][1]) >= 6 * 24, "7 days of hourly baseline input"
    _assert_every_source_metric_reaches_back(live, prom, days=34)
    _assert_weekend_dip(prom)


def _assert_every_source_metric_reaches_back(live, prom: Prometheus, days: int) -> None:
    plans = load_plans(Path(live.info["bundle"]).parent / "history" / "plans.json")
    names = {f"{p.name}_{part}" for p in plans if p.histogram for part in ("bucket", "sum", "count")}
    names |= {p.name for p in plans if not p.histogram}
    answer = prom.query(f'count by (__name__) (last_over_time({{instance=~".+-synthetic"}}[1h] offset {days}d))')
    found = {r["metric"]["__name__"] for r in answer["data"]["result"]}
    assert names <= found, f"no history {days} days back for {sorted(names - found)}"


def _assert_weekend_dip(prom: Prometheus) -> None:
    """sum(rate(http_requests_total[1h])) at 15:00 on the last Saturday is WEEKEND times the last Wednesday's."""
    yesterday = datetime.now(timezone.utc).replace(hour=15, minute=0, second=0, microsecond=0) - timedelta(days=1)

    def last(weekday: int) -> float:
        return (yesterday - timedelta(days=(yesterday.weekday() - weekday) % 7)).timestamp()

    rates = []
    for weekday in (5, 2):  # Saturday, Wednesday
        result = prom.query("sum(rate(http_requests_total[1h]))", at=last(weekday))["data"]["result"]
        assert result, f"no http_requests_total history on weekday {weekday}"
        rates.append(float(result[0]["value"][1]))
    assert rates[0] / rates[1] == pytest.approx(history.WEEKEND, rel=0.05), rates


def test_down_stops_every_process(live):
    """5. ``down`` stops exactly what ``up`` started (the fixture also stops them if a step fails)."""
    started = copy.deepcopy(live.procs)
    assert {"prometheus", "alertmanager", "node-exporter", "webhook-sink"} <= {p.name for p in started}
    running = {p.name for p in started if procs.alive(p.pid)}
    stopped = stack.down(Path(live.info["root"]))
    assert set(stopped) == running, f"down stopped {sorted(stopped)}, running were {sorted(running)}"
    assert not all_stopped(procs.State(live.path, started)), "processes outlived `down`"
