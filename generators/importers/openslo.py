"""OpenSLO (``openslo/v1`` and Sloth's ``openslo/v1alpha`` example) -> perfcycle spec document.

Mapping: each ``SLO`` -> a ratio KPI (bad or good over total, in percent), its ``service``
-> domain, ``timeWindow``/``timeWindows`` -> period, ``target``/``targetPercent`` ->
objective. An ``AlertPolicy`` (inline or by name) gives the burn-rate tiers: each
``AlertCondition`` of kind ``burnrate`` with ``threshold`` T over ``lookbackWindow`` L
is a tier spending ``T × L / period`` of the budget in L; its ``severity`` is the alert's
severity (``page``/``critical``/``high`` make it a page tier, others a ticket tier, the
higher threshold of each the fast one); its ``alertAfter`` is that tier's ``for`` (default
2m for pages, 15m for tickets). ``alertWhenNoData`` -> ``no_data: alert``.
``AlertNotificationTarget``s become receivers, and each severity routes to its policy's
first target. Without policies the SRE workbook tiers apply.
"""
from __future__ import annotations

from ..model import duration_from_seconds, seconds
from .common import ImportError_, counter_selector, placeholder_receiver, skeleton, snake

PAGE_WORDS = {"page", "critical", "high", "p1"}
_UNITS = {"minute": 60, "hour": 3600, "day": 86400, "week": 7 * 86400, "month": 30 * 86400}


def to_spec_document(docs: list[dict], source: str) -> dict:
    by_kind: dict[str, dict[str, dict]] = {}
    for i, doc in enumerate(docs):
        name = (doc.get("metadata") or {}).get("name") or f"doc{i}"
        by_kind.setdefault(doc.get("kind", ""), {})[name] = doc
    slos = by_kind.get("SLO", {})
    if not slos:
        raise ImportError_("", "no kind: SLO document")
    routes: dict[str, str] = {}
    receivers: dict[str, dict] = {}
    kpis = [_kpi(doc, name, by_kind, routes, receivers) for name, doc in slos.items()]
    for kpi in kpis:  # severities no policy routed (no policy, or one without targets)
        for field in ("page_severity", "ticket_severity"):
            routes.setdefault(kpi["slo"].get(field, {"page_severity": "critical"}.get(field, "warning")), "slo_default")
    if "slo_default" in routes.values():
        receivers["slo_default"] = placeholder_receiver("slo_default")
    services = list(dict.fromkeys(k["domain"] for k in kpis))
    spec = skeleton(services[0], services, routes, receivers)
    spec["kpis"] = kpis
    return spec


def _kpi(doc: dict, name: str, by_kind: dict, routes: dict, receivers: dict) -> dict:
    spec = doc.get("spec") or {}
    where = f"SLO {name}"
    service = spec.get("service") or name
    period = _period(spec, where)
    objective, good, bad, total = _objective_and_queries(spec, by_kind, where)
    counted, counts = (bad, "errors") if bad else (good, "successes")
    numerator, by = counter_selector(counted, f"{where}.{'bad' if bad else 'good'}")
    denominator, _ = counter_selector(total, f"{where}.total")
    slo: dict = {"objective": objective, "period": period, "name": name, "service": service}
    policies = [_resolve(p, by_kind, "AlertPolicy") for p in spec.get("alertPolicies") or []]
    if policies:
        _apply_policies(slo, policies, by_kind, routes, receivers, seconds(period))
    return {"id": snake(name), "title": (doc.get("metadata") or {}).get("displayName") or name,
            "description": spec.get("description", ""), "domain": snake(service), "unit": "percent",
            "source": {"kind": "ratio", "by": by, "scale": 100, "numerator": numerator,
                       "denominator": denominator, "numerator_counts": counts},
            "slo": slo, "audiences": ["operational"]}


def _objective_and_queries(spec: dict, by_kind: dict, where: str):
    objectives = spec.get("objectives") or []
    if len(objectives) != 1:
        raise ImportError_(f"{where}.objectives", "exactly one objective can be imported")
    objective = objectives[0]
    target = objective.get("target")
    percent = objective.get("targetPercent", None if target is None else float(target) * 100)
    if percent is None:
        raise ImportError_(f"{where}.objectives[0]", "needs target or targetPercent")
    if "ratioMetrics" in objective:  # v1alpha
        ratio = objective["ratioMetrics"]
        return float(percent), _q(ratio.get("good")), _q(ratio.get("bad")), _q(ratio.get("total"))
    indicator = spec.get("indicator") or _resolve(spec.get("indicatorRef"), by_kind, "SLI")
    ratio = ((indicator or {}).get("spec") or {}).get("ratioMetric")
    if not ratio:
        raise ImportError_(f"{where}.indicator", "only ratioMetric SLIs can be imported")
    return float(percent), _q(ratio.get("good")), _q(ratio.get("bad")), _q(ratio.get("total"))


