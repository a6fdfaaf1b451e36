"""The synthetic exporter: serves, live, the same series the history backfilled.

On one machine there is no kube-state-metrics, Envoy or OpenCost; this process stands in for
them (and adds a trickle of ``kiro_*`` series under names of its own), exposing each
planned series at its value *now*, computed by the same function that wrote its history, so
history and live scrapes join into one series. Prometheus scrapes it with
``honor_labels: true`` to keep each series' ``job`` and ``instance``.

``python -m generators.stack.synthetic --listen 127.0.0.1:PORT --plans .stack/history/plans.json``
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from .history import value_functions
from .series import Plan


def save_plans(plans: list[Plan], path: Path) -> None:
    data = [{**asdict(p), "offsets": sorted(p.offsets), "labels": list(p.labels), "weights": list(p.weights)}
            for p in plans]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))


def load_plans(path: Path) -> list[Plan]:
    return [Plan(**{**d, "offsets": frozenset(d["offsets"]), "labels": tuple(d["labels"]),
                    "weights": tuple(d["weights"])}) for d in json.loads(path.read_text())]


def exposition(functions, now: float) -> bytes:
    """Prometheus text format (untyped samples, no timestamps: the scrape time applies)."""
    return "".join(f"{series} {value_at(now):.12g}\n" for series, value_at in functions).encode()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="perfcycle-synthetic", description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:9479")
    parser.add_argument("--plans", required=True, type=Path)
    args = parser.parse_args(argv)
    functions = [f for plan in load_plans(args.plans) for f in value_functions(plan)]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            body = exposition(functions, time.time()) if self.path.startswith("/metrics") else b"ok\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args) -> None:
            pass

    host, port = args.listen.rsplit(":", 1)
    try:
        ThreadingHTTPServer((host, int(port)), Handler).serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
