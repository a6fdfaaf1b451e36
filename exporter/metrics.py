"""The event-fed metric families (the KPI spec's contract) and how each event updates them.

Names, label names and units here are a contract with `spec/kpis.yaml`: add, never
rename. Bucket bounds are chosen per latency: hooks run up to Kiro's 60 s timeout and
beyond, MCP operations follow the OpenTelemetry MCP semantic-convention boundaries,
DORA lead time spans minutes to weeks.
"""

from __future__ import annotations

from bisect import bisect_left

from .guard import Guard
from .store import Family, Store

HOOK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
MCP_OP_BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)
SESSION_BUCKETS = (1, 10, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)
DECISION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
LEAD_BUCKETS = (300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800, 1209600,
                2592000)
DEPLOY_BUCKETS = (10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
RESOLUTION_BUCKETS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400, 259200)
FEATURE_BUCKETS = (3600, 86400, 172800, 604800, 1209600, 2592000, 5184000, 7776000, 15552000)

C, G, H = "counter", "gauge", "histogram"
FAMILIES = [
    # hooks
    (C, "kiro_hook_executions", "Hook executions by outcome (blocked = exit code 2).",
     ("hook", "trigger", "outcome")),
    (H, "kiro_hook_execution_duration_seconds", "Wall-clock seconds per hook execution.",
     ("hook", "trigger"), HOOK_BUCKETS),
    (C, "kiro_hook_cpu_seconds", "CPU seconds (user+system) used by hook processes.", ("hook",)),
    (G, "kiro_hook_max_resident_memory_bytes", "Peak resident memory of the last run.",
     ("hook",)),
    (C, "kiro_manual_interventions", "Times a human had to step in.", ("source",)),
    (C, "kiro_hook_detections", "Hook findings by verdict once labelled.", ("hook", "verdict")),
    # MCP
    (H, "mcp_client_operation_duration_seconds",
     "MCP client operation duration (OpenTelemetry MCP semconv); initialize = handshake.",
     ("server", "mcp_method_name", "gen_ai_tool_name", "error_type"), MCP_OP_BUCKETS),
    (H, "mcp_client_session_duration_seconds", "MCP session length (OpenTelemetry MCP semconv).",
     ("server",), SESSION_BUCKETS),
    (C, "kiro_mcp_connections", "MCP connection attempts by outcome.",
     ("server", "transport", "outcome")),
    (C, "kiro_mcp_connection_drops", "MCP sessions that ended unexpectedly.", ("server",)),
    (C, "kiro_mcp_request_errors", "Failed MCP requests by JSON-RPC code or error kind.",
     ("server", "mcp_method_name", "error_code")),
    (C, "kiro_mcp_cache_requests", "MCP result cache look-ups.", ("server", "result")),
    (H, "kiro_mcp_batch_size", "Messages per JSON-RPC batch.", ("server",), BATCH_BUCKETS),
    (C, "kiro_mcp_notifications", "MCP notifications by direction.", ("server", "direction")),
    (C, "kiro_mcp_server_cpu_seconds", "CPU seconds used by local (stdio) MCP servers.",
     ("server",)),
    (G, "kiro_mcp_server_resident_memory_bytes", "Resident memory of local MCP servers.",
     ("server",)),
    # autonomy
    (C, "kiro_autonomy_decisions", "Autonomous decisions by validated outcome.",
     ("action", "outcome")),
    (H, "kiro_autonomy_decision_duration_seconds", "Seconds to reach an autonomous decision.",
     ("action",), DECISION_BUCKETS),
    (C, "kiro_autonomy_escalations", "Autonomous decisions escalated to a human.", ("action",)),
    (C, "kiro_autonomy_rollbacks", "Autonomous decisions rolled back.", ("action",)),
    (C, "kiro_autonomy_tasks", "Automated tasks by final state.", ("task", "outcome")),
    # DORA and business
    (C, "kiro_deployments", "Deployments by outcome.", ("service", "outcome")),
    (H, "kiro_deployment_lead_time_seconds", "Commit-to-production lead time.", ("service",),
     LEAD_BUCKETS),
    (H, "kiro_deployment_duration_seconds", "Deployment pipeline duration.", ("service",),
     DEPLOY_BUCKETS),
    (C, "kiro_incidents", "Incidents by severity.", ("service", "severity")),
    (H, "kiro_incident_resolution_duration_seconds", "Detection-to-resolution seconds.",
     ("service", "severity"), RESOLUTION_BUCKETS),
    (G, "kiro_developer_satisfaction_score", "Latest developer survey score (1-5).", ("survey",)),
    (G, "kiro_user_satisfaction_score", "Latest user satisfaction score (1-5).", ("source",)),
    (C, "kiro_features_delivered", "Features delivered.", ("team",)),
    (H, "kiro_feature_delivery_duration_seconds", "Feature approved-to-released seconds.",
     ("team",), FEATURE_BUCKETS),
]


