"""Pairing and classification of JSON-RPC traffic, without processes."""

import json

import pytest

from exporter.kiro.tracker import CLIENT, Tracker


def req(i, method, **params):
    return json.dumps({"jsonrpc": "2.0", "id": i, "method": method, "params": params})


def ok(i, result=None):
    return json.dumps({"jsonrpc": "2.0", "id": i, "result": result or {}})


def err(i, code):
    return json.dumps({"jsonrpc": "2.0", "id": i, "error": {"code": code, "message": "x"}})


@pytest.fixture
def t():
    events = []
    tr = Tracker("srv", "stdio", events.append, timeout=5.0, init_timeout=6.0)
    tr.events = events
    return tr


def requests(t):
    return [e for e in t.events if e["type"] == "mcp.request"]


@pytest.mark.parametrize("response, outcome, code", [
    pytest.param(ok(1, {"content": [], "isError": False}), "success", None,
                 id="A result without isError is a success."),
    pytest.param(ok(1, {"content": [], "isError": True}), "tool_error", None,
                 id="A tools/call result with isError true is a tool error, not a success."),
    pytest.param(err(1, -32602), "error", -32602,
                 id="A JSON-RPC error is a protocol error carrying its code."),
    pytest.param(json.dumps({"jsonrpc": "2.0", "id": 1, "error": "odd"}), "error", "unknown",
                 id="An error without a numeric code still counts, with code unknown."),
])
def test_tools_call_outcomes(t, response, outcome, code):
    t.from_client(req(1, "tools/call", name="search", arguments={"q": "secret prompt"}), 10.0)
    t.from_server(response.encode(), 10.25)
    (ev,) = requests(t)
    assert ev["method"] == "tools/call" and ev["tool"] == "search"
    assert ev["outcome"] == outcome and ev.get("error_code") == code
    assert ev["duration_seconds"] == pytest.approx(0.25)
    assert "secret" not in json.dumps(t.events), "params never leave the tracker"


def test_initialize_records_handshake_time_and_protocol_version(t):
    t.from_client(req(0, "initialize", protocolVersion="2025-06-18"), 1.0)
    t.from_server(ok(0, {"protocolVersion": "2025-06-18"}), 1.5)
    conn = [e for e in t.events if e["type"] == "mcp.connection"]
    assert conn == [{"type": "mcp.connection", "server": "srv", "transport": "stdio",
                     "outcome": "success", "duration_seconds": 0.5,
                     "protocol_version": "2025-06-18"}]
    assert requests(t) == [], "the exporter times initialize from the connection event alone"


def test_failed_initialize_counts_the_error_and_one_failed_attempt(t):
    t.from_client(req(0, "initialize"), 1.0)
    t.from_server(err(0, -32602), 1.5)
    t.close(2.0, dropped=False)
    assert [(e["method"], e["error_code"]) for e in requests(t)] == [("initialize", -32602)]
    conn = [e for e in t.events if e["type"] == "mcp.connection"]
    assert conn == [{"type": "mcp.connection", "server": "srv", "transport": "stdio",
                     "outcome": "failure"}]


def test_handshake_that_never_completes_is_a_failed_attempt_at_close(t):
    t.from_client(req(0, "initialize"), 0.0)
    t.close(1.0, dropped=True)
    assert [e["outcome"] for e in t.events if e["type"] == "mcp.connection"] == ["failure"]


def test_unanswered_request_times_out_and_its_late_answer_is_not_counted_again(t):
    t.from_client(req(7, "tools/call", name="slow"), 0.0)
    t.expire(4.9)
    assert requests(t) == []
    t.expire(5.0)
    t.from_server(ok(7), 6.0)
    (ev,) = requests(t)
    assert ev["outcome"] == "timeout" and ev["tool"] == "slow"
    assert t.counts["unmatched"] == 1


def test_late_initialize_answer_still_marks_the_connection_up(t):
    t.from_client(req(0, "initialize"), 0.0)
    t.expire(5.5)
    assert t.events == [], "the handshake has its own, longer timeout"
    t.expire(6.0)
    t.from_server(ok(0, {"protocolVersion": "2025-11-25"}), 7.0)
    conn = [e for e in t.events if e["type"] == "mcp.connection"]
    assert conn[0]["outcome"] == "success" and "duration_seconds" not in conn[0]
    assert [e["outcome"] for e in requests(t)] == ["timeout"]


