"""`perfcycle-hook-exec`: run a Kiro hook command and report how it went.

Kiro's CLI reports a failed hook command as completed, so the only dependable record
of a hook run is taken around the command itself. The wrapper must be invisible to
Kiro: the child inherits stdin, stdout, stderr and the environment (the wrapper never
reads or writes them), and the wrapper exits with the child's own status, so exit code
2 still blocks the action. A child killed by a signal is mirrored by the wrapper dying
of the same signal. The one deliberate difference is the timeout: like coreutils
`timeout`, the child's process group gets SIGTERM (then SIGKILL after a grace period)
and the wrapper exits with 124.

The child runs in its own process group so that a timeout also reaches what it
started; signals that Kiro sends the wrapper (TERM, INT, HUP, QUIT) are forwarded to
that group. Delivery happens after the child is gone and is bounded by `delivery`'s
short budget: a few milliseconds when the exporter is up or refuses connections.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import threading
import time

from exporter.kiro import delivery
from exporter.limits import MAX_LABEL_LEN

DEFAULT_TIMEOUT = 60.0   # Kiro's default hook timeout
DEFAULT_KILL_AFTER = 2.0
EXIT_TIMEOUT = 124       # as coreutils timeout
EXIT_WRAPPER_ERROR = 125
EXIT_CANNOT_EXECUTE = 126
EXIT_NOT_FOUND = 127
FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGQUIT)
GROUP_POLL = 0.02        # seconds between checks whether a timed-out group is gone


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Options before `--`, the hook command after it (everything after is untouched)."""
    opts, command = delivery.split_command(argv)
    p = argparse.ArgumentParser(
        prog="perfcycle-hook-exec",
        description="Run a Kiro hook command unchanged and record a hook.execution event.",
        epilog="Exit status: the command's own; 124 on timeout; 125 if the wrapper "
               "itself fails; 126/127 if the command cannot run or is not found.")
    p.add_argument("--name", required=True, help="hook name (the metric label `hook`)")
    p.add_argument("--trigger", default=os.environ.get("PERFCYCLE_HOOK_TRIGGER", "unknown"),
                   help="trigger, e.g. PreToolUse or fileEdited (default: unknown)")
    p.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT,
                   help="seconds before the command's process group is killed (default 60)")
    p.add_argument("--kill-after", type=float, default=DEFAULT_KILL_AFTER,
                   help="seconds between SIGTERM and SIGKILL on timeout (default 2)")
    delivery.add_flags(p)
    args = p.parse_args(opts)
    if not command:
        p.error("no command given: perfcycle-hook-exec --name NAME -- COMMAND [ARGS...]")
    if args.timeout <= 0 or args.kill_after < 0:
        p.error("--timeout must be positive and --kill-after not negative")
    args.command = command
    return args


def classify(status: int, timed_out: bool) -> tuple[str, int]:
    """(outcome, exit code as a shell would report it) from a wait status."""
    if timed_out:
        return "timeout", EXIT_TIMEOUT
    if os.WIFSIGNALED(status):
        return "killed", 128 + os.WTERMSIG(status)
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        return "success", 0
    if code == 2:
        return "blocked", 2
    return "failure", code


def event(name: str, trigger: str, outcome: str, exit_code: int, wall: float,
          usage: resource.struct_rusage | None) -> dict:
    """One `hook.execution` event; ru_maxrss is KiB on Linux."""
    now = time.time()
    ev = {"type": "hook.execution",
          "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now))
          + f".{int(now % 1 * 1000):03d}Z",
          "hook": name[:MAX_LABEL_LEN], "trigger": trigger[:MAX_LABEL_LEN], "outcome": outcome,
          "exit_code": exit_code, "duration_seconds": round(wall, 6)}
    if usage is not None:
        ev["cpu_seconds"] = round(usage.ru_utime + usage.ru_stime, 6)
        ev["max_rss_bytes"] = usage.ru_maxrss * 1024
    return ev


