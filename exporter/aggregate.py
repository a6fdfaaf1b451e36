"""Applies validated events to the store's delta dicts: the ingest hot path.

Events of a batch are grouped by type and each group is applied by one function, under
one acquisition of the ingest lock. Plain-list arithmetic here replaces
`Counter.labels().inc()` per event, which would be the bottleneck (see bench/exporter.py).

On CPython what costs is Python work per event, so the types that carry measurements
(hook runs, MCP requests and connections, decisions, deployments) do as little of it as
possible: one loop puts each event into a group by its raw label values plus the fields
that take few values (outcome, cache result, batch size, flags), and appends only its
measurements (durations, CPU seconds) to the group's lists. The rest happens once per
group: label values pass the cardinality guard (for the busiest types once per delta,
kept as a *series* record of guarded keys and counter cells), counters add the group's
size, each histogram takes the group's values in one sorted pass (`_observe`).

Why not C-level bulk steps for everything (`map(attrgetter(...))` for the label tuples,
`collections.Counter` over them and over (tuple, bucket index) pairs)? Measured on
CPython 3.11 on fresh batches (bench/ingest_profile.py, and instruction counts), each
such pass builds, hashes and compares every label tuple once more: for MCP requests that
took about twice the instructions of this loop. Where a C-level step does win is the
histogram: sorting a group's values and bisecting once per bucket beats a bisect per
value.

Tasks (no measurements) and the rare types count per event; a known label value costs
one set lookup. Float sums are added per group, so they can differ from adding event by
event in the last bits; every count is exact (tests/exporter/test_aggregate.py checks
both against a plain per-event reference).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from . import events as E
from .guard import Guard
from .metrics import (BATCH_BUCKETS, DECISION_BUCKETS, DEPLOY_BUCKETS, FEATURE_BUCKETS,
                      HOOK_BUCKETS, LEAD_BUCKETS, MCP_OP_BUCKETS, RESOLUTION_BUCKETS,
                      SESSION_BUCKETS)
from .store import Store

FAILED = {"failed": "failure"}
"""`failed` is a synonym of `failure` in hook, connection, decision and deployment outcomes
(docs/events.md)."""
# Series records are cached only for label tuples the guard admitted in full, and at
# most this many per type and delta: random values must not grow memory between scrapes.
MAX_SERIES = 20000
MCP_ERROR = {"failure": "error", "canceled": "cancelled"}
TASK_CANON = {"failure": "failed", "cancelled": "canceled"}
# Below this many values a bisect per value is cheaper than sorting (see _observe).
SORT_MIN = 8


def _floats(bounds: tuple) -> tuple:
    """Bucket bounds as floats (durations are floats: float-to-float compares fastest)."""
    return tuple(float(b) for b in bounds)


HOOK_BOUNDS, MCP_OP_BOUNDS = _floats(HOOK_BUCKETS), _floats(MCP_OP_BUCKETS)
DECISION_BOUNDS, SESSION_BOUNDS = _floats(DECISION_BUCKETS), _floats(SESSION_BUCKETS)
LEAD_BOUNDS, DEPLOY_BOUNDS = _floats(LEAD_BUCKETS), _floats(DEPLOY_BUCKETS)


def _obs(d: dict, key: tuple, bounds: tuple, v: float) -> None:
    h = d[key]  # a defaultdict: see Store._fresh_delta
    h[bisect_left(bounds, v)] += 1
    h[-1] += v


def _inc(d: dict, key, n=1) -> None:
    d[key][0] += n  # a counter cell: see Store._fresh_delta


def _observe(hist: dict, key: tuple, bounds: tuple, values: list) -> None:
    """Add the values that are not None (absent fields) to the histogram `hist[key]`
    ([count per bucket..., +Inf, sum]); without any, the series is not created.

    A value goes to the first bucket whose bound is >= it (`le` is inclusive), as
    `bisect_left(bounds, v)` says. With more than a few values, sorting them once (C,
    fast for floats) and then finding where each occupied bucket's values end with one
    `bisect_right` is several times cheaper than a bisect per value: the loop runs once
    per bucket from the lowest occupied one up to the highest, not once per value."""
    try:
        total = sum(values)  # also the None check: it stops at a None, far cheaper
    except TypeError:        # than `None in values`
        values = [v for v in values if v is not None]
        total = sum(values)
    if not values:
        return
    h = hist[key]  # a defaultdict: see Store._fresh_delta
    if len(values) < SORT_MIN:
        for v in values:
            h[bisect_left(bounds, v)] += 1
    else:
        vs = sorted(values)
        n, top = len(vs), len(bounds)
        i, lo = bisect_left(bounds, vs[0]), 0  # the lowest occupied bucket
        while lo < n:
            hi = bisect_right(vs, bounds[i], lo) if i < top else n  # values <= bounds[i]
            h[i] += hi - lo
            lo, i = hi, i + 1
    h[-1] += total


# Series records: what one distinct raw label tuple feeds in the current delta, guarded
# once. Slotted dataclasses: their attributes read as fast as list items.
@dataclass(slots=True)
class HookSeries:
    """For one raw (hook, trigger, outcome)."""
    runs: list          # counter cell of kiro_hook_executions
    hist_key: tuple     # (hook, trigger) of the duration histogram
    hook_key: tuple     # (hook,): CPU seconds, peak memory, detections
    folded: tuple       # labels the guard folded: counted once per event


@dataclass(slots=True)
class McpSeries:
    """For one raw (server, method, tool, outcome, error_code)."""
    hist_key: tuple     # (server, method, tool, error_type)
    errors: list | None  # counter cell of kiro_mcp_request_errors, None on success
    server: str
    server_key: tuple   # (server,)
    folded: tuple


@dataclass(slots=True)
class DecisionSeries:
    """For one raw (action, outcome)."""
    decisions: list     # counter cell of kiro_autonomy_decisions
    action_key: tuple   # (action,)
    folded: tuple


@dataclass(slots=True)
class TaskSeries:
    """For one raw (task, outcome)."""
    tasks: list         # counter cell of kiro_autonomy_tasks
    folded: tuple


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
        self._types = (*self.apply_group, E.EventError)

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
        lists = {t: [] for t in self._types}
        for ev in events:
            lists[type(ev)].append(ev)
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

    @staticmethod
    def _cached(cache: dict, raw: tuple, make, d: dict):
        """The series record for `raw` from this delta's cache, else `make(d, raw)` (cached
        when the guard folded nothing and the cache is not full)."""
        s = cache.get(raw)
        if s is None:
            s = make(d, raw)
            if not s.folded and len(cache) < MAX_SERIES:
                cache[raw] = s
        return s

    # ---- hook runs -----------------------------------------------------------------------
    def _hook_series(self, d, raw) -> HookSeries:
        (hook, trigger), folded = self._admit(("hook", "trigger"), raw[:2])
        outcome = FAILED.get(raw[2], raw[2])
        return HookSeries(d["kiro_hook_executions"][(hook, trigger, outcome)],
                          (hook, trigger), (hook,), folded)

    def _hooks(self, d, evs):
        """Group by (hook, trigger, outcome), then count per group. The peak-memory gauge
        keeps the batch's last value per hook: one cell per guarded hook, shared by its
        groups, is overwritten in event order."""
        cache = d.setdefault("#hook", {})
        groups, rss_cells = {}, {}
        manual = 0
        for ev in evs:
            raw = (ev.hook, ev.trigger, ev.outcome)
            g = groups.get(raw)
            if g is None:
                s = self._cached(cache, raw, self._hook_series, d)
                g = groups[raw] = (s, [], [], rss_cells.setdefault(s.hook_key, [None]))
            s, durations, cpu, rss = g
            durations.append(ev.duration_seconds)
            v = ev.cpu_seconds
            if v is not None:
                cpu.append(v)
            v = ev.max_rss_bytes
            if v is not None:
                rss[0] = v
            if ev.manual_intervention:
                manual += 1
            if ev.detection is not None:
                _inc(d["kiro_hook_detections"], (s.hook_key[0], ev.detection))
        hist = d["kiro_hook_execution_duration_seconds"]
        cpu_cells = d["kiro_hook_cpu_seconds"]
        for s, durations, cpu, _ in groups.values():
            n = len(durations)
            s.runs[0] += n
            _observe(hist, s.hist_key, HOOK_BOUNDS, durations)
            if cpu:
                cpu_cells[s.hook_key][0] += sum(cpu)
            if s.folded:
                self._count_folds(s.folded, n)
        gauge = d["kiro_hook_max_resident_memory_bytes"]
        for key, (v,) in rss_cells.items():
            if v is not None:
                gauge[key] = v
        if manual:
            _inc(d["kiro_manual_interventions"], ("hook",), manual)

    # ---- MCP requests --------------------------------------------------------------------
    def _mcp_series(self, d, raw) -> McpSeries:
        server, method, tool, outcome, code = raw
        etype = _error_type(outcome, code)
        labels = ("server", "mcp_method_name", "gen_ai_tool_name")
        values = [server, method, tool]
        if etype:
            labels, values = labels + ("error_type",), values + [etype]
        vals, folded = self._admit(labels, tuple(values))
        server, method, tool = vals[:3]
        etype = vals[3] if etype else ""
        err = d["kiro_mcp_request_errors"][(server, method, etype)] if etype else None
        return McpSeries((server, method, tool, etype), err, server, (server,), folded)

    def _mcp_requests(self, d, evs):
        """Group by the label fields plus cache result, batch size and the manual flag
        (few distinct values), so only the duration is handled per event."""
        groups = {}
        for ev in evs:
            key = (ev.server, ev.method, ev.tool, ev.outcome, ev.error_code, ev.cache,
                   ev.batch_size, ev.manual_intervention)
            durations = groups.get(key)
            if durations is None:
                durations = groups[key] = []
            durations.append(ev.duration_seconds)
        cache = d.setdefault("#mcp", {})
        hist = d["mcp_client_operation_duration_seconds"]
        cache_cells, batch = d["kiro_mcp_cache_requests"], d["kiro_mcp_batch_size"]
        for key, durations in groups.items():
            s = self._cached(cache, key[:5], self._mcp_series, d)
            n = len(durations)
            if s.errors is not None:
                s.errors[0] += n
            _observe(hist, s.hist_key, MCP_OP_BOUNDS, durations)
            result, size, manual = key[5:]
            if result is not None:
                cache_cells[(s.server, result)][0] += n
            if size is not None:
                h = batch[s.server_key]
                h[bisect_left(BATCH_BUCKETS, size)] += n
                h[-1] += size * n
            if manual:
                _inc(d["kiro_manual_interventions"], ("mcp",), n)
            if s.folded:
                self._count_folds(s.folded, n)

    # ---- MCP connections, notifications, processes ---------------------------------------
    def _server(self, name: str, n: int = 1) -> str:
        """The guarded server label; a fold counts `n` (the events it stands for)."""
        ss, admit = self._label("server")
        return name if name in ss else admit("server", name, n)

    def _mcp_conns(self, d, evs):
        """Group by (server, transport, outcome, dropped, reconnect); per event only the
        duration. The process figures and protocol versions some connection events carry
        go to `_proc` and `_protocol_version` afterwards, one event at a time in order,
        since those gauges keep the last value."""
        groups, in_order = {}, []
        for ev in evs:
            key = (ev.server, ev.transport, ev.outcome, ev.dropped, ev.reconnect)
            durations = groups.get(key)
            if durations is None:
                durations = groups[key] = []
            durations.append(ev.duration_seconds)
            if ev.cpu_seconds is not None or ev.rss_bytes is not None or ev.protocol_version:
                in_order.append(ev)
        st, admit = self._label("transport")
        for (server, transport, outcome, dropped, reconnect), durations in groups.items():
            n = len(durations)
            server, outcome = self._server(server, n), FAILED.get(outcome, outcome)
            if dropped or outcome == "closed":
                if dropped:
                    _inc(d["kiro_mcp_connection_drops"], (server,), n)
                _observe(d["mcp_client_session_duration_seconds"], (server,),
                         SESSION_BOUNDS, durations)
            else:
                if transport not in st:
                    transport = admit("transport", transport, n)
                _inc(d["kiro_mcp_connections"], (server, transport, outcome), n)
                etype = "" if outcome == "success" else "connection_failed"
                _observe(d["mcp_client_operation_duration_seconds"],
                         (server, "initialize", "", etype), MCP_OP_BOUNDS, durations)
                if reconnect and outcome == "success":  # re-established a dropped session
                    _inc(d["kiro_mcp_reconnects"], (server,), n)
        for ev in in_order:  # folds were counted above
            server = self._server(ev.server, 0)
            self._proc(d, server, ev.cpu_seconds, ev.rss_bytes)
            if ev.protocol_version and ev.outcome == "success" and not ev.dropped:
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
        """Count per (server, direction), then guard and add per distinct pair."""
        counts: dict = {}
        for ev in evs:
            key = (ev.server, ev.direction)
            c = counts.get(key)
            if c is None:
                c = counts[key] = [0]
            c[0] += 1
        sd, admit = self._label("direction")
        notes = d["kiro_mcp_notifications"]
        for (server, direction), (n,) in counts.items():
            direction = direction if direction in sd else admit("direction", direction, n)
            notes[(self._server(server, n), direction)][0] += n

    # ---- autonomous decisions and tasks --------------------------------------------------
    def _decision_series(self, d, raw) -> DecisionSeries:
        (action,), folded = self._admit(("action",), raw[:1])
        outcome = FAILED.get(raw[1], raw[1])
        return DecisionSeries(d["kiro_autonomy_decisions"][(action, outcome)], (action,),
                              folded)

    def _decisions(self, d, evs):
        """Group by action, outcome and the two flags; only the duration per event."""
        groups = {}
        for ev in evs:
            key = (ev.action, ev.outcome, ev.escalated, ev.rolled_back)
            durations = groups.get(key)
            if durations is None:
                durations = groups[key] = []
            durations.append(ev.duration_seconds)
        cache = d.setdefault("#decision", {})
        hist = d["kiro_autonomy_decision_duration_seconds"]
        for key, durations in groups.items():
            s = self._cached(cache, key[:2], self._decision_series, d)
            n = len(durations)
            s.decisions[0] += n
            _observe(hist, s.action_key, DECISION_BOUNDS, durations)
            escalated, rolled_back = key[2:]
            if escalated:
                _inc(d["kiro_autonomy_escalations"], s.action_key, n)
            if rolled_back:
                _inc(d["kiro_autonomy_rollbacks"], s.action_key, n)
            if s.folded:
                self._count_folds(s.folded, n)

    def _task_series(self, d, raw) -> TaskSeries:
        (task,), folded = self._admit(("task",), raw[:1])
        return TaskSeries(d["kiro_autonomy_tasks"][(task, TASK_CANON.get(raw[1], raw[1]))],
                          folded)

    def _tasks(self, d, evs):
        """Tasks carry no measurement, so grouping saves nothing here: per event, one
        look-up of the (task, outcome) series in this delta's cache and a cell increment."""
        cache = d.setdefault("#task", {})
        manual = 0
        for ev in evs:
            raw = (ev.task, ev.outcome)
            s = cache.get(raw)
            if s is None:
                s = self._cached(cache, raw, self._task_series, d)
            s.tasks[0] += 1
            if s.folded:
                self._count_folds(s.folded)
            if ev.human_intervention:
                manual += 1
        if manual:
            _inc(d["kiro_manual_interventions"], ("autonomy",), manual)

    # ---- deployments; the low-volume types per event -------------------------------------
    def _service(self, name: str, n: int = 1) -> str:
        ss, admit = self._label("service")
        return name if name in ss else admit("service", name, n)

    def _deploys(self, d, evs):
        """Group by (service, outcome), the two durations per event."""
        groups = {}
        for ev in evs:
            key = (ev.service, ev.outcome)
            g = groups.get(key)
            if g is None:
                g = groups[key] = ([], [])
            g[0].append(ev.lead_time_seconds)
            g[1].append(ev.duration_seconds)
        for (service, outcome), (leads, durations) in groups.items():
            n = len(leads)
            service = self._service(service, n)
            _inc(d["kiro_deployments"], (service, FAILED.get(outcome, outcome)), n)
            _observe(d["kiro_deployment_lead_time_seconds"], (service,), LEAD_BOUNDS, leads)
            _observe(d["kiro_deployment_duration_seconds"], (service,), DEPLOY_BOUNDS,
                     durations)

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