def test_client_cancellation_is_recorded_as_cancelled(t):
    t.from_client(req("a", "tools/call", name="slow"), 0.0)
    t.from_client(json.dumps({"jsonrpc": "2.0", "method": "notifications/cancelled",
                              "params": {"requestId": "a"}}), 2.0)
    t.from_server(ok("a"), 3.0)
    (ev,) = requests(t)
    assert ev["outcome"] == "cancelled" and ev["duration_seconds"] == 2.0
    assert {"type": "mcp.notification", "server": "srv", "direction": CLIENT} in t.events


@pytest.mark.parametrize("line", [b"not json", b"[]", b'{"id": 1}', b"42",
                                  b'{"jsonrpc": "2.0", "id": {"x": 1}, "method": "ping"}'],
                         ids=["not JSON", "empty batch", "no jsonrpc member", "a bare number",
                              "an id that is an object"])
@pytest.mark.parametrize("side", ["client", "server"])
def test_malformed_messages_are_counted_and_do_not_disturb_pairing(t, line, side):
    t.from_client(req(1, "ping"), 0.0)
    getattr(t, f"from_{side}")(line, 0.1)
    t.from_server(ok(1), 0.2)
    evs = requests(t)
    assert [e["method"] for e in evs] == ["malformed", "ping"]
    assert evs[0]["error_code"] == -32700 and evs[1]["outcome"] == "success"
    assert t.counts["malformed"] == 1


def test_numeric_and_string_ids_are_different_requests(t):
    t.from_client(req(1, "tools/list"), 0.0)
    t.from_client(req("1", "prompts/list"), 0.0)
    t.from_server(ok("1"), 1.0)
    t.from_server(ok(1), 2.0)
    assert [(e["method"], e["duration_seconds"]) for e in requests(t)] == [
        ("prompts/list", 1.0), ("tools/list", 2.0)]


def test_unknown_methods_are_bucketed_so_labels_stay_bounded(t):
    t.from_client(req(1, "x-vendor/user-1234/do"), 0.0)
    t.from_server(ok(1), 0.1)
    assert requests(t)[0]["method"] == "_OTHER"


def test_batches_are_paired_per_element_and_carry_their_size(t):
    batch = "[" + ",".join([req(1, "ping"), req(2, "tools/list"),
                            '{"jsonrpc":"2.0","method":"notifications/x"}']) + "]"
    t.from_client(batch, 0.0)
    t.from_server("[" + ok(2) + "," + err(1, -32601) + "]", 0.5)
    evs = {e["method"]: e for e in requests(t)}
    assert evs["ping"]["outcome"] == "error" and evs["ping"]["batch_size"] == 2
    assert evs["tools/list"]["outcome"] == "success"


def test_server_to_client_requests_are_not_client_latency(t):
    t.from_server(req(9, "sampling/createMessage"), 0.0)
    t.from_client(ok(9), 1.0)
    assert requests(t) == [] and t.counts["unmatched"] == 0


def test_close_cancels_what_is_pending_and_reports_the_session(t):
    t.from_client(req(0, "initialize"), 0.0)
    t.from_server(ok(0, {"protocolVersion": "2025-06-18"}), 0.1)
    t.from_client(req(1, "tools/call", name="x"), 1.0)
    t.close(3.1, dropped=True)
    assert requests(t)[-1]["outcome"] == "cancelled"
    assert t.events[-1] == {"type": "mcp.connection", "server": "srv", "transport": "stdio",
                            "outcome": "closed", "duration_seconds": 3.0, "dropped": True}


def test_a_handshake_after_a_dropped_session_is_a_reconnect_and_each_drop_counts_once():
    from exporter.kiro.tracker import Drops
    events, drops = [], Drops()

    def session(now, dropped):
        tr = Tracker("srv", "streamable_http", events.append, drops=drops)
        tr.from_client(req(0, "initialize"), now)
        tr.from_server(ok(0, {"protocolVersion": "2025-06-18"}), now + 0.1)
        tr.close(now + 1, dropped=dropped)

    session(0, dropped=True)     # the first connection: none to re-establish
    session(10, dropped=False)   # after the drop: a reconnect; then a clean end
    session(20, dropped=True)    # after a clean end: none
    session(30, dropped=False)   # after the second drop: a reconnect
    attempts = [e.get("reconnect", False) for e in events
                if e["type"] == "mcp.connection" and e["outcome"] == "success"]
    assert attempts == [False, True, False, True]


def test_a_drop_before_the_handshake_completed_is_no_session_to_reconnect(t):
    t.from_client(req(0, "initialize"), 0.0)
    t.close(1.0, dropped=True)
    assert t.drops.open == 0
