"""The event-fed metric families (the KPI spec's contract) and how each event updates them.

Names, label names and units here are a contract with `spec/kpis.yaml`: add, never
rename. Bucket bounds are chosen per latency: hooks run up to Kiro's 60 s timeout and
beyond, MCP operations follow the OpenTelemetry MCP semantic-convention boundaries,
DORA lead time spans minutes to weeks.
"""

from __future__ import annotations

from .store import Family, Store

HOOK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300)
MCP_OP_BUCKETS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300)
SESSION_BUCKETS = (1, 10, 60, 300, 900, 1800, 3600, 7200, 14400, 28800, 86400)
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128)
DECISION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
LEAD_BUCKETS = (300, 900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 604800, 1209600,
                2592000)
DEPLOY_BUCKETS = (10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
RESOLUTION_BUCKETS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 43200, 86400, 259200)
FEATURE_BUCKETS = (3600, 86400, 172800, 604800, 1209600, 2592000, 5184000, 7776000, 15552000)

C, G, H = "counter", "gauge", "histogram"
FAMILIES = [
    # hooks
    (C, "kiro_hook_executions", "Hook executions by outcome (blocked = exit code 2).",
     ("hook", "trigger", "outcome")),
    (H, "kiro_hook_execution_duration_seconds", "Wall-clock seconds per hook execution.",
     ("hook", "trigger"), HOOK_BUCKETS),
    (C, "kiro_hook_cpu_seconds", "CPU seconds (user+system) used by hook processes.", ("hook",)),
    (G, "kiro_hook_max_resident_memory_bytes", "Peak resident memory of the last run.",
     ("hook",)),
    (C, "kiro_manual_interventions", "Times a human had to step in.", ("source",)),
    (C, "kiro_hook_detections", "Hook findings by verdict once labelled.", ("hook", "verdict")),
    # MCP
    (H, "mcp_client_operation_duration_seconds",
     "MCP client operation duration (OpenTelemetry MCP semconv); initialize = handshake.",
     ("server", "mcp_method_name", "gen_ai_tool_name", "error_type"), MCP_OP_BUCKETS),
    (H, "mcp_client_session_duration_seconds", "MCP session length (OpenTelemetry MCP semconv).",
     ("server",), SESSION_BUCKETS),
    (C, "kiro_mcp_connections", "MCP connection attempts by outcome.",
     ("server", "transport", "outcome")),
    (C, "kiro_mcp_connection_drops", "MCP sessions that ended unexpectedly.", ("server",)),
    (C, "kiro_mcp_reconnects", "MCP sessions established again after a dropped one.",
     ("server",)),
    (G, "kiro_mcp_server_protocol_info",
     "MCP protocol version negotiated in the latest initialize (1; 0 once replaced).",
     ("server", "mcp_protocol_version")),
    (C, "kiro_mcp_request_errors", "Failed MCP requests by JSON-RPC code or error kind.",
     ("server", "mcp_method_name", "error_code")),
    (C, "kiro_mcp_cache_requests", "MCP result cache look-ups.", ("server", "result")),
    (H, "kiro_mcp_batch_size", "Messages per JSON-RPC batch.", ("server",), BATCH_BUCKETS),
    (C, "kiro_mcp_notifications", "MCP notifications by direction.", ("server", "direction")),
    (C, "kiro_mcp_server_cpu_seconds", "CPU seconds used by local (stdio) MCP servers.",
     ("server",)),
    (G, "kiro_mcp_server_resident_memory_bytes", "Resident memory of local MCP servers.",
     ("server",)),
    # autonomy
    (C, "kiro_autonomy_decisions", "Autonomous decisions by validated outcome.",
     ("action", "outcome")),
    (H, "kiro_autonomy_decision_duration_seconds", "Seconds to reach an autonomous decision.",
     ("action",), DECISION_BUCKETS),
    (C, "kiro_autonomy_escalations", "Autonomous decisions escalated to a human.", ("action",)),
    (C, "kiro_autonomy_rollbacks", "Autonomous decisions rolled back.", ("action",)),
    (C, "kiro_autonomy_tasks", "Automated tasks by final state.", ("task", "outcome")),
    # DORA and business
    (C, "kiro_deployments", "Deployments by outcome.", ("service", "outcome")),
    (H, "kiro_deployment_lead_time_seconds", "Commit-to-production lead time.", ("service",),
     LEAD_BUCKETS),
    (H, "kiro_deployment_duration_seconds", "Deployment pipeline duration.", ("service",),
     DEPLOY_BUCKETS),
    (C, "kiro_incidents", "Incidents by severity.", ("service", "severity")),
    (H, "kiro_incident_resolution_duration_seconds", "Detection-to-resolution seconds.",
     ("service", "severity"), RESOLUTION_BUCKETS),
    (G, "kiro_developer_satisfaction_score", "Latest developer survey score (1-5).", ("survey",)),
    (G, "kiro_user_satisfaction_score", "Latest user satisfaction score (1-5).", ("source",)),
    (C, "kiro_features_delivered", "Features delivered.", ("team",)),
    (H, "kiro_feature_delivery_duration_seconds", "Feature approved-to-released seconds.",
     ("team",), FEATURE_BUCKETS),
]


def make_store() -> Store:
    return Store([Family(name, kind, help_, labels, tuple(float(b) for b in (rest or ((),))[0]))
                  for kind, name, help_, labels, *rest in FAMILIES])
