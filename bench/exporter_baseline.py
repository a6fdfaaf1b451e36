"""The naive baseline of bench/exporter.py, run as its own process.

`python bench/exporter_baseline.py [--no-nodelay]`: the stdlib `http.server`
(ThreadingHTTPServer, HTTP/1.1 keep-alive) with `json.loads` and
`Counter.labels().inc()` per event, as a first exporter would be written; prints its
port. `--no-nodelay` leaves Nagle on (the stdlib default), which stalls each small
response ~40 ms against a client with delayed ACKs.

`python bench/exporter_baseline.py --time-generate-latest N REPS`: median seconds of
`generate_latest` alone over a registry with N counter series.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve_baseline(nodelay: bool) -> None:
    from prometheus_client import CollectorRegistry, Counter, generate_latest
    reg = CollectorRegistry()
    events = Counter("bench_events", "Events by type and outcome.", ["type", "outcome"],
                     registry=reg)

    class H(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            if nodelay:
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *a):
            pass

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            n = 0
            for line in body.splitlines():
                if line.strip():
                    ev = json.loads(line)
                    events.labels(ev["type"], ev.get("outcome") or "").inc()
                    n += 1
            out = json.dumps({"accepted": n, "rejected": 0}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def do_GET(self):
            out = generate_latest(reg)
            self.send_response(200)
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


def _generate_latest_time(n: int, reps: int) -> float:
    from prometheus_client import CollectorRegistry, Counter, generate_latest
    reg = CollectorRegistry()
    c = Counter("kiro_autonomy_tasks", "Automated tasks by final state.", ["task", "outcome"],
                registry=reg)
    for i in range(n):
        c.labels(f"task-{i}", "success").inc()
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        generate_latest(reg)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)



def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--nodelay", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--time-generate-latest", nargs=2, type=int, metavar=("N", "REPS"))
    a = p.parse_args()
    if a.time_generate_latest:
        print(_generate_latest_time(*a.time_generate_latest))
    else:
        serve_baseline(a.nodelay)
    return 0


if __name__ == "__main__":
    sys.exit(main())
