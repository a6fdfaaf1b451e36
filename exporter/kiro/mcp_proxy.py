"""`perfcycle-mcp-proxy`: a transparent pass-through between Kiro and an MCP server.

Kiro's MCP log is often empty and its own telemetry goes elsewhere, so the proxy is
put where Kiro starts the server (`command` in mcp.json) and watches the JSON-RPC
traffic go by. Bytes are forwarded exactly as read, in both directions, before
anything else happens to them on the way back; the `Tracker` only looks at copies.
A malformed line is forwarded and counted, never dropped.

One ordering rule keeps pairing correct without slowing the response path: a
client-to-server line is registered with the tracker *before* it is forwarded (so the
answer can never overtake its request), while a server-to-client line is forwarded
first and inspected afterwards.

`--url` selects the streamable-HTTP reverse proxy in `mcp_http` instead.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import signal
import subprocess
import sys
import threading
import time

from exporter.kiro import delivery
from exporter.kiro.sender import Sender
from exporter.kiro.tracker import Tracker

MAX_LINE = 64 * 1024 * 1024
READ_SIZE = 1 << 16
PROCESS_SAMPLE_SECONDS = 15.0


class LineSplitter:
    """Complete lines out of a byte stream; an overlong line is handed over cut short."""

    def __init__(self, sink):
        self.sink, self.buf = sink, bytearray()

    def feed(self, chunk: bytes, now: float) -> None:
        self.buf += chunk
        while True:
            i = self.buf.find(b"\n")
            if i < 0:
                break
            line = bytes(self.buf[:i])
            del self.buf[:i + 1]
            self.sink(line, now)
        if len(self.buf) > MAX_LINE:
            self.sink(bytes(self.buf[:64]), now)  # counted as malformed; bytes already forwarded
            self.buf.clear()

    def finish(self, now: float) -> None:
        if self.buf.strip():
            self.sink(bytes(self.buf), now)
        self.buf.clear()


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _proc_usage(pid: int) -> tuple[float, int] | None:
    """(cpu seconds, resident bytes) of a live child from /proc; None when unavailable."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        with open(f"/proc/{pid}/statm", "rb") as f:
            pages = int(f.read().split()[1])
    except (OSError, IndexError, ValueError):
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / ticks, pages * os.sysconf("SC_PAGE_SIZE")


class SpoolDrops:
    """Open drops of one stdio server, kept beside the spool: Kiro restarts a stdio
    server by starting the proxy again, so a drop and its reconnect happen in two
    processes. A drop leaves a marker file (server hash and pid); a successful handshake
    removes one. Removal is atomic, so of two proxies starting at once only one counts
    it. Never fatal: without a writable directory there are simply no reconnects."""

    def __init__(self, spool: str, server: str):
        self.dir = os.path.join(os.path.dirname(os.path.abspath(spool)), "mcp-drops")
        self.prefix = hashlib.sha256(server.encode()).hexdigest()[:32] + "."

    def record(self) -> None:
        try:
            os.makedirs(self.dir, exist_ok=True)
            with open(os.path.join(self.dir, f"{self.prefix}{os.getpid()}"), "ab"):
                pass
        except OSError:
            pass

    def take(self) -> bool:
        try:
            names = [n for n in os.listdir(self.dir) if n.startswith(self.prefix)]
        except OSError:
            return False
        for name in names:
            try:
                os.unlink(os.path.join(self.dir, name))
                return True
            except OSError:              # another proxy took this one
                continue
        return False


