"""Inhibition behaviour in a real Alertmanager (the generated config with webhook receivers).

Each case starts a fresh Alertmanager, posts a few alerts labelled by the contract
(``generators.alert_labels``) and asks the API which ones are inhibited.
"""
from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from generators import naming
from generators.alert_labels import AlertLabelSet, all_alerts
from generators.build import routing

from tests import support

from .routing_support import small_document, spec_of, write_documents



def alert(kpi: str, severity: str, service: str, *, tier: str | None = None, escalated: bool = False) -> dict:
    """The labels of the default spec's generated alert of ``kpi`` and ``severity``, on ``service``."""
    def wanted(a: AlertLabelSet) -> bool:
        return (a.labels[naming.KPI_LABEL] == kpi and a.labels[naming.SEVERITY] == severity
                and a.labels.get(naming.TIER) == tier
                and (naming.ESCALATED_FROM in a.labels) == escalated)
    found = next(a for a in all_alerts(spec_of("default")) if wanted(a))
    return {naming.ALERTNAME: found.alertname, **found.labels,
            **{k: routing.EXAMPLE_VALUE for k in found.series_labels}, "service": service}


CASES = [
    pytest.param({"crit": alert("response_time_p95", "critical", "api"),
                  "warn": alert("response_time_p95", "warning", "api")}, {"warn"},
                 id="A critical alert mutes the warning of the same KPI and service."),
    pytest.param({"crit": alert("response_time_p95", "critical", "api"),
                  "warn": alert("response_time_p95", "warning", "web")}, set(),
                 id="A critical alert leaves the warning of another service alone."),
    pytest.param({"crit": alert("response_time_p95", "critical", "api"),
                  "warn": alert("response_time_p99", "warning", "api")}, set(),
                 id="A critical alert leaves the warning of another KPI alone."),
    pytest.param({"page": alert("availability", "critical", "api", tier="page"),
                  "ticket": alert("availability", "warning", "api", tier="ticket")}, {"ticket"},
                 id="A page-tier burn-rate alert mutes the ticket-tier alert of the same SLO."),
    pytest.param({"page": alert("availability", "critical", "api", tier="page"),
                  "ticket": alert("customer_facing_availability", "warning", "api", tier="ticket")}, set(),
                 id="A page of one SLO leaves the ticket of another SLO alone."),
    pytest.param({"db": alert("error_rate", "critical", "database"),
                  "app_crit": alert("response_time_p95", "critical", "application"),
                  "app_warn": alert("response_time_p99", "warning", "application")}, {"app_crit", "app_warn"},
                 id="A critical alert on a dependency mutes the dependant's critical and warning alerts."),
    pytest.param({"cache": alert("response_time_p99", "warning", "cache"),
                  "app_crit": alert("error_rate", "critical", "application"),
                  "app_warn": alert("request_throughput", "warning", "application")}, {"app_warn"},
                 id="A warning on a dependency mutes the dependant's warnings but not its critical alerts."),
    pytest.param({"db": alert("error_rate", "critical", "database"),
                  "db_too": alert("response_time_p95", "critical", "database"),
                  "app_of_db": alert("response_time_p99", "warning", "database")}, set(),
                 id="Alerts on the dependency itself are never muted by the dependency rules."),
    pytest.param({"app": alert("error_rate", "critical", "application"),
                  "db": alert("response_time_p99", "warning", "database")}, set(),
                 id="A dependant's alert never mutes its dependency."),
    pytest.param({"warn": alert("response_time_p99", "warning", "api"),
                  "escalated": alert("response_time_p99", "critical", "api", escalated=True)}, {"warn"},
                 id="An escalated warning mutes the warning it escalated, so only the page remains."),
    pytest.param({"crit": alert("response_time_p95", "critical", "api"),
                  "warn": alert("response_time_p95", "warning", "api"),
                  "escalated": alert("response_time_p95", "critical", "api", escalated=True)}, {"warn", "escalated"},
                 id="A critical alert mutes the warning and its escalation copy of the same KPI and service."),
    pytest.param({"crit": alert("response_time_p95", "critical", "web"),
                  "escalated": alert("response_time_p95", "critical", "api", escalated=True)}, set(),
                 id="A critical alert leaves the escalation copy of another service alone."),
]