def _q(metric: dict | None) -> str | None:
    if not metric:
        return None
    if "query" in metric:
        return metric["query"]
    source_spec = (metric.get("metricSource") or {}).get("spec") or {}
    return source_spec.get("query") or source_spec.get("promql")


def _period(spec: dict, where: str) -> str:
    if spec.get("timeWindow"):
        return spec["timeWindow"][0]["duration"]
    if spec.get("timeWindows"):
        window = spec["timeWindows"][0]
        unit = _UNITS.get(str(window.get("unit", "")).lower().rstrip("s"))
        if unit is None:
            raise ImportError_(f"{where}.timeWindows", f"unknown unit {window.get('unit')!r}")
        return duration_from_seconds(int(window["count"]) * unit)
    return "30d"


def _resolve(ref: object, by_kind: dict, kind: str) -> dict | None:
    """An inline object, a ``{kind: …Ref}`` or a bare name, looked up among the file's documents."""
    if ref is None:
        return None
    if isinstance(ref, str):
        name = ref
    elif "spec" in ref:
        return ref
    else:
        name = ref.get(f"{kind[0].lower()}{kind[1:]}Ref") or ref.get("targetRef") or ref.get("conditionRef")
    found = by_kind.get(kind, {}).get(name)
    if found is None:
        raise ImportError_(f"{kind} {name}", "referenced but not defined in the file")
    return found


def _apply_policies(slo: dict, policies: list[dict], by_kind: dict, routes: dict, receivers: dict,
                    period_s: float) -> None:
    tiers: dict[str, list[tuple[float, str, str]]] = {"page": [], "ticket": []}
    for policy in policies:
        pspec = policy.get("spec") or {}
        if pspec.get("alertWhenNoData"):
            slo["no_data"] = "alert"
        targets = [_resolve(t, by_kind, "AlertNotificationTarget") for t in pspec.get("notificationTargets") or []]
        for ref in pspec.get("conditions") or []:
            condition = _resolve(ref, by_kind, "AlertCondition")
            cspec = condition.get("spec") or {}
            rule = cspec.get("condition") or {}
            if rule.get("kind", "burnrate").lower() != "burnrate":
                raise ImportError_("AlertCondition", f"only burnrate conditions can be imported, not {rule.get('kind')}")
            severity = snake(str(cspec.get("severity", "page")))
            tier = "page" if severity in PAGE_WORDS else "ticket"
            tiers[tier].append((float(rule["threshold"]), rule["lookbackWindow"], severity, rule.get("alertAfter")))
            if targets:
                receiver = snake((targets[0].get("metadata") or {}).get("name", "target"))
                receivers[receiver] = _receiver(targets[0])
                routes.setdefault(severity, receiver)
    slo["tiers"] = {f"{t}_{s}": False for t in ("page", "ticket") for s in ("fast", "slow")}
    slo["windows"], slo["for"] = {}, {}
    for tier, found in tiers.items():
        if len(found) > 2:
            raise ImportError_("AlertPolicy", f"at most two {tier} burn-rate conditions (fast and slow)")
        ordered = sorted(found, key=lambda c: c[0], reverse=True)  # the higher threshold is the fast tier
        for speed, (threshold, window, severity, after) in zip(("fast", "slow"), ordered):
            name = f"{tier}_{speed}"
            slo["tiers"][name] = True
            slo["windows"][name] = {"long": window, "budget_consumed": round(threshold * seconds(window) / period_s, 9)}
            if after:  # the condition must hold this long before it alerts: Prometheus's ``for``
                slo["for"][name] = after
            slo[f"{tier}_severity"] = severity


def _receiver(target: dict) -> dict:
    """An AlertNotificationTarget as a receiver; secrets are expected in files named after it."""
    name = snake((target.get("metadata") or {}).get("name", "target"))
    spec = target.get("spec") or {}
    kind = str(spec.get("target", "")).lower()
    description = spec.get("description", "")
    if kind == "pagerduty":
        return {"description": description, "pagerduty": {"routing_key_file": f"/etc/alertmanager/secrets/{name}"}}
    if kind == "slack":
        return {"description": description,
                "slack": {"api_url_file": f"/etc/alertmanager/secrets/{name}", "channel": f"#{name.replace('_', '-')}"}}
    if kind == "email":
        return {"description": description, "email": {"to": f"{name}@example.com"}}
    return {**placeholder_receiver(name), "description": description or f"{kind or 'webhook'} target {name}"}