class _Watchdog:
    """Ends the command's process group when the timeout passes: SIGTERM, then SIGKILL
    after `kill_after`. Once fired, the SIGKILL goes out even if the command itself has
    already exited from the SIGTERM: a descendant that ignores SIGTERM would otherwise
    outlive the wrapper and keep Kiro's stdout pipe open (Kiro waits for its EOF). The
    grace period ends early once the whole group is gone."""

    def __init__(self, pgid: int, timeout: float, kill_after: float):
        self.pgid, self.kill_after = pgid, kill_after
        self.fired = False
        self.exited = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(timeout,), daemon=True)
        self._thread.start()

    def _run(self, timeout: float) -> None:
        if self.exited.wait(timeout):
            return                        # the command finished in time
        self.fired = True
        _killpg(self.pgid, signal.SIGTERM)
        if not _group_gone_within(self.pgid, self.kill_after):
            _killpg(self.pgid, signal.SIGKILL)

    def finish(self) -> None:
        """The command has been reaped: cancel a timeout still pending, or wait until a
        fired one has ended the rest of the group."""
        self.exited.set()
        self._thread.join()


def _group_gone_within(pgid: int, seconds: float) -> bool:
    """Whether no process of the group is left within `seconds`. Polled: there is no
    wait call for a group, and the command's descendants are not our children."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:           # a member we may not signal: still there
            pass
        if time.monotonic() >= deadline:
            return False
        time.sleep(GROUP_POLL)


def _killpg(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


class _Forwarder:
    """Forwards the signals Kiro sends the wrapper to the command's process group.
    Installed before the command starts: a signal that arrives before the group exists
    is held and sent the moment it does, so an early cancel never orphans the hook."""

    def __init__(self):
        self.pgid: int | None = None
        self.held: list[int] = []
        for sig in FORWARDED:
            signal.signal(sig, self._on_signal)

    def _on_signal(self, sig, _frame) -> None:
        if self.pgid is None:
            self.held.append(sig)
        else:
            _killpg(self.pgid, sig)

    def attach(self, pgid: int) -> None:
        self.pgid = pgid
        while self.held:
            _killpg(pgid, self.held.pop(0))


def run(args: argparse.Namespace) -> tuple[dict, int, int | None]:
    """Run the command; -> (event, exit code, signal to re-raise or None)."""
    forward = _Forwarder()
    start = time.monotonic()
    try:
        child = subprocess.Popen(args.command, process_group=0)
    except FileNotFoundError:
        code = EXIT_NOT_FOUND
    except OSError:
        code = EXIT_CANNOT_EXECUTE
    else:
        forward.attach(child.pid)
        dog = _Watchdog(child.pid, args.timeout, args.kill_after)
        _, status, usage = os.wait4(child.pid, 0)
        dog.finish()
        child.returncode = os.waitstatus_to_exitcode(status)  # already reaped
        wall = time.monotonic() - start
        outcome, code = classify(status, dog.fired)
        resignal = os.WTERMSIG(status) if outcome == "killed" else None
        return event(args.name, args.trigger, outcome, code, wall, usage), code, resignal
    wall = time.monotonic() - start
    return event(args.name, args.trigger, "failure", code, wall, None), code, None


def _die_by(sig: int, code: int) -> int:
    """Leave as the child did: by the same signal, without a core file; else 128+N."""
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass
    if sig not in (signal.SIGKILL, signal.SIGSTOP):
        signal.signal(sig, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, [sig])
    os.kill(os.getpid(), sig)
    return code


def main(argv: list[str] | None = None) -> int:
    try:
        args = parse_args(sys.argv[1:] if argv is None else argv)
    except SystemExit as e:  # argparse: usage errors are the wrapper's own failure
        return EXIT_WRAPPER_ERROR if e.code else 0
    ev, code, resignal = run(args)
    delivery.deliver([ev], args.exporter, args.spool)
    if resignal is not None:
        return _die_by(resignal, code)
    return code


if __name__ == "__main__":
    sys.exit(main())
