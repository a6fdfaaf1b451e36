"""Deliver events to the exporter over HTTP, or append them to a local NDJSON spool.

Both the hook wrapper and the MCP proxy sit in Kiro's critical path, so delivery must
never be slow and never fail loudly: a raw socket with a short connect and read budget
(no `requests` import, which alone costs tens of milliseconds of start-up), and on any
network failure one `O_APPEND` write to the spool file that the exporter's file source
tails. Nothing here writes to stdout or stderr: those belong to Kiro.

The budget bounds the delay even for a wedged exporter: 50 ms to connect (a closed
port refuses at once on loopback) and 50 ms for the answer. A request that was sent in
full but not answered in time counts as sent, not spooled: an exporter that is merely
slow will still count it, and spooling it too would count it twice. So delivery is at
most once in that one corner, and a refused connection, a failed send or a refusal
without processing (below) goes to the spool. A 400 (invalid events) is final:
spooling them would only have them refused again. Other refusals (no or wrong token, too large, busy) go to the spool,
which the exporter reads without a token. Only plain `http://` is spoken; with an
`https://` exporter URL every event goes to the spool.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket

DEFAULT_EXPORTER_URL = "http://127.0.0.1:9478"  # perfcycle-exporter default listen
INGEST_PATH = "/api/v1/events"
CONNECT_TIMEOUT = 0.05
READ_TIMEOUT = 0.05
MAX_SPOOL_BYTES = 64 * 1024 * 1024

HTTP, SENT, SPOOL, REJECTED, LOST = "http", "sent", "spool", "rejected", "lost"


class _Unanswered(Exception):
    """The request went out in full; no status line came back within the budget."""


def exporter_url(explicit: str | None = None) -> str:
    """The flag wins over PERFCYCLE_EXPORTER_URL, which wins over the loopback default."""
    return explicit or os.environ.get("PERFCYCLE_EXPORTER_URL") or DEFAULT_EXPORTER_URL


def default_spool_path() -> str:
    """~/.cache/perfcycle/spool/kiro-events.ndjson, honouring XDG_CACHE_HOME."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "perfcycle", "spool", "kiro-events.ndjson")


def spool_path(explicit: str | None = None) -> str:
    """The flag wins over PERFCYCLE_SPOOL, which wins over the per-user default."""
    return explicit or os.environ.get("PERFCYCLE_SPOOL") or default_spool_path()


def split_command(argv: list[str]) -> tuple[list[str], list[str]]:
    """Our options before the first `--`, the wrapped command (untouched) after it."""
    if "--" in argv:
        i = argv.index("--")
        return argv[:i], argv[i + 1:]
    return argv, []


def add_flags(parser) -> None:
    """`--exporter` and `--spool`, shared by the hook wrapper and the MCP proxy."""
    parser.add_argument("--exporter", default=None,
                        help=f"exporter URL (env PERFCYCLE_EXPORTER_URL, "
                             f"default {DEFAULT_EXPORTER_URL})")
    parser.add_argument("--spool", default=None,
                        help="NDJSON spool used when the exporter is unreachable (env "
                             "PERFCYCLE_SPOOL, default "
                             "~/.cache/perfcycle/spool/kiro-events.ndjson)")


def encode(events: list[dict]) -> bytes:
    """NDJSON: one compact JSON object per line, each line ending in a newline."""
    return b"".join(json.dumps(e, separators=(",", ":")).encode() + b"\n" for e in events)


def _target(url: str) -> tuple[str, int, str]:
    """(host, port, ingest path) of an http:// URL; parsed by hand because importing
    urllib.parse would cost every hook run more start-up time than the whole POST."""
    if not url.startswith("http://"):
        raise ValueError(f"exporter URL must be http://host:port, got {url!r}")
    netloc, slash, path = url[7:].partition("/")
    host, port = netloc, "80"
    if netloc.startswith("["):                       # [::1]:9478
        host, _, rest = netloc[1:].partition("]")
        port = rest[1:] if rest.startswith(":") else "80"
    elif ":" in netloc:
        host, _, port = netloc.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"exporter URL must be http://host:port, got {url!r}")
    path = ("/" + path).rstrip("/") if slash else ""
    if not path.endswith(INGEST_PATH):
        path += INGEST_PATH
    return host, int(port), path


