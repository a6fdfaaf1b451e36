"""Read what the stack runs from a generated bundle: rule files, expressions, dashboard panels.

The stack is the edge where outputs are consumed like a user would: it reads the files the
generator wrote (never the other way round).
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..model.base import seconds

RULE_DIRS = ("recording_rules", "alerts")


def rule_files(bundle: Path) -> list[Path]:
    return sorted(p for d in RULE_DIRS for p in (bundle / d).glob("*.yml"))


def rules(bundle: Path) -> list[dict]:
    """Every rule of every group (recording and alerting), each with its group's ``interval``."""
    found = []
    for path in rule_files(bundle):
        for group in _rule_file(path, path.stat().st_mtime_ns).get("groups", []):
            for rule in group.get("rules", []):
                found.append({**rule, "group": group["name"], "interval": group.get("interval"), "file": path.name})
    return found


@functools.lru_cache(maxsize=256)
def _rule_file(path: Path, _mtime_ns: int) -> dict:
    """One parsed rule file, kept while it is unchanged: the backfill reads the bundle several times."""
    return yaml.load(path.read_text(), Loader=_LOADER) or {}


_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's loader when PyYAML has it: the bundle's rule files parse about ten times faster."""


@dataclass(frozen=True)
class PanelQuery:
    dashboard: str
    panel: str
    expr: str
    """With the dashboard's variables substituted: ready for the Prometheus API."""


def panel_queries(bundle: Path) -> list[PanelQuery]:
    """Every panel target of every dashboard, variables substituted as Grafana would with "All"."""
    found = []
    for path in sorted((bundle / "dashboards").glob("*.json")):
        board = json.loads(path.read_text())
        variables = {v["name"]: v for v in board.get("templating", {}).get("list", [])}
        for panel in panels(board):
            for target in panel.get("targets", []):
                if target.get("expr"):
                    found.append(PanelQuery(path.stem, panel.get("title", f"#{panel.get('id')}"),
                                            substitute(target["expr"], variables)))
    return found


def substitute(expr: str, variables: dict) -> str:
    """``$var``/``${var}``/``[[var]]`` -> ``.*`` for multi-value query vars, Grafana's builtins -> durations."""
    builtins = {"__rate_interval": "1m", "__interval": "30s", "__range": "1h", "__interval_ms": "30000",
                "__range_s": "3600", "__range_ms": "3600000"}

    def value(name: str) -> str:
        if name in builtins:
            return builtins[name]
        var = variables.get(name, {})
        if var.get("type") == "datasource":
            return ""
        current = (var.get("current") or {}).get("value")
        if var.get("multi") or var.get("includeAll") or current in (None, "$__all", ["$__all"]):
            return ".*"
        return current if isinstance(current, str) else ".*"

    expr = re.sub(r"\$\{(\w+)(?::\w+)?\}", lambda m: value(m.group(1)), expr)
    expr = re.sub(r"\[\[(\w+)\]\]", lambda m: value(m.group(1)), expr)
    return re.sub(r"\$(\w+)", lambda m: value(m.group(1)), expr)


def expressions(bundle: Path) -> list[str]:
    """Every PromQL expression the bundle runs or shows: rules, then panel queries."""
    return [r["expr"] for r in rules(bundle)] + [q.expr for q in panel_queries(bundle)]


def panels(node: dict):
    """Every panel of a dashboard, rows' panels included."""
    for panel in node.get("panels", []):
        yield panel
        yield from panels(panel)


def cap_intervals(bundle: Path, cap: str) -> list[str]:
    """Lower every rule group's ``interval`` above ``cap`` to ``cap`` in the stack's copy of the bundle.

    Only evaluation frequency changes, never an expression: the ``long`` groups (5 m and
    slower: day averages, baselines) would otherwise first evaluate up to 5 minutes after
    start, longer than a fast end-to-end run. Returns the groups changed.
    """
    changed = []
    for path in rule_files(bundle):
        text = path.read_text()
        head = "".join(line + "\n" for line in text.splitlines() if line.startswith("#"))
        document = yaml.safe_load(text) or {}
        touched = False
        for group in document.get("groups", []):
            if group.get("interval") and seconds(group["interval"]) > seconds(cap):
                group["interval"] = cap
                changed.append(group["name"])
                touched = True
        if touched:
            path.write_text(head + yaml.safe_dump(document, sort_keys=False))
    return changed
