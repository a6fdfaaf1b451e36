"""Sloth's ``prometheus/v1`` SLO spec -> perfcycle spec document.

Mapping: ``service`` -> the domain and ``sloth_service``; each SLO -> a ratio KPI (error
query over total query, in percent) with ``slo.name`` = the Sloth SLO name, so the series
carry the same ``sloth_id`` Sloth would give them; ``alerting.name`` -> the burn-rate
alert's name; ``page_alert``/``ticket_alert`` labels -> the tiers' labels, with Sloth's
``sloth_severity`` (page/ticket) added; their ``severity`` routes to perfcycle's
``critical`` and ``warning``; ``disable: true`` switches the tier off. Sloth's period is
not in the file (a CLI flag, 30 days by default): 30 days here.
"""
from __future__ import annotations

from .common import ImportError_, counter_selector, placeholder_receiver, skeleton, snake

PAGE, TICKET = "critical", "warning"
PERIOD = "30d"


def to_spec_document(doc: dict, source: str) -> dict:
    service = doc.get("service")
    if not service:
        raise ImportError_("service", "a Sloth spec needs a service")
    kpis = [_kpi(service, doc.get("labels") or {}, slo, f"slos[{i}]") for i, slo in enumerate(doc.get("slos") or [])]
    if not kpis:
        raise ImportError_("slos", "a Sloth spec needs at least one SLO")
    spec = skeleton(service, [snake(service)], {PAGE: "sloth_page", TICKET: "sloth_ticket"},
                    {"sloth_page": placeholder_receiver("sloth_page"),
                     "sloth_ticket": placeholder_receiver("sloth_ticket")})
    spec["kpis"] = kpis
    return spec


def _kpi(service: str, labels: dict, slo: dict, where: str) -> dict:
    events = (slo.get("sli") or {}).get("events")
    if not events:
        raise ImportError_(f"{where}.sli", "only events SLIs (error_query/total_query) can be imported")
    errors, by = counter_selector(events["error_query"], f"{where}.sli.events.error_query")
    total, total_by = counter_selector(events["total_query"], f"{where}.sli.events.total_query")
    if by != total_by:
        raise ImportError_(f"{where}.sli.events", "error and total queries must aggregate by the same labels")
    alerting = slo.get("alerting") or {}
    page, ticket = alerting.get("page_alert") or {}, alerting.get("ticket_alert") or {}
    name = slo["name"]
    out = {
        "id": snake(f"{service}_{name}"),
        "title": f"{service} {name}",
        "description": slo.get("description", ""),
        "domain": snake(service),
        "unit": "percent",
        "source": {"kind": "ratio", "by": by, "scale": 100, "numerator": errors, "denominator": total,
                   "numerator_counts": "errors"},
        "slo": {
            "objective": float(slo["objective"]), "period": PERIOD, "name": name, "service": service,
            "labels": {**{k: str(v) for k, v in labels.items()}, **{k: str(v) for k, v in (slo.get("labels") or {}).items()}},
            "page_labels": _tier_labels(alerting, page, "page"),
            "ticket_labels": _tier_labels(alerting, ticket, "ticket"),
            "page_severity": PAGE, "ticket_severity": TICKET,
            "tiers": {"page_fast": not page.get("disable", False), "page_slow": not page.get("disable", False),
                      "ticket_fast": not ticket.get("disable", False), "ticket_slow": not ticket.get("disable", False)},
        },
        "audiences": ["operational"],
    }
    if alerting.get("name"):
        out["slo"]["alert_name"] = alerting["name"]
    summary = (alerting.get("annotations") or {}).get("summary")
    if summary:
        out["slo"]["summary"] = summary
    return out


def _tier_labels(alerting: dict, tier: dict, severity: str) -> dict[str, str]:
    labels = {**(alerting.get("labels") or {}), **(tier.get("labels") or {})}
    labels.pop("severity", None)  # perfcycle's severity routes; Sloth's own is kept as sloth_severity
    return {**{k: str(v) for k, v in labels.items()}, "sloth_severity": severity}
