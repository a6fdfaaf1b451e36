"""Applies validated events to the store's delta dicts: the ingest hot path.

Events of a batch are grouped by type and each group is applied by one function with
its dicts and guard sets bound to locals, under one acquisition of the ingest lock.
Plain-dict arithmetic here replaces `Counter.labels().inc()` per event, which would be
the bottleneck (see bench/exporter.py). Label values pass the cardinality guard: a known
value costs one set lookup.
"""

from __future__ import annotations

from bisect import bisect_left

from . import events as E
from .guard import Guard
from .metrics import (BATCH_BUCKETS, DECISION_BUCKETS, DEPLOY_BUCKETS, FEATURE_BUCKETS,
                      HOOK_BUCKETS, LEAD_BUCKETS, MCP_OP_BUCKETS, RESOLUTION_BUCKETS,
                      SESSION_BUCKETS)
from .store import Store

CANON = {"failed": "failure", "ok": "success", "failure": "error", "canceled": "cancelled"}
TASK_CANON = {"failure": "failed", "cancelled": "canceled"}


def _obs(d: dict, key: tuple, bounds: tuple, v: float) -> None:
    h = d[key]  # a defaultdict: see Store._fresh_delta
    h[bisect_left(bounds, v)] += 1
    h[-1] += v


def _inc(d: dict, key, n=1) -> None:
    d[key] += n


