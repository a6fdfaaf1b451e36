"""The aggregator against a straightforward per-event reference, on random mixed batches.

The aggregator groups events and counts per distinct group (exporter/aggregate.py), so
here every event is applied one at a time by the plainest code that states what each
event type adds to which series: label values through `Guard.admit`, one counter or
histogram update per field. Both must leave the same deltas, the same guard state and
the same optimization callbacks. Counts (histogram buckets and `_count`, counters fed
by whole events) must be identical; float sums (histogram `_sum`, CPU seconds) may only
differ in the last bits, from adding in another order.
"""

from __future__ import annotations

import json
import random
from bisect import bisect_left
from collections import defaultdict

import pytest

from exporter import events as E
from exporter.aggregate import SORT_MIN, Aggregator, _error_type, _observe
from exporter.guard import Guard
from exporter.metrics import (BATCH_BUCKETS, DECISION_BUCKETS, DEPLOY_BUCKETS,
                              FEATURE_BUCKETS, HOOK_BUCKETS, LEAD_BUCKETS, MCP_OP_BUCKETS,
                              RESOLUTION_BUCKETS, SESSION_BUCKETS, make_store)


# ---- the reference: one event at a time --------------------------------------------------
class Reference:
    """What each event adds, event by event, type group by type group (as `apply` does:
    the order of type groups decides which gauge value a batch leaves)."""

    def __init__(self, guard: Guard):
        self.guard = guard
        self.delta: dict = {}
        self.optimizations: list = []
        self.versions: dict = {}  # server -> protocol version published last

    def apply(self, items: list) -> None:
        for t in TYPE_ORDER:
            for ev in items:
                if type(ev) is t:
                    getattr(self, t.__name__)(ev)

    # helpers
    def adm(self, label: str, value: str) -> str:
        return self.guard.admit(label, value)

    def inc(self, name: str, key: tuple, n=1) -> None:
        fam = self.delta.setdefault(name, {})
        fam[key] = fam.get(key, 0) + n

    def obs(self, name: str, key: tuple, bounds: tuple, v) -> None:
        h = self.delta.setdefault(name, {}).setdefault(key, [0] * (len(bounds) + 2))
        h[bisect_left(bounds, v)] += 1
        h[-1] += v

    def set(self, name: str, key: tuple, v) -> None:
        self.delta.setdefault(name, {})[key] = v

    # one method per event type
    def HookExecution(self, ev):
        hook, trigger = self.adm("hook", ev.hook), self.adm("trigger", ev.trigger)
        outcome = "failure" if ev.outcome == "failed" else ev.outcome
        self.inc("kiro_hook_executions", (hook, trigger, outcome))
        if ev.duration_seconds is not None:
            self.obs("kiro_hook_execution_duration_seconds", (hook, trigger), HOOK_BUCKETS,
                     ev.duration_seconds)
        if ev.cpu_seconds is not None:
            self.inc("kiro_hook_cpu_seconds", (hook,), ev.cpu_seconds)
        if ev.max_rss_bytes is not None:
            self.set("kiro_hook_max_resident_memory_bytes", (hook,), ev.max_rss_bytes)
        if ev.manual_intervention:
            self.inc("kiro_manual_interventions", ("hook",))
        if ev.detection is not None:
            self.inc("kiro_hook_detections", (hook, ev.detection))

    def McpRequest(self, ev):
        etype = _error_type(ev.outcome, ev.error_code)
        server = self.adm("server", ev.server)
        method = self.adm("mcp_method_name", ev.method)
        tool = self.adm("gen_ai_tool_name", ev.tool)
        if etype:
            etype = self.adm("error_type", etype)
            self.inc("kiro_mcp_request_errors", (server, method, etype))
        if ev.duration_seconds is not None:
            self.obs("mcp_client_operation_duration_seconds", (server, method, tool, etype),
                     MCP_OP_BUCKETS, ev.duration_seconds)
        if ev.cache is not None:
            self.inc("kiro_mcp_cache_requests", (server, ev.cache))
        if ev.batch_size is not None:
            self.obs("kiro_mcp_batch_size", (server,), BATCH_BUCKETS, ev.batch_size)
        if ev.manual_intervention:
            self.inc("kiro_manual_interventions", ("mcp",))

    def McpConnection(self, ev):
        server = self.adm("server", ev.server)
        # `failed` is a synonym of `failure` (docs/events.md): both published as "failure"
        outcome = "failure" if ev.outcome == "failed" else ev.outcome
        dur = ev.duration_seconds
        if ev.dropped or outcome == "closed":
            if ev.dropped:
                self.inc("kiro_mcp_connection_drops", (server,))
            if dur is not None:
                self.obs("mcp_client_session_duration_seconds", (server,), SESSION_BUCKETS,
                         dur)
        else:
            transport = self.adm("transport", ev.transport)
            self.inc("kiro_mcp_connections", (server, transport, outcome))
            if dur is not None:
                etype = "" if outcome == "success" else "connection_failed"
                self.obs("mcp_client_operation_duration_seconds",
                         (server, "initialize", "", etype), MCP_OP_BUCKETS, dur)
            if outcome == "success" and ev.reconnect:
                self.inc("kiro_mcp_reconnects", (server,))
        self.proc(server, ev.cpu_seconds, ev.rss_bytes)
        if outcome == "success" and not ev.dropped and ev.protocol_version:
            version = self.adm("mcp_protocol_version", ev.protocol_version)
            old = self.versions.get(server)
            if old is not None and old != version:
                self.set("kiro_mcp_server_protocol_info", (server, old), 0)
            self.versions[server] = version
            self.set("kiro_mcp_server_protocol_info", (server, version), 1)

    def proc(self, server, cpu, rss):
        if cpu is not None:
            self.inc("kiro_mcp_server_cpu_seconds", (server,), cpu)
        if rss is not None:
            self.set("kiro_mcp_server_resident_memory_bytes", (server,), rss)

    def McpNotification(self, ev):
        server = self.adm("server", ev.server)
        self.inc("kiro_mcp_notifications", (server, self.adm("direction", ev.direction)))

    def McpProcess(self, ev):
        self.proc(self.adm("server", ev.server), ev.cpu_seconds, ev.rss_bytes)

    def AutonomyDecision(self, ev):
        action = self.adm("action", ev.action)
        outcome = "failure" if ev.outcome == "failed" else ev.outcome
        self.inc("kiro_autonomy_decisions", (action, outcome))
        if ev.duration_seconds is not None:
            self.obs("kiro_autonomy_decision_duration_seconds", (action,), DECISION_BUCKETS,
                     ev.duration_seconds)
        if ev.escalated:
            self.inc("kiro_autonomy_escalations", (action,))
        if ev.rolled_back:
            self.inc("kiro_autonomy_rollbacks", (action,))

    def AutonomyTask(self, ev):
        task = self.adm("task", ev.task)
        outcome = {"failure": "failed", "cancelled": "canceled"}.get(ev.outcome, ev.outcome)
        self.inc("kiro_autonomy_tasks", (task, outcome))
        if ev.human_intervention:
            self.inc("kiro_manual_interventions", ("autonomy",))

    def Deployment(self, ev):
        service = self.adm("service", ev.service)
        self.inc("kiro_deployments", (service, "failure" if ev.outcome == "failed"
                                      else ev.outcome))
        if ev.lead_time_seconds is not None:
            self.obs("kiro_deployment_lead_time_seconds", (service,), LEAD_BUCKETS,
                     ev.lead_time_seconds)
        if ev.duration_seconds is not None:
            self.obs("kiro_deployment_duration_seconds", (service,), DEPLOY_BUCKETS,
                     ev.duration_seconds)

    def Incident(self, ev):
        severity = self.adm("severity", ev.severity)  # admitted before the service
        key = (self.adm("service", ev.service), severity)
        self.inc("kiro_incidents", key)
        if ev.resolved_at is not None:
            self.obs("kiro_incident_resolution_duration_seconds", key, RESOLUTION_BUCKETS,
                     (ev.resolved_at - ev.detected_at).total_seconds())

    def Survey(self, ev):
        if ev.kind == "developer":
            self.set("kiro_developer_satisfaction_score", (self.adm("survey", ev.survey),),
                     ev.score)
        else:
            self.set("kiro_user_satisfaction_score", (self.adm("source", ev.source),),
                     ev.score)

    def Feature(self, ev):
        team = self.adm("team", ev.team)
        self.inc("kiro_features_delivered", (team,))
        if ev.duration_seconds is not None:
            self.obs("kiro_feature_delivery_duration_seconds", (team,), FEATURE_BUCKETS,
                     ev.duration_seconds)

    def Optimization(self, ev):
        self.optimizations.append(E.optimization_dict(ev))


