"""Alerting rules, one file per domain with alerts: ``alerts/<domain>.yml``.

One group per domain, evaluated at the domain's interval (the rules read recorded
series of the same domain's groups). What each rule looks like is ``generators.alert_rules``.
"""
from __future__ import annotations

from .. import alert_rules, naming
from ..escalation_rules import escalation_group
from ..model import Spec, kpis_by_domain

ESCALATION_FILE = "escalation"
"""``alerts/escalation.yml``: routing's escalation copies of the alerts of every domain."""


def build(spec: Spec) -> dict[str, object]:
    out: dict[str, object] = {naming.rule_file("alerts", domain): {"groups": [group]}
                              for domain, group in domain_groups(spec).items()}
    escalation = escalation_group(spec)
    if escalation is not None:
        out[naming.rule_file("alerts", ESCALATION_FILE)] = {"groups": [escalation]}
    return out


def domain_groups(spec: Spec) -> dict[str, dict]:
    """Each domain's alert group, only for domains that have alerts."""
    out = {}
    by_domain = kpis_by_domain(spec)
    for domain, settings in spec.domains.items():
        rules = [r for k in by_domain.get(domain, []) for r in alert_rules.kpi_rules(spec, k)]
        if rules:
            out[domain] = {"name": naming.group_name(spec.bundle.name, domain, "alerts"),
                           "interval": settings.interval, "rules": rules}
    return out
