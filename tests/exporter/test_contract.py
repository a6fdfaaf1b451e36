"""The metric contract with the KPI spec: every family, with exactly these label names,
is published by a real exporter once events of each type have arrived."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from exporter import catalog
from exporter.derived import MEASURED

NDJSON = "application/x-ndjson"

CONTRACT = {
    "kiro_hook_executions_total": {"hook", "trigger", "outcome"},
    "kiro_hook_execution_duration_seconds": {"hook", "trigger"},
    "kiro_hook_cpu_seconds_total": {"hook"},
    "kiro_hook_max_resident_memory_bytes": {"hook"},
    "kiro_manual_interventions_total": {"source"},
    "kiro_hook_detections_total": {"hook", "verdict"},
    "mcp_client_operation_duration_seconds": {"server", "mcp_method_name", "gen_ai_tool_name",
                                              "error_type"},
    "mcp_client_session_duration_seconds": {"server"},
    "kiro_mcp_connections_total": {"server", "transport", "outcome"},
    "kiro_mcp_connection_drops_total": {"server"},
    "kiro_mcp_reconnects_total": {"server"},
    "kiro_mcp_server_protocol_info": {"server", "mcp_protocol_version"},
    "kiro_mcp_request_errors_total": {"server", "mcp_method_name", "error_code"},
    "kiro_mcp_cache_requests_total": {"server", "result"},
    "kiro_mcp_batch_size": {"server"},
    "kiro_mcp_notifications_total": {"server", "direction"},
    "kiro_mcp_server_cpu_seconds_total": {"server"},
    "kiro_mcp_server_resident_memory_bytes": {"server"},
    "kiro_autonomy_decisions_total": {"action", "outcome"},
    "kiro_autonomy_decision_duration_seconds": {"action"},
    "kiro_autonomy_escalations_total": {"action"},
    "kiro_autonomy_rollbacks_total": {"action"},
    "kiro_autonomy_tasks_total": {"task", "outcome"},
    "kiro_deployments_total": {"service", "outcome"},
    "kiro_deployment_lead_time_seconds": {"service"},
    "kiro_deployment_duration_seconds": {"service"},
    "kiro_incidents_total": {"service", "severity"},
    "kiro_incident_resolution_duration_seconds": {"service", "severity"},
    "kiro_developer_satisfaction_score": {"survey"},
    "kiro_user_satisfaction_score": {"source"},
    "kiro_features_delivered_total": {"team"},
    "kiro_feature_delivery_duration_seconds": {"team"},
    "kiro_optimization_estimated_hourly_savings": {"id", "strategy"},
    "kiro_budget_monthly_cost": {"scope"},
    "kiro_ebs_volume_provisioned_iops": {"volume_id"},
}
# published once Prometheus answers (see test_derived.py), or on a failed query
DERIVED = {"kiro_optimization_improvement_ratio", "kiro_optimization_realized_hourly_savings",
           "kiro_optimization_target_before", "kiro_optimization_target_after",
           "kiro_optimization_query_errors_total"}

EVENTS = [
    {"type": "hook.execution", "hook": "lint", "trigger": "fileEdited", "outcome": "success",
     "duration_seconds": 0.5, "cpu_seconds": 0.2, "max_rss_bytes": 1e7, "exit_code": 0,
     "manual_intervention": True, "detection": "true_positive"},
    {"type": "mcp.request", "server": "gh", "method": "tools/call", "tool": "search",
     "error_code": -32601, "duration_seconds": 0.1, "cache": "hit", "batch_size": 2},
    {"type": "mcp.connection", "server": "gh", "transport": "stdio", "outcome": "success",
     "duration_seconds": 0.8, "protocol_version": "2025-06-18", "reconnect": True},
    {"type": "mcp.connection", "server": "gh", "dropped": True, "duration_seconds": 600},
    {"type": "mcp.notification", "server": "gh", "direction": "server_to_client"},
    {"type": "mcp.process", "server": "gh", "cpu_seconds": 1.0, "rss_bytes": 5e7},
    {"type": "autonomy.decision", "action": "scale_out", "outcome": "failure",
     "duration_seconds": 0.05, "escalated": True, "rolled_back": True},
    {"type": "autonomy.task", "task": "doc_sync", "outcome": "success"},
    {"type": "deployment", "service": "api", "lead_time_seconds": 3600, "duration_seconds": 300},
    {"type": "incident", "service": "api", "severity": "critical",
     "detected_at": "2026-01-01T00:00:00Z", "resolved_at": "2026-01-01T00:03:00Z"},
    {"type": "survey", "kind": "developer", "survey": "q1", "score": 4.5},
    {"type": "survey", "kind": "user", "source": "csat", "score": 4.0},
    {"type": "feature", "team": "platform", "duration_seconds": 86400},
    {"type": "optimization", "id": "o1", "strategy": "rightsizing",
     "applied_at": "2026-01-01T00:00:00Z", "target_query": "up", "estimated_hourly_savings": 2},
]


def test_every_contract_family_is_published_with_its_label_names(start_exporter, tmp_path):
    (tmp_path / "exporter.yaml").write_text(
        "budgets: {cluster: 1000}\nebs_volumes: {vol-1: 3000}\n")
    p = start_exporter("--config", "exporter.yaml")
    assert p.post(EVENTS) == (200, {"accepted": len(EVENTS), "rejected": 0})
    seen: dict[str, set] = {}
    for fam in text_string_to_metric_families(p.scrape()):
        for s in fam.samples:
            name = fam.name + "_total" if fam.type == "counter" else fam.name
            seen.setdefault(name, set()).add(frozenset(set(s.labels) - {"le"}))
    for name, labels in CONTRACT.items():
        assert seen.get(name) == {frozenset(labels)}, name
    assert p.value("mcp_client_operation_duration_seconds_count", server="gh",
                   mcp_method_name="initialize", gen_ai_tool_name="", error_type="") == 1
    assert p.value("kiro_mcp_request_errors_total", server="gh", mcp_method_name="tools/call",
                   error_code="-32601") == 1
    assert p.value("kiro_mcp_server_protocol_info", server="gh",
                   mcp_protocol_version="2025-06-18") == 1
    assert p.value("kiro_mcp_reconnects_total", server="gh") == 1
    assert not DERIVED & set(CONTRACT)


def test_every_measured_optimization_gauge_is_in_the_contract():
    assert {name for name, _ in MEASURED.values()} <= DERIVED


def test_the_catalog_lists_every_family_a_scrape_shows_and_their_series(start_exporter):
    p = start_exporter()
    assert p.post(EVENTS)[0] == 200
    families = catalog.families()
    # prometheus_client adds `<name>_created` timestamps for its own Histogram; no KPI reads them
    scraped = {fam.name: fam.type for fam in text_string_to_metric_families(p.scrape())
               if not fam.name.endswith("_created")}
    assert scraped.items() <= families.items()
    series = catalog.series_names()
    assert DERIVED <= series
    assert {"kiro_hook_execution_duration_seconds_bucket", "kiro_mcp_batch_size_count",
            "kiro_hook_executions_total", "kiro_optimization_target_before"} <= series
    assert "kiro_hook_executions" not in series, "a counter's samples end in _total"
    assert "kiro_optimization_improvement_ratio_TYPO" not in series