class Aggregator:
    def __init__(self, store: Store, guard: Guard, on_optimization=None):
        self.store = store
        self.guard = guard
        self.on_optimization = on_optimization or (lambda opt: None)
        self.apply_group = {
            E.HookExecution: self._hooks, E.McpRequest: self._mcp_requests,
            E.McpConnection: self._mcp_conns, E.McpNotification: self._mcp_notes,
            E.McpProcess: self._mcp_procs, E.AutonomyDecision: self._decisions,
            E.AutonomyTask: self._tasks, E.Deployment: self._deploys,
            E.Incident: self._incidents, E.Survey: self._surveys, E.Feature: self._features,
            E.Optimization: self._optimizations}

    def _label(self, name: str):
        """(seen set, admit) for inlined guard checks: `v if v in s else admit(name, v)`."""
        return self.guard.seen.setdefault(name, set()), self.guard.admit

    def apply(self, events: list) -> None:
        """Count validated events (Structs); one lock acquisition for the whole list."""
        groups: dict = {}
        for ev in events:
            t = type(ev)
            g = groups.get(t)
            if g is None:
                groups[t] = [ev]
            else:
                g.append(ev)
        with self.store.ingest_lock:
            d = self.store.delta
            for t, evs in groups.items():
                self.apply_group[t](d, evs)

    def _hooks(self, d, evs):
        sh, admit = self._label("hook")
        st, _ = self._label("trigger")
        execs = d["kiro_hook_executions"]
        hist = d["kiro_hook_execution_duration_seconds"]
        cpu, rss = d["kiro_hook_cpu_seconds"], d["kiro_hook_max_resident_memory_bytes"]
        dets, manual = d["kiro_hook_detections"], d["kiro_manual_interventions"]
        for ev in evs:
            hook, trigger, outcome = ev.hook, ev.trigger, ev.outcome
            if hook not in sh:
                hook = admit("hook", hook)
            if trigger not in st:
                trigger = admit("trigger", trigger)
            if outcome == "failed":
                outcome = "failure"
            execs[(hook, trigger, outcome)] += 1
            v = ev.duration_seconds
            if v is not None:
                h = hist[(hook, trigger)]
                h[bisect_left(HOOK_BUCKETS, v)] += 1
                h[-1] += v
            v = ev.cpu_seconds
            if v is not None:
                cpu[(hook,)] += v
            if ev.max_rss_bytes is not None:
                rss[(hook,)] = ev.max_rss_bytes
            if ev.manual_intervention:
                manual[("hook",)] += 1
            if ev.detection is not None:
                dets[(hook, ev.detection)] += 1

    def _mcp_requests(self, d, evs):
        ss, admit = self._label("server")
        sm, _ = self._label("mcp_method_name")
        stool, _ = self._label("gen_ai_tool_name")
        se, _ = self._label("error_type")
        hist, errors = d["mcp_client_operation_duration_seconds"], d["kiro_mcp_request_errors"]
        cache, batch = d["kiro_mcp_cache_requests"], d["kiro_mcp_batch_size"]
        for ev in evs:
            server, method = ev.server, ev.method
            if server not in ss:
                server = admit("server", server)
            if method not in sm:
                method = admit("mcp_method_name", method)
            outcome, code = ev.outcome, ev.error_code
            if outcome is None or outcome == "success" or outcome == "ok":
                etype = "" if code is None or outcome is not None else str(code)
            elif (outcome == "error" or outcome == "failure") and code is not None:
                etype = str(code)
            else:
                etype = CANON.get(outcome, outcome)
            if etype:
                if etype not in se:
                    etype = admit("error_type", etype)
                errors[(server, method, etype)] += 1
            v = ev.duration_seconds
            if v is not None:
                tool = ev.tool
                if tool not in stool:
                    tool = admit("gen_ai_tool_name", tool)
                h = hist[(server, method, tool, etype)]
                h[bisect_left(MCP_OP_BUCKETS, v)] += 1
                h[-1] += v
            if ev.cache is not None:
                cache[(server, ev.cache)] += 1
            v = ev.batch_size
            if v is not None:
                h = batch[(server,)]
                h[bisect_left(BATCH_BUCKETS, v)] += 1
                h[-1] += v
            if ev.manual_intervention:
                _inc(d["kiro_manual_interventions"], ("mcp",))

    def _server(self, name: str) -> str:
        ss, admit = self._label("server")
        return name if name in ss else admit("server", name)

    def _mcp_conns(self, d, evs):
        st, admit = self._label("transport")
        for ev in evs:
            server, outcome = self._server(ev.server), CANON.get(ev.outcome, ev.outcome)
            dur = ev.duration_seconds
            if ev.dropped or outcome == "closed":
                if ev.dropped:
                    _inc(d["kiro_mcp_connection_drops"], (server,))
                if dur is not None:
                    _obs(d["mcp_client_session_duration_seconds"], (server,), SESSION_BUCKETS,
                         dur)
            else:
                transport = ev.transport if ev.transport in st else admit("transport",
                                                                          ev.transport)
                _inc(d["kiro_mcp_connections"], (server, transport, outcome))
                if dur is not None:
                    etype = "" if outcome == "success" else "connection_failed"
                    _obs(d["mcp_client_operation_duration_seconds"],
                         (server, "initialize", "", etype), MCP_OP_BUCKETS, dur)
            self._proc(d, server, ev.cpu_seconds, ev.rss_bytes)

    def _proc(self, d, server, cpu, rss):
        if cpu is not None:
            _inc(d["kiro_mcp_server_cpu_seconds"], (server,), cpu)
        if rss is not None:
            d["kiro_mcp_server_resident_memory_bytes"][(server,)] = rss

    def _mcp_procs(self, d, evs):
        for ev in evs:
            self._proc(d, self._server(ev.server), ev.cpu_seconds, ev.rss_bytes)

    def _mcp_notes(self, d, evs):
        sd, admit = self._label("direction")
        notes = d["kiro_mcp_notifications"]
        for ev in evs:
            direction = ev.direction if ev.direction in sd else admit("direction", ev.direction)
            _inc(notes, (self._server(ev.server), direction))

    def _decisions(self, d, evs):
        sa, admit = self._label("action")
        dec, hist = d["kiro_autonomy_decisions"], d["kiro_autonomy_decision_duration_seconds"]
        for ev in evs:
            action = ev.action if ev.action in sa else admit("action", ev.action)
            _inc(dec, (action, "failure" if ev.outcome == "failed" else ev.outcome))
            if ev.duration_seconds is not None:
                _obs(hist, (action,), DECISION_BUCKETS, ev.duration_seconds)
            if ev.escalated:
                _inc(d["kiro_autonomy_escalations"], (action,))
            if ev.rolled_back:
                _inc(d["kiro_autonomy_rollbacks"], (action,))

    def _tasks(self, d, evs):
        sk, admit = self._label("task")
        tasks = d["kiro_autonomy_tasks"]
        for ev in evs:
            task = ev.task if ev.task in sk else admit("task", ev.task)
            _inc(tasks, (task, TASK_CANON.get(ev.outcome, ev.outcome)))
            if ev.human_intervention:
                _inc(d["kiro_manual_interventions"], ("autonomy",))

    def _service(self, name: str) -> str:
        ss, admit = self._label("service")
        return name if name in ss else admit("service", name)

    def _deploys(self, d, evs):
        for ev in evs:
            service = self._service(ev.service)
            _inc(d["kiro_deployments"], (service, "failure" if ev.outcome == "failed"
                                         else ev.outcome))
            if ev.lead_time_seconds is not None:
                _obs(d["kiro_deployment_lead_time_seconds"], (service,), LEAD_BUCKETS,
                     ev.lead_time_seconds)
            if ev.duration_seconds is not None:
                _obs(d["kiro_deployment_duration_seconds"], (service,), DEPLOY_BUCKETS,
                     ev.duration_seconds)

    def _incidents(self, d, evs):
        ss, admit = self._label("severity")
        for ev in evs:
            sev = ev.severity if ev.severity in ss else admit("severity", ev.severity)
            key = (self._service(ev.service), sev)
            _inc(d["kiro_incidents"], key)
            if ev.resolved_at is not None:
                _obs(d["kiro_incident_resolution_duration_seconds"], key, RESOLUTION_BUCKETS,
                     (ev.resolved_at - ev.detected_at).total_seconds())

    def _surveys(self, d, evs):
        for ev in evs:
            if ev.kind == "developer":
                s, admit = self._label("survey")
                label = ev.survey if ev.survey in s else admit("survey", ev.survey)
                d["kiro_developer_satisfaction_score"][(label,)] = ev.score
            else:
                s, admit = self._label("source")
                label = ev.source if ev.source in s else admit("source", ev.source)
                d["kiro_user_satisfaction_score"][(label,)] = ev.score

    def _features(self, d, evs):
        s, admit = self._label("team")
        for ev in evs:
            team = ev.team if ev.team in s else admit("team", ev.team)
            _inc(d["kiro_features_delivered"], (team,))
            if ev.duration_seconds is not None:
                _obs(d["kiro_feature_delivery_duration_seconds"], (team,), FEATURE_BUCKETS,
                     ev.duration_seconds)

    def _optimizations(self, d, evs):
        for ev in evs:
            self.on_optimization(E.optimization_dict(ev))
