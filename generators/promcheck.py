"""Check every PromQL fragment of a spec with the real Prometheus parser (``promtool check rules``).

Each fragment becomes one recording rule of a throw-away file; promtool's ``rule N``
in its error points back at the spec path the fragment came from. Fragments are the KPI
sources and the raw ``queries`` of audience panels (Grafana template variables replaced
first, as Grafana would); when the spec is structurally invalid, the KPIs and panels that
validate on their own are still checked, so one run reports both kinds of problem.
"""
from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

from pydantic import ValidationError

from . import kinds, promtool
from .model import AudiencePanel, Kpi, Spec

_RULE_ERROR = re.compile(r'rule (\d+), "[^"]*": (?:could not parse expression: )?(.*)')
GRAFANA_BUILT_INS = {"__rate_interval": "5m", "__interval": "1m", "__range": "1h", "__range_s": "3600",
                     "__interval_ms": "60000"}
"""Grafana's interval variables, replaced by durations of the right type to parse."""
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)")
Fragment = tuple[str, str]
"""``(spec path, PromQL)``."""


def substitute_variables(expr: str) -> str:
    """A panel query as Prometheus sees it from Grafana: built-ins by durations, filter variables by ``.*``.

    The same substitution the dashboard tests use before sending queries to a real Prometheus.
    """
    def one(match: re.Match) -> str:
        return GRAFANA_BUILT_INS.get(match.group(1) or match.group(2), ".*")
    return _VARIABLE.sub(one, expr)


def fragments(spec: Spec) -> list[Fragment]:
    """Every PromQL piece of the spec's KPI sources (what reads raw series)."""
    return [piece for i, kpi in enumerate(spec.kpis) for piece in kpi_fragments(f"kpis[{i}]", kpi)]


def checked_fragments(spec: Spec) -> list[Fragment]:
    """Every user-written PromQL piece: KPI sources and audience panel queries."""
    panels = [(f"audiences.{name}.panels[{j}]", panel) for name, audience in spec.audiences.items()
              for j, panel in enumerate(audience.panels)]
    return fragments(spec) + [piece for here, panel in panels for piece in panel_fragments(here, panel)]


def kpi_fragments(here: str, kpi: Kpi) -> list[Fragment]:
    """One KPI's source selectors and the raw value expression built from them."""
    source, here = kpi.source, f"{here}.source"
    found = []
    if source.kind == "quantile":
        found.append((f"{here}.selector", f"{source.metric}_bucket{{{source.selector}}}"
                      if source.selector else f"{source.metric}_bucket"))
    elif source.kind == "ratio":
        found += [(f"{here}.numerator[{j}]", e) for j, e in enumerate(source.numerator)]
        found += [(f"{here}.denominator[{j}]", e) for j, e in enumerate(source.denominator)]
    elif source.kind == "rate":
        found += [(f"{here}.counters[{j}]", e) for j, e in enumerate(source.counters)]
    elif source.kind == "gauge":
        found.append((f"{here}.metric", source.metric))
    else:
        found.append((f"{here}.expr", source.expr))
    found.append((here, kinds.raw_value_expr(kpi)))
    return found


def panel_fragments(here: str, panel: AudiencePanel) -> list[Fragment]:
    """A ``show: query`` panel's raw queries, as the dashboard will send them."""
    return [(f"{here}.queries[{k}].expr", substitute_variables(q.expr)) for k, q in enumerate(panel.queries)]


def document_fragments(document: dict) -> list[Fragment]:
    """The fragments of the KPIs and panels of a structurally invalid spec that validate on their own."""
    found: list[Fragment] = []
    kpis = document.get("kpis")
    for i, raw in enumerate(kpis if isinstance(kpis, list) else []):
        kpi = _valid(Kpi, raw)
        found += kpi_fragments(f"kpis[{i}]", kpi) if kpi else []
    audiences = document.get("audiences")
    for name, audience in (audiences.items() if isinstance(audiences, dict) else []):
        panels = audience.get("panels") if isinstance(audience, dict) else None
        for j, raw in enumerate(panels if isinstance(panels, list) else []):
            panel = _valid(AudiencePanel, raw)
            found += panel_fragments(f"audiences.{name}.panels[{j}]", panel) if panel else []
    return found


def _valid(model: type, raw: object) -> object | None:
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None


def promql_problems(pieces: list[Fragment]) -> list[tuple[str, str]]:
    """``(path, message)`` for every fragment promtool cannot parse; one per path."""
    if not pieces:
        return []
    rules = [{"record": f"perfcycle:check:{n}", "expr": expr} for n, (_, expr) in enumerate(pieces)]
    with tempfile.TemporaryDirectory(prefix="perfcycle-promql-") as tmp:
        path = Path(tmp) / "fragments.yml"
        path.write_text(json.dumps({"groups": [{"name": "fragments", "rules": rules}]}))  # JSON is YAML, and fast
        result = promtool.check_rules(path)
    if result.ok:
        return []
    problems, seen = [], set()
    for line in result.output.splitlines():
        match = _RULE_ERROR.search(line)
        if match:
            where = pieces[int(match.group(1)) - 1][0]
            if not any(where.startswith(s) or s.startswith(where) for s in seen):
                problems.append((where, f"invalid PromQL: {match.group(2)}"))
                seen.add(where)
    return problems or [("", f"promtool rejected the spec's PromQL: {result.output}")]
