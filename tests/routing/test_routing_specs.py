"""Routing sections that must load and ones that must fail, each with its exact message and spec path."""
from __future__ import annotations

import pytest
import yaml

from generators.errors import SpecError
from generators.spec import load

from .routing_support import small_document


def _set(path: str, value):
    """A change to the small spec: set the value at a dotted path (``routing.severities.fyi``)."""
    def change(doc: dict) -> None:
        *parents, last = path.split(".")
        node = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        if isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return change


def _drop(path: str):
    def change(doc: dict) -> None:
        *parents, last = path.split(".")
        node = doc
        for key in parents:
            node = node[int(key)] if isinstance(node, list) else node[key]
        del node[last]
    return change


def _both(*changes):
    def change(doc: dict) -> None:
        for c in changes:
            c(doc)
    return change


RECEIVERS = "sre_pager, team_chat, status_board"
SAME_ALERT = ("source and target can match the same alert, which would then inhibit itself: "
              "give them a label with different values (e.g. severity)")

CASES = [
    pytest.param(lambda doc: None, [], id="The small spec loads without problems."),
    pytest.param(_set("routing.severities.next_day.receiver", "night_shift"), [
        ("routing.receivers.team_chat", "is never used: no severity routes to it"),
        ("routing.severities.next_day.receiver", f'undefined receiver "night_shift" (known: {RECEIVERS})'),
    ], id="A severity routed to an undefined receiver is rejected."),
    pytest.param(_set("routing.receivers.sre_pager.pagerduty", {"routing_key": "0123abcd"}), [
        ("routing.receivers.sre_pager.pagerduty",
         "inline secret 'routing_key' is not allowed: put it in a file and use 'routing_key_file'"),
    ], id="An inline PagerDuty routing key is rejected, naming routing_key_file."),
    pytest.param(_set("routing.receivers.team_chat.slack", {"api_url": "https://hooks.slack.com/x", "channel": "#t"}), [
        ("routing.receivers.team_chat.slack",
         "inline secret 'api_url' is not allowed: put it in a file and use 'api_url_file'"),
    ], id="An inline Slack webhook URL is rejected, naming api_url_file."),
    pytest.param(_set("routing.receivers.sre_pager.email", {"to": "a@b.c", "auth_password": "hunter2"}), [
        ("routing.receivers.sre_pager.email",
         "inline secret 'auth_password' is not allowed: put it in a file and use 'auth_password_file'"),
    ], id="An inline SMTP password is rejected, naming auth_password_file."),
    pytest.param(_set("routing.receivers.status_board.webhook", {"url": "https://u:p@example.com/hook"}), [
        ("routing.receivers.status_board.webhook.url",
         "a webhook url must not embed credentials (Alertmanager 0.25 has no url_file): "
         "use a receiver with a *_file secret instead"),
    ], id="A webhook URL carrying credentials is rejected."),
    pytest.param(_set("routing.receivers.sre_pager.email", {"to": "a@b.c", "auth_secret": "cram-md5"}), [
        ("routing.receivers.sre_pager.email",
         "inline secret 'auth_secret' is not allowed: put it in a file and use 'auth_password_file' "
         "(Alertmanager 0.25 has no auth_secret_file)"),
    ], id="An inline SMTP CRAM-MD5 secret is rejected, naming the password file to use."),
    pytest.param(_set("routing.receivers.status_board.webhook", {"url": "https://hooks.slack.com/services/T0/B0/x"}), [
        ("routing.receivers.status_board.webhook.url",
         "a Slack incoming-webhook URL is itself a secret: use a slack channel and put the URL in the file "
         "its 'api_url_file' names"),
    ], id="A Slack webhook URL given as a plain webhook is rejected, naming api_url_file."),
    pytest.param(_set("routing.receivers.status_board.webhook", {"url": "https://hooks.example.com/in?token=abc"}), [
        ("routing.receivers.status_board.webhook.url",
         "a webhook url must not carry a secret in its query (token=; Alertmanager 0.25 has no url_file): "
         "use a receiver with a *_file secret instead"),
    ], id="A webhook URL with a token in its query is rejected."),
    pytest.param(_set("routing.receivers.status_board.webhook",
                      {"url": "https://hooks.example.com/in?team=ops&api_key=abc&Key=d"}), [
        ("routing.receivers.status_board.webhook.url",
         "a webhook url must not carry a secret in its query (api_key=, Key=; Alertmanager 0.25 has no url_file): "
         "use a receiver with a *_file secret instead"),
    ], id="A webhook URL with keys in its query is rejected, naming each parameter."),
    pytest.param(_set("routing.receivers.status_board.webhook", {"url": "http://127.0.0.1:9095/annotations?source=am"}),
                 [], id="A webhook URL with a harmless query loads."),
    pytest.param(_set("kpis.0.alerts.2.severity", "urgent"), [
        ("kpis[0].alerts[2].severity", 'severity "urgent" has no route in routing.severities'),
        ("routing.receivers.status_board", "is never used: no alert has severity fyi"),
    ], id="An alert of a severity with no route is rejected."),
    pytest.param(_drop("routing.severities.fyi"), [
        ("kpis[0].alerts[2].severity", 'severity "fyi" has no route in routing.severities'),
        ("routing.receivers.status_board", "is never used: no severity routes to it"),
    ], id="Removing a severity's route rejects the alerts of that severity."),
    pytest.param(_set("routing.inhibit.0.source", {"severity": "page_now", "team": "sre"}), [
        ("routing.inhibit[0].source.team", 'label "team" is carried by no generated alert'),
    ], id="An inhibition matching a label no alert carries is rejected."),
    pytest.param(_set("routing.inhibit.0.target", {}), [
        ("routing.inhibit[0].target", "needs at least one label matcher"),
    ], id="An inhibition with an empty target (muting everything) is rejected."),
    pytest.param(_set("routing.inhibit.0.equal", ["family", "cluster"]), [
        ("routing.inhibit[0].equal", 'label "cluster" is carried by no generated alert'),
    ], id="An inhibition requiring equal values of a label no alert carries is rejected."),
    pytest.param(_set("routing.inhibit.0.equal", ["family", "trigger"]), [
        ("routing.inhibit[0].equal",
         'label "trigger" is carried by none of the alerts the target selects (severity="next_day")'),
    ], id="An inhibition requiring equal values of a label the alerts it targets never carry is rejected."),
    pytest.param(_set("routing.inhibit.1.equal", ["slo", "trigger"]), [
        ("routing.inhibit[1].equal",
         'label "trigger" is carried by none of the alerts the source selects (tier="page")'),
        ("routing.inhibit[1].equal",
         'label "trigger" is carried by none of the alerts the target selects (tier="ticket")'),
    ], id="An equal label carried only by alerts the inhibition does not select is rejected on both sides."),
    pytest.param(_set("routing.inhibit.1.source", {"tier": "page", "severity": "fyi"}), [
        ("routing.inhibit[1].source", 'no generated alert matches all of tier="page", severity="fyi"'),
    ], id="An inhibition whose matchers each match some alert but together none is rejected."),
    pytest.param(_set("routing.inhibit.1.source", {"tier": "pager"}), [
        ("routing.inhibit[1].source.tier", 'no generated alert has tier="pager" (known: page, ticket)'),
    ], id="An inhibition on a label value no alert has is rejected."),
    pytest.param(_set("routing.inhibit.0.target", {"family": "latency_p95"}), [
        ("routing.inhibit[0]", SAME_ALERT),
    ], id="An inhibition whose source and target can be the same alert is rejected."),
    pytest.param(_set("routing.group_by", ["alertname", "servce"]), [
        ("routing.group_by[1]", 'label "servce" is carried by no generated alert'),
    ], id="Grouping by a label no alert carries (a typo) is rejected."),
    pytest.param(_set("routing.severities.page_now.repeat_interval", "1h"), [
        ("routing.severities.page_now.repeat_interval",
         "contradicts escalation 10m: the most severe level has no next level, so it re-notifies at its "
         "escalation time (drop one of them)"),
    ], id="A re-notification interval contradicting the top level's escalation time is rejected."),
    pytest.param(_set("routing.receivers.spare", {"webhook": {"url": "http://127.0.0.1:1/"}}), [
        ("routing.receivers.spare", "is never used: no severity routes to it"),
    ], id="A receiver no severity routes to is rejected."),
    pytest.param(_set("routing.depends_on.disk", ["api"]), [
        ("routing.depends_on.api", '"api" depends on itself through a cycle'),
        ("routing.depends_on.db", '"db" depends on itself through a cycle'),
        ("routing.depends_on.disk", '"disk" depends on itself through a cycle'),
    ], id="A dependency cycle is rejected, since each service would mute the others."),
    pytest.param(_set("routing.depends_on.db", ["db"]), [
        ("routing.depends_on.db", '"db" depends on itself'),
    ], id="A service depending on itself is rejected."),
    pytest.param(_set("routing.severities.next_day.escalate_to", "fyi"), [
        ("routing.severities.next_day.escalate_to",
         '"fyi" is not more severe than "next_day" (severities are listed from most to least severe)'),
    ], id="Escalating to a less severe level is rejected."),
    pytest.param(_set("routing.severities.fyi.escalate_to", "page_now"), [
        ("routing.severities.fyi.escalate_to", "has no effect without an escalation time"),
    ], id="escalate_to without an escalation time is rejected."),
    pytest.param(_set("kpis.0.source.by", ["service", "severity"]), [
        ("kpis[0].source.by", 'label "severity" is set on alerts by the bundle; rename it in the query'),
    ], id="A KPI keeping a label the bundle sets on its alerts is rejected."),
    pytest.param(_both(_set("routing.receivers.unrouted", {"webhook": {"url": "http://127.0.0.1:1/"}}),
                       _set("routing.severities.fyi.receiver", "unrouted"),
                       _drop("routing.receivers.status_board")), [
        ("routing.receivers.unrouted", '"unrouted" is reserved for alerts of no known severity'),
    ], id="A receiver may not take the name of the root receiver."),
]


@pytest.mark.parametrize("change, expected", CASES)
def test_routing_spec(tmp_path, change, expected):
    doc = small_document()
    change(doc)
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    if not expected:
        load(path, check_promql=False)
        return
    with pytest.raises(SpecError) as raised:
        load(path, check_promql=False)
    got = [(p.path, p.message) for p in raised.value.problems]
    assert got == expected
    assert all(p.file == str(path) for p in raised.value.problems)
    for where, message in expected:  # the one line a user reads names the file, the spec path and the fix
        assert f"{path}: {where}: {message}" in str(raised.value)
