"""The MCP proxy between the official SDK's real client and a real SDK server.

One session runs straight to the server, one through `perfcycle-mcp-proxy`; every
call's result must be identical, and the real exporter must then show the counts and
latency buckets per method and tool, with a tool error, a protocol error and a timeout.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.shared.exceptions import McpError

from .conftest import HERE, script

SERVER = [sys.executable, str(HERE / "mcp_server.py")]
PROXY_TIMEOUT = 2.0    # --request-timeout: the proxy's verdict on `slow`
CLIENT_TIMEOUT = 2.5   # the client gives up a little later, so both sides see a timeout
SLOW = 3.0             # and the server answers later still


def outcome(value) -> object:
    """A comparable form of a call's result or error."""
    if isinstance(value, McpError):
        return ("McpError", value.error.code, value.error.message)
    return value.model_dump(mode="json")


async def drive(params: StdioServerParameters) -> list:
    """The same sequence of real client calls, returning each call's outcome."""
    results = []
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as s:
            calls = [
                lambda: s.initialize(),
                lambda: s.list_tools(),
                lambda: s.call_tool("echo", {"text": "h\u00e9llo \u2713"}),
                lambda: s.call_tool("echo", {"text": ""}),
                lambda: s.call_tool("echo", {"text": "x" * 10000}),
                lambda: s.call_tool("add", {"a": 2, "b": 40}),
                lambda: s.call_tool("fail", {"reason": "disk full"}),      # tool error
                lambda: s.set_logging_level("debug"),                      # protocol error
                lambda: s.list_prompts(),
                lambda: s.get_prompt("review", {"code": "x = 1"}),
                lambda: s.list_resources(),
                lambda: s.read_resource("note://greeting"),
                lambda: s.send_ping(),
            ]
            for call in calls:
                try:
                    results.append(outcome(await call()))
                except McpError as e:
                    results.append(outcome(e))
            started = time.monotonic()
            try:                                                            # timeout
                await s.call_tool("slow", {"seconds": SLOW},
                                  read_timeout_seconds=timedelta(seconds=CLIENT_TIMEOUT))
            except McpError as e:
                results.append(outcome(e))
            results.append(outcome(await s.call_tool("add", {"a": 1, "b": 1})))
            # let the late answer arrive before closing, so shutdown is quick
            await asyncio.sleep(max(0.0, SLOW + 0.3 - (time.monotonic() - started)))
    return results


def test_results_are_identical_and_the_exporter_shows_each_method(exporter, kiro_env):
    env = dict(kiro_env, PERFCYCLE_EXPORTER_URL=exporter.url)
    direct = asyncio.run(drive(StdioServerParameters(command=SERVER[0], args=SERVER[1:],
                                                     env=env)))
    proxy = [script("perfcycle-mcp-proxy"), "--server", "demo",
             "--request-timeout", str(PROXY_TIMEOUT), "--", *SERVER]
    proxied = asyncio.run(drive(StdioServerParameters(command=proxy[0], args=proxy[1:],
                                                      env=env)))
    assert proxied == direct
    assert direct[6]["isError"] is True and direct[7][:2] == ("McpError", -32601)
    assert direct[-2][:2] == ("McpError", 408)

    def ops(method, error_type="", suffix="count", **labels):
        return exporter.value(f"mcp_client_operation_duration_seconds_{suffix}", server="demo",
                              mcp_method_name=method, error_type=error_type, **labels)

    exporter.wait_for("mcp_client_session_duration_seconds_count", 1, server="demo")
    assert ops("initialize") == 1
    assert exporter.value("kiro_mcp_connections_total", server="demo", transport="stdio",
                          outcome="success") == 1
    negotiated = direct[0]["protocolVersion"]
    assert exporter.value("kiro_mcp_server_protocol_info", server="demo",
                          mcp_protocol_version=negotiated) == 1
    assert ops("tools/call", gen_ai_tool_name="echo") == 3
    assert ops("tools/call", gen_ai_tool_name="echo", suffix="bucket", le="2.0") == 3
    assert ops("tools/call", gen_ai_tool_name="add") == 2
    assert ops("tools/call", "tool_error", gen_ai_tool_name="fail") == 1
    assert ops("logging/setLevel", "-32601") == 1
    assert exporter.value("kiro_mcp_request_errors_total", server="demo",
                          mcp_method_name="logging/setLevel", error_code="-32601") == 1
    assert exporter.value("kiro_mcp_request_errors_total", server="demo",
                          mcp_method_name="tools/call", error_code="tool_error") == 1
    # the timeout: counted once, in the bucket of its (proxy-side) timeout, never as success
    assert ops("tools/call", "timeout", gen_ai_tool_name="slow") == 1
    assert ops("tools/call", "timeout", gen_ai_tool_name="slow", suffix="bucket",
               le="1.0") == 0
    assert ops("tools/call", "timeout", gen_ai_tool_name="slow", suffix="bucket",
               le="5.0") == 1
    assert ops("tools/call", gen_ai_tool_name="slow") == 0
    for method in ("tools/list", "prompts/list", "prompts/get", "resources/list",
                   "resources/read", "ping"):
        assert ops(method) == 1, method
    assert exporter.value("kiro_mcp_notifications_total", server="demo",
                          direction="client_to_server") >= 1
    assert exporter.value("kiro_mcp_server_cpu_seconds_total", server="demo") > 0
    assert exporter.value("kiro_mcp_connection_drops_total", server="demo") == 0
    assert exporter.value("kiro_mcp_reconnects_total", server="demo") == 0