def _auth_header() -> str:
    """`Authorization` for an exporter started with `web.auth.token_file`: the same token,
    read from the file named by PERFCYCLE_EXPORTER_TOKEN_FILE (never from argv, where
    other users could see it)."""
    path = os.environ.get("PERFCYCLE_EXPORTER_TOKEN_FILE")
    if not path:
        return ""
    try:
        with open(path, "rb") as fh:
            token = fh.read().strip().decode("ascii")
    except (OSError, UnicodeDecodeError):
        return ""
    return f"Authorization: Bearer {token}\r\n" if token else ""


def post(url: str, body: bytes, connect_timeout: float = CONNECT_TIMEOUT,
         read_timeout: float = READ_TIMEOUT) -> int:
    """POST NDJSON and return the HTTP status; raises OSError when the exporter is away."""
    host, port, path = _target(url)
    head = (f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            f"Content-Type: application/x-ndjson\r\nContent-Length: {len(body)}\r\n"
            f"{_auth_header()}Connection: close\r\n\r\n").encode()
    with socket.create_connection((host, port), timeout=connect_timeout) as sock:
        sock.settimeout(max(read_timeout, 1.0))     # the send itself may take a moment
        sock.sendall(head + body)
        sock.settimeout(read_timeout)
        status_line = b""
        try:
            while b"\r\n" not in status_line and len(status_line) < 256:
                chunk = sock.recv(256)
                if not chunk:
                    break
                status_line += chunk
        except socket.timeout:
            raise _Unanswered() from None
    fields = status_line.split(b" ", 2)
    if len(fields) < 2 or not fields[1].isdigit():
        raise OSError(f"no HTTP status from exporter: {status_line[:40]!r}")
    return int(fields[1])


def _open_locked(path: str) -> int:
    """The spool, opened for append and locked; reopened if another process rotated it
    between our open and our lock, so nothing is written to an already-rotated file."""
    for _ in range(5):
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        try:
            if os.stat(path).st_ino == os.fstat(fd).st_ino:
                return fd
        except FileNotFoundError:
            pass
        os.close(fd)
    raise OSError("spool keeps being rotated under us")


def append_spool(path: str, data: bytes, max_bytes: int = MAX_SPOOL_BYTES) -> None:
    """Append whole lines in one locked write, so concurrent hooks never interleave.

    Past `max_bytes` the file is renamed to `<path>.1` (replacing an older one) and a new
    one begun: the exporter's tail finishes a rotated file it was reading, so only a
    spool that outgrows the limit twice while the exporter is down loses events."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fd = _open_locked(path)
    try:
        st = os.fstat(fd)
        if st.st_size and st.st_size + len(data) > max_bytes:
            os.replace(path, path + ".1")
            os.close(fd)
            fd = -1
            fd = _open_locked(path)
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        if fd >= 0:
            os.close(fd)


def deliver(events: list[dict], url: str | None = None, spool: str | None = None,
            connect_timeout: float = CONNECT_TIMEOUT, read_timeout: float = READ_TIMEOUT) -> str:
    """Send `events`; returns HTTP, SENT, SPOOL, REJECTED or LOST. Never raises."""
    if not events:
        return HTTP
    body = encode(events)
    try:
        status = post(exporter_url(url), body, connect_timeout, read_timeout)
    except _Unanswered:
        return SENT
    except (OSError, ValueError):
        status = None
    if status is not None:
        if 200 <= status < 300:
            return HTTP
        if 400 <= status < 500 and status not in (401, 403, 404, 408, 413, 429):
            return REJECTED   # invalid events: the file source would refuse them too
    try:
        append_spool(spool_path(spool), body)
        return SPOOL
    except OSError:
        return LOST