class StdioProxy:
    """Runs the server as a child and pumps stdin -> child -> stdout through the tracker."""

    def __init__(self, server: str, command: list[str], sender, timeout: float,
                 init_timeout: float = 120.0, stdin_fd: int = 0, stdout_fd: int = 1,
                 drops=None):
        self.server, self.command, self.sender = server, command, sender
        self.stdin_fd, self.stdout_fd = stdin_fd, stdout_fd
        self.lock = threading.Lock()
        self.tracker = Tracker(server, "stdio", sender.emit, timeout, init_timeout, drops)
        self.client_eof = threading.Event()
        self.done = threading.Event()
        self.cpu_reported = 0.0
        self.stopping = False             # we were told to stop: the end is no drop
        self.child: subprocess.Popen | None = None

    def _track(self, method):
        def sink(line: bytes, now: float) -> None:
            with self.lock:
                method(line, now)
        return sink

    @staticmethod
    def _pump(src: int, dst: int, split: LineSplitter, inspect_first: bool) -> None:
        """Copy src to dst chunk by chunk until EOF, showing each chunk to `split` before
        (client side) or after (server side) it is written. A dead peer is not fatal:
        reading goes on, so the other process never blocks on a full pipe."""
        while True:
            try:
                chunk = os.read(src, READ_SIZE)
            except OSError:
                chunk = b""
            now = time.monotonic()
            if not chunk:
                split.finish(now)
                return
            if inspect_first:
                split.feed(chunk, now)
            try:
                _write_all(dst, chunk)
            except OSError:
                pass
            if not inspect_first:
                split.feed(chunk, now)

    def _client_to_server(self) -> None:
        self._pump(self.stdin_fd, self.child.stdin.fileno(),
                   LineSplitter(self._track(self.tracker.from_client)), inspect_first=True)
        self.client_eof.set()
        try:
            self.child.stdin.close()
        except OSError:
            pass

    def _server_to_client(self) -> None:
        self._pump(self.child.stdout.fileno(), self.stdout_fd,
                   LineSplitter(self._track(self.tracker.from_server)), inspect_first=False)

    def _sweep(self) -> None:
        interval = min(0.5, self.tracker.timeout / 4)
        next_sample = time.monotonic() + PROCESS_SAMPLE_SECONDS
        while not self.done.wait(interval):
            now = time.monotonic()
            with self.lock:
                self.tracker.expire(now)
            if now >= next_sample:
                next_sample = now + PROCESS_SAMPLE_SECONDS
                usage = _proc_usage(self.child.pid)
                if usage is not None:
                    self._process_event(usage[0], usage[1])

    def _process_event(self, cpu_total: float, rss: int | None) -> None:
        """CPU as a delta since the last report (the exporter sums a counter)."""
        delta = max(cpu_total - self.cpu_reported, 0.0)
        self.cpu_reported = max(cpu_total, self.cpu_reported)
        ev = {"type": "mcp.process", "server": self.server, "cpu_seconds": round(delta, 6)}
        if rss is not None:
            ev["rss_bytes"] = rss
        self.sender.emit(ev)

    def run(self) -> int:
        try:
            self.child = subprocess.Popen(self.command, stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, bufsize=0)
        except OSError as e:
            print(f"perfcycle-mcp-proxy: cannot start {self.command[0]!r}: {e}", file=sys.stderr)
            self.sender.emit({"type": "mcp.connection", "server": self.server,
                              "transport": "stdio", "outcome": "failure"})
            return 127 if isinstance(e, FileNotFoundError) else 126
        for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, lambda s, _f: self._stop_child(s))
        threads = [threading.Thread(target=t, daemon=True, name=t.__name__)
                   for t in (self._client_to_server, self._server_to_client, self._sweep)]
        for t in threads:
            t.start()
        _, status, usage = os.wait4(self.child.pid, 0)
        self.child.returncode = os.waitstatus_to_exitcode(status)
        threads[1].join(timeout=5)       # everything the server wrote reaches the client
        now = time.monotonic()
        self.done.set()
        self._process_event(usage.ru_utime + usage.ru_stime, None)  # gone: no resident memory
        with self.lock:   # a drop: the server ended while the client still wanted it
            self.tracker.close(now, dropped=not (self.client_eof.is_set() or self.stopping))
        code = self.child.returncode
        return code if code >= 0 else 128 - code

    def _stop_child(self, sig: int) -> None:
        self.stopping = True
        try:
            self.child.send_signal(sig)
        except OSError:
            pass


def parse_args(argv: list[str]) -> argparse.Namespace:
    opts, command = delivery.split_command(argv)
    p = argparse.ArgumentParser(
        prog="perfcycle-mcp-proxy",
        description="Forward MCP JSON-RPC unchanged and record per-method latency and outcome.")
    p.add_argument("--server", required=True, help="server name as in mcp.json (label `server`)")
    p.add_argument("--url", help="upstream streamable-HTTP MCP endpoint (instead of a command)")
    p.add_argument("--listen", default="127.0.0.1:0",
                   help="with --url: local HOST:PORT to serve on (default 127.0.0.1:0)")
    p.add_argument("--request-timeout", type=float, default=60.0,
                   help="seconds without an answer before a request counts as timed out")
    p.add_argument("--initialize-timeout", type=float, default=120.0,
                   help="seconds the initialize handshake may take, server start-up included "
                        "(default 120)")
    delivery.add_flags(p)
    args = p.parse_args(opts)
    if bool(command) == bool(args.url):
        p.error("give either -- COMMAND ARGS... (stdio server) or --url URL (HTTP server)")
    if args.request_timeout <= 0 or args.initialize_timeout <= 0:
        p.error("--request-timeout and --initialize-timeout must be positive")
    args.command = command
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    spool = delivery.spool_path(args.spool)
    sender = Sender(delivery.exporter_url(args.exporter), spool)
    try:
        if args.url:
            from exporter.kiro import mcp_http
            return mcp_http.serve(args, sender)
        return StdioProxy(args.server, args.command, sender, args.request_timeout,
                          args.initialize_timeout, drops=SpoolDrops(spool, args.server)).run()
    finally:
        sender.close()


if __name__ == "__main__":
    sys.exit(main())
