"""Metric names a PromQL expression reads, by a small tokenizer (enough for spec and generated queries).

The dashboards use it to tell which exporter a KPI's source comes from (filter variables),
the tests to check that every queried series has a producer.

Strings, label matchers, durations and grouping clauses are removed first; what remains
that looks like a name and is not a function call, keyword or number is a metric.
``{__name__=~"a|b"}`` selectors give their alternatives.
"""
from __future__ import annotations

import re

KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
            "and", "or", "unless", "inf", "nan", "atan2", "e"}
_NAME_REGEX = re.compile(r'__name__\s*=~?\s*"([^"]*)"')
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_BRACES = re.compile(r"\{[^{}]*\}")
_BRACKETS = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_NAME = re.compile(r"(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?")


def metric_names(expr: str) -> set[str]:
    names = {alt for group in _NAME_REGEX.findall(expr) for alt in group.split("|") if alt}
    text = _BRACES.sub(" ", _STRING.sub('""', expr))
    text = _GROUPING.sub(" ", _BRACKETS.sub(" ", text))
    for name, call in _NAME.findall(text):
        if not call and name.lower() not in KEYWORDS:
            names.add(name)
    return names
