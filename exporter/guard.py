"""Cardinality guard: a cap on distinct values per label name.

A label fed from events (hook, server, tool...) can explode if a client sends ids or
paths. Past the cap, new values fold into `other` and each fold is counted, so memory
stays bounded and the operator can see that it happened
(`kiro_exporter_cardinality_folded_total{label}`: metric updates folded). Values seen before the cap keep
their own series. The guard is called with the ingest lock held.
"""

from __future__ import annotations

OTHER = "other"


class Guard:
    def __init__(self, max_values: int = 200):
        self.max_values = max_values
        self.seen: dict[str, set] = {}
        self.folded: dict[str, int] = {}

    def admit(self, label: str, value: str, n: int = 1) -> str:
        """`value` itself if already known or under the cap, else `other` (`n` folds)."""
        s = self.seen.get(label)
        if s is None:
            s = self.seen[label] = set()
        if value in s:
            return value
        if len(s) < self.max_values:
            s.add(value)
            return value
        self.folded[label] = self.folded.get(label, 0) + n
        return OTHER
