"""Configuration: `exporter.yaml` keys, command-line flags over them, one typed object.

Every key is documented in docs/exporter.md. Flags win over the file so one config can
serve several local runs. Errors are `ConfigError`, turned into exit code 2 by main.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

import yaml

from .events import parse_duration

DEFAULT_LISTEN = "127.0.0.1:9478"


class ConfigError(ValueError):
    pass


@dataclass
class FileSource:
    path: str
    start_at: str = "beginning"  # or "end": where to start with no checkpoint


@dataclass
class Config:
    listen_address: str = DEFAULT_LISTEN
    tls_cert_file: str | None = None
    tls_key_file: str | None = None
    auth_token_file: str | None = None
    max_body_bytes: int = 10 * 1024 * 1024
    max_label_values: int = 200
    files: list[FileSource] = field(default_factory=list)
    checkpoint_dir: str = ".exporter-checkpoints"
    poll_interval: float = 0.5
    prometheus_url: str | None = None
    prometheus_timeout: float = 5.0
    refresh_interval: float = 60.0
    optimizations: list[dict] = field(default_factory=list)
    budgets: dict[str, float] = field(default_factory=dict)
    ebs_volumes: dict[str, float] = field(default_factory=dict)
    collectors: list[str] = field(default_factory=list)
    discovery_workspace: str | None = None  # Kiro workspace to inventory (sources/discovery)
    raw: dict = field(default_factory=dict)

    @property
    def host_port(self) -> tuple[str, int]:
        host, sep, port = self.listen_address.rpartition(":")
        if not sep or not port.isdigit():
            raise ConfigError(f"listen address must be HOST:PORT: {self.listen_address!r}")
        return (host.strip("[]") or "127.0.0.1", int(port))


def _number_map(raw, key: str) -> dict[str, float]:
    m = raw.get(key) or {}
    if not isinstance(m, dict):
        raise ConfigError(f"{key}: must be a map of name to number")
    out = {}
    for k, v in m.items():
        if type(v) not in (int, float):
            raise ConfigError(f"{key}.{k}: must be a number, got {v!r}")
        out[str(k)] = float(v)
    return out


def _positive_int(value, path: str) -> int:
    """A count such as a byte limit: a plain positive integer, not ``10MB`` or ``-1``."""
    if type(value) is not int or value <= 0:
        raise ConfigError(f"{path}: must be a positive integer, got {value!r}")
    return value


def _duration(value, path: str) -> float:
    """Seconds from a positive number or a Prometheus duration (``30s``, ``5m``), named by ``path``
    on error: a zero or negative interval would spin a loop or time out every query."""
    try:
        return parse_duration(value)
    except ValueError:
        raise ConfigError(f"{path}: must be a positive duration like 30s or 5m, got {value!r}") from None


def from_dict(raw: dict) -> Config:
    """Build a Config from the YAML mapping (see docs/exporter.md for the keys)."""
    if not isinstance(raw, dict):
        raise ConfigError("config file must hold a mapping")
    c = Config(raw=raw)
    web = raw.get("web") or {}
    c.listen_address = str(web.get("listen_address", c.listen_address))
    tls = web.get("tls") or {}
    c.tls_cert_file, c.tls_key_file = tls.get("cert_file"), tls.get("key_file")
    if bool(c.tls_cert_file) != bool(c.tls_key_file):
        raise ConfigError("web.tls: cert_file and key_file go together")
    c.auth_token_file = (web.get("auth") or {}).get("token_file")
    c.max_body_bytes = _positive_int(web.get("max_body_bytes", c.max_body_bytes), "web.max_body_bytes")
    c.max_label_values = _positive_int((raw.get("cardinality") or {}).get("max_values_per_label",
                                                                          c.max_label_values),
                                       "cardinality.max_values_per_label")
    for i, f in enumerate(raw.get("files") or []):
        f = {"path": f} if isinstance(f, str) else f
        if not isinstance(f, dict) or not f.get("path"):
            raise ConfigError(f"files[{i}]: needs a path")
        if f.get("start_at", "beginning") not in ("beginning", "end"):
            raise ConfigError(f"files[{i}].start_at: beginning or end")
        c.files.append(FileSource(str(f["path"]), f.get("start_at", "beginning")))
    c.checkpoint_dir = str(raw.get("checkpoint_dir", c.checkpoint_dir))
    prom = raw.get("prometheus") or {}
    c.prometheus_url = prom.get("url")
    c.poll_interval = _duration(raw.get("poll_interval", c.poll_interval), "poll_interval")
    c.prometheus_timeout = _duration(prom.get("timeout", c.prometheus_timeout), "prometheus.timeout")
    c.refresh_interval = _duration(prom.get("refresh_interval", c.refresh_interval), "prometheus.refresh_interval")
    c.optimizations = list(raw.get("optimizations") or [])
    c.budgets = _number_map(raw, "budgets")
    c.ebs_volumes = _number_map(raw, "ebs_volumes")
    c.collectors = [str(s) for s in raw.get("collectors") or []]
    c.discovery_workspace = (raw.get("discovery") or {}).get("workspace")
    return c


def add_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", help="YAML config file (flags override it)")
    p.add_argument("--web.listen-address", dest="listen_address",
                   help=f"HOST:PORT to listen on (default {DEFAULT_LISTEN})")
    p.add_argument("--web.tls-cert-file", dest="tls_cert_file")
    p.add_argument("--web.tls-key-file", dest="tls_key_file")
    p.add_argument("--web.auth-token-file", dest="auth_token_file",
                   help="file holding the bearer token required on the ingest API")
    p.add_argument("--web.max-body-bytes", dest="max_body_bytes", type=int)
    p.add_argument("--cardinality.max-values-per-label", dest="max_label_values", type=int)
    p.add_argument("--file", dest="files", action="append", metavar="PATH",
                   help="NDJSON file to tail (repeatable; added to the config's files)")
    p.add_argument("--checkpoint-dir", dest="checkpoint_dir")
    p.add_argument("--prometheus.url", dest="prometheus_url")
    p.add_argument("--discovery.workspace", dest="discovery_workspace",
                   help="Kiro workspace whose hooks and mcp.json to inventory")
    p.add_argument("--prometheus.refresh-interval", dest="refresh_interval")
    p.add_argument("--prometheus.timeout", dest="prometheus_timeout")


def load(args: argparse.Namespace) -> Config:
    raw = {}
    if args.config:
        try:
            with open(args.config, encoding="utf-8") as fh:
                raw = yaml.safe_load(fh) or {}
        except (OSError, yaml.YAMLError) as e:
            raise ConfigError(f"{args.config}: {e}") from None
    c = from_dict(raw)
    for key in ("listen_address", "tls_cert_file", "tls_key_file", "auth_token_file",
                "checkpoint_dir", "prometheus_url", "discovery_workspace"):
        v = getattr(args, key, None)
        if v is not None:
            setattr(c, key, v)
    for key, flag in (("refresh_interval", "--prometheus.refresh-interval"),
                      ("prometheus_timeout", "--prometheus.timeout")):
        v = getattr(args, key, None)
        if v is not None:
            setattr(c, key, _duration(float(v) if v.replace(".", "", 1).isdigit() else v, flag))
    for key, flag in (("max_body_bytes", "--web.max-body-bytes"),
                      ("max_label_values", "--cardinality.max-values-per-label")):
        v = getattr(args, key, None)
        if v is not None:  # the file's value was checked by from_dict
            setattr(c, key, _positive_int(v, flag))
    c.files += [FileSource(p) for p in getattr(args, "files", None) or []]
    if bool(c.tls_cert_file) != bool(c.tls_key_file):
        raise ConfigError("TLS needs both a cert file and a key file")
    c.host_port  # validate early
    return c