@pytest.fixture(scope="module")
def override_config(tmp_path_factory):
    root = tmp_path_factory.mktemp("live")
    write_documents({"alertmanager.yml": routing.write_override(spec_of("default"), "http://127.0.0.1:9/hook")}, root)
    return root / "alertmanager.yml"


def _api(base_url: str, path: str, body: object | None = None) -> object:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base_url}/api/v2/{path}", data=data,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        text = response.read()
    return json.loads(text) if text else None


def _inhibited(base_url: str) -> dict[str, bool]:
    return {a["labels"]["test_alert"]: bool(a["status"]["inhibitedBy"]) for a in _api(base_url, "alerts")}


@pytest.mark.parametrize("alerts, expected", CASES)
def test_inhibition_live(override_config, tmp_path, alerts, expected):
    with support.alertmanager(override_config, tmp_path) as am:
        _api(am, "alerts", [{"labels": {**labels, "test_alert": key}} for key, labels in alerts.items()])
        want = {key: key in expected for key in alerts}
        deadline = time.monotonic() + 5
        while _inhibited(am) != want and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(0.3)  # settle: a late inhibition must not slip past a "not muted" expectation
        assert _inhibited(am) == want


class _Recorder(BaseHTTPRequestHandler):
    received: list = []

    def do_POST(self):  # noqa: N802 (http.server's naming)
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((time.monotonic(), json.loads(body)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@contextmanager
def recording_webhook() -> Iterator[tuple[str, list]]:
    """A local webhook recording every notification; yields its URL and the ``(time, body)`` list."""
    _Recorder.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Recorder.received
    finally:
        server.shutdown()


def _wait_for(done, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        time.sleep(0.2)


def test_each_severity_reaches_its_receiver_and_the_top_level_re_notifies(tmp_path):
    """The small spec with second-scale timings: page_now re-notifies at its escalation time, others once."""
    from generators.spec import load

    doc = small_document()
    doc["routing"].update(group_wait="1s", group_interval="1m")
    doc["routing"]["severities"]["page_now"]["escalation"] = "5s"
    (tmp_path / "spec.yaml").write_text(json.dumps(doc))
    spec = load(tmp_path / "spec.yaml", check_promql=False).spec
    with recording_webhook() as (url, received):
        write_documents({"alertmanager.yml": routing.write_override(spec, url)}, tmp_path)
        with support.alertmanager(tmp_path / "alertmanager.yml", tmp_path) as am:
            posted = time.monotonic()
            _api(am, "alerts", [{"labels": {"alertname": f"Test{s}", "severity": s, "family": s}}
                                     for s in spec.routing.severities])
            _wait_for(lambda: len([b for _, b in received if b["receiver"] == "sre_pager"]) >= 2, 15)
    by_receiver: dict[str, list[float]] = {}
    for t, body in received:
        by_receiver.setdefault(body["receiver"], []).append(t - posted)
    assert sorted(by_receiver) == ["sre_pager", "status_board", "team_chat"]
    assert len(by_receiver["team_chat"]) == len(by_receiver["status_board"]) == 1
    first, second = by_receiver["sre_pager"][:2]
    assert 4 <= second - first <= 8, by_receiver  # re-notified at the 5 s escalation time (flush every 1 s)


def test_one_incident_pages_once_when_a_muted_warning_escalates(tmp_path):
    """A critical alert, the warning it mutes, and that warning's escalation copy (the state 15
    minutes later): the on-call engineer gets one notification, the critical's, and the team none."""
    spec = spec_of("default")
    spec = spec.model_copy(update={"routing": spec.routing.model_copy(update={"group_wait": "1s"})})
    alerts = {"crit": alert("response_time_p95", "critical", "api"),
              "warn": alert("response_time_p95", "warning", "api"),
              "escalated": alert("response_time_p95", "critical", "api", escalated=True)}
    with recording_webhook() as (url, received):
        write_documents({"alertmanager.yml": routing.write_override(spec, url)}, tmp_path)
        with support.alertmanager(tmp_path / "alertmanager.yml", tmp_path) as am:
            _api(am, "alerts", [{"labels": {**labels, "test_alert": key}} for key, labels in alerts.items()])
            _wait_for(lambda: received, 10)
            time.sleep(3)  # every group has flushed (group_wait 1 s): a second page would be here by now
    notified = [(body["receiver"], sorted(a["labels"]["test_alert"] for a in body["alerts"])) for _, body in received]
    assert notified == [(spec.routing.severities["critical"].receiver, ["crit"])]
