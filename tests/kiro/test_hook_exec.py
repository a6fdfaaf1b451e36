"""`perfcycle-hook-exec` around real commands, delivering to the real exporter."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time

import pytest

from exporter.kiro import delivery
from exporter.kiro.hook_exec import classify

from .conftest import free_port, script

CASES = [
    pytest.param("ok", "cat; printf 'to stderr' >&2; printf '%s' \"$HOOK_SECRET\"", 0, "success",
                 id="A succeeding hook passes stdin, stdout, stderr and environment through."),
    pytest.param("block", "printf 'denied: rm -rf' >&2; exit 2", 2, "blocked",
                 id="Exit code 2 stays 2 so Kiro still blocks the action."),
    pytest.param("fail", "echo partial; exit 7", 7, "failure",
                 id="A failing hook keeps its exit code and counts as a failure."),
    pytest.param("killed", "echo before; kill -KILL $$", -9, "killed",
                 id="A hook killed by a signal is mirrored by the wrapper dying of it."),
]


def run(cmd: list[str], env: dict, stdin: bytes = b"hook context {\"tool\": \"fs_write\"}"):
    return subprocess.run(cmd, input=stdin, capture_output=True, env=env, timeout=30)


def spooled(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


@pytest.mark.parametrize("name, shell, code, outcome", CASES)
def test_wrapper_is_transparent_and_reports_the_outcome(name, shell, code, outcome, kiro_env,
                                                        exporter):
    env = dict(kiro_env, HOOK_SECRET="s3cr3t", PERFCYCLE_EXPORTER_URL=exporter.url)
    direct = run(["sh", "-c", shell], env)
    wrapped = run([script("perfcycle-hook-exec"), "--name", name, "--trigger", "PreToolUse",
                   "--", "sh", "-c", shell], env)
    assert (wrapped.returncode, wrapped.stdout, wrapped.stderr) == \
        (direct.returncode, direct.stdout, direct.stderr)
    assert wrapped.returncode == code
    got = exporter.wait_for("kiro_hook_executions_total", 1, hook=name, trigger="PreToolUse",
                            outcome=outcome)
    assert got == 1
    assert exporter.value("kiro_hook_execution_duration_seconds_count", hook=name) == 1
    assert exporter.value("kiro_hook_max_resident_memory_bytes", hook=name) > 0


def test_timeout_kills_the_process_group_and_exits_124(kiro_env, exporter, tmp_path,
                                                       process_groups):
    pidfile, pgidfile = tmp_path / "grandchild.pid", tmp_path / "hook.pgid"
    env = dict(kiro_env, PERFCYCLE_EXPORTER_URL=exporter.url)
    start = time.monotonic()
    try:
        res = run([script("perfcycle-hook-exec"), "--name", "slow", "--timeout", "0.5", "--",
                   "sh", "-c", f"echo $$ > {pgidfile}; sleep 30 & echo $! > {pidfile}; "
                   "echo started; wait"], env)
    finally:
        if pgidfile.exists():
            process_groups.append(int(pgidfile.read_text()))
    elapsed = time.monotonic() - start
    assert res.returncode == 124 and res.stdout == b"started\n"
    assert elapsed < 5
    grandchild = int(pidfile.read_text())
    deadline = time.monotonic() + 3
    while _alive(grandchild) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(grandchild), "the whole process group is killed, not just the shell"
    assert exporter.wait_for("kiro_hook_executions_total", 1, hook="slow", outcome="timeout") == 1
    assert exporter.value("kiro_hook_execution_duration_seconds_sum", hook="slow") >= 0.5


def test_after_a_timeout_the_group_is_killed_even_when_the_command_already_exited(
        kiro_env, spool, tmp_path, process_groups):
    """The shell dies of the SIGTERM at once; its background child ignores SIGTERM and
    holds stdout. It must still get the SIGKILL after --kill-after, so the pipe Kiro
    reads closes then, not when the grandchild would have ended by itself."""
    timeout, kill_after = 0.5, 0.5
    pidfile, pgidfile = tmp_path / "grandchild.pid", tmp_path / "hook.pgid"
    start = time.monotonic()
    try:
        res = run([script("perfcycle-hook-exec"), "--name", "stubborn", "--timeout",
                   str(timeout), "--kill-after", str(kill_after), "--", "sh", "-c",
                   f"echo $$ > {pgidfile}; (trap '' TERM; exec sleep 20) & "
                   f"echo $! > {pidfile}; sleep 30"], kiro_env)
    finally:
        if pgidfile.exists():
            process_groups.append(int(pgidfile.read_text()))
    piped = time.monotonic() - start          # run() returns once stdout is at EOF
    assert res.returncode == 124
    assert timeout + kill_after <= piped < timeout + kill_after + 2, piped
    assert not _alive(int(pidfile.read_text())), "the grandchild outlived the wrapper"
    assert spooled(spool)[-1]["outcome"] == "timeout"


def test_a_timed_out_group_that_obeys_sigterm_does_not_wait_for_kill_after(kiro_env, spool):
    res = run([script("perfcycle-hook-exec"), "--name", "obedient", "--timeout", "0.3",
               "--kill-after", "20", "--", "sh", "-c", "sleep 30 & wait"], kiro_env)
    assert res.returncode == 124
    assert spooled(spool)[-1]["duration_seconds"] < 5


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as f:       # a zombie is as good as gone
        return f.read().rsplit(")", 1)[1].split()[0] != "Z"


def test_events_reach_the_exporter_through_the_spool_when_it_starts_late(kiro_env, spool,
                                                                        make_exporter):
    port = free_port()
    env = dict(kiro_env, PERFCYCLE_EXPORTER_URL=f"http://127.0.0.1:{port}")
    codes = [run([script("perfcycle-hook-exec"), "--name", "lint", "--trigger", "PostFileSave",
                  "--", "sh", "-c", f"exit {c}"], env).returncode for c in (0, 2, 1)]
    assert codes == [0, 2, 1]
    assert [e["outcome"] for e in spooled(spool)] == ["success", "blocked", "failure"]
    exp = make_exporter(spool, port)
    for outcome in ("success", "blocked", "failure"):
        assert exp.wait_for("kiro_hook_executions_total", 1, hook="lint",
                            trigger="PostFileSave", outcome=outcome) == 1
    # once it is up, the next run goes over HTTP and the spool stays as it was
    run([script("perfcycle-hook-exec"), "--name", "lint", "--", "true"], env)
    assert exp.wait_for("kiro_hook_executions_total", 2, hook="lint", outcome="success") == 2
    assert len(spooled(spool)) == 3


def test_a_missing_command_is_reported_like_a_shell_would(kiro_env, spool):
    res = run([script("perfcycle-hook-exec"), "--name", "x", "--", "/nonexistent/cmd"], kiro_env)
    assert res.returncode == 127 and res.stdout == b"" and res.stderr == b""
    assert spooled(spool)[0]["outcome"] == "failure"


def test_usage_errors_exit_125_and_run_nothing(kiro_env, spool):
    res = run([script("perfcycle-hook-exec"), "--", "true"], kiro_env)
    assert res.returncode == 125 and not spool.exists()


@pytest.mark.parametrize("status, timed_out, expected", [
    (0, False, ("success", 0)), (2 << 8, False, ("blocked", 2)), (1 << 8, False, ("failure", 1)),
    (signal.SIGKILL, False, ("killed", 137)), (signal.SIGTERM, True, ("timeout", 124)),
], ids=["exit 0", "exit 2", "exit 1", "SIGKILL", "killed by our own timeout"])
def test_classify(status, timed_out, expected):
    assert classify(status, timed_out) == expected


def test_delivery_is_fast_when_the_exporter_is_down_or_hung(tmp_path):
    """Refused: to the spool at once. Hung (connects, never answers): bounded, and counted
    as sent rather than spooled, so a merely slow exporter never counts an event twice."""
    spool = tmp_path / "s.ndjson"
    ev = [{"type": "hook.execution", "hook": "h", "outcome": "success"}]
    t0 = time.perf_counter()
    assert delivery.deliver(ev, f"http://127.0.0.1:{free_port()}", str(spool)) == delivery.SPOOL
    refused = time.perf_counter() - t0
    with socket.socket() as hung:
        hung.bind(("127.0.0.1", 0))
        hung.listen(1)
        t0 = time.perf_counter()
        how = delivery.deliver(ev, f"http://127.0.0.1:{hung.getsockname()[1]}", str(spool))
        stalled = time.perf_counter() - t0
    assert how == delivery.SENT and len(spool.read_text().splitlines()) == 1
    assert refused < 0.02, refused
    assert stalled < delivery.CONNECT_TIMEOUT + delivery.READ_TIMEOUT + 0.05, stalled


def test_delivery_over_http_takes_milliseconds(exporter, tmp_path):
    ev = [{"type": "hook.execution", "hook": "fast", "outcome": "success"}]
    delivery.deliver(ev, exporter.url, str(tmp_path / "s"), read_timeout=2)   # warm up
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        assert delivery.deliver(ev, exporter.url, str(tmp_path / "s"),
                                read_timeout=2) == delivery.HTTP
        times.append(time.perf_counter() - t0)
    assert sorted(times)[10] < 0.01, times
    assert not (tmp_path / "s").exists()


def test_signals_sent_to_the_wrapper_reach_the_hook(kiro_env, spool, tmp_path, spawn,
                                                    process_groups):
    marker = tmp_path / "got-term"
    proc = spawn([script("perfcycle-hook-exec"), "--name", "sig", "--", "sh", "-c",
                  f"trap 'echo term > {marker}; exit 143' TERM; "
                  "echo ready $$; while :; do sleep 0.05; done"],
                 stdout=subprocess.PIPE, env=kiro_env)
    ready, pgid = proc.stdout.readline().split()
    process_groups.append(int(pgid))           # the hook leads its own process group
    assert ready == b"ready"
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 143
    assert marker.read_text() == "term\n"
    assert spooled(spool)[-1]["outcome"] == "failure" and spooled(spool)[-1]["exit_code"] == 143


@pytest.mark.parametrize("url, target", [
    ("http://127.0.0.1:9478", ("127.0.0.1", 9478, "/api/v1/events")),
    ("http://localhost:9478/", ("localhost", 9478, "/api/v1/events")),
    ("http://[::1]:9000/api/v1/events", ("::1", 9000, "/api/v1/events")),
    ("http://host/prefix", ("host", 80, "/prefix/api/v1/events")),
])
def test_exporter_urls(url, target):
    assert delivery._target(url) == target


@pytest.mark.parametrize("url", ["https://h:1", "http://:9", "http://h:port", "h:9"])
def test_bad_exporter_urls_fall_back_to_the_spool(url, tmp_path):
    with pytest.raises(ValueError):
        delivery._target(url)
    assert delivery.deliver([{"type": "x"}], url, str(tmp_path / "s")) == delivery.SPOOL


def test_spool_rotates_past_its_size_limit(tmp_path):
    path = str(tmp_path / "spool.ndjson")
    for i in range(5):
        delivery.append_spool(path, b'{"n": %d}\n' % i, max_bytes=25)
    assert open(path + ".1").read() == '{"n": 2}\n{"n": 3}\n'
    assert open(path).read() == '{"n": 4}\n'


def test_a_token_protected_exporter_gets_the_token_and_refusals_go_to_the_spool(
        tmp_path, monkeypatch, make_exporter):
    token = tmp_path / "token"
    token.write_text("s3cret-token\n")
    exp = make_exporter(tmp_path / "other-spool.ndjson", args=["--web.auth-token-file",
                                                               str(token)])
    spool = tmp_path / "s.ndjson"
    ev = [{"type": "hook.execution", "hook": "authed", "outcome": "success"}]
    assert delivery.deliver(ev, exp.url, str(spool), read_timeout=2) == delivery.SPOOL  # 401
    monkeypatch.setenv("PERFCYCLE_EXPORTER_TOKEN_FILE", str(token))
    assert delivery.deliver(ev, exp.url, str(spool), read_timeout=2) == delivery.HTTP
    assert exp.value("kiro_hook_executions_total", hook="authed") == 1
    assert len(spool.read_text().splitlines()) == 1
