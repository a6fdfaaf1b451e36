"""Follow an NDJSON file (hook logs, the MCP proxy's spool) with a checkpointed offset.

The checkpoint (device, inode, offset of the last complete line counted) is written
atomically after every chunk and at stop, so a restart resumes exactly where counting
stopped: nothing lost, nothing counted twice. A partial last line waits for its newline.

Rotation (the path now names another inode): the old file is read to its end first,
then the new one from offset 0. If the rotation happened while the exporter was down,
the checkpointed inode is looked for among `<path>.*` siblings and drained from the
checkpoint. Truncation (size below the offset): restart at 0.
"""

from __future__ import annotations

import glob
import hashlib
import json
import logging
import os
import threading

log = logging.getLogger("exporter.filetail")
CHUNK = 1 << 20


def checkpoint_path(directory: str, path: str) -> str:
    digest = hashlib.sha256(os.path.abspath(path).encode()).hexdigest()[:16]
    return os.path.join(directory, f"tail-{digest}.json")


class FileTail:
    def __init__(self, path, checkpoint_dir, ingestor, selfm, interval=0.5, start_at="beginning"):
        self.path = path
        self.ckpt = checkpoint_path(checkpoint_dir, path)
        self.ingestor = ingestor
        self.selfm = selfm
        self.interval = interval
        self.start_at = start_at
        self.fh = None
        self.ident = None  # (dev, ino) of the open file
        self.offset = 0  # offset just past the last complete line counted
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = None
        os.makedirs(checkpoint_dir, exist_ok=True)

    # ---- checkpoint -------------------------------------------------------------------
    def _load_checkpoint(self):
        try:
            with open(self.ckpt, encoding="utf-8") as fh:
                c = json.load(fh)
            return (c["dev"], c["ino"]), int(c["offset"])
        except (OSError, ValueError, KeyError, TypeError):
            return None, 0

    def _save_checkpoint(self) -> None:
        if self.ident is None:
            return
        tmp = self.ckpt + ".tmp"
        with open(tmp, "w", encoding="utf-8") as fh:
            json.dump({"path": self.path, "dev": self.ident[0], "ino": self.ident[1],
                       "offset": self.offset}, fh)
        os.replace(tmp, self.ckpt)

    # ---- reading ----------------------------------------------------------------------
    def _open(self, path: str, offset: int) -> bool:
        try:
            fh = open(path, "rb")
        except OSError:
            return False
        st = os.fstat(fh.fileno())
        if offset > st.st_size:
            offset = 0  # truncated while we were away
        fh.seek(offset)
        self.fh, self.ident, self.offset = fh, (st.st_dev, st.st_ino), offset
        return True

    def _resume(self) -> None:
        ident, offset = self._load_checkpoint()
        try:
            st = os.stat(self.path)
        except OSError:
            st = None
        if ident is not None and st is not None and (st.st_dev, st.st_ino) == tuple(ident):
            self._open(self.path, offset)
            return
        if ident is not None:
            for p in sorted(glob.glob(glob.escape(self.path) + ".*")):
                try:
                    s = os.stat(p)
                except OSError:
                    continue
                if (s.st_dev, s.st_ino) == tuple(ident) and self._open(p, offset):
                    log.info("draining rotated file %s from checkpoint", p)
                    self._drain(final=True)
                    self.fh.close()
                    self.fh = None
                    break
        if st is not None:
            start = st.st_size if (ident is None and self.start_at == "end") else 0
            self._open(self.path, start)
            self._save_checkpoint()

    def _drain(self, final: bool = False) -> None:
        """Count every complete line from the current offset; `final` counts a last
        line without newline too (the file was rotated away and will not grow)."""
        while True:
            self.fh.seek(self.offset)
            data = self.fh.read(CHUNK)
            if not data:
                return
            end = data.rfind(b"\n")
            if end < 0:
                if not final and len(data) < CHUNK:
                    return
                end = len(data) - 1
            chunk = data[:end + 1]
            self.ingestor.ingest_bytes(chunk, True, "file")
            self.offset += len(chunk)
            self._save_checkpoint()

    def poll(self) -> None:
        """One step: read new lines, then handle rotation and truncation."""
        with self.lock:
            if self.fh is None:
                self._resume() if self.ident is None else self._open(self.path, 0)
                if self.fh is None:
                    return
            self._drain()
            try:
                st = os.stat(self.path)
            except OSError:
                st = None
            size = os.fstat(self.fh.fileno()).st_size
            if st is not None and (st.st_dev, st.st_ino) != self.ident:
                self._drain(final=True)
                self.fh.close()
                self.fh = None
                if self._open(self.path, 0):
                    self._save_checkpoint()
                    self._drain()
            elif size < self.offset:
                log.info("%s truncated; reading from the start", self.path)
                self.offset = 0
                self._save_checkpoint()
                self._drain()
            if self.fh is not None:
                lag = os.fstat(self.fh.fileno()).st_size - self.offset
                with self.selfm.lock:
                    self.selfm.tail_lag[self.path] = max(0, lag)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll()
            except Exception:
                log.exception("tailing %s failed", self.path)
            self._stop.wait(self.interval)

    def start(self) -> None:
        with self.lock:
            self._resume()
        self._thread = threading.Thread(target=self._loop, name=f"tail:{self.path}",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        with self.lock:
            self._save_checkpoint()
            if self.fh is not None:
                self.fh.close()
