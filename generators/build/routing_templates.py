"""Alertmanager notification templates: every channel shows the same context for each alert.

Kept as text in one place so Slack, e-mail and PagerDuty all say what fired, its value,
the runbook, the dashboard and the suggested remediation (the seed's "provide context
and runbooks" and "suggest automated remediation"). Annotations the alerting rules do
not set (``value``, ``remediation``) are simply left out.
"""
from __future__ import annotations

from .. import naming

P = naming.TEMPLATE_PREFIX


def use(name: str) -> str:
    """A reference to one of the templates below, for a receiver field."""
    return f'{{{{ template "{P}.{name}" . }}}}'


TEMPLATE = f"""\
{{{{/* Notification templates for every perfcycle receiver. */}}}}

{{{{ define "{P}.title" -}}}}
[{{{{ .Status | toUpper }}}}{{{{ if eq .Status "firing" }}}}:{{{{ .Alerts.Firing | len }}}}{{{{ end }}}}] \
{{{{ .CommonLabels.alertname }}}}{{{{ with .CommonLabels.service }}}} on {{{{ . }}}}{{{{ end }}}} \
({{{{ .CommonLabels.severity }}}})
{{{{- end }}}}

{{{{ define "{P}.alert" -}}}}
{{{{ .Annotations.summary }}}}
{{{{ with .Annotations.description }}}}{{{{ . }}}}
{{{{ end }}}}{{{{ with .Annotations.value }}}}Value: {{{{ . }}}}
{{{{ end }}}}Severity: {{{{ .Labels.severity }}}}{{{{ with .Labels.kpi }}}} | KPI: {{{{ . }}}}{{{{ end }}}}\
{{{{ with .Labels.service }}}} | service: {{{{ . }}}}{{{{ end }}}}\
{{{{ with .Labels.escalated_from }}}} | escalated from {{{{ . }}}}{{{{ end }}}}
{{{{ with .Annotations.runbook_url }}}}Runbook: {{{{ . }}}}
{{{{ end }}}}{{{{ with .Annotations.dashboard_url }}}}Dashboard: {{{{ . }}}}
{{{{ end }}}}{{{{ with .Annotations.remediation }}}}Suggested remediation: {{{{ . }}}}
{{{{ end }}}}Started: {{{{ .StartsAt.Format "2006-01-02 15:04:05 MST" }}}}
{{{{- end }}}}

{{{{ define "{P}.text" -}}}}
{{{{ if gt (len .Alerts.Firing) 0 }}}}Firing:
{{{{ range .Alerts.Firing }}}}
{{{{ template "{P}.alert" . }}}}
{{{{ end }}}}{{{{ end }}}}{{{{ if gt (len .Alerts.Resolved) 0 }}}}
Resolved:
{{{{ range .Alerts.Resolved }}}}
{{{{ template "{P}.alert" . }}}}
{{{{ end }}}}{{{{ end }}}}
{{{{- end }}}}

{{{{ define "{P}.html" -}}}}
<h2>{{{{ template "{P}.title" . }}}}</h2>
{{{{ range .Alerts }}}}<div>
<h3>{{{{ .Annotations.summary }}}}</h3>
<p>{{{{ .Annotations.description }}}}</p>
{{{{ with .Annotations.value }}}}<p>Value: {{{{ . }}}}</p>{{{{ end }}}}
<p>Severity: {{{{ .Labels.severity }}}}{{{{ with .Labels.kpi }}}}, KPI: {{{{ . }}}}{{{{ end }}}}\
{{{{ with .Labels.escalated_from }}}}, escalated from {{{{ . }}}}{{{{ end }}}}</p>
<p>{{{{ with .Annotations.runbook_url }}}}<a href="{{{{ . }}}}">Runbook</a> {{{{ end }}}}\
{{{{ with .Annotations.dashboard_url }}}}<a href="{{{{ . }}}}">Dashboard</a>{{{{ end }}}}</p>
{{{{ with .Annotations.remediation }}}}<p>Suggested remediation: {{{{ . }}}}</p>{{{{ end }}}}
</div>
{{{{ end }}}}
{{{{- end }}}}

{{{{ define "{P}.runbook_url" }}}}{{{{ (index .Alerts 0).Annotations.runbook_url }}}}{{{{ end }}}}
{{{{ define "{P}.dashboard_url" }}}}{{{{ (index .Alerts 0).Annotations.dashboard_url }}}}{{{{ end }}}}
"""
