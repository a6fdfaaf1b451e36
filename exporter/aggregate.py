"""Applies validated events to the store's delta dicts: the ingest hot path.

Events of a batch are grouped by type and each group is applied by one function, under
one acquisition of the ingest lock. Plain-list arithmetic here replaces
`Counter.labels().inc()` per event, which would be the bottleneck (see bench/exporter.py).
For the two high-volume types (hook runs, MCP requests) each distinct raw label tuple
gets a "slot" per delta: its label values passed once through the cardinality guard and
references to its counter cells and histogram lists, so an event costs one tuple and one
dict lookup plus list updates. Other types pass each label value through the guard (a
known value costs one set lookup).
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
CANON_HOOK = {"failed": "failure"}
# Slots are cached only for label tuples the guard admitted in full, and at most this
# many per type and delta: random values must not grow memory between scrapes.
MAX_SLOTS = 20000
MCP_ERROR = {"failure": "error", "canceled": "cancelled"}
TASK_CANON = {"failure": "failed", "cancelled": "canceled"}


def _obs(d: dict, key: tuple, bounds: tuple, v: float) -> None:
    h = d[key]  # a defaultdict: see Store._fresh_delta
    h[bisect_left(bounds, v)] += 1
    h[-1] += v


def _inc(d: dict, key, n=1) -> None:
    d[key][0] += n  # a counter cell: see Store._fresh_delta


class Aggregator:
    def __init__(self, store: Store, guard: Guard, on_optimization=None):
        self.store = store
        self.guard = guard
        self.on_optimization = on_optimization or (lambda opt: None)
        self.protocol_versions: dict = {}   # guarded server -> guarded version published
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

    def apply(self, events: list) -> dict:
        """Count the valid events (Structs) of a decoded batch, skipping `EventError`
        items; one lock acquisition for the whole list. Returns {type: count}."""
        if len(events) <= 4:  # single-event posts: skip building the group lists
            counts: dict = {}
            with self.store.ingest_lock:
                d = self.store.delta
                for ev in events:
                    t = type(ev)
                    counts[t] = counts.get(t, 0) + 1
                    if t is not E.EventError:
                        self.apply_group[t](d, (ev,))
            return counts
        lists = {t: [] for t in self.apply_group}
        lists[E.EventError] = []
        add = {t: g.append for t, g in lists.items()}
        for ev in events:
            add[type(ev)](ev)
        with self.store.ingest_lock:
            d = self.store.delta
            for t, evs in lists.items():
                if evs and t is not E.EventError:
                    self.apply_group[t](d, evs)
        return {t: len(evs) for t, evs in lists.items() if evs}

    def _admit(self, labels: tuple, values: tuple):
        """Guarded values for a label tuple, and the labels that folded (counted per
        event by the caller)."""
        guard, out, folded = self.guard, [], []
        for lab, v in zip(labels, values):
            g = guard.admit(lab, v, 0)
            if g is not v and g != v:
                folded.append(lab)
            out.append(g)
        return out, tuple(folded)

    def _count_folds(self, labels: tuple, n: int = 1) -> None:
        f = self.guard.folded
        for lab in labels:
            f[lab] = f.get(lab, 0) + n

    def _hook_slot(self, d, raw):
        """Per distinct (hook, trigger, outcome) in this delta: the executions cell and
        lazily the histogram, CPU cell; guarded once here instead of once per event."""
        (hook, trigger), folded = self._admit(("hook", "trigger"), raw[:2])
        outcome = CANON_HOOK.get(raw[2], raw[2])
        return [d["kiro_hook_executions"][(hook, trigger, outcome)], None, None, (hook,),
                folded, hook, (hook, trigger)]

    def _hooks(self, d, evs):
        slots = d.setdefault("#hook", {})
        hist, cpu = d["kiro_hook_execution_duration_seconds"], d["kiro_hook_cpu_seconds"]
        rss = d["kiro_hook_max_resident_memory_bytes"]
        bl, bounds = bisect_left, HOOK_BUCKETS  # locals: cheaper than globals per event
        for ev in evs:
            raw = (ev.hook, ev.trigger, ev.outcome)
            s = slots.get(raw)
            if s is None:
                s = self._hook_slot(d, raw)
                if not s[4] and len(slots) < MAX_SLOTS:
                    slots[raw] = s
            s[0][0] += 1
            v = ev.duration_seconds
            if v is not None:
                h = s[1]
                if h is None:
                    h = s[1] = hist[s[6]]
                h[bl(bounds, v)] += 1
                h[-1] += v
            v = ev.cpu_seconds
            if v is not None:
                c = s[2]
                if c is None:
                    c = s[2] = cpu[s[3]]
                c[0] += v
            v = ev.max_rss_bytes
            if v is not None:
                rss[s[3]] = v
            if s[4]:
                self._count_folds(s[4])
            if ev.manual_intervention:
                _inc(d["kiro_manual_interventions"], ("hook",))
            if ev.detection is not None:
                _inc(d["kiro_hook_detections"], (s[5], ev.detection))

    def _mcp_slot(self, d, raw):
        """Per distinct (server, method, tool, outcome, error_code) in this delta:
        [op histogram, error cell, (server,), folded labels, server, histogram key,
        cache hit cell, cache miss cell, batch-size histogram], lists created lazily so
        no series appears before an event feeds it."""
        server, method, tool, outcome, code = raw
        etype = _error_type(outcome, code)
        labels, values = ("server", "mcp_method_name", "gen_ai_tool_name"), [server, method, tool]
        if etype:
            labels, values = labels + ("error_type",), values + [etype]
        vals, folded = self._admit(labels, tuple(values))
        server, method, tool = vals[:3]
        etype = vals[3] if etype else ""
        err = d["kiro_mcp_request_errors"][(server, method, etype)] if etype else None
        return [None, err, (server,), folded, server, (server, method, tool, etype),
                None, None, None]

    def _mcp_requests(self, d, evs):
        slots = d.setdefault("#mcp", {})
        hist, cache = d["mcp_client_operation_duration_seconds"], d["kiro_mcp_cache_requests"]
        batch = d["kiro_mcp_batch_size"]
        bl, bounds = bisect_left, MCP_OP_BUCKETS
        for ev in evs:
            raw = (ev.server, ev.method, ev.tool, ev.outcome, ev.error_code)
            s = slots.get(raw)
            if s is None:
                s = self._mcp_slot(d, raw)
                if not s[3] and len(slots) < MAX_SLOTS:
                    slots[raw] = s
            if s[1] is not None:
                s[1][0] += 1
            v = ev.duration_seconds
            if v is not None:
                h = s[0]
                if h is None:
                    h = s[0] = hist[s[5]]
                h[bl(bounds, v)] += 1
                h[-1] += v
            v = ev.cache
            if v is not None:
                i = 6 if v == "hit" else 7
                c = s[i]
                if c is None:
                    c = s[i] = cache[(s[4], v)]
                c[0] += 1
            v = ev.batch_size
            if v is not None:
                h = s[8]
                if h is None:
                    h = s[8] = batch[s[2]]
                h[bl(BATCH_BUCKETS, v)] += 1
                h[-1] += v
            if s[3]:
                self._count_folds(s[3])
            if ev.manual_intervention:
                _inc(d["kiro_manual_interventions"], ("mcp",))

    def _server(self, name: str) -> str:
        ss, admit = self._label("server")
        return name if name in ss else admit("server", name)

    def _mcp_conns(self, d, evs):
        for ev in evs:
            server, outcome = self._server(ev.server), CANON.get(ev.outcome, ev.outcome)
            if ev.dropped or outcome == "closed":
                self._mcp_session_end(d, server, ev)
            else:
                self._mcp_attempt(d, server, outcome, ev)
            self._proc(d, server, ev.cpu_seconds, ev.rss_bytes)

    def _mcp_session_end(self, d, server, ev):
        if ev.dropped:
            _inc(d["kiro_mcp_connection_drops"], (server,))
        if ev.duration_seconds is not None:
            _obs(d["mcp_client_session_duration_seconds"], (server,), SESSION_BUCKETS,
                 ev.duration_seconds)

    def _mcp_attempt(self, d, server, outcome, ev):
        """A connection attempt: counted, its handshake timed as `initialize`, and when
        it succeeded, whether it re-established a dropped session and which protocol
        version it negotiated."""
        st, admit = self._label("transport")
        transport = ev.transport if ev.transport in st else admit("transport", ev.transport)
        _inc(d["kiro_mcp_connections"], (server, transport, outcome))
        if ev.duration_seconds is not None:
            etype = "" if outcome == "success" else "connection_failed"
            _obs(d["mcp_client_operation_duration_seconds"],
                 (server, "initialize", "", etype), MCP_OP_BUCKETS, ev.duration_seconds)
        if outcome != "success":
            return
        if ev.reconnect:
            _inc(d["kiro_mcp_reconnects"], (server,))
        if ev.protocol_version:
            self._protocol_version(d, server, ev.protocol_version)

    def _protocol_version(self, d, server, version):
        """Info gauge of the version negotiated last. A version it replaces drops to 0
        (a gauge series cannot be removed), so `== 1` selects one series per server
        for joins."""
        seen, admit = self._label("mcp_protocol_version")
        version = version if version in seen else admit("mcp_protocol_version", version)
        info = d["kiro_mcp_server_protocol_info"]
        old = self.protocol_versions.get(server)
        if old is not None and old != version:
            info[(server, old)] = 0
        self.protocol_versions[server] = version
        info[(server, version)] = 1

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
        slots = d.setdefault("#decision", {})
        hist = d["kiro_autonomy_decision_duration_seconds"]
        for ev in evs:
            raw = (ev.action, ev.outcome)
            s = slots.get(raw)
            if s is None:
                (action,), folded = self._admit(("action",), raw[:1])
                outcome = "failure" if raw[1] == "failed" else raw[1]
                s = [d["kiro_autonomy_decisions"][(action, outcome)], None, (action,), folded]
                if not folded and len(slots) < MAX_SLOTS:
                    slots[raw] = s
            s[0][0] += 1
            v = ev.duration_seconds
            if v is not None:
                h = s[1]
                if h is None:
                    h = s[1] = hist[s[2]]
                h[bisect_left(DECISION_BUCKETS, v)] += 1
                h[-1] += v
            if ev.escalated:
                _inc(d["kiro_autonomy_escalations"], s[2])
            if ev.rolled_back:
                _inc(d["kiro_autonomy_rollbacks"], s[2])
            if s[3]:
                self._count_folds(s[3])

    def _tasks(self, d, evs):
        slots = d.setdefault("#task", {})
        for ev in evs:
            raw = (ev.task, ev.outcome)
            s = slots.get(raw)
            if s is None:
                (task,), folded = self._admit(("task",), raw[:1])
                s = [d["kiro_autonomy_tasks"][(task, TASK_CANON.get(raw[1], raw[1]))], folded]
                if not folded and len(slots) < MAX_SLOTS:
                    slots[raw] = s
            s[0][0] += 1
            if s[1]:
                self._count_folds(s[1])
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


def _error_type(outcome, code) -> str:
    """OpenTelemetry `error.type`: empty on success, the JSON-RPC code, or the outcome."""
    if outcome is None:
        return "" if code is None else str(code)
    if outcome == "success" or outcome == "ok":
        return ""
    if (outcome == "error" or outcome == "failure") and code is not None:
        return str(code)
    return MCP_ERROR.get(outcome, outcome)