def test_messages_pass_byte_for_byte_and_malformed_ones_are_counted(exporter, kiro_env):
    env = dict(kiro_env, PERFCYCLE_EXPORTER_URL=exporter.url)
    raw = [sys.executable, str(HERE / "raw_server.py")]
    stdin = (b'{"jsonrpc":"2.0","id":1,"method":"ping"}\n'
             b"this is not json \xfe\n"
             b'{"jsonrpc": "2.0", "id": "a", "method": "tools/call", '
             b'"params": {"name": "caf\xc3\xa9"}}\n'
             b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
    direct = subprocess.run(raw, input=stdin, capture_output=True, timeout=30)
    proxied = subprocess.run([script("perfcycle-mcp-proxy"), "--server", "raw", "--", *raw],
                             input=stdin, capture_output=True, env=env, timeout=30)
    assert proxied.stdout == direct.stdout and proxied.returncode == direct.returncode == 0
    assert b"%%% server garbage \xff\n" in proxied.stdout
    malformed = dict(server="raw", mcp_method_name="malformed", error_code="-32700")
    assert exporter.wait_for("kiro_mcp_request_errors_total", 2, **malformed) == 2
    assert exporter.value("mcp_client_operation_duration_seconds_count", server="raw",
                          mcp_method_name="tools/call", gen_ai_tool_name="caf\u00e9",
                          error_type="") == 1
    assert exporter.value("mcp_client_operation_duration_seconds_count", server="raw",
                          mcp_method_name="ping") == 1
    assert exporter.value("kiro_mcp_notifications_total", server="raw") == 2


def test_the_server_receives_exactly_the_bytes_the_client_sent(kiro_env, tmp_path):
    """The other direction of byte-for-byte: odd spacing, CRLF, blank and whitespace-only
    lines, invalid UTF-8, a line far longer than one read, a batch and a last line
    without its newline all reach the server unchanged."""
    record = tmp_path / "server-read.bin"
    sent = (b'{"jsonrpc":"2.0","id":1,"method":"ping"}\n'
            b'   {  "jsonrpc" :"2.0",  "id" : 2 ,"method":"tools/list"}   \r\n'
            b"\n"
            b"\t \n"
            b"invalid utf-8 \xc3\x28 \xfe\xff\n"
            b'{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"'
            + b"x" * 200_000 + b'"}}\n'
            b'[{"jsonrpc":"2.0","id":4,"method":"ping"},'
            b'{"jsonrpc":"2.0","method":"notifications/initialized"}]\n'
            b'{"jsonrpc":"2.0","id":5,"method":"ping"}')
    proxied = subprocess.run([script("perfcycle-mcp-proxy"), "--server", "recorded", "--",
                              sys.executable, str(HERE / "raw_server.py"), str(record)],
                             input=sent, capture_output=True, env=kiro_env, timeout=30)
    assert proxied.returncode == 0
    assert record.read_bytes() == sent


# answers the handshake, then exits with 3 on the next line or at the end of its input
DIES_ON_NEXT_LINE = ("import sys; sys.stdin.buffer.readline(); "
                     "sys.stdout.write('{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":"
                     "{\"protocolVersion\":\"2025-06-18\"}}\\n'); sys.stdout.flush(); "
                     "sys.stdin.buffer.readline(); sys.exit(3)")


def proxied_session(spawn, env, server: str, drop: bool) -> None:
    """One session through the proxy: a handshake, then either the server dies while the
    client still wants it (a drop, with a tools/call pending) or the client hangs up."""
    proc = spawn([script("perfcycle-mcp-proxy"), "--server", server, "--",
                  sys.executable, "-c", DIES_ON_NEXT_LINE], stdin=subprocess.PIPE,
                 stdout=subprocess.PIPE, env=env)
    proc.stdin.write(b'{"jsonrpc":"2.0","id":0,"method":"initialize"}\n')
    proc.stdin.flush()
    assert b'"id":0' in proc.stdout.readline()
    if drop:
        proc.stdin.write(b'{"jsonrpc":"2.0","id":1,"method":"tools/call",'
                         b'"params":{"name":"t"}}\n')
        proc.stdin.flush()
    else:
        proc.stdin.close()
    assert proc.wait(10) == 3                  # the server's exit code passes through


def spooled_events(spool, etype: str) -> list[dict]:
    return [e for e in map(json.loads, spool.read_text().splitlines()) if e["type"] == etype]


def test_a_server_that_dies_is_a_dropped_session_and_its_exit_code_passes_through(kiro_env,
                                                                                  spool, spawn):
    proxied_session(spawn, kiro_env, "dies", drop=True)
    conn = spooled_events(spool, "mcp.connection")
    assert [c["outcome"] for c in conn] == ["success", "closed"] and conn[1]["dropped"] is True
    call = [e for e in spooled_events(spool, "mcp.request") if e["method"] == "tools/call"]
    assert call[0]["outcome"] == "cancelled"


def test_the_next_start_of_a_dropped_stdio_server_is_a_reconnect(kiro_env, spool, spawn):
    """Kiro restarts a stdio server by starting the proxy again: the new process learns
    of the drop from beside the spool, and only the one handshake that follows it (of
    the same server) is a reconnect."""
    proxied_session(spawn, kiro_env, "flaky", drop=True)
    proxied_session(spawn, kiro_env, "bystander", drop=False)
    proxied_session(spawn, kiro_env, "flaky", drop=False)
    proxied_session(spawn, kiro_env, "flaky", drop=False)
    handshakes = [(e["server"], e.get("reconnect", False))
                  for e in spooled_events(spool, "mcp.connection") if e["outcome"] == "success"]
    assert handshakes == [("flaky", False), ("bystander", False), ("flaky", True),
                          ("flaky", False)]


@pytest.mark.parametrize("argv", [["--server", "x"], ["--server", "x", "--url", "http://h/",
                                                      "--", "cmd"]],
                         ids=["neither a command nor a URL", "both a command and a URL"])
def test_usage_errors(argv):
    res = subprocess.run([script("perfcycle-mcp-proxy"), *argv], capture_output=True, timeout=10)
    assert res.returncode == 2 and b"usage" in res.stderr


def test_stopping_the_proxy_stops_the_server_and_is_no_drop(kiro_env, spool, spawn):
    import signal
    code = ("import sys\nfor line in sys.stdin.buffer:\n"
            "    sys.stdout.write('{\"jsonrpc\":\"2.0\",\"id\":0,\"result\":{}}\\n')\n"
            "    sys.stdout.flush()\n")
    proc = spawn([script("perfcycle-mcp-proxy"), "--server", "stopped", "--",
                  sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                 env=kiro_env)
    proc.stdin.write(b'{"jsonrpc":"2.0","id":0,"method":"initialize"}\n')
    proc.stdin.flush()
    assert proc.stdout.readline() == b'{"jsonrpc":"2.0","id":0,"result":{}}\n'
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(10) == 128 + signal.SIGTERM      # the server's own fate, passed through
    closed = [e for e in spooled_events(spool, "mcp.connection") if e["outcome"] == "closed"]
    assert closed and closed[0]["dropped"] is False
