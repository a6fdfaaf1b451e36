"""Event validation: good and bad events side by side, each case named as a sentence."""

import pytest

from exporter.events import EventError, parse_duration, parse_time, validate

GOOD = [
    pytest.param({"type": "hook.execution", "hook": "lint", "outcome": "success"},
                 ("lint", "unknown", "success", None, None, None, False, None),
                 id="A hook run needs only its name and outcome."),
    pytest.param({"type": "hook.execution", "hook": "lint", "exit_code": 2},
                 ("lint", "unknown", "blocked", None, None, None, False, None),
                 id="Exit code 2 without an outcome means the hook blocked."),
    pytest.param({"type": "mcp.request", "server": "gh", "method": "tools/call",
                  "error_code": -32601},
                 ("gh", "tools/call", "", "-32601", None, None, None, False),
                 id="A JSON-RPC error code becomes the error type."),
    pytest.param({"type": "mcp.request", "server": "gh", "method": "tools/call",
                  "outcome": "timeout", "duration_seconds": 0.5},
                 ("gh", "tools/call", "", "timeout", 0.5, None, None, False),
                 id="A timeout is its own error type."),
    pytest.param({"type": "incident", "service": "api", "detected_at": "2026-01-01T00:00:00Z",
                  "resolved_at": "2026-01-01T00:05:00+00:00"},
                 ("api", "unknown", 300.0), id="An incident's resolution time is computed."),
    pytest.param({"type": "survey", "kind": "user", "source": "csat", "score": 4.5},
                 ("user", "csat", 4.5), id="A user survey is labelled by its source."),
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


@pytest.mark.parametrize("event,fields", GOOD)
def test_good_events_normalise(event, fields):
    assert validate(event) == (event["type"], fields)


@pytest.mark.parametrize("event,field", BAD)
def test_bad_events_name_the_field(event, field):
    with pytest.raises(EventError) as e:
        validate(event)
    assert e.value.field == field


def test_durations_and_times_parse():
    assert parse_duration("30m") == 1800
    assert parse_duration(90) == 90.0
    assert parse_time("1970-01-01T00:01:00Z") == 60.0
    with pytest.raises(ValueError):
        parse_time("2026-01-01T00:00:00")  # no offset: ambiguous
