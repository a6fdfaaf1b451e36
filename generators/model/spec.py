"""The whole spec: bundle settings, defaults, domains, audiences, KPIs and routing.

Field validation happens in the types; this module adds the checks that need the whole
spec (unique ids, references that must exist, thresholds that contradict targets) and
reports them as located problems rather than stopping at the first.
"""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from .audience import Audience, Domain
from .base import Comparison, Duration, Frozen, Identifier, Target
from .kpi import Kpi
from .routing import Routing


class Bundle(Frozen):
    """Names and links shared by every output."""

    name: Identifier
    runbook_url: str = "https://runbooks.example.com/perfcycle/{kpi}"
    """Template for a KPI's runbook; ``{kpi}`` and ``{alert}`` are filled in."""
    grafana_url: str = "http://localhost:3000"
    """Base URL of the Grafana that shows the generated dashboards (used in ``dashboard_url``)."""


class Defaults(Frozen):
    """Knobs every KPI inherits unless it says otherwise."""

    baseline_window: Duration = "7d"
    """Window of the recorded baseline that ``p95 > baseline × 1.5`` compares with."""
    change_offset: Duration = "1w"
    """Default ``offset`` of week-over-week comparisons."""
    absent_for: Duration = "10m"
    """How long a critical source may be missing before the missing-data alert fires."""
    target_down_for: Duration = "5m"
    """How long a scrape target of a critical source may be down (``up == 0``) before its alert fires."""
    target_down_severity: Identifier | None = None
    """Severity of the target-down alerts; by default the second most severe routed one: one target
    of several down is partial blindness, while ``<Kpi>SourceAbsent`` (most severe) covers all gone."""


class Exporter(Frozen):
    """An external exporter the spec relies on, and the metric name prefixes it publishes."""

    title: str
    metrics: list[str]
    """Metric names or prefixes ending in ``*`` (``node_*``)."""
    job: str | None = None
    """The ``job`` label of its scrape targets (``up{job="node"}``); defaults to the exporter's id."""
    down_for: Duration | None = None
    """``for`` of its target-down alerts; defaults to ``defaults.target_down_for``."""
    down_severity: Identifier | None = None
    """Severity of its target-down alerts; defaults to ``defaults.target_down_severity``."""


class Spec(Frozen):
    """The validated KPI spec every generator reads."""

    version: Literal[1]
    bundle: Bundle
    defaults: Defaults = Defaults()
    domains: dict[Identifier, Domain]
    audiences: dict[Identifier, Audience]
    exporters: dict[Identifier, Exporter] = {}
    kpis: list[Kpi] = Field(min_length=1)
    routing: Routing
    slo_files: list[str] = []
    """Sloth (``prometheus/v1``) or OpenSLO files, relative to this spec, whose SLOs join ``kpis``
    (the loader adds them, with a domain per service), so teams keep the SLO files they have."""

    def kpi(self, kpi_id: str) -> Kpi:
        return next(k for k in self.kpis if k.id == kpi_id)


def kpis_by_domain(spec: Spec) -> dict[str, list[Kpi]]:
    """The KPIs of each domain in spec order, found in one pass.

    Builders work domain by domain; scanning every KPI per domain grows with domains x KPIs,
    and imported SLO files bring a domain per service.
    """
    out: dict[str, list[Kpi]] = {}
    for kpi in spec.kpis:
        out.setdefault(kpi.domain, []).append(kpi)
    return out


def cross_problems(spec: Spec) -> list[tuple[str, str]]:
    """Every whole-spec problem as ``(path, message)``, in spec order."""
    problems: list[tuple[str, str]] = []
    seen: dict[str, int] = {}
    severities = spec.routing.severities
    for i, kpi in enumerate(spec.kpis):
        here = f"kpis[{i}]"
        if kpi.id in seen:
            problems.append((f"{here}.id", f'duplicate id "{kpi.id}" (first at kpis[{seen[kpi.id]}])'))
        seen.setdefault(kpi.id, i)
        if kpi.domain not in spec.domains:
            problems.append((f"{here}.domain", f'unknown domain "{kpi.domain}" (known: {", ".join(spec.domains)})'))
        for name in kpi.audiences:
            if name not in spec.audiences:
                problems.append((f"{here}.audiences.{name}", f'unknown audience "{name}" (known: {", ".join(spec.audiences)})'))
        for j, alert in enumerate(kpi.alerts):
            if alert.severity not in severities:
                problems.append((f"{here}.alerts[{j}].severity",
                                 f'severity "{alert.severity}" has no route in routing.severities'))
            if alert.when is not None and kpi.target is not None and _overlaps(kpi.target, alert.when):
                problems.append((f"{here}.alerts[{j}].when",
                                 f'"{alert.when}" fires while the target "{kpi.target}" is met'))
        if kpi.slo is not None:
            if kpi.source.kind != "ratio":
                problems.append((f"{here}.slo", f"an SLO needs a ratio source, not {kpi.source.kind}"))
            for field in ("page_severity", "ticket_severity"):
                if getattr(kpi.slo, field) not in severities:
                    problems.append((f"{here}.slo.{field}", f'severity "{getattr(kpi.slo, field)}" has no route'))
    problems += _exporter_problems(spec)
    problems += _routing_problems(spec)
    return problems


def _exporter_problems(spec: Spec) -> list[tuple[str, str]]:
    """Target-down severities the routing does not know."""
    given = [("defaults.target_down_severity", spec.defaults.target_down_severity)]
    given += [(f"exporters.{name}.down_severity", e.down_severity) for name, e in spec.exporters.items()]
    return [(path, f'severity "{severity}" has no route in routing.severities')
            for path, severity in given if severity is not None and severity not in spec.routing.severities]


def _routing_problems(spec: Spec) -> list[tuple[str, str]]:
    # Imported here: the routing checks derive alert labels through ``naming``, which imports the model.
    from ..routing_checks import routing_problems

    return routing_problems(spec)


def _interval(condition: Comparison | Target) -> tuple[float, bool, float, bool]:
    """The set of values a comparison or target admits, as (low, low_closed, high, high_closed)."""
    inf = float("inf")
    if isinstance(condition, Target) and condition.is_band:
        return condition.low, True, condition.high, True
    op, value = condition.op, condition.value
    return {">": (value, False, inf, False), ">=": (value, True, inf, False),
            "<": (-inf, False, value, False), "<=": (-inf, False, value, True)}[op]


def _overlaps(target: Target, alert: Comparison) -> bool:
    """Whether some value both meets the target and fires the alert (a contradiction)."""
    lo1, lc1, hi1, hc1 = _interval(target)
    lo2, lc2, hi2, hc2 = _interval(alert)
    lo, lo_closed = (lo1, lc1) if (lo1, not lc1) > (lo2, not lc2) else (lo2, lc2)
    hi, hi_closed = (hi1, hc1) if (hi1, hc1) < (hi2, hc2) else (hi2, hc2)
    return lo < hi or (lo == hi and lo_closed and hi_closed)