TYPE_ORDER = list(Aggregator(make_store(), Guard()).apply_group)


# ---- random batches ----------------------------------------------------------------------
def _opt(rng, d: dict, key: str, value) -> None:
    """Set d[key] to value, or leave it out (the field's default), or send null."""
    r = rng.random()
    if r < 0.6:
        d[key] = value
    elif r < 0.75:
        d[key] = None


def _label(rng, pool: str) -> str:
    """Mostly one value (so some groups are large), a few others, and sometimes a new one
    (so a small guard cap folds some)."""
    r = rng.random()
    if r < 0.7:
        return f"{pool}0"
    return f"{pool}{rng.randrange(1, 3)}" if r < 0.85 else f"{pool}-{rng.getrandbits(20)}"


def _outcome(rng, values: list) -> str:
    return values[0] if rng.random() < 0.6 else rng.choice(values)


def random_event(rng) -> dict:
    # mostly spread over the buckets, sometimes exactly on a bound (`le` is inclusive)
    dur = (round(rng.lognormvariate(-1, 2), 4) if rng.random() < 0.8
           else float(rng.choice([0, 0.01, 0.05, 1, 60, 300])))
    t = rng.choice(["hook"] * 4 + ["mcp"] * 4 + ["conn", "note", "proc", "decision", "task",
                                                  "deploy", "incident", "survey", "feature",
                                                  "optimization", "bad"])
    if t == "hook":
        ev = {"type": "hook.execution", "hook": _label(rng, "h")}
        _opt(rng, ev, "trigger", _label(rng, "t"))
        if rng.random() < 0.8:
            ev["outcome"] = _outcome(rng, ["success", "failure", "blocked", "timeout",
                                           "killed", "failed"])
        else:
            ev["exit_code"] = rng.choice([0, 1, 2, 137])
        _opt(rng, ev, "duration_seconds", dur)
        _opt(rng, ev, "cpu_seconds", round(rng.uniform(0, 2), 5))
        _opt(rng, ev, "max_rss_bytes", rng.randrange(1, 10**9))
        _opt(rng, ev, "manual_intervention", rng.random() < 0.3)
        _opt(rng, ev, "detection", rng.choice(["true_positive", "false_positive",
                                               "false_negative"]))
        return ev
    if t == "mcp":
        ev = {"type": "mcp.request", "server": _label(rng, "s"), "method": _label(rng, "m")}
        _opt(rng, ev, "tool", rng.choice(["", _label(rng, "x")]))
        _opt(rng, ev, "outcome", _outcome(rng, ["success", "error", "tool_error", "timeout",
                                                "cancelled", "ok", "failure", "canceled"]))
        _opt(rng, ev, "error_code", rng.choice([-32601, -32603, "E42", 7]))
        _opt(rng, ev, "duration_seconds", dur)
        _opt(rng, ev, "cache", rng.choice(["hit", "miss"]))
        _opt(rng, ev, "batch_size", rng.choice([1, 1, 2, 3, 8, 100, 1000]))
        _opt(rng, ev, "manual_intervention", rng.random() < 0.3)
        return ev
    if t == "conn":
        ev = {"type": "mcp.connection", "server": _label(rng, "s")}
        _opt(rng, ev, "transport", rng.choice(["stdio", "http", _label(rng, "tr")]))
        _opt(rng, ev, "outcome", rng.choice(["success", "failure", "closed", "failed"]))
        _opt(rng, ev, "duration_seconds", dur)
        _opt(rng, ev, "dropped", rng.random() < 0.5)
        _opt(rng, ev, "reconnect", rng.random() < 0.5)
        _opt(rng, ev, "protocol_version", rng.choice(["2025-06-18", "2025-03-26", _label(rng, "v")]))
        _opt(rng, ev, "cpu_seconds", round(rng.uniform(0, 5), 4))
        _opt(rng, ev, "rss_bytes", rng.randrange(1, 10**9))
        return ev
    if t == "note":
        ev = {"type": "mcp.notification", "server": _label(rng, "s")}
        _opt(rng, ev, "direction", rng.choice(["server_to_client", _label(rng, "d")]))
        return ev
    if t == "proc":
        ev = {"type": "mcp.process", "server": _label(rng, "s")}
        _opt(rng, ev, "cpu_seconds", round(rng.uniform(0, 5), 4))
        _opt(rng, ev, "rss_bytes", rng.randrange(1, 10**9))
        return ev
    if t == "decision":
        ev = {"type": "autonomy.decision", "action": _label(rng, "a"),
              "outcome": rng.choice(["success", "failure", "failed"])}
        _opt(rng, ev, "duration_seconds", dur)
        _opt(rng, ev, "escalated", rng.random() < 0.5)
        _opt(rng, ev, "rolled_back", rng.random() < 0.5)
        return ev
    if t == "task":
        ev = {"type": "autonomy.task", "task": _label(rng, "k"),
              "outcome": rng.choice(["success", "failed", "canceled", "failure",
                                     "cancelled"])}
        _opt(rng, ev, "human_intervention", rng.random() < 0.5)
        return ev
    if t == "deploy":
        ev = {"type": "deployment", "service": _label(rng, "v")}
        _opt(rng, ev, "outcome", rng.choice(["success", "failure", "failed"]))
        _opt(rng, ev, "lead_time_seconds", dur * 1000)
        _opt(rng, ev, "duration_seconds", dur * 10)
        return ev
    if t == "incident":
        ev = {"type": "incident", "service": _label(rng, "v")}
        _opt(rng, ev, "severity", _label(rng, "sev"))
        if rng.random() < 0.7:
            ev["detected_at"] = "2026-01-01T00:00:00Z"
            if rng.random() < 0.7:
                ev["resolved_at"] = f"2026-01-01T0{rng.randrange(10)}:00:00+00:00"
        return ev
    if t == "survey":
        ev = {"type": "survey", "kind": rng.choice(["developer", "user"]),
              "score": rng.choice([1, 2.5, 5])}
        _opt(rng, ev, "survey", _label(rng, "q"))
        _opt(rng, ev, "source", _label(rng, "src"))
        return ev
    if t == "feature":
        ev = {"type": "feature", "team": _label(rng, "team")}
        _opt(rng, ev, "duration_seconds", dur * 10**5)
        return ev
    if t == "optimization":
        return {"type": "optimization", "id": _label(rng, "o"), "strategy": "rightsize",
                "applied_at": "2026-01-01T00:00:00Z", "target_query": "up", "window": "30m"}
    return rng.choice([{"type": "hook.execution", "outcome": "success"},  # no hook
                       {"type": "mcp.request", "server": "s0", "method": "m0",
                        "duration_seconds": -1},
                       {"type": "nope"}, [1]])


