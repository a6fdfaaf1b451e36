"""``docs/kpis.md``: the KPI catalog, one row per KPI with its query, unit, target, alerts and audiences."""
from __future__ import annotations

from .. import kinds, naming
from ..model import Alert, Kpi, Spec, kpis_by_domain
from . import Documents

CATALOG_PATH = "docs/kpis.md"


def build(spec: Spec) -> Documents:
    lines = [
        f"# KPI catalog: {spec.bundle.name}",
        "",
        f"{len(spec.kpis)} KPIs in {len(spec.domains)} domains. Each row: the recorded series that holds",
        "the KPI's value (what alerts and panels read), the query behind it, the target, the alerts",
        "(severity: condition, for how long) and the dashboards that show it. Regenerate with `make generate`.",
        "",
    ]
    by_domain = kpis_by_domain(spec)
    for domain_id, domain in spec.domains.items():
        kpis = by_domain.get(domain_id)
        if not kpis:
            continue
        lines += [f"## {domain.title}", "", "| KPI | unit | target | query | alerts | audiences |",
                  "|---|---|---|---|---|---|"]
        lines += [_row(spec, kpi) for kpi in kpis]
        lines.append("")
    return {CATALOG_PATH: "\n".join(lines)}


def _row(spec: Spec, kpi: Kpi) -> str:
    title = f"**{kpi.id}**<br>{kpi.title}" + (f"<br>_covers: {', '.join(kpi.covers)}_" if kpi.covers else "")
    target = str(kpi.target) if kpi.target else ""
    if kpi.slo:
        target += f"<br>SLO {kpi.slo.objective:g} % / {kpi.slo.period}"
    query = f"`{naming.value_record(kpi)}`<br>`{kinds.raw_value_expr(kpi)}`"
    alerts = "<br>".join(f"{naming.alert_name(kpi, a)} ({a.severity}: {condition(spec, a)}, for {a.for_})"
                         for a in kpi.alerts)
    audiences = ", ".join(kpi.audiences)
    return "| " + " | ".join(_cell(c) for c in (title, kpi.unit, target, query, alerts, audiences)) + " |"


def condition(spec: Spec, alert: Alert) -> str:
    """When the alert fires, in a reader's words: ``> 80``, ``baseline x1.5 (7d)``, ``change < -20% vs 1w``.

    The catalog is where people look thresholds up, so a threshold edit must show here.
    """
    if alert.when is not None:
        return str(alert.when)
    if alert.baseline is not None:
        window = alert.baseline.window or spec.defaults.baseline_window
        return f"> baseline x{alert.baseline.factor:g} ({window})"
    if alert.change is not None:
        rule = alert.change
        return f"change {rule.when.op} {rule.when.value * 100:+g}% vs {rule.offset}"
    if alert.forecast is not None:
        rule = alert.forecast
        return f"forecast {rule.when} within {rule.horizon} ({rule.lookback} trend)"
    return "source absent"


def _cell(text: str) -> str:
    """Markdown table cells cannot hold a raw ``|`` (PromQL regexes have them)."""
    return text.replace("|", "\\|")
