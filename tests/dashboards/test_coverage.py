"""Every KPI of the default spec is on a dashboard, and each dashboard shows what the seed lists for it."""
from __future__ import annotations

import pytest

from generators import naming

from .conftest import leaf_panels
from .promql_names import metric_names

SEED_KIRO_METRICS = {
    "kiro_hooks": ["hook_execution_duration_seconds", "hook_success_rate_percentage",
                   "hook_trigger_frequency_per_hour", "hook_resource_consumption", "automation_success_rate",
                   "manual_intervention_frequency", "issue_detection_accuracy", "false_positive_rate"],
    "kiro_mcp": ["mcp_connection_establishment_time", "mcp_request_response_time", "mcp_connection_stability",
                 "mcp_throughput_requests_per_second", "mcp_cache_hit_ratio",
                 "mcp_batch_processing_efficiency", "mcp_error_rate", "mcp_resource_utilization"],
    "kiro_autonomy": ["decision_accuracy_percentage", "decision_time_milliseconds", "escalation_frequency",
                      "rollback_necessity_rate", "automated_task_completion_rate",
                      "human_intervention_reduction", "cost_optimization_effectiveness",
                      "security_compliance_maintenance"],
}
"""The seed's "Kiro-Specific Performance Metrics", one list per Kiro area dashboard."""

SEED_AUDIENCE_ITEMS = {
    "executive": ["overall_platform_health_score", "cost_efficiency_trend", "user_satisfaction_score",
                  "deployment_frequency", "lead_time", "availability"],
    "operational": ["service_availability", "response_time_trends", "error_rate_by_service",
                    "resource_utilization"],
    "performance_engineering": ["detailed_performance_metrics", "bottleneck_identification",
                                "optimization_opportunities", "performance_experiment_results"],
    "finops": ["cost_trends_and_forecasts", "optimization_savings", "resource_efficiency_metrics",
               "budget_utilization"],
}
"""What the seed and issue 5 ask each audience dashboard to show (KPI ``covers`` or summary panels)."""
SUMMARY_PANELS = {"overall_platform_health_score": "health_score", "bottleneck_identification": "bottlenecks",
                  "optimization_opportunities": "over_provisioned",
                  "performance_experiment_results": "experiments"}


def _queried(board: dict) -> str:
    return "\n".join(t["expr"] for p in leaf_panels(board) for t in p["targets"])


def _shows(board: dict, kpi) -> bool:
    """Whether a panel reads the KPI's value record or one of its long-window averages."""
    names = set().union(*(metric_names(t["expr"]) for p in leaf_panels(board) for t in p["targets"]))
    value = naming.value_record(kpi)
    return any(n == value or n.startswith(value + "_avg") for n in names)


def test_every_kpi_of_the_default_spec_is_on_at_least_one_dashboard(boards, spec):
    missing = [k.id for k in spec.kpis if not any(_shows(b, k) for b in boards.values())]
    assert not missing, f"KPIs on no dashboard: {missing}"


@pytest.mark.parametrize("audience", sorted(SEED_KIRO_METRICS))
def test_kiro_dashboards_show_every_metric_the_seed_lists(boards, spec, audience):
    shown = {c for k in spec.kpis if _shows(boards[audience], k) for c in [k.id, *k.covers]}
    missing = [m for m in SEED_KIRO_METRICS[audience] if m not in shown]
    assert not missing, f"{audience} lacks {missing}"


@pytest.mark.parametrize("audience", sorted(SEED_AUDIENCE_ITEMS))
def test_audience_dashboards_show_the_seeds_contents(boards, spec, audience):
    shown = {c for k in spec.kpis if _shows(boards[audience], k) for c in [k.id, *k.covers]}
    ids = {p["id"] for p in leaf_panels(boards[audience])}
    for item in SEED_AUDIENCE_ITEMS[audience]:
        if item in SUMMARY_PANELS:
            key = naming.summary_panel_key(SUMMARY_PANELS[item])
            assert naming.panel_id(key, audience) in ids, f"{audience} lacks {item}"
        else:
            assert item in shown, f"{audience} lacks {item}"


def test_the_executive_health_score_averages_every_kpis_target_met_series(boards):
    exprs = _queried(boards["executive"]).splitlines()
    assert f"100 * avg({naming.TARGET_MET})" in exprs
