"""Background delivery for long-lived sources (the MCP proxy).

The proxy's forwarding threads must never wait on the exporter, so they only append to
a queue; one daemon thread sends whatever accumulated every `interval` seconds as one
NDJSON batch through `delivery.deliver` (HTTP, else the spool). `close()` sends the rest
synchronously, so a proxy that exits normally loses nothing.
"""

from __future__ import annotations

import queue
import threading

from exporter.kiro import delivery

MAX_BATCH = 500


class Sender:
    def __init__(self, url: str | None = None, spool: str | None = None,
                 interval: float = 0.2, deliver=None):
        self.url, self.spool, self.interval = url, spool, interval
        # off the critical path: wait longer for the answer, so it is rarely unknown
        self._deliver = deliver or (lambda ev, u, s: delivery.deliver(ev, u, s, read_timeout=2.0))
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._stop = threading.Event()
        self.sent: dict[str, int] = {}
        self._thread = threading.Thread(target=self._run, name="perfcycle-sender", daemon=True)
        self._thread.start()

    def emit(self, event: dict) -> None:
        """Called from the forwarding threads: O(1), never blocks."""
        self._queue.put(event)

    def _drain(self) -> list[dict]:
        batch = []
        try:
            while len(batch) < MAX_BATCH:
                batch.append(self._queue.get_nowait())
        except queue.Empty:
            pass
        return batch

    def _send(self) -> bool:
        batch = self._drain()
        if batch:
            how = self._deliver(batch, self.url, self.spool)
            self.sent[how] = self.sent.get(how, 0) + len(batch)
        return len(batch) == MAX_BATCH

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            while self._send():
                pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        while self._send():
            pass
