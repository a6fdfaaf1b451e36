"""A small HTTP/1.1 keep-alive server on `socketserver` threads, for loopback speed.

Why not `http.server.BaseHTTPRequestHandler`: it parses headers with the `email`
package and writes headers and body separately; the first costs more than the whole
ingest of a small event, the second stalls every response ~40 ms (Nagle plus delayed
ACK) unless TCP_NODELAY is set. Here the request line and headers are read with
`readline`, each response goes out in one `write`, and TCP_NODELAY is always on.

Supported: GET/POST/PUT/DELETE/PATCH, Content-Length bodies (the application decides
on chunked: we answer 411), `Expect: 100-continue`, keep-alive per HTTP/1.1 and 1.0
rules, an idle timeout, caps on line length and header count.
"""

from __future__ import annotations

import logging
import socket
import socketserver
from http import HTTPStatus

log = logging.getLogger("exporter.http")
MAX_LINE = 65536
MAX_HEADERS = 100
REASONS = {s.value: s.phrase for s in HTTPStatus}


class BadRequest(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


class Request:
    __slots__ = ("method", "path", "query", "version", "headers", "rfile", "keep_alive")

    def __init__(self, method, target, version, headers, rfile):
        self.method = method
        self.path, _, self.query = target.partition("?")
        self.version = version
        self.headers = headers  # lower-case names
        self.rfile = rfile
        conn = headers.get("connection", "").lower()
        self.keep_alive = (conn != "close") if version == "HTTP/1.1" else (conn == "keep-alive")


class Response:
    __slots__ = ("status", "body", "ctype", "headers", "close")

    def __init__(self, status: int, body: bytes = b"", ctype: str = "text/plain",
                 headers: tuple = (), close: bool = False):
        self.status, self.body, self.ctype = status, body, ctype
        self.headers, self.close = headers, close


class Handler(socketserver.StreamRequestHandler):
    """Serves requests on one connection until it closes; routes via `server.app.handle`."""

    timeout = 60  # idle keep-alive connections are closed after this
    rbufsize = 65536

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _read_head(self):
        rfile = self.rfile
        line = rfile.readline(MAX_LINE + 1)
        while line in (b"\r\n", b"\n"):  # tolerate stray blank lines between requests
            line = rfile.readline(MAX_LINE + 1)
        if not line:
            return None
        if len(line) > MAX_LINE:
            raise BadRequest(414, "request line too long")
        parts = line.decode("latin-1").split()
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise BadRequest(400, "malformed request line")
        headers = {}
        while True:
            h = rfile.readline(MAX_LINE + 1)
            if h in (b"\r\n", b"\n"):
                break
            if not h:
                return None
            if len(h) > MAX_LINE or len(headers) >= MAX_HEADERS:
                raise BadRequest(431, "request headers too large")
            name, sep, value = h.decode("latin-1").partition(":")
            if not sep or not name or name != name.strip():
                raise BadRequest(400, "malformed header line")
            headers[name.lower()] = value.strip()
        return Request(parts[0], parts[1], parts[2], headers, rfile)

    def send(self, resp: Response, keep_alive: bool) -> bool:
        close = resp.close or not keep_alive
        head = [f"HTTP/1.1 {resp.status} {REASONS.get(resp.status, '')}\r\n"
                f"Content-Type: {resp.ctype}\r\nContent-Length: {len(resp.body)}\r\n"]
        for k, v in resp.headers:
            head.append(f"{k}: {v}\r\n")
        if close:
            head.append("Connection: close\r\n")
        head.append("\r\n")
        data = "".join(head).encode("latin-1")
        if len(resp.body) < 65536:
            self.wfile.write(data + resp.body)  # one segment: no Nagle/delayed-ACK stall
        else:
            self.wfile.write(data)  # big bodies: spare a copy
            self.wfile.write(resp.body)
        return not close

    def continue_100(self, req: Request) -> None:
        """Tell a client waiting on `Expect: 100-continue` to send its body."""
        if req.headers.get("expect", "").lower() == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")

    def handle(self):
        app = self.server.app
        try:
            while True:
                try:
                    req = self._read_head()
                except BadRequest as e:
                    self.send(Response(e.status, f"{e}\n".encode(), close=True), False)
                    return
                if req is None:
                    return
                try:
                    resp = app.handle(req, self)
                except Exception:  # a bug must not kill the connection silently
                    log.exception("error handling %s %s", req.method, req.path)
                    resp = Response(500, b"internal error\n", close=True)
                if not self.send(resp, req.keep_alive):
                    return
        except (ConnectionError, TimeoutError, socket.timeout, OSError) as e:
            log.debug("connection ended: %s", type(e).__name__)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address, app):
        self.app = app
        super().__init__(address, Handler)

    def handle_error(self, request, client_address):
        log.debug("error serving %s", client_address, exc_info=True)
