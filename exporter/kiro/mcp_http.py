"""`perfcycle-mcp-proxy --url`: a reverse proxy for streamable-HTTP MCP servers.

Kiro's mcp.json then points at the proxy's local address instead of the server's.
Every request (POST of JSON-RPC messages, GET of the server's event stream, DELETE of a
session) goes upstream with its body and headers unchanged, apart from hop-by-hop
headers and `Host`; the response body comes back unchanged, streamed as it arrives,
so server-sent events are not delayed. Copies of both bodies go to a `Tracker`:
requests are paired with answers carried in a JSON body or in SSE `data:` lines.

JSON-RPC ids are only unique within an MCP session, so there is one tracker per
`Mcp-Session-Id`; the handshake's tracker is adopted under the id the server assigns.
An HTTP error status answers every request in that POST with `error_code` `http_<status>`;
a 404 on a known session means the server forgot it, which ends the session as dropped
(the client's fresh `initialize` then carries `reconnect: true`).
"""

from __future__ import annotations

import http.client
import sys
import zlib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from exporter.kiro.tracker import Drops, Tracker, id_key

HOP_BY_HOP = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te",
              "trailer", "transfer-encoding", "upgrade", "host", "content-length"}
SESSION = "mcp-session-id"
UPSTREAM_TIMEOUT = 300.0


class Sessions:
    """Trackers by session id, one lock for all of them, a sweeper for timeouts."""

    def __init__(self, server: str, emit, timeout: float, init_timeout: float = 120.0):
        self.server, self.emit, self.timeout = server, emit, timeout
        self.init_timeout = init_timeout
        self.lock = threading.Lock()
        self.by_id: dict = {}
        self.drops = Drops()              # shared: a session's successor is a new tracker
        self.stop = threading.Event()
        threading.Thread(target=self._sweep, daemon=True, name="sweep").start()

    def for_request(self, sid: str | None) -> Tracker:
        """The session's tracker, or a fresh one for a request outside any session yet."""
        with self.lock:
            t = self.by_id.get(sid) if sid else None
            if t is None:
                t = Tracker(self.server, "streamable_http", self.emit, self.timeout,
                            self.init_timeout, self.drops)
                self.by_id[sid if sid else ("tmp", id(t))] = t
            return t

    def settle(self, tracker: Tracker, new_sid: str | None) -> None:
        """After a session-less exchange: adopt the tracker under the id the server
        assigned; without one (a stateless server) keep it only while it has work."""
        with self.lock:
            tmp = ("tmp", id(tracker))
            if self.by_id.get(tmp) is not tracker:
                return
            del self.by_id[tmp]
            if new_sid and new_sid not in self.by_id:
                self.by_id[new_sid] = tracker
            elif tracker.pending:
                self.by_id[tmp] = tracker

    def end(self, sid: str | None, dropped: bool) -> None:
        with self.lock:
            t = self.by_id.pop(sid, None)
            if t is not None:
                t.close(time.monotonic(), dropped)

    def close_all(self) -> None:
        self.stop.set()
        with self.lock:
            for t in self.by_id.values():
                t.close(time.monotonic(), dropped=False)
            self.by_id.clear()

    def _sweep(self) -> None:
        while not self.stop.wait(min(0.5, self.timeout / 4)):
            now = time.monotonic()
            with self.lock:
                for t in self.by_id.values():
                    t.expire(now)


class SSEParser:
    """Feeds the `data` of each complete server-sent event to `sink`."""

    def __init__(self, sink):
        self.sink, self.buf, self.data = sink, b"", []

    def feed(self, chunk: bytes, now: float) -> None:
        self.buf += chunk
        while True:
            i = self.buf.find(b"\n")
            if i < 0:
                return
            line, self.buf = self.buf[:i].rstrip(b"\r"), self.buf[i + 1:]
            if not line:
                if self.data:
                    self.sink(b"\n".join(self.data), now)
                    self.data = []
            elif line.startswith(b"data:"):
                self.data.append(line[5:].lstrip(b" ") if line[5:6] == b" " else line[5:])


def _readable_encodings(value: str) -> str:
    """Accept-Encoding narrowed to what `_decoder` reads (gzip, deflate, identity), so
    the copy the tracker sees is never opaque; the body itself is never re-encoded."""
    keep = [t.strip() for t in value.split(",")
            if t.split(";")[0].strip().lower() in ("gzip", "x-gzip", "deflate", "identity")]
    return ", ".join(keep)


def _decoder(encoding: str | None):
    """A streaming decompressor for the tracker's copy, or None for identity."""
    enc = (encoding or "").strip().lower()
    if enc in ("gzip", "x-gzip", "deflate"):
        d = zlib.decompressobj(47)     # 32 + 15: gzip or zlib header, detected
        return lambda chunk: d.decompress(chunk)
    return None


