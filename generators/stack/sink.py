"""A webhook sink: records every notification Alertmanager posts, so tests can read them back.

``python -m generators.stack.sink --listen 127.0.0.1:PORT --out FILE`` appends each JSON body
as one line (with the time received and the request path) to FILE and serves them all at
``GET /notifications``. Small on purpose: the point is to see exactly what Alertmanager sent.
"""
from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _Handler(BaseHTTPRequestHandler):
    out: Path
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            self._reply(400, {"error": "body is not JSON"})
            return
        record = {"received": time.time(), "path": self.path, "payload": payload}
        with self.lock, self.out.open("a", encoding="utf-8") as handle:
            handle.write(json.dumps(record, sort_keys=True) + "\n")
        self._reply(200, {"status": "recorded"})

    def do_GET(self) -> None:  # noqa: N802
        if self.path.rstrip("/") in ("", "/-/ready", "/-/healthy"):
            self._reply(200, {"status": "ok"})
        elif self.path.startswith("/notifications"):
            self._reply(200, read(self.out))
        else:
            self._reply(404, {"error": "not found"})

    def _reply(self, code: int, data: object) -> None:
        body = json.dumps(data).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args) -> None:
        pass


def read(path: Path) -> list[dict]:
    """Every recorded notification, oldest first."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="perfcycle-sink", description=__doc__.splitlines()[0])
    parser.add_argument("--listen", default="127.0.0.1:9095")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    host, port = args.listen.rsplit(":", 1)
    handler = type("Handler", (_Handler,), {"out": args.out})
    args.out.parent.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer((host, int(port)), handler)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
