"""The exporter process: wiring of store, sources and collectors, and its HTTP routes.

`/metrics` is the store's own renderer (fast, cached per family) followed by
`generate_latest` over a private registry that holds self-metrics, derived KPIs, config
gauges and any extra collectors. The HTTP plumbing is `httpserver` (keep-alive,
TCP_NODELAY, one write per response).
"""

from __future__ import annotations

import hmac
import importlib
import json
import logging
import ssl
import threading

from prometheus_client import CollectorRegistry, Histogram, ProcessCollector, generate_latest
from prometheus_client.core import GaugeMetricFamily

from .config import Config, ConfigError
from .derived import Derived
from .guard import Guard
from .httpserver import Request, Response, Server
from .ingest import Ingestor, SelfMetrics
from .aggregate import Aggregator
from .metrics import make_store

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
        self.agg.on_optimization = self.derived.add
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
        for i, o in enumerate(self.cfg.optimizations):
            body = json.dumps(dict(o, type="optimization"), default=str).encode()
            res = self.ingestor.ingest_bytes(body, False, "config")
            if res.rejected:
                raise ConfigError(f"optimizations[{i}]: {res.errors[0]['error']}")

    def metrics_text(self) -> bytes:
        return self.store.render() + generate_latest(self.registry)

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
        self.httpd = Server((host, port), self)
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

    # ---- HTTP routes ------------------------------------------------------------------
    def handle(self, req: Request, conn) -> Response:
        if req.method == "GET":
            if req.path == "/metrics":
                return Response(200, self.metrics_text(), METRICS_CTYPE)
            if req.path == "/-/healthy":
                return Response(200, b"OK\n")
            if req.path == "/-/ready":
                ok = self.ready.is_set()
                return Response(200 if ok else 503, b"OK\n" if ok else b"starting\n")
            if req.path == "/":
                return Response(200, b"<html><body><h1>perfcycle exporter</h1>"
                                b"<a href='/metrics'>metrics</a></body></html>\n", "text/html")
            return _json(404, {"error": "not found"})
        if req.method != "POST":
            return _json(405, {"error": "method not allowed"}, close=True,
                         headers=(("Allow", "GET, POST"),))
        if req.path != "/api/v1/events":
            return _json(404, {"error": "not found"}, close=True)
        return self._ingest(req, conn)

    def _ingest(self, req: Request, conn) -> Response:
        h = req.headers
        if not self.check_token(h.get("authorization")):
            return _json(401, {"error": "missing or invalid bearer token"}, close=True,
                         headers=(("WWW-Authenticate", 'Bearer realm="perfcycle-exporter"'),))
        if "transfer-encoding" in h:
            return _json(411, {"error": "send a Content-Length, not chunked encoding"},
                         close=True)
        length = h.get("content-length")
        if length is None or not length.isdigit():
            return _json(411, {"error": "Content-Length required"}, close=True)
        n = int(length)
        limit = self.cfg.max_body_bytes
        if n > limit:
            return _json(413, {"error": f"body of {n} bytes exceeds the limit of {limit} bytes"},
                         close=True)
        conn.continue_100(req)
        body = req.rfile.read(n)
        if len(body) < n:
            return _json(400, {"error": "body shorter than Content-Length"}, close=True)
        ctype = h.get("content-type", "").partition(";")[0].strip().lower()
        res = self.ingestor.ingest_bytes(body, ctype in NDJSON_TYPES, "http")
        if res.rejected == 0:  # the common answer, without json.dumps
            return Response(200, b'{"accepted": %d, "rejected": 0}' % res.accepted, JSON_CTYPE)
        return _json(400, res.body())

    def stop(self) -> None:
        """Stop serving, then sources (each writes its final checkpoint)."""
        if self.httpd is not None:
            self.httpd.shutdown()
            self.httpd.server_close()
        for t in self.tails:
            t.stop()
        self.derived.stop()


def _json(status: int, obj, close: bool = False, headers: tuple = ()) -> Response:
    return Response(status, json.dumps(obj).encode(), JSON_CTYPE, headers, close)


def _load_plugin(spec: str):
    mod, _, attr = spec.partition(":")
    try:
        return getattr(importlib.import_module(mod), attr or "collector")
    except (ImportError, AttributeError) as e:
        raise ConfigError(f"collectors: cannot load {spec!r}: {e}") from None
