"""`perfcycle-mcp-proxy --url` in front of a real streamable-HTTP SDK server."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time

import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import McpError

from generators.stack.ports import free_ports

from .conftest import HERE, free_port, script


def wait_port(port: int, proc: subprocess.Popen, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"process exited with {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


@pytest.fixture
def started(spawn):
    """`started(cmd, port, env)`: spawn (stopped by PID at the end) and wait for the port."""
    def start(cmd, port, env=None):
        proc = spawn(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(port, proc)
        return proc
    return start


def outcome(value):
    if isinstance(value, McpError):
        return ("McpError", value.error.code, value.error.message)
    return value.model_dump(mode="json")


async def drive(url: str) -> list:
    results = []
    async with streamable_http_client(url) as (read, write, _):
        async with ClientSession(read, write) as s:
            for call in (lambda: s.initialize(), lambda: s.list_tools(),
                         lambda: s.call_tool("echo", {"text": "h\u00e9llo"}),
                         lambda: s.call_tool("add", {"a": 3, "b": 4}),
                         lambda: s.call_tool("fail", {}),
                         lambda: s.set_logging_level("debug"),
                         lambda: s.read_resource("note://greeting")):
                try:
                    results.append(outcome(await call()))
                except McpError as e:
                    results.append(outcome(e))
    return results


def test_http_results_are_identical_and_counted_per_session(started, exporter, kiro_env):
    up, local = free_ports(2)
    started([sys.executable, str(HERE / "mcp_server.py"), "http", str(up)], up)
    started([script("perfcycle-mcp-proxy"), "--server", "remote", "--url",
             f"http://127.0.0.1:{up}/mcp", "--listen", f"127.0.0.1:{local}"], local,
            env=dict(kiro_env, PERFCYCLE_EXPORTER_URL=exporter.url))
    direct = asyncio.run(drive(f"http://127.0.0.1:{up}/mcp"))
    proxied = asyncio.run(drive(f"http://127.0.0.1:{local}/mcp"))
    assert proxied == direct
    assert direct[4]["isError"] is True and direct[5][:2] == ("McpError", -32601)
    exporter.wait_for("mcp_client_session_duration_seconds_count", 1, server="remote")

    def ops(method, error_type="", **labels):
        return exporter.value("mcp_client_operation_duration_seconds_count", server="remote",
                              mcp_method_name=method, error_type=error_type, **labels)
    assert exporter.value("kiro_mcp_connections_total", server="remote",
                          transport="streamable_http", outcome="success") == 1
    assert exporter.value("kiro_mcp_server_protocol_info", server="remote",
                          mcp_protocol_version=direct[0]["protocolVersion"]) == 1
    assert ops("initialize") == 1
    assert ops("tools/call", gen_ai_tool_name="echo") == 1
    assert ops("tools/call", gen_ai_tool_name="add") == 1
    assert ops("tools/call", "tool_error", gen_ai_tool_name="fail") == 1
    assert ops("logging/setLevel", "-32601") == 1
    assert ops("resources/read") == 1 and ops("tools/list") == 1
    assert exporter.value("kiro_mcp_connection_drops_total", server="remote") == 0
    assert exporter.value("kiro_mcp_reconnects_total", server="remote") == 0


def test_unreachable_upstream_is_a_502_and_a_failed_handshake(started, kiro_env, spool):
    import json
    import urllib.error
    import urllib.request
    local = free_port()
    started([script("perfcycle-mcp-proxy"), "--server", "gone", "--url",
             f"http://127.0.0.1:{free_port()}/mcp", "--listen", f"127.0.0.1:{local}"], local,
            env=kiro_env)
    req = urllib.request.Request(f"http://127.0.0.1:{local}/mcp", method="POST",
                                 data=b'{"jsonrpc":"2.0","id":1,"method":"initialize"}',
                                 headers={"Content-Type": "application/json"})
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=5)
    assert e.value.code == 502
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not (spool.exists() and spool.read_text()):
        time.sleep(0.05)
    events = [json.loads(line) for line in spool.read_text().splitlines()]
    assert {"type": "mcp.connection", "server": "gone", "transport": "streamable_http",
            "outcome": "failure"} in events
    assert any(e.get("error_code") == "http_502" and e["method"] == "initialize"
               for e in events)


def test_sse_parser_joins_data_lines_across_chunks_and_line_endings():
    from exporter.kiro.mcp_http import SSEParser
    got = []
    p = SSEParser(lambda data, now: got.append(data))
    stream = (b"event: message\r\nid: 1\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\n"
              b": comment\n\ndata:{\"b\":2}\n\n")
    for i in range(0, len(stream), 7):
        p.feed(stream[i:i + 7], 0.0)
    assert got == [b'{"a":\n1}', b'{"b":2}']


def test_chunked_request_bodies_are_forwarded(started, kiro_env, spool):
    import http.client
    import json
    up, local = free_ports(2)
    started([sys.executable, str(HERE / "mcp_server.py"), "http", str(up)], up)
    started([script("perfcycle-mcp-proxy"), "--server", "chunky", "--url",
             f"http://127.0.0.1:{up}/mcp", "--listen", f"127.0.0.1:{local}"], local,
            env=kiro_env)
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"}}}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", local, timeout=10)
    conn.request("POST", "/mcp", body=iter([body[:20], body[20:]]), encode_chunked=True,
                 headers={"Content-Type": "application/json",
                          "Accept": "application/json, text/event-stream"})
    resp = conn.getresponse()
    assert resp.status == 200 and b'"protocolVersion"' in resp.read()
    assert resp.getheader("Mcp-Session-Id")


def test_the_upstream_receives_exactly_the_request_bodies_sent(started, kiro_env, tmp_path):
    """Odd spacing, invalid UTF-8, a batch, a chunked body and a gzip-compressed body
    (still compressed: only the tracker's copy is inflated) reach the upstream byte for
    byte."""
    import gzip
    import http.client
    import json
    up, local = free_ports(2)
    record = tmp_path / "upstream-requests.ndjson"
    started([sys.executable, str(HERE / "raw_http_server.py"), str(up), str(record)], up)
    started([script("perfcycle-mcp-proxy"), "--server", "rawhttp", "--url",
             f"http://127.0.0.1:{up}/mcp", "--listen", f"127.0.0.1:{local}"], local,
            env=kiro_env)
    sent = [  # (body, extra headers, send it chunked)
        (b'  {  "jsonrpc" : "2.0" ,"id":1, "method":"tools/call", '
         b'"params":{"name":"caf\xc3\xa9"}}\r\n\t', {}, False),
        (b"not json \xc3\x28 \xfe\xff", {}, False),
        (b'[{"jsonrpc":"2.0","id":2,"method":"ping"} ,\n'
         b' {"jsonrpc":"2.0","method":"notifications/initialized"}]', {}, False),
        (b'{"jsonrpc":"2.0","id":3,"method":"ping","params":{"pad":"' + b" " * 100_000
         + b'"}}', {}, True),
        (gzip.compress(b'{"jsonrpc":"2.0","id":4,"method":"ping"}', mtime=0),
         {"Content-Encoding": "gzip"}, False),
    ]
    for body, headers, chunked in sent:
        conn = http.client.HTTPConnection("127.0.0.1", local, timeout=10)
        conn.request("POST", "/mcp", body=iter([body[:7], body[7:]]) if chunked else body,
                     encode_chunked=chunked,
                     headers={"Content-Type": "application/json", **headers})
        resp = conn.getresponse()
        assert (resp.status, resp.read()) == (200, b'{"jsonrpc":"2.0","id":1,"result":{}}')
        conn.close()
    got = [json.loads(line) for line in record.read_text().splitlines()]
    assert [(g["method"], g["path"], bytes.fromhex(g["body"])) for g in got] == [
        ("POST", "/mcp", body) for body, _, _ in sent]
    assert got[-1]["encoding"] == "gzip"


def test_a_forgotten_session_is_a_drop_and_the_next_handshake_a_reconnect(started, kiro_env,
                                                                          spool, spawn):
    """The server restarts and answers the old session id with 404, as the spec says."""
    import http.client
    import json
    up, local = free_ports(2)
    server = [sys.executable, str(HERE / "mcp_server.py"), "http", str(up)]
    first = started(server, up)
    started([script("perfcycle-mcp-proxy"), "--server", "flaky", "--url",
             f"http://127.0.0.1:{up}/mcp", "--listen", f"127.0.0.1:{local}"], local,
            env=kiro_env)
    init = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"}}}).encode()
    headers = {"Content-Type": "application/json",
               "Accept": "application/json, text/event-stream"}

    def post(body, sid=None):
        conn = http.client.HTTPConnection("127.0.0.1", local, timeout=10)
        conn.request("POST", "/mcp", body=body,
                     headers=dict(headers, **({"Mcp-Session-Id": sid} if sid else {})))
        resp = conn.getresponse()
        resp.read()
        return resp.status, resp.getheader("Mcp-Session-Id")

    status, sid = post(init)
    assert status == 200 and sid
    first.terminate()
    first.wait(10)
    started(server, up)
    status, _ = post(b'{"jsonrpc":"2.0","id":2,"method":"tools/list"}', sid)
    assert status == 404
    assert post(init)[0] == 200
    deadline = time.monotonic() + 5
    conns = []
    while time.monotonic() < deadline and len(conns) < 3:
        time.sleep(0.1)
        events = [json.loads(x) for x in spool.read_text().splitlines()] if spool.exists() else []
        conns = [e for e in events if e["type"] == "mcp.connection"]
    assert [(c["outcome"], c.get("dropped"), c.get("reconnect")) for c in conns] == [
        ("success", None, None), ("closed", True, None), ("success", None, True)]
    assert any(e.get("error_code") == "http_404" and e["method"] == "tools/list"
               for e in events)


def test_gzip_responses_are_forwarded_as_they_are_and_still_understood(kiro_env, spool,
                                                                       spawn):
    """A tiny gzip-answering upstream: the client gets the compressed bytes unchanged,
    the tracker reads the decompressed copy."""
    import gzip
    import http.client
    import json
    up, local = free_ports(2)
    code = f"""
import gzip, http.server
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers['Content-Length']))
        assert 'br' not in self.headers.get('Accept-Encoding', '')
        body = gzip.compress(b'{{"jsonrpc":"2.0","id":7,"result":{{"isError":true}}}}', mtime=0)
        self.send_response(200)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Encoding', 'gzip')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a):
        pass