def random_body(rng, n: int) -> bytes:
    lines = [json.dumps(random_event(rng)).encode() for _ in range(n)]
    if rng.random() < 0.3:
        lines.insert(rng.randrange(len(lines) + 1), b"{not json")
    return b"\n".join(lines) + b"\n"


# ---- comparison --------------------------------------------------------------------------
def snapshot(delta: dict) -> dict:
    """The store's delta as {family: {key: [values]}}: counter cells, histogram lists,
    gauges; without the aggregator's caches (`#...`) and empty families."""
    out = {}
    for name, fam in delta.items():
        if name[0] == "#" or not fam:
            continue
        out[name] = {k: list(v) if isinstance(v, list) else [v] for k, v in fam.items()}
    return out


def assert_same(got: dict, want: dict) -> None:
    assert got.keys() == want.keys()
    for name in want:
        assert got[name].keys() == want[name].keys(), name
        for key, w in want[name].items():
            g = got[name][key]
            assert len(g) == len(w), (name, key)
            for a, b in zip(g, w):
                if type(a) is int and type(b) is int:
                    assert a == b, (name, key, g, w)  # counts: exact
                else:
                    assert a == pytest.approx(b, rel=1e-12, abs=1e-12), (name, key, g, w)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("cap", [3, 200])
def test_grouped_aggregation_matches_the_per_event_reference(seed, cap):
    rng = random.Random(seed)
    store, guard, ref_guard = make_store(), Guard(cap), Guard(cap)
    opts: list = []
    agg = Aggregator(store, guard, on_optimization=opts.append)
    ref = Reference(ref_guard)
    saw_error = saw_fold = False
    for size in (1, 3, 1000, 7, 400, 1000):  # small posts take the single-event path
        items = E.decode(random_body(rng, size), True)
        saw_error |= any(type(i) is E.EventError for i in items)
        counts = agg.apply(items)
        ref.apply(items)
        want = {}
        for i in items:
            want[type(i)] = want.get(type(i), 0) + 1
        assert counts == want
        saw_fold |= bool(guard.folded)
    assert_same(snapshot(store.delta), snapshot(ref.delta))
    assert guard.seen == ref_guard.seen
    assert guard.folded == ref_guard.folded
    assert opts == ref.optimizations
    assert saw_error
    assert saw_fold == (cap == 3)


