"""The exporter process: wiring of store, sources and collectors, and its HTTP server.

The server is the stdlib `ThreadingHTTPServer` speaking HTTP/1.1 keep-alive with
TCP_NODELAY and each response written in one `write`: without that, Nagle plus the
client's delayed ACK stall every small response by ~40 ms on Linux. `/metrics` is the
store's own renderer (fast, cached per family) followed by `generate_latest` over a
private registry that holds self-metrics, derived KPIs and any extra collectors.
"""

from __future__ import annotations

import hmac
import importlib
import json
import logging
import socket
import socketserver
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, Histogram, ProcessCollector, generate_latest
from prometheus_client.core import GaugeMetricFamily

from .config import Config, ConfigError
from .derived import Derived
from .guard import Guard
from .ingest import Ingestor, SelfMetrics
from .metrics import Aggregator, make_store

log = logging.getLogger("exporter")

METRICS_CTYPE = "text/plain; version=0.0.4; charset=utf-8"
JSON_CTYPE = "application/json"
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl",
                "application/x-jsonlines")
INGEST_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                  0.25, 0.5, 1, 2.5)


class ConfigGauges:
    """Static gauges from the config file: monthly budgets and provisioned EBS IOPS."""

    def __init__(self, cfg: Config):
        self.budgets, self.ebs = dict(cfg.budgets), dict(cfg.ebs_volumes)

    def describe(self):
        return []

    def collect(self):
        b = GaugeMetricFamily("kiro_budget_monthly_cost", "Monthly budget per scope (config).",
                              labels=("scope",))
        for k, v in sorted(self.budgets.items()):
            b.add_metric((k,), v)
        e = GaugeMetricFamily("kiro_ebs_volume_provisioned_iops",
                              "Provisioned IOPS per EBS volume (config).", labels=("volume_id",))
        for k, v in sorted(self.ebs.items()):
            e.add_metric((k,), v)
        return [b, e]


class Exporter:
    """Everything but the socket: build with a Config, then `serve()` or use `ingestor`."""

    def __init__(self, cfg: Config):
        self.cfg = cfg
        self.store = make_store()
        self.guard = Guard(cfg.max_label_values)
        self.agg = Aggregator(self.store, self.guard)
        self.registry = CollectorRegistry(auto_describe=True)
        self.selfm = SelfMetrics(self.guard)
        self.registry.register(self.selfm)
        latency = Histogram("kiro_exporter_ingest_duration_seconds",
                            "Seconds to decode, validate and count one request or file chunk.",
                            ("source",), registry=self.registry, buckets=INGEST_BUCKETS)
        self.ingestor = Ingestor(self.agg, self.selfm, latency)
        self.derived = Derived(cfg.prometheus_url, cfg.prometheus_timeout, cfg.refresh_interval,
                               self.guard)
        self.agg.apply_one["optimization"] = lambda d, f: self.derived.add(f)
        self.registry.register(self.derived)
        self.registry.register(ConfigGauges(cfg))
        ProcessCollector(registry=self.registry)
        self.token = None
        if cfg.auth_token_file:
            try:
                with open(cfg.auth_token_file, "rb") as fh:
                    self.token = fh.read().strip()
            except OSError as e:
                raise ConfigError(f"auth token file: {e.strerror}") from None
            if not self.token:
                raise ConfigError("auth token file is empty")
        self.tails = []
        self.ready = threading.Event()
        self.httpd = None
        for spec in cfg.collectors:
            self.register_collector(_load_plugin(spec)(self))
        if cfg.discovery_workspace:
            from .sources import discovery
            self.register_collector(discovery.collector(self))
        self._seed_optimizations()

    def register_collector(self, collector) -> None:
        """Hook for extra collectors (e.g. workspace discovery): scraped with /metrics."""
        if collector is not None:
            self.registry.register(collector)

    def _seed_optimizations(self) -> None:
        from .events import EventError, optimization
        for i, o in enumerate(self.cfg.optimizations):
            try:
                self.derived.add(optimization(o))
            except EventError as e:
                raise ConfigError(f"optimizations[{i}].{e.field}: {e}") from None

    def metrics_text(self) -> bytes:
        return self.store.render().encode() + generate_latest(self.registry)

    def check_token(self, header: str | None) -> bool:
        if self.token is None:
            return True
        if not header or not header.startswith("Bearer "):
            return False
        return hmac.compare_digest(header[7:].strip().encode(), self.token)

    # ---- lifecycle --------------------------------------------------------------------
    def start(self) -> tuple[str, int]:
        """Bind, start sources and the serving thread; return the bound address."""
        from .sources.filetail import FileTail
        host, port = self.cfg.host_port
        self.httpd = _Server((host, port), Handler)
        self.httpd.app = self
        if self.cfg.tls_cert_file:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.minimum_version = ssl.TLSVersion.TLSv1_2
            ctx.load_cert_chain(self.cfg.tls_cert_file, self.cfg.tls_key_file)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True,
                                                do_handshake_on_connect=False)
        for fs in self.cfg.files:
            t = FileTail(fs.path, self.cfg.checkpoint_dir, self.ingestor, self.selfm,
                         self.cfg.poll_interval, fs.start_at)
            t.start()
            self.tails.append(t)
        self.derived.start()
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.2},
                         name="http", daemon=True).start()
        self.ready.set()
        return self.httpd.server_address[:2]

    def stop(self) -> None:
        """Stop serving, then sources (each writes its final checkpoint)."""
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
        for t in self.tails:
            t.stop()
        self.derived.stop()