http.server.HTTPServer(('127.0.0.1', {up}), H).serve_forever()
"""
    proc = spawn([sys.executable, "-c", code])
    wait_port(up, proc)
    proxy = spawn([script("perfcycle-mcp-proxy"), "--server", "gz", "--url",
                   f"http://127.0.0.1:{up}/mcp", "--listen", f"127.0.0.1:{local}"],
                  env=kiro_env)
    wait_port(local, proxy)
    conn = http.client.HTTPConnection("127.0.0.1", local, timeout=10)
    conn.request("POST", "/mcp", body=b'{"jsonrpc":"2.0","id":7,"method":"tools/call",'
                 b'"params":{"name":"zip"}}', headers={"Accept-Encoding": "gzip, br",
                                                        "Content-Type": "application/json"})
    resp = conn.getresponse()
    raw = resp.read()
    assert resp.getheader("Content-Encoding") == "gzip"
    assert gzip.decompress(raw) == b'{"jsonrpc":"2.0","id":7,"result":{"isError":true}}'
    proxy.terminate()
    proxy.wait(10)
    events = [json.loads(x) for x in spool.read_text().splitlines()]
    assert [(e["method"], e["outcome"], e.get("tool")) for e in events
            if e["type"] == "mcp.request"] == [("tools/call", "tool_error", "zip")]