def make_store() -> Store:
    return Store([Family(name, kind, help_, labels, tuple(float(b) for b in (rest or ((),))[0]))
                  for kind, name, help_, labels, *rest in FAMILIES])


def _obs(d: dict, key: tuple, bounds: tuple, v: float) -> None:
    h = d.get(key)
    if h is None:
        h = d[key] = [0] * (len(bounds) + 2)
    h[bisect_left(bounds, v)] += 1
    h[-1] += v


def _inc(d: dict, key, n=1) -> None:
    d[key] = d.get(key, 0) + n


class Aggregator:
    """Applies validated events to the store's delta; one lock acquisition per batch."""

    def __init__(self, store: Store, guard: Guard):
        self.store = store
        self.guard = guard
        g = guard.checker
        self.g = {n: g(n) for n in ("hook", "trigger", "server", "mcp_method_name",
                                   "gen_ai_tool_name", "error_type", "transport", "direction",
                                   "action", "task", "service", "severity", "survey", "source",
                                   "team")}
        self.bounds = {f.name: f.buckets for f in store.families.values()}
        self.optimizations = []  # validated optimization dicts, drained by `derived`
        self.apply_one = {
            "hook.execution": self._hook, "mcp.request": self._mcp_request,
            "mcp.connection": self._mcp_conn, "mcp.notification": self._mcp_note,
            "mcp.process": self._mcp_proc, "autonomy.decision": self._decision,
            "autonomy.task": self._task, "deployment": self._deploy, "incident": self._incident,
            "survey": self._survey, "feature": self._feature,
            "optimization": lambda d, f: self.optimizations.append(f)}

    def apply(self, batch: list) -> None:
        """`batch`: list of (type, fields) from `events.validate`."""
        fns = self.apply_one
        with self.store.ingest_lock:
            d = self.store.delta
            for t, f in batch:
                fns[t](d, f)

    def _hook(self, d, f):
        hook, trigger, outcome, dur, cpu, rss, manual, det = f
        g = self.g
        hook = g["hook"](hook)
        trigger = g["trigger"](trigger)
        key = (hook, trigger, outcome)
        c = d["kiro_hook_executions"]
        c[key] = c.get(key, 0) + 1
        if dur is not None:
            _obs(d["kiro_hook_execution_duration_seconds"], (hook, trigger), HOOK_BUCKETS, dur)
        if cpu is not None:
            _inc(d["kiro_hook_cpu_seconds"], (hook,), cpu)
        if rss is not None:
            d["kiro_hook_max_resident_memory_bytes"][(hook,)] = rss
        if manual:
            _inc(d["kiro_manual_interventions"], ("hook",))
        if det is not None:
            _inc(d["kiro_hook_detections"], (hook, det))

    def _mcp_request(self, d, f):
        server, method, tool, etype, dur, cache, batch, manual = f
        g = self.g
        server = g["server"](server)
        method = g["mcp_method_name"](method)
        if etype:
            etype = g["error_type"](etype)
            _inc(d["kiro_mcp_request_errors"], (server, method, etype))
        if dur is not None:
            _obs(d["mcp_client_operation_duration_seconds"],
                 (server, method, g["gen_ai_tool_name"](tool), etype), MCP_OP_BUCKETS, dur)
        if cache is not None:
            _inc(d["kiro_mcp_cache_requests"], (server, cache))
        if batch is not None:
            _obs(d["kiro_mcp_batch_size"], (server,), BATCH_BUCKETS, batch)
        if manual:
            _inc(d["kiro_manual_interventions"], ("mcp",))

    def _mcp_conn(self, d, f):
        server, transport, outcome, dur, dropped, cpu, rss = f
        server = self.g["server"](server)
        if dropped or outcome == "closed":
            if dropped:
                _inc(d["kiro_mcp_connection_drops"], (server,))
            if dur is not None:
                _obs(d["mcp_client_session_duration_seconds"], (server,), SESSION_BUCKETS, dur)
        else:
            _inc(d["kiro_mcp_connections"], (server, self.g["transport"](transport), outcome))
            if dur is not None:
                etype = "" if outcome == "success" else "connection_failed"
                _obs(d["mcp_client_operation_duration_seconds"],
                     (server, "initialize", "", etype), MCP_OP_BUCKETS, dur)
        self._mcp_proc(d, (server, cpu, rss))

    def _mcp_note(self, d, f):
        _inc(d["kiro_mcp_notifications"], (self.g["server"](f[0]), self.g["direction"](f[1])))

    def _mcp_proc(self, d, f):
        server, cpu, rss = f
        server = self.g["server"](server)
        if cpu is not None:
            _inc(d["kiro_mcp_server_cpu_seconds"], (server,), cpu)
        if rss is not None:
            d["kiro_mcp_server_resident_memory_bytes"][(server,)] = rss

    def _decision(self, d, f):
        action, outcome, dur, escalated, rolled_back = f
        action = self.g["action"](action)
        _inc(d["kiro_autonomy_decisions"], (action, outcome))
        if dur is not None:
            _obs(d["kiro_autonomy_decision_duration_seconds"], (action,), DECISION_BUCKETS, dur)
        if escalated:
            _inc(d["kiro_autonomy_escalations"], (action,))
        if rolled_back:
            _inc(d["kiro_autonomy_rollbacks"], (action,))

    def _task(self, d, f):
        task, outcome, human = f
        _inc(d["kiro_autonomy_tasks"], (self.g["task"](task), outcome))
        if human:
            _inc(d["kiro_manual_interventions"], ("autonomy",))

    def _deploy(self, d, f):
        service, outcome, lead, dur = f
        service = self.g["service"](service)
        _inc(d["kiro_deployments"], (service, outcome))
        if lead is not None:
            _obs(d["kiro_deployment_lead_time_seconds"], (service,), LEAD_BUCKETS, lead)
        if dur is not None:
            _obs(d["kiro_deployment_duration_seconds"], (service,), DEPLOY_BUCKETS, dur)

    def _incident(self, d, f):
        service, severity, resolution = f
        key = (self.g["service"](service), self.g["severity"](severity))
        _inc(d["kiro_incidents"], key)
        if resolution is not None:
            _obs(d["kiro_incident_resolution_duration_seconds"], key, RESOLUTION_BUCKETS,
                 resolution)

    def _survey(self, d, f):
        kind, label, score = f
        if kind == "developer":
            d["kiro_developer_satisfaction_score"][(self.g["survey"](label),)] = score
        else:
            d["kiro_user_satisfaction_score"][(self.g["source"](label),)] = score

    def _feature(self, d, f):
        team, dur = f
        team = self.g["team"](team)
        _inc(d["kiro_features_delivered"], (team,))
        if dur is not None:
            _obs(d["kiro_feature_delivery_duration_seconds"], (team,), FEATURE_BUCKETS, dur)
