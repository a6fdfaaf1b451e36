"""Notification templates rendered by the real amtool: every message carries context, links and remediation."""
from __future__ import annotations

import json
import subprocess

import pytest

from generators import naming

from tests.support import tool

STARTED = "2026-12-03T19:00:00Z"
FULL = {"summary": "p95 above 2 s on api", "description": "Users wait; see the latency panel.", "value": "2.31 s",
        "runbook_url": "https://runbooks.example.com/rt", "dashboard_url": "http://grafana/d/pc-ops",
        "remediation": "Scale the deployment out by two replicas."}
LABELS = {"alertname": "ResponseTimeP95ThresholdCritical", "severity": "critical", "kpi": "response_time_p95",
          "service": "api"}


def _data(alerts: list[dict], status: str = "firing") -> dict:
    common = {k: v for k, v in alerts[0]["labels"].items() if all(a["labels"].get(k) == v for a in alerts)}
    return {"receiver": "on_call_engineer", "status": status, "groupLabels": {"alertname": common.get("alertname", "")},
            "commonLabels": common, "commonAnnotations": {}, "externalURL": "http://am",
            "alerts": [{"startsAt": STARTED, "endsAt": "0001-01-01T00:00:00Z", "generatorURL": "http://prom",
                        "fingerprint": str(i), **a} for i, a in enumerate(alerts)]}


def _alert(labels=LABELS, annotations=FULL, status="firing") -> dict:
    return {"status": status, "labels": dict(labels), "annotations": dict(annotations)}


CASES = [
    pytest.param("text", _data([_alert()]),
                 "Firing:\n\np95 above 2 s on api\nUsers wait; see the latency panel.\nValue: 2.31 s\n"
                 "Severity: critical | KPI: response_time_p95 | service: api\n"
                 "Runbook: https://runbooks.example.com/rt\nDashboard: http://grafana/d/pc-ops\n"
                 "Suggested remediation: Scale the deployment out by two replicas.\n"
                 "Started: 2026-12-03 19:00:00 UTC",
                 id="A firing alert shows summary, description, value, runbook, dashboard and remediation."),
    pytest.param("text", _data([_alert(annotations={k: v for k, v in FULL.items() if k not in ("value", "remediation")})]),
                 "Firing:\n\np95 above 2 s on api\nUsers wait; see the latency panel.\n"
                 "Severity: critical | KPI: response_time_p95 | service: api\n"
                 "Runbook: https://runbooks.example.com/rt\nDashboard: http://grafana/d/pc-ops\n"
                 "Started: 2026-12-03 19:00:00 UTC",
                 id="Without a value or a remediation those lines are left out."),
    pytest.param("text", _data([_alert(labels={**LABELS, naming.ESCALATED_FROM: "warning"})]),
                 "Firing:\n\np95 above 2 s on api\nUsers wait; see the latency panel.\nValue: 2.31 s\n"
                 "Severity: critical | KPI: response_time_p95 | service: api | escalated from warning\n"
                 "Runbook: https://runbooks.example.com/rt\nDashboard: http://grafana/d/pc-ops\n"
                 "Suggested remediation: Scale the deployment out by two replicas.\n"
                 "Started: 2026-12-03 19:00:00 UTC",
                 id="An escalated alert says which level it escalated from."),
    pytest.param("title", _data([_alert(), _alert(labels={**LABELS, "instance": "b"})]),
                 "[FIRING:2] ResponseTimeP95ThresholdCritical on api (critical)",
                 id="The title counts firing alerts and names the alert, service and severity."),
    pytest.param("title", _data([_alert(status="resolved")], status="resolved"),
                 "[RESOLVED] ResponseTimeP95ThresholdCritical on api (critical)",
                 id="A resolved group says so in its title."),
    pytest.param("runbook_url", _data([_alert()]), "https://runbooks.example.com/rt",
                 id="PagerDuty's runbook link is the first alert's runbook."),
]


@pytest.mark.parametrize("name, data, expected", CASES)
def test_template(bundles, tmp_path, name, data, expected):
    _, root = bundles("default")
    (tmp_path / "data.json").write_text(json.dumps(data))
    result = subprocess.run(
        [tool("amtool"), "template", "render", f"--template.glob={root / naming.ALERTMANAGER_TEMPLATE}",
         f'--template.text={{{{ template "{naming.TEMPLATE_PREFIX}.{name}" . }}}}',
         f"--template.data={tmp_path / 'data.json'}"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


def test_html_mail_escapes_and_links(bundles, tmp_path):
    _, root = bundles("default")
    data = _data([_alert(annotations={**FULL, "summary": "p95 <2 s> & rising"})])
    (tmp_path / "data.json").write_text(json.dumps(data))
    result = subprocess.run(
        [tool("amtool"), "template", "render", "--template.type=html", f"--template.glob={root / naming.ALERTMANAGER_TEMPLATE}",
         f'--template.text={{{{ template "{naming.TEMPLATE_PREFIX}.html" . }}}}',
         f"--template.data={tmp_path / 'data.json'}"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert "<h3>p95 &lt;2 s&gt; &amp; rising</h3>" in result.stdout
    assert '<a href="https://runbooks.example.com/rt">Runbook</a>' in result.stdout
    assert '<a href="http://grafana/d/pc-ops">Dashboard</a>' in result.stdout
    assert "<p>Suggested remediation: Scale the deployment out by two replicas.</p>" in result.stdout
