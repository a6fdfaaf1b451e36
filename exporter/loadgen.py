"""`perfcycle-exporter loadgen`: a realistic event stream, with an injectable incident.

Steady traffic mixes hook runs, MCP requests and connections, autonomous decisions and
tasks, and the odd deployment. An incident window adds one of: a hook failure spike
(`hook-failures`), an MCP latency regression (`mcp-latency`) or an autonomy rollback
wave (`rollback-wave`), so alerts and dashboards built from the spec can be watched
firing and resolving. Events go to the ingest API (NDJSON batches over one keep-alive
connection) or are appended to a spool file that the exporter tails.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import ssl
import sys
import time
from urllib.parse import urlsplit

HOOKS = [("lint-on-save", "fileEdited"), ("test-on-save", "fileEdited"),
         ("secret-scan", "promptSubmit"), ("format", "agentStop"), ("guard-shell", "preToolUse")]
SERVERS = [("github", "stdio"), ("aws-docs", "stdio"), ("fetch", "streamable-http")]
TOOLS = {"github": ["search_issues", "get_file"], "aws-docs": ["search", "read"],
         "fetch": ["fetch"]}
ACTIONS = ["scale_out", "rightsize", "restart_pod", "rollback_deploy"]
TASKS = ["dependency_update", "test_fix", "doc_sync"]
SERVICES = ["api", "web", "worker"]
INCIDENTS = ("none", "hook-failures", "mcp-latency", "rollback-wave")


def make_event(rng: random.Random, incident: str = "none") -> dict:
    """One event drawn from the steady mix, skewed by the active incident."""
    r = rng.random()
    if r < 0.40:
        hook, trigger = rng.choice(HOOKS)
        fail = 0.3 if incident == "hook-failures" else 0.02
        x = rng.random()
        outcome = "failure" if x < fail else "blocked" if x < fail + 0.03 else "success"
        ev = {"type": "hook.execution", "hook": hook, "trigger": trigger, "outcome": outcome,
              "duration_seconds": round(rng.lognormvariate(-1.5, 0.8), 4),
              "cpu_seconds": round(rng.uniform(0.01, 0.3), 4),
              "max_rss_bytes": rng.randrange(20_000_000, 200_000_000),
              "exit_code": {"success": 0, "blocked": 2}.get(outcome, 1)}
        if rng.random() < 0.01:
            ev["manual_intervention"] = True
        if rng.random() < 0.05:
            ev["detection"] = rng.choice(["true_positive"] * 8 + ["false_positive"] * 2)
        return ev
    if r < 0.80:
        server, _ = rng.choice(SERVERS)
        slow = 8.0 if incident == "mcp-latency" else 1.0
        ev = {"type": "mcp.request", "server": server, "method": "tools/call",
              "tool": rng.choice(TOOLS[server]),
              "duration_seconds": round(rng.lognormvariate(-2.5, 0.6) * slow, 4),
              "cache": "hit" if rng.random() < 0.3 else "miss", "batch_size": 1}
        if rng.random() < 0.02:
            ev.update(outcome="error", error_code=rng.choice([-32601, -32602, -32603]))
        return ev
    if r < 0.84:
        server, transport = rng.choice(SERVERS)
        if rng.random() < 0.1:
            return {"type": "mcp.connection", "server": server, "transport": transport,
                    "outcome": "closed", "dropped": rng.random() < 0.3,
                    "duration_seconds": round(rng.uniform(60, 7200), 1)}
        return {"type": "mcp.connection", "server": server, "transport": transport,
                "outcome": "success" if rng.random() < 0.98 else "failure",
                "duration_seconds": round(rng.lognormvariate(-1, 0.5), 4)}
    if r < 0.92:
        wave = incident == "rollback-wave"
        rolled = rng.random() < (0.4 if wave else 0.02)
        return {"type": "autonomy.decision", "action": rng.choice(ACTIONS),
                "outcome": "failure" if rolled or rng.random() < 0.03 else "success",
                "duration_seconds": round(rng.lognormvariate(-3, 0.7), 4),
                "escalated": rng.random() < (0.2 if wave else 0.03), "rolled_back": rolled}
    if r < 0.97:
        x = rng.random()
        return {"type": "autonomy.task", "task": rng.choice(TASKS),
                "outcome": "success" if x < 0.92 else "failed" if x < 0.97 else "canceled",
                "human_intervention": rng.random() < 0.05}
    if r < 0.99:
        return {"type": "mcp.notification", "server": rng.choice(SERVERS)[0],
                "direction": "server_to_client"}
    return {"type": "deployment", "service": rng.choice(SERVICES), "outcome": "success",
            "lead_time_seconds": round(rng.uniform(600, 86400)),
            "duration_seconds": round(rng.uniform(60, 900))}


def ndjson(events) -> bytes:
    return b"".join(json.dumps(e, separators=(",", ":")).encode() + b"\n" for e in events)


class Poster:
    """NDJSON batches to the ingest API over one keep-alive connection."""

    def __init__(self, url: str, token: str | None = None, timeout: float = 10):
        u = urlsplit(url)
        self.path = (u.path.rstrip("/") or "") + "/api/v1/events"
        if u.scheme == "https":
            ctx = ssl.create_default_context()
            ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
            self.conn = http.client.HTTPSConnection(u.hostname, u.port, timeout=timeout,
                                                    context=ctx)
        else:
            self.conn = http.client.HTTPConnection(u.hostname, u.port, timeout=timeout)
        self.headers = {"Content-Type": "application/x-ndjson"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def post(self, body: bytes) -> tuple[int, dict]:
        self.conn.request("POST", self.path, body, self.headers)
        r = self.conn.getresponse()
        return r.status, json.loads(r.read() or b"{}")


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="perfcycle-exporter loadgen", description=__doc__)
    p.add_argument("--url", default="http://127.0.0.1:9478", help="exporter base URL")
    p.add_argument("--spool", help="append NDJSON to this file instead of posting")
    p.add_argument("--rate", type=float, default=200, help="events per second")
    p.add_argument("--batch", type=int, default=100, help="events per request")
    p.add_argument("--duration", type=float, default=60, help="seconds to run (0 = forever)")
    p.add_argument("--incident", choices=INCIDENTS, default="none")
    p.add_argument("--incident-start", type=float, default=20, help="seconds into the run")
    p.add_argument("--incident-duration", type=float, default=20)
    p.add_argument("--token-file", help="bearer token file for the ingest API")
    p.add_argument("--seed", type=int, default=None)
    a = p.parse_args(argv)
    rng = random.Random(a.seed)
    token = open(a.token_file).read().strip() if a.token_file else None
    poster = None if a.spool else Poster(a.url, token)
    start = time.monotonic()
    sent = 0
    while a.duration <= 0 or time.monotonic() - start < a.duration:
        now = time.monotonic() - start
        active = a.incident_start <= now < a.incident_start + a.incident_duration
        body = ndjson(make_event(rng, a.incident if active else "none") for _ in range(a.batch))
        if poster is None:
            with open(a.spool, "ab") as fh:
                fh.write(body)
        else:
            status, res = poster.post(body)
            if status != 200:
                print(f"loadgen: HTTP {status}: {res}", file=sys.stderr)
        sent += a.batch
        delay = start + sent / a.rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    print(f"loadgen: sent {sent} events in {time.monotonic() - start:.1f}s", file=sys.stderr)
    return 0
