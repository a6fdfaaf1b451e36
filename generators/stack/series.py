"""Which synthetic series to create: one plan per metric, from how the bundle's PromQL uses it.

Every selector must find data, so each label gets a value satisfying every matcher that
names it (``code=~"5.."`` -> ``500``, ``device!~"lo|veth.*"`` -> ``eth0``); labels the
expressions group or join on (``by (service)``, ``on (namespace, pod)``) get two values from
one shared pool, so both sides of a join produce the same combinations. Histograms get their
``_bucket`` (with ``le``), ``_sum`` and ``_count`` together, whichever of them is read.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

from .selectors import Found, Matcher, Use

POOLS = {
    "code": ["200", "500"], "outcome": ["success", "failure"], "result": ["hit", "miss"],
    "service": ["api", "web"], "namespace": ["default", "payments"], "pod": ["api-0", "web-0"],
    "node": ["node-a", "node-b"], "device": ["eth0", "sda"], "mode": ["idle", "user"],
    "phase": ["Running", "Pending"], "resource": ["cpu", "memory"], "server": ["history-jira", "history-slack"],
    "hook": ["history-pre-commit", "history-doc-sync"], "trigger": ["fileCreated", "fileDeleted"],
    "strategy": ["rightsizing", "spot"], "source": ["autonomy", "hook"],
}
"""Shared label values, so joins line up; a label not listed gets ``<label>-a`` and ``<label>-b``.
Hooks and MCP servers have names of their own, so an incident injected into the live exporter
is judged on live traffic alone, not diluted by weeks of synthetic calm."""
_REGEX_GUESSES = ["500", "200", "success", "failed", "true_positive", "pass", "ingress_http",
                  "outbound|8080||api.default.svc", "spot", "Pass", "error"]
_BAD_VALUE = re.compile(r"^(5\d\d|4\d\d|5xx|4xx)$|error|fail|false_positive|denied|timeout|miss|blocked|"
                        r"rolled|reject|drop|Pending|violation", re.I)
_BAD_NAME = re.compile(r"throttled|overflow|error|fail|drop|violation|interruption|rollback|escalation|misses|"
                       r"manual_intervention|pending|retries|timeout|restarts", re.I)
MAX_SERIES = 32
"""Per metric: enough for two values of a few labels, small enough to backfill in seconds."""


@dataclass(frozen=True)
class Plan:
    """The series of one metric (or one histogram: name is the base, ``histogram`` True)."""

    name: str
    histogram: bool
    counter: bool
    labels: tuple[dict, ...]
    lookback: float
    offsets: frozenset[float]
    weights: tuple[float, ...]
    """Per label set: how much of the traffic it gets (bad outcomes get a sliver)."""
    bounds: tuple[str, ...] = ()
    """Histogram ``le`` values the expressions name (``le="0.5"`` in an Apdex): buckets that must exist."""
    median: float | None = None
    """Histogram median (raw unit) that keeps the spec's quantile targets met; None: generic."""
    level: float | None = None
    """Per-series gauge value that keeps the spec's gauge target met; None: generic."""
    burst_depth: float = 0
    """How far back (s) recorded series read over long windows need this metric's short rates
    (``rulesfill.raw_needs``): the history adds a fine burst before each hour mark there."""
    burst_span: float = 0
    """Length (s) of each burst: the longest short range plus offset those records read."""


def plans(found: Found, job_of, hints: dict | None = None) -> list[Plan]:
    """A plan per metric (histograms merged); ``job_of(name)`` names the exporter for ``job``.

    ``hints`` (from ``shape.hints``) carry the spec's targets as raw medians and levels.
    """
    hints = hints or {}
    grouped: dict[tuple[str, bool], list[Use]] = {}
    for name, uses in found.uses.items():
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        histogram = name.endswith("_bucket") or (name != base and f"{base}_bucket" in found.uses)
        grouped.setdefault((base if histogram else name, histogram), []).extend(uses)
    result = []
    for (name, histogram), uses in sorted(grouped.items()):
        labels = _label_sets(uses)
        job = job_of(name)
        labels = tuple({**ls, "job": job, "instance": f"{job}-synthetic"} for ls in labels)
        weights = tuple(_weight(name, ls) for ls in labels)
        hint = hints.get(name, {})
        level = hint.get("level")
        if level is not None and hint.get("aggregation") == "sum":
            level /= len(labels)
        result.append(Plan(name, histogram, histogram or any(u.counter for u in uses),
                           labels, max(u.lookback for u in uses), frozenset().union(*(u.offsets for u in uses)),
                           weights, tuple(sorted({m.value for u in uses for m in u.matchers
                                                  if m.label == "le" and m.op == "="})),
                           hint.get("median"), level))
    return result


def _label_sets(uses: list[Use]) -> list[dict]:
    names = sorted({m.label for u in uses for m in u.matchers if m.label not in ("le", "__name__", "job", "instance")}
                   | {g for u in uses for g in u.grouping if g not in ("job", "instance")})
    values: dict[str, list[str]] = {}
    for label in names:
        chosen: list[str] = []
        for use in uses:
            mine = [m for m in use.matchers if m.label == label]
            value = _satisfy(label, mine)
            if value is not None and value not in chosen:
                chosen.append(value)
        if all(m.op in ("!=", "!~") and m.value == "" for u in uses for m in u.matchers if m.label == label) \
                and not any(label in u.grouping for u in uses) and "" not in chosen:
            chosen.append("")  # `label!=""` filters a subset: the rest of the series lack the label
        if any(label in u.grouping for u in uses):
            for extra in _pool(label):
                if extra not in chosen and len(chosen) < 2 and _harmless(extra, label, uses):
                    chosen.append(extra)
        values[label] = chosen or _pool(label)[:1]
    combos = [dict(zip(values, c)) for c in itertools.product(*values.values())] if values else [{}]
    return combos[:MAX_SERIES]


def _satisfy(label: str, matchers: list[Matcher]) -> str | None:
    """A value meeting every matcher on ``label`` (None if the pool and guesses have none)."""
    positives = [m.value for m in matchers if m.op == "="]
    candidates = positives + _regex_candidates([m for m in matchers if m.op == "=~"]) + _pool(label) + _REGEX_GUESSES
    return next((c for c in candidates if all(m.matches(c) for m in matchers) and c != ""), None)


def _regex_candidates(matchers: list[Matcher]) -> list[str]:
    found = []
    for m in matchers:
        for alternative in m.value.removeprefix("(?i)").split("|"):
            plain = re.sub(r"\.\*|\.\+", "", alternative).replace(".", "0").replace("?", "").strip("()^$")
            found.append(plain)
    return found


def _harmless(value: str, label: str, uses: list[Use]) -> bool:
    """An extra pooled value must not break a selector's negative matcher (it is only ignored then)."""
    return all(m.matches(value) for u in uses for m in u.matchers if m.label == label and m.op in ("!=", "!~"))


def _pool(label: str) -> list[str]:
    return POOLS.get(label, [f"{label}-a", f"{label}-b"])


def _weight(name: str, labels: dict) -> float:
    """0.02 % of the traffic for bad outcomes: inside a 99.9 % SLO's budget, so no burn alerts."""
    bad = any(_BAD_VALUE.search(v) or (v and re.search(r"error|fail", k)) for k, v in labels.items()
              if k not in ("job", "instance"))
    return (0.0002 if bad else 1.0) * (0.01 if _BAD_NAME.search(name) else 1.0)

