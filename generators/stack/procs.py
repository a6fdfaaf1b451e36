"""Start and stop the stack's processes by PID, recorded in a state file under ``.stack/``.

Each process runs in its own session (process group), so stopping it also stops anything
it spawned, and ``stop`` touches exactly the PIDs this stack started: never a name match.
The state file is written after every start, so a crash half-way still leaves a record
that ``perfcycle stack down`` (or the test fixture) uses to clean up.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from . import ports


@dataclass
class Proc:
    name: str
    pid: int
    argv: list[str]
    log: str


@dataclass
class State:
    """What one stack started and where it listens; persisted as JSON."""

    path: Path
    procs: list[Proc] = field(default_factory=list)
    urls: dict[str, str] = field(default_factory=dict)
    info: dict = field(default_factory=dict)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        data = {"procs": [asdict(p) for p in self.procs], "urls": self.urls, "info": self.info}
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2) + "\n")
        os.replace(tmp, self.path)

    @classmethod
    def load(cls, path: Path) -> "State":
        if not path.exists():
            return cls(path)
        data = json.loads(path.read_text())
        return cls(path, [Proc(**p) for p in data.get("procs", [])], data.get("urls", {}), data.get("info", {}))


def start(state: State, name: str, argv: list[str], log_dir: Path, env: dict | None = None) -> Proc:
    """Start ``argv`` in a new session with output to ``log_dir/<name>.log``; record it at once."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    with open(log, "ab") as out:
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                 start_new_session=True, env={**os.environ, **(env or {})})
    proc = Proc(name, child.pid, argv, str(log))
    state.procs.append(proc)
    state.save()
    return proc


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return not _zombie(pid)


def stop(state: State, timeout: float = 10.0) -> list[str]:
    """SIGTERM every recorded process group (last started first), SIGKILL what outlives ``timeout``.

    Returns the names stopped. Only the recorded PIDs' groups are signalled: each was started
    as a session leader, so its group id is its PID. A group whose leader already exited (a
    server that crashed during start-up) is still stopped if anything is left in it.
    """
    stopped = []
    for proc in reversed(state.procs):
        if not running(proc.pid):
            continue
        _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while running(proc.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if running(proc.pid):
            _signal_group(proc.pid, signal.SIGKILL)
        _reap(proc.pid)
        stopped.append(proc.name)
    state.procs = [p for p in state.procs if running(p.pid)]
    state.save()
    return stopped


def running(pid: int) -> bool:
    """The recorded process, or anything left in its process group, is still alive."""
    _reap(pid)
    return alive(pid) or bool(group_members(pid))


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of the session and process group ``pgid`` (ours: both are the leader's PID)."""
    members = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            state, _ppid, group, session = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:4]
        except (OSError, ValueError):
            continue
        if state != "Z" and int(group) == pgid and int(session) == pgid:
            members.append(int(entry.name))
    return members


def wait_http(url: str, timeout: float, proc: Proc | None = None) -> None:
    """Poll ``url`` until it answers 200; fail early, with the log's tail, if ``proc`` died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and not alive(proc.pid):
            raise RuntimeError(f"{proc.name} exited during start-up; log {proc.log}:\n{tail(proc.log)}")
        try:
            with urllib.request.urlopen(url, timeout=2) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout:.0f}s" + (f"; log {proc.log}:\n{tail(proc.log)}" if proc else ""))


@contextmanager
def serving(name: str, argv: Callable[[int], list[str]], work: Path, ready_path: str = "/-/ready",
            timeout: float = 30.0) -> Iterator[str]:
    """Run one server on a free loopback port until the block ends; yield its base URL.

    ``argv(port)`` builds the command line for the chosen port. The process is recorded in
    ``work/<name>.state.json`` as it starts and stopped by PID on the way out, pass or fail:
    the one way tests and benchmarks start Prometheus, Alertmanager or an exporter.
    """
    port = ports.free_ports(1)[0]
    state = State(work / f"{name}.state.json")
    try:
        proc = start(state, name, argv(port), work)
        wait_http(ports.url(port, ready_path), timeout, proc)
        yield ports.url(port)
    finally:
        stop(state)


def tail(path: str, lines: int = 20) -> str:
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _reap(pid: int) -> None:
    """Collect our own exited children so they do not linger as zombies."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return False
