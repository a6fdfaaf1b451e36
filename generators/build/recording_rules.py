"""Recording rules, one file per domain: ``recording_rules/<domain>.yml``.

Each domain has up to three groups, so no group mixes unrelated domains and each runs
at an interval fitting its readers:

- ``records`` at the domain's interval (15 s for real-time metrics, 5 m for cost): the
  aggregated source series (bucket rates, numerators, denominators) and each KPI's value;
- ``slo`` at the same interval: Sloth-compatible error ratios at every burn-rate window;
- ``long`` at 5 m or slower (or the domain's ``long_interval``): averages over 1 h
  (executive), 1 d (FinOps) and the baseline window (7 d), plus SLO period and metadata
  series, all read from recorded series only.

Only the ``records`` group reads raw source series, and each histogram is aggregated
once (``sum by (le, …) (rate(x_bucket[w]))``) however many percentiles read it: that is
what keeps evaluation cheap on a large Prometheus.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .. import kinds, naming, slo_rules
from ..model import Kpi, Spec, duration_from_seconds, kpis_by_domain, seconds

LONG_GROUP_MIN_INTERVAL = "5m"
"""Long-window averages move slowly; evaluating them more often only costs CPU."""


def build(spec: Spec) -> dict[str, object]:
    """``{recording_rules/<domain>.yml: {groups: [...]}}`` for every domain with KPIs."""
    return {naming.rule_file("recording_rules", domain): {"groups": groups}
            for domain, groups in domain_groups(spec).items()}


def domain_groups(spec: Spec) -> dict[str, list[dict]]:
    """Each domain's rule groups, in spec order; records shared by KPIs appear once, in the first domain."""
    seen = _Seen()
    out: dict[str, list[dict]] = {}
    by_domain = kpis_by_domain(spec)
    for domain in spec.domains:
        kpis = by_domain.get(domain)
        if not kpis:
            continue
        fast, slo_group, long = [], [], []
        for kpi in kpis:
            records = _unique(_fast_records(kpi), seen) + _target_met(kpi)
            if kpi.source.kind == "expression" and seconds(kpi.source.window) >= 3600:
                long += records  # a day-long expression changes slowly: evaluate it with the long group
            else:
                fast += records
            if kpi.slo is not None:
                slo_group += slo_rules.fast_records(spec.bundle.name, kpi)
                long += slo_rules.long_records(spec.bundle.name, kpi)
            long += _window_records(spec, kpi)
        interval = spec.domains[domain].interval
        slow = spec.domains[domain].long_interval or duration_from_seconds(
            max(seconds(interval), seconds(LONG_GROUP_MIN_INTERVAL)))
        groups = [(naming.group_name(spec.bundle.name, domain, "records"), interval, fast),
                  (naming.group_name(spec.bundle.name, domain, "slo"), interval, slo_group),
                  (naming.group_name(spec.bundle.name, domain, "long"), slow, long)]
        out[domain] = [{"name": name, "interval": every, "rules": rules} for name, every, rules in groups if rules]
    return out


def record_owners(groups: dict[str, list[dict]]) -> dict[str, str]:
    """Record name -> the domain whose file records it (tests load those files); ``groups``
    is ``domain_groups(spec)``, built once by the caller (it is the expensive part)."""
    return {rule["record"]: domain for domain, domain_rules in groups.items()
            for group in domain_rules for rule in group["rules"]}


def long_windows(spec: Spec, kpi: Kpi) -> list[str]:
    """Windows the KPI is averaged over: slow audiences' refresh (1h, 1d) and baseline windows."""
    wanted = {spec.audiences[a].refresh for a in kpi.audiences if seconds(spec.audiences[a].refresh) >= 3600}
    wanted |= {a.baseline.window or spec.defaults.baseline_window for a in kpi.alerts if a.baseline}
    fast = seconds(kpi.source.window)
    return sorted((w for w in wanted if seconds(w) > fast), key=seconds)


def _fast_records(kpi: Kpi) -> list[dict]:
    out = []
    for record in kinds.records(kpi):
        rule = {"record": record.record, "expr": record.expr}
        if not kinds.shared(record):
            rule["labels"] = {naming.KPI_LABEL: kpi.id}
        out.append(rule)
    return out


def _target_met(kpi: Kpi) -> list[dict]:
    """``kpi:target_met:bool`` per KPI series with a target: the health score averages them."""
    expr = kinds.target_met_expr(kpi)
    return [] if expr is None else [{"record": naming.TARGET_MET, "expr": expr, "labels": {naming.KPI_LABEL: kpi.id}}]


def _window_records(spec: Spec, kpi: Kpi) -> list[dict]:
    return [{"record": naming.window_record(kpi, w), "expr": kinds.window_expr(kpi, w),
             "labels": {naming.KPI_LABEL: kpi.id}} for w in long_windows(spec, kpi)]


@dataclass
class _Seen:
    """What earlier KPIs already record: record names, and each raw expression's first record.

    Both are looked up per new rule, so both are hashed (a scan of every record so far made
    generation quadratic in the number of KPIs).
    """

    records: set[str] = field(default_factory=set)
    first_record: dict[str, str] = field(default_factory=dict)


def _unique(rules: list[dict], seen: _Seen) -> list[dict]:
    """Record each series once, and each raw aggregation once.

    Two percentiles of one histogram share its bucket rates (dropped here); a KPI whose
    expression another KPI already records (throughput and an error ratio's denominator
    are the same ``sum by (service) (rate(http_requests_total[1m]))``) copies that record
    instead of aggregating the raw series again.
    """
    out = []
    for rule in rules:
        if rule["record"] in seen.records:
            continue
        seen.records.add(rule["record"])
        first = seen.first_record.setdefault(rule["expr"], rule["record"])
        out.append({**rule, "expr": first} if first != rule["record"] else rule)
    return out
