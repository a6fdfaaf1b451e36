"""promtool unit tests for every generated alert: ``tests/rules/<domain>.test.yml``.

Each file loads its domain's alerts and the recording rules they depend on (paths
relative to the test file, so ``promtool test rules tests/rules/*.test.yml`` works from
the project root) and holds, per alert, a case that fires it (labels, rendered
annotations, after ``for``) and one just on the healthy side; target-down alerts are fed
``up``; SLOs add one burn per tier, a burn below every threshold and a quiet service.
See ``generators.alert_cases``.
``escalation.test.yml`` holds the same cases for the escalation copies, which evaluate
their originals' expressions with a longer ``for`` (``generators.escalation_cases``).
``no_traffic*.test.yml`` feed every recording rule flat sources and check nothing
records NaN or Inf (``generators.no_traffic_cases``).
"""
from __future__ import annotations

import re

from .. import alert_cases, escalation_cases, naming, no_traffic_cases, raw_cases, slo_cases, target_cases
from ..model import Kpi, Spec, kpis_by_domain
from . import alerts as alert_builder
from . import recording_rules

RULES_FROM_TEST = "../.."
"""The project root as seen from ``tests/rules/``."""
_RECORD = re.compile(r"\b[a-zA-Z_]*:[a-zA-Z0-9_:]*\b")


def build(spec: Spec) -> dict[str, object]:
    """Per domain with alerts: ``<domain>.test.yml`` and, for week-over-week alerts, ``<domain>.trend.test.yml``;
    the same for the escalation copies (``escalation.test.yml``…)."""
    out: dict[str, object] = {}
    recording = recording_rules.domain_groups(spec)  # built once: every domain's test reads them
    owners = recording_rules.record_owners(recording)
    kpis = kpis_by_domain(spec)
    for domain, group in alert_builder.domain_groups(spec).items():
        out.update(_files(recording, domain, group["name"], cases(spec, domain, kpis.get(domain, [])),
                          rule_files(recording, owners, domain, group)))
    # the copies' cases are fed the recorded series the originals read: the escalation file alone
    out.update(_files(recording, alert_builder.ESCALATION_FILE, naming.escalation_group_name(spec.bundle.name),
                      escalation_cases.escalation_cases(spec), [_alert_file(alert_builder.ESCALATION_FILE)]))
    extra = no_traffic(spec, recording)
    if out.keys() & extra.keys():  # a domain named no_traffic
        raise RuntimeError(f"domain test files clash with the no-traffic tests: {sorted(out.keys() & extra.keys())}")
    return {**out, **extra}


def no_traffic(spec: Spec, groups: dict[str, list[dict]]) -> dict[str, object]:
    """The no-traffic tests over every recording rule file (``generators.no_traffic_cases``);
    ``groups`` is ``recording_rules.domain_groups(spec)``."""
    files = [_recording_file(d) for d in groups]
    order = [g["name"] for gs in groups.values() for g in gs]
    exprs = [r["expr"] for gs in groups.values() for g in gs for r in g["rules"]]
    return no_traffic_cases.documents(spec, files, order, exprs)


def _files(recording: dict[str, list[dict]], name: str, group_name: str, found: list[alert_cases.Case],
           files: list[str]) -> dict[str, dict]:
    """``<name>.test.yml`` loading ``files``, and ``<name>.trend.test.yml`` for the week-over-week cases
    (none without cases)."""
    quick = [c for c in found if c.step == alert_cases.STEP]
    trend = [c for c in found if c.step == alert_cases.TREND_STEP]
    out = {}
    if quick:
        out[naming.test_file(name)] = _file(recording, group_name, quick, files)
    if trend:  # fed recorded series only: the alert file alone keeps a week of evaluations quick
        out[naming.test_file(f"{name}.trend")] = _file(recording, group_name, trend, [_alert_file(name)])
    return out


def _recording_file(domain: str) -> str:
    """A recording rule file as the test files name it (relative to ``tests/rules/``)."""
    return f"{RULES_FROM_TEST}/{naming.rule_file('recording_rules', domain)}"


def _alert_file(name: str) -> str:
    """An alert file as the test files name it (relative to ``tests/rules/``)."""
    return f"{RULES_FROM_TEST}/{naming.rule_file('alerts', name)}"


def cases(spec: Spec, domain: str, kpis: list[Kpi] | None = None) -> list[alert_cases.Case]:
    """Every case of a domain's alerts, in spec order (``kpis``: the domain's, when already known)."""
    out: list[alert_cases.Case] = []
    for kpi in (k for k in spec.kpis if k.domain == domain) if kpis is None else kpis:
        for alert, rule in alert_cases.alert_pairs(spec, kpi):
            out += alert_cases.spec_alert_cases(spec, kpi, alert, rule)
            out += raw_cases.raw_cases(kpi, alert, rule)
        out += target_cases.target_down_cases(spec, kpi)
        if kpi.slo is not None:
            out += slo_cases.burn_cases(spec, kpi)
            if kpi.slo.no_data == "alert":
                out += slo_cases.no_data_cases(spec, kpi)
    return out


def rule_files(by_domain: dict[str, list[dict]], owners: dict[str, str], domain: str,
               alert_group: dict) -> list[str]:
    """The domain's alert file and every recording file its alerts' inputs come from, transitively.

    ``by_domain`` and ``owners`` are ``recording_rules.domain_groups`` and ``record_owners``,
    passed in because rebuilding them per domain made generation grow with domains x KPIs.
    """
    needed: list[str] = []
    pending = [domain]
    while pending:
        current = pending.pop()
        if current in needed or current not in by_domain:
            continue
        needed.append(current)
        for group in by_domain[current]:
            for rule in group["rules"]:
                pending += [owners[name] for name in _RECORD.findall(rule["expr"]) if name in owners]
    for rule in alert_group["rules"]:
        needed += [owners[n] for n in _RECORD.findall(rule["expr"]) if n in owners and owners[n] not in needed]
    files = [_recording_file(d) for d in dict.fromkeys(needed)]
    return files + [_alert_file(domain)]


def _file(by_domain: dict[str, list[dict]], group_name: str, found: list, files: list[str]) -> dict:
    order = [g["name"] for f in files if f.startswith(f"{RULES_FROM_TEST}/recording_rules/")
             for g in by_domain[f.rsplit("/", 1)[1].removesuffix(".yml")]]
    return {"rule_files": files,
            "evaluation_interval": f"{found[0].step // 60}m",
            "group_eval_order": [*order, group_name],
            "tests": [c.document() for c in found]}