def _load_plugin(spec: str):
    mod, _, attr = spec.partition(":")
    try:
        return getattr(importlib.import_module(mod), attr or "collector")
    except (ImportError, AttributeError) as e:
        raise ConfigError(f"collectors: cannot load {spec!r}: {e}") from None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def server_bind(self):
        # skip HTTPServer's getfqdn(): a reverse DNS lookup we never need
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        log.debug("connection error from %s", client_address, exc_info=True)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "perfcycle-exporter"
    timeout = 60  # idle keep-alive connections are closed after this

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):  # no per-request logs; never log headers
        pass

    def _reply(self, code: int, body: bytes, ctype: str = JSON_CTYPE, extra: str = ""):
        reason = self.responses.get(code, ("",))[0]
        head = (f"HTTP/1.1 {code} {reason}\r\nContent-Type: {ctype}\r\n"
                f"Content-Length: {len(body)}\r\n{extra}")
        if self.close_connection:
            head += "Connection: close\r\n"
        self.wfile.write(head.encode("latin-1") + b"\r\n" + body)

    def _json(self, code: int, obj, extra: str = "", close: bool = False):
        if close:
            self.close_connection = True
        self._reply(code, json.dumps(obj).encode(), JSON_CTYPE, extra)

    def do_GET(self):
        app = self.server.app
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._reply(200, app.metrics_text(), METRICS_CTYPE)
        elif path == "/-/healthy":
            self._reply(200, b"OK\n", "text/plain")
        elif path == "/-/ready":
            ok = app.ready.is_set()
            self._reply(200 if ok else 503, b"OK\n" if ok else b"starting\n", "text/plain")
        elif path == "/":
            self._reply(200, b"<html><body><h1>perfcycle exporter</h1>"
                        b"<a href='/metrics'>metrics</a></body></html>\n", "text/html")
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self):
        app = self.server.app
        if self.path.split("?", 1)[0] != "/api/v1/events":
            return self._json(404, {"error": "not found"}, close=True)
        if not app.check_token(self.headers.get("Authorization")):
            return self._json(401, {"error": "missing or invalid bearer token"},
                              'WWW-Authenticate: Bearer realm="perfcycle-exporter"\r\n', True)
        if self.headers.get("Transfer-Encoding"):
            return self._json(411, {"error": "send a Content-Length, not chunked encoding"},
                              close=True)
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            return self._json(411, {"error": "Content-Length required"}, close=True)
        n = int(length)
        if n > app.cfg.max_body_bytes:
            return self._json(413, {"error": f"body of {n} bytes exceeds the limit of "
                                             f"{app.cfg.max_body_bytes} bytes"}, close=True)
        body = self.rfile.read(n)
        if len(body) < n:
            self.close_connection = True
            return
        ctype = (self.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        res = app.ingestor.ingest_bytes(body, ctype in NDJSON_TYPES, "http")
        self._json(200 if res.rejected == 0 else 400, res.body())

    def do_PUT(self):
        self._json(405, {"error": "use POST"}, "Allow: POST\r\n", True)

    do_DELETE = do_PATCH = do_PUT