def _request_ids(body: bytes) -> list:
    """Ids of the requests in a POST body, to answer them on an HTTP error."""
    import json
    try:
        msg = json.loads(body)
    except ValueError:
        return []
    msgs = msg if isinstance(msg, list) else [msg]
    return [id_key(m.get("id")) for m in msgs
            if isinstance(m, dict) and "method" in m and m.get("id") is not None]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "perfcycle-mcp-proxy"

    def log_message(self, fmt, *args):   # never log headers (tokens) or bodies
        pass

    def do_POST(self):
        self._proxy(with_body=True)

    def do_GET(self):
        self._proxy(with_body=False)

    def do_DELETE(self):
        self._proxy(with_body=False)

    def _proxy(self, with_body: bool) -> None:
        app = self.server.app
        body = self._read_body()
        sid = self.headers.get("Mcp-Session-Id")
        tracker = app.sessions.for_request(sid)
        now = time.monotonic()
        if self.command == "POST" and body:
            decode = _decoder(self.headers.get("Content-Encoding"))
            with app.sessions.lock:
                tracker.from_client(decode(body) if decode else body, now)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        if "Accept-Encoding" in headers:     # only encodings the tracker can read
            offered = _readable_encodings(headers.pop("Accept-Encoding"))
            if offered:
                headers["Accept-Encoding"] = offered
        try:
            conn = app.connect()
            conn.request(self.command, app.upstream_path(self.path), body=body or None,
                         headers=headers)
            resp = conn.getresponse()
        except OSError:
            self._fail(tracker, body, 502)
            app.sessions.settle(tracker, None)
            self._reply_status(502, b"upstream MCP server unreachable\n")
            return
        new_sid = resp.getheader("Mcp-Session-Id")
        if resp.status >= 400:
            self._fail(tracker, body, resp.status)
            if resp.status == 404 and sid:
                app.sessions.end(sid, dropped=True)
        if self.command == "DELETE" and resp.status < 300 and sid:
            app.sessions.end(sid, dropped=False)
        try:
            self._relay(resp, tracker)
        finally:
            conn.close()
            if not sid:
                app.sessions.settle(tracker, new_sid)

    def _read_body(self) -> bytes:
        """The request body, from a Content-Length or chunked transfer encoding."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass                 # trailers
                    return b"".join(parts)
                parts.append(self.rfile.read(size))
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _fail(self, tracker: Tracker, body: bytes, status: int) -> None:
        with self.server.app.sessions.lock:
            tracker.fail(_request_ids(body), time.monotonic(), f"http_{status}")

    def _relay(self, resp: http.client.HTTPResponse, tracker: Tracker) -> None:
        """Status, headers, then the body as it arrives (chunked when unsized)."""
        app = self.server.app
        ctype = (resp.getheader("Content-Type") or "").split(";")[0].strip().lower()
        sized = resp.getheader("Content-Length") is not None

        decode = _decoder(resp.getheader("Content-Encoding"))

        def to_tracker(data: bytes, now: float) -> None:
            with app.sessions.lock:
                tracker.from_server(data, now)

        sse = SSEParser(to_tracker) if ctype == "text/event-stream" else None
        self.send_response_only(resp.status, resp.reason)
        for k, v in resp.getheaders():
            if k.lower() not in HOP_BY_HOP:
                self.send_header(k, v)
        if sized:
            self.send_header("Content-Length", resp.getheader("Content-Length"))
        else:
            self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        collected = []
        try:
            while True:
                chunk = resp.read1(65536) if not sized else resp.read(65536)
                if not chunk:
                    break
                now = time.monotonic()
                self.wfile.write(chunk if sized else b"%x\r\n%s\r\n" % (len(chunk), chunk))
                self.wfile.flush()
                seen = decode(chunk) if decode else chunk
                if sse is not None:
                    sse.feed(seen, now)
                elif ctype == "application/json":
                    collected.append(seen)
            if not sized:
                self.wfile.write(b"0\r\n\r\n")
        except OSError:                       # client went away mid-stream
            self.close_connection = True
            return
        if collected:
            to_tracker(b"".join(collected), time.monotonic())

    def _reply_status(self, status: int, text: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(text)))
        self.end_headers()
        self.wfile.write(text)


class Proxy:
    def __init__(self, url: str, server: str, emit, timeout: float, init_timeout: float):
        self.url = urlsplit(url)
        if self.url.scheme not in ("http", "https") or not self.url.hostname:
            raise ValueError(f"--url must be an http(s) URL, got {url!r}")
        self.sessions = Sessions(server, emit, timeout, init_timeout)

    def connect(self) -> http.client.HTTPConnection:
        cls = http.client.HTTPSConnection if self.url.scheme == "https" else \
            http.client.HTTPConnection
        return cls(self.url.hostname, self.url.port, timeout=UPSTREAM_TIMEOUT)

    def upstream_path(self, path: str) -> str:
        """The MCP endpoint maps to the upstream's; other paths (OAuth metadata) pass."""
        local, _, query = path.partition("?")
        target = self.url.path or "/"
        if local in ("", "/", target):
            local = target
        return local + ("?" + query if query else "")


def serve(args, sender) -> int:
    host, _, port = args.listen.rpartition(":")
    try:
        proxy = Proxy(args.url, args.server, sender.emit, args.request_timeout,
                      args.initialize_timeout)
    except ValueError as e:
        print(f"perfcycle-mcp-proxy: {e}", file=sys.stderr)
        return 2
    httpd = ThreadingHTTPServer((host.strip("[]") or "127.0.0.1", int(port or 0)), Handler)
    httpd.daemon_threads = True
    httpd.app = proxy
    bound = httpd.server_address
    print(f"perfcycle-mcp-proxy: {args.server} on http://{bound[0]}:{bound[1]}"
          f"{proxy.url.path or '/'} -> {args.url}", file=sys.stderr, flush=True)
    import signal
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=httpd.shutdown).start())
    try:
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
        proxy.sessions.close_all()
    return 0
