"""The ingest API and /metrics of a real exporter process, over loopback HTTP."""

from __future__ import annotations

import json
import random
import socket
import subprocess
import threading
from collections import Counter

import pytest

from exporter.loadgen import make_event, ndjson

NDJSON = "application/x-ndjson"


def hook(name="lint", outcome="success", **kw):
    return {"type": "hook.execution", "hook": name, "trigger": "fileEdited", "outcome": outcome,
            **kw}


def test_concurrent_posters_are_counted_exactly(exporter):
    """Eight threads post 6,000 events as single objects, arrays and NDJSON at once."""
    threads, sent = 8, Counter()
    lock = threading.Lock()
    errors = []

    def poster(seed: int):
        rng = random.Random(seed)
        mine = Counter()
        for i in range(25):
            batch = [hook(f"h{rng.randrange(5)}", rng.choice(["success", "failure", "blocked"]),
                          duration_seconds=rng.random()) for _ in range(30)]
            for e in batch:
                mine[(e["hook"], e["outcome"])] += 1
            kind = i % 3
            if kind == 0:
                status, body = exporter.post(ndjson(batch), NDJSON)
            elif kind == 1:
                status, body = exporter.post(batch)
            else:
                for e in batch[:-1]:
                    status, body = exporter.post(e)
                    if status != 200:
                        errors.append(body)
                status, body = exporter.post(batch[-1])
            if status != 200:
                errors.append(body)
        with lock:
            sent.update(mine)

    ts = [threading.Thread(target=poster, args=(s,)) for s in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not errors
    samples = exporter.samples()
    for (h, outcome), n in sent.items():
        key = ("kiro_hook_executions_total",
               frozenset({"hook": h, "trigger": "fileEdited", "outcome": outcome}.items()))
        assert samples[key] == n, (h, outcome)
    assert sum(sent.values()) == threads * 25 * 30
    assert exporter.total("kiro_hook_execution_duration_seconds_count") == threads * 750
    assert exporter.value("kiro_exporter_events_accepted_total", source="http",
                          type="hook.execution") == threads * 750


def test_a_bad_event_is_rejected_by_index_and_field_and_the_rest_counted(exporter):
    batch = [hook("a"), hook("b", duration_seconds=-1), {"type": "nope"}, hook("c"),
             {"type": "hook.execution", "outcome": "success"}]
    status, body = exporter.post(ndjson(batch), NDJSON)
    assert status == 400
    assert body["accepted"] == 2 and body["rejected"] == 3
    assert [(e["index"], e["field"]) for e in body["errors"]] == [
        (1, "duration_seconds"), (2, "type"), (4, "hook")]
    assert exporter.total("kiro_hook_executions_total") == 2
    assert exporter.value("kiro_exporter_events_rejected_total", source="http",
                          type="hook.execution", reason="missing_field") == 1
    assert exporter.value("kiro_exporter_events_rejected_total", source="http",
                          type="unknown", reason="unknown_type") == 1


@pytest.mark.parametrize("body,ctype,status,message", [
    pytest.param(b"{not json", "application/json", 400, "invalid JSON",
                 id="A body that is not JSON gets 400 naming the problem."),
    pytest.param(b"[1, 2]", "application/json", 400, "Expected `object`",
                 id="Array items that are not objects get 400."),
    pytest.param(b'{"type": "survey", "kind": "developer", "score": 9}', "application/json",
                 400, "<= 5.0", id="A survey score above 5 gets 400."),
])
def test_malformed_bodies_get_400_with_a_message(exporter, body, ctype, status, message):
    got, data = exporter.post(body, ctype)
    assert got == status
    assert message in json.dumps(data)


def test_an_oversized_body_gets_413(start_exporter):
    p = start_exporter("--web.max-body-bytes", "1000")
    status, body = p.post(ndjson([hook()] * 50), NDJSON)
    assert status == 413 and "exceeds the limit of 1000 bytes" in body["error"]
    assert p.post(hook())[0] == 200  # small bodies still pass


def test_a_request_without_content_length_gets_411(exporter):
    with socket.create_connection(("127.0.0.1", exporter.port), timeout=5) as s:
        s.sendall(b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                  b"0\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 411")


def test_ingest_needs_the_bearer_token_when_configured(start_exporter, tmp_path):
    token = tmp_path / "token"
    token.write_text("s3cret-token\n")
    p = start_exporter("--web.auth-token-file", str(token))
    status, body = p.post(hook())
    assert status == 401 and "bearer token" in body["error"]
    assert p.post(hook(), headers={"Authorization": "Bearer wrong"})[0] == 401
    assert p.post(hook(), headers={"Authorization": "Bearer s3cret-token"}) == (
        200, {"accepted": 1, "rejected": 0})
    assert "s3cret" not in p.log.read_text()
    assert p.request("GET", "/metrics")[0] == 200  # scraping needs no token


def test_health_readiness_and_unknown_paths(exporter):
    assert exporter.request("GET", "/-/healthy")[0] == 200
    assert exporter.request("GET", "/-/ready")[0] == 200
    assert exporter.request("GET", "/nope")[0] == 404
    assert exporter.request("POST", "/nope", b"{}")[0] == 404


def test_the_cardinality_guard_folds_extra_values_into_other(start_exporter):
    p = start_exporter("--cardinality.max-values-per-label", "5")
    assert p.post([hook(f"h{i}") for i in range(20)])[0] == 200
    hooks = {dict(lab)["hook"] for (n, lab) in p.samples() if n == "kiro_hook_executions_total"}
    assert hooks == {"h0", "h1", "h2", "h3", "h4", "other"}
    assert p.value("kiro_hook_executions_total", hook="other", trigger="fileEdited",
                   outcome="success") == 15
    assert p.value("kiro_exporter_cardinality_folded_total", label="hook") == 15


def test_the_protocol_version_info_follows_the_latest_handshake(start_exporter):
    """One series at 1 per server (the version negotiated last; a replaced one drops to
    0), failed attempts change nothing, and version values pass the cardinality guard."""
    p = start_exporter("--cardinality.max-values-per-label", "2")

    def connected(server, version, outcome="success"):
        return {"type": "mcp.connection", "server": server, "outcome": outcome,
                "protocol_version": version}

    def versions(server):
        return {dict(lab)["mcp_protocol_version"]: v for (n, lab), v in p.samples().items()
                if n == "kiro_mcp_server_protocol_info" and ("server", server) in lab}

    assert p.post([connected("gh", "2025-03-26"), connected("gh", "2025-06-18")])[0] == 200
    assert p.post(connected("gh", "1999-01-01", outcome="failure"))[0] == 200
    assert versions("gh") == {"2025-03-26": 0, "2025-06-18": 1}
    assert p.post(connected("gh", "2025-03-26"))[0] == 200
    assert versions("gh") == {"2025-03-26": 1, "2025-06-18": 0}
    assert p.post(connected("fs", "2099-12-31"))[0] == 200
    assert versions("fs") == {"other": 1}
    assert p.value("kiro_exporter_cardinality_folded_total", label="mcp_protocol_version") == 1


def test_label_values_are_escaped(exporter):
    nasty = 'a"b\\c\nd'
    assert exporter.post(hook(nasty))[0] == 200
    assert exporter.value("kiro_hook_executions_total", hook=nasty, trigger="fileEdited",
                          outcome="success") == 1


def test_promtool_finds_nothing_wrong_with_a_real_scrape(exporter):
    rng = random.Random(7)
    events = [make_event(rng, incident) for incident in ("none", "mcp-latency")
              for _ in range(2000)]
    events += [
        {"type": "incident", "service": "api", "severity": "critical",
         "detected_at": "2026-01-01T00:00:00Z", "resolved_at": "2026-01-01T00:04:00Z"},
        {"type": "survey", "kind": "developer", "survey": "q1", "score": 4.2},
        {"type": "survey", "kind": "user", "source": "csat", "score": 4.6},
        {"type": "feature", "team": "platform", "duration_seconds": 86400 * 3},
        {"type": "mcp.process", "server": "github", "cpu_seconds": 1.5, "rss_bytes": 5e7},
        hook('odd "name"', detection="false_positive", manual_intervention=True),
    ]
    assert exporter.post(ndjson(events), NDJSON)[0] == 200
    text = exporter.scrape()
    r = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                       text=True, timeout=30)
    assert (r.returncode, r.stdout, r.stderr) == (0, "", "")
    for name in ("kiro_hook_executions_total", "mcp_client_operation_duration_seconds_bucket",
                 "kiro_incident_resolution_duration_seconds_bucket",
                 "kiro_developer_satisfaction_score", "kiro_mcp_server_cpu_seconds_total"):
        assert f"\n{name}{{" in text


def test_a_malformed_request_line_gets_400_and_expect_100_continue_is_honoured(exporter):
    with socket.create_connection(("127.0.0.1", exporter.port), timeout=5) as s:
        s.sendall(b"GARBAGE\r\n\r\n")
        assert s.recv(4096).startswith(b"HTTP/1.1 400")
    body = json.dumps(hook()).encode()
    with socket.create_connection(("127.0.0.1", exporter.port), timeout=5) as s:
        s.sendall(b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                  b"Content-Length: %d\r\n\r\n" % len(body))
        assert s.recv(4096) == b"HTTP/1.1 100 Continue\r\n\r\n"
        s.sendall(body)
        reply = s.recv(4096)
        assert reply.startswith(b"HTTP/1.1 200") and reply.endswith(b'{"accepted": 1, "rejected": 0}')