def test_a_scrape_between_batches_starts_a_fresh_delta_with_the_same_result():
    """Series records are cached per delta; after a scrape they must point at the new
    delta's cells, not the folded ones."""
    rng = random.Random(99)
    bodies = [random_body(rng, 600) for _ in range(4)]
    store, guard = make_store(), Guard(5)
    agg = Aggregator(store, guard)
    for b in bodies:
        agg.apply(E.decode(b, True))
        store.render()
    scraped = store.render()
    store2, guard2 = make_store(), Guard(5)
    agg2 = Aggregator(store2, guard2)
    for b in bodies:
        agg2.apply(E.decode(b, True))
    assert _same_text(scraped, store2.render())


def _same_text(a: bytes, b: bytes) -> bool:
    """The same samples, float sums compared with a tolerance."""
    from prometheus_client.parser import text_string_to_metric_families

    def samples(t):
        return {(s.name, frozenset(s.labels.items())): s.value
                for f in text_string_to_metric_families(t.decode()) for s in f.samples}
    sa, sb = samples(a), samples(b)
    return sa.keys() == sb.keys() and all(sa[k] == pytest.approx(sb[k], rel=1e-12)
                                          for k in sa)


@pytest.mark.parametrize("n", [0, 1, SORT_MIN - 1, SORT_MIN, 50, 1000])
def test_observe_puts_each_value_where_a_bisect_per_value_would(n):
    rng = random.Random(n)
    bounds = (0.01, 0.05, 0.1, 1.0, 60.0, 300.0)
    for _ in range(20):
        values = [rng.choice([rng.lognormvariate(-1, 3), rng.choice(bounds), 0.0, 1e9])
                  for _ in range(n)]
        values += [None] * rng.choice([0, 0, 1, n])  # events without the field
        rng.shuffle(values)
        hist = defaultdict(lambda: [0] * (len(bounds) + 2))
        _observe(hist, ("k",), bounds, [*values])
        present = [v for v in values if v is not None]
        if not present:
            assert not hist  # no values, no series
            continue
        want = [0] * (len(bounds) + 2)
        for v in present:
            want[bisect_left(bounds, v)] += 1
        h = hist[("k",)]
        assert h[:-1] == want[:-1]
        assert h[-1] == pytest.approx(sum(present))
