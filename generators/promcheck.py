"""Check every PromQL fragment of a spec with the real Prometheus parser (``promtool check rules``).

Each fragment becomes one recording rule of a throw-away file; promtool's ``rule N``
in its error points back at the spec path the fragment came from.
"""
from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path


from . import kinds, promtool
from .model import Spec

_RULE_ERROR = re.compile(r'rule (\d+), "[^"]*": (?:could not parse expression: )?(.*)')


def fragments(spec: Spec) -> list[tuple[str, str]]:
    """Every user-written PromQL piece as ``(spec path, expression)``."""
    found = []
    for i, kpi in enumerate(spec.kpis):
        source, here = kpi.source, f"kpis[{i}].source"
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


def promql_problems(spec: Spec) -> list[tuple[str, str]]:
    """``(path, message)`` for every fragment promtool cannot parse; one per path."""
    pieces = fragments(spec)
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
