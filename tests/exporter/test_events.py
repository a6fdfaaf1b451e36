"""Event validation: good and bad events side by side, each case named as a sentence."""

import json

import pytest

from exporter.events import TYPE_NAMES, EventError, decode, parse_duration

GOOD = [
    pytest.param({"type": "hook.execution", "hook": "lint", "outcome": "success"},
                 {"hook": "lint", "trigger": "unknown", "outcome": "success"},
                 id="A hook run needs only its name and outcome."),
    pytest.param({"type": "hook.execution", "hook": "lint", "exit_code": 2},
                 {"outcome": "blocked"},
                 id="Exit code 2 without an outcome means the hook blocked."),
    pytest.param({"type": "mcp.request", "server": "gh", "method": "tools/call",
                  "error_code": -32601}, {"error_code": -32601, "tool": ""},
                 id="A JSON-RPC error code is kept as an integer."),
    pytest.param({"type": "incident", "service": "api", "detected_at": "2026-01-01T00:00:00Z",
                  "resolved_at": "2026-01-01T00:05:00+00:00", "extra": 1},
                 {"severity": "unknown"}, id="Unknown fields are ignored."),
    pytest.param({"type": "survey", "kind": "user", "source": "csat", "score": 4.5},
                 {"source": "csat", "score": 4.5}, id="A user survey is labelled by its source."),
    pytest.param({"type": "optimization", "id": "o1", "strategy": "rightsize",
                  "applied_at": "2026-01-01T00:00:00Z", "target_query": "up", "window": "30m"},
                 {"window": 1800.0, "better": "lower"},
                 id="An optimization window is read as a Prometheus duration."),
]

BAD = [
    pytest.param({"type": "nope"}, "type", id="An unknown type is rejected."),
    pytest.param([1], None, id="A non-object is rejected."),
    pytest.param({"type": "hook.execution", "outcome": "success"}, "hook",
                 id="A hook run without a hook name is rejected."),
    pytest.param({"type": "hook.execution", "hook": "x", "outcome": "meh"}, "outcome",
                 id="An unknown outcome is rejected."),
    pytest.param({"type": "hook.execution", "hook": "x", "outcome": "success",
                  "duration_seconds": -1}, "duration_seconds",
                 id="A negative duration is rejected."),
    pytest.param({"type": "hook.execution", "hook": "x", "outcome": "success",
                  "duration_seconds": True}, "duration_seconds",
                 id="A boolean is not a number."),
    pytest.param({"type": "hook.execution", "hook": "x" * 200, "outcome": "success"}, "hook",
                 id="An over-long label value is rejected."),
    pytest.param({"type": "survey", "kind": "developer", "score": 7}, "score",
                 id="A survey score outside 1-5 is rejected."),
    pytest.param({"type": "incident", "service": "a", "detected_at": "2026-01-01T00:05:00Z",
                  "resolved_at": "2026-01-01T00:00:00Z"}, "resolved_at",
                 id="An incident resolved before it was detected is rejected."),
    pytest.param({"type": "deployment", "service": "a", "time": "yesterday"}, "time",
                 id="A time that is not RFC 3339 is rejected."),
    pytest.param({"type": "optimization", "id": "o", "strategy": "s",
                  "applied_at": "2026-01-01T00:00:00Z"}, "target_query",
                 id="An optimization needs a target query."),
]


def _one(event):
    [item] = decode(json.dumps(event).encode(), ndjson=False)
    return item


@pytest.mark.parametrize("event,fields", GOOD)
def test_good_events_decode(event, fields):
    item = _one(event)
    assert not isinstance(item, EventError), item
    assert TYPE_NAMES[type(item)] == event["type"]
    for k, v in fields.items():
        assert getattr(item, k) == v


@pytest.mark.parametrize("event,field", BAD)
def test_bad_events_name_the_field(event, field):
    item = _one(event)
    assert isinstance(item, EventError)
    assert item.field == field


def test_a_bad_line_in_ndjson_is_reported_by_index_and_the_rest_decode():
    body = b'{"type":"feature","team":"a"}\n\n{"type":"feature"}\nnot json\n'
    items = decode(body, ndjson=True)
    assert [type(i).__name__ for i in items] == ["Feature", "EventError", "EventError"]
    assert items[1].field == "team" and items[1].reason == "missing_field"
    assert items[1].etype == "feature"
    assert items[2].reason == "invalid_json"


def test_durations_parse():
    assert parse_duration("30m") == 1800
    assert parse_duration(90) == 90.0
    with pytest.raises(ValueError):
        parse_duration("0s")
