"""Read raw series out of PromQL: metric names, label matchers, grouping labels, look-back.

A small scanner, not a parser: enough to learn, from every expression the bundle runs,
which source series must exist, which labels (and label values) they need so that every
selector, ``by`` and ``on (...)`` join finds data, whether each is a counter, and how far
back the expressions look (ranges plus offsets), so the synthetic history covers it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_TOKEN = re.compile(r'''\s*(?:(?P<str>"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)|(?P<ident>[a-zA-Z_:][a-zA-Z0-9_:]*)'''
                    r'''|(?P<brace>\{)|(?P<range>\[[^\]]*\])|(?P<num>[0-9.]+(?:e[+-]?[0-9]+)?[a-z]*)|(?P<op>.))''', re.S)
_MATCHER = re.compile(r'''\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|`[^`]*`)\s*,?''')
_GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
_KEYWORDS = {"and", "or", "unless", "offset", "bool", "inf", "nan", "atan2", "start", "end"}
_AGGREGATORS = {"sum", "avg", "min", "max", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
                "count_values", "group"}
_COUNTER_FUNCS = {"rate", "irate", "increase", "resets"}
_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800, "y": 31536000}


@dataclass(frozen=True)
class Matcher:
    label: str
    op: str
    value: str

    def matches(self, value: str) -> bool:
        if self.op == "=":
            return value == self.value
        if self.op == "!=":
            return value != self.value
        hit = re.fullmatch(self.value, value) is not None
        return hit if self.op == "=~" else not hit


@dataclass
class Use:
    """One appearance of a metric in an expression."""

    matchers: tuple[Matcher, ...]
    grouping: frozenset[str]
    counter: bool
    lookback: float
    """Seconds before evaluation time this expression reads (longest range plus longest offset)."""
    offsets: frozenset[float]


@dataclass
class Found:
    """Everything one scan learnt: uses per metric and the longest look-back in seconds."""

    uses: dict[str, list[Use]] = field(default_factory=dict)
    lookback: float = 0.0
    offsets: set[float] = field(default_factory=set)


def duration_seconds(text: str) -> float:
    """``1h30m`` -> 5400; PromQL durations only."""
    total = 0.0
    for amount, unit in re.findall(r"(\d+(?:\.\d+)?)(ms|[smhdwy])", text):
        total += float(amount) * _UNITS[unit]
    return total


def scan(expressions: list[str], found: Found | None = None) -> Found:
    """Add every raw series (names without ``:``) used by ``expressions`` to ``found``."""
    found = found or Found()
    for expr in expressions:
        _scan_one(expr, found)
    return found


def _scan_one(expr: str, found: Found) -> None:
    tokens = [(m.lastgroup, m.group(m.lastgroup), m.end()) for m in _TOKEN.finditer(expr) if m.lastgroup]
    grouping: set[str] = set()
    pending: list[tuple[str, tuple[Matcher, ...], bool, set[str] | None]] = []
    last_func, ranges, offsets, seen = "", 0.0, 0.0, set()
    on_labels: set[str] = set()
    one_side: set[str] | None = None  # labels of the next selector after group_left/right
    i = 0
    while i < len(tokens):
        kind, text, end = tokens[i]
        nxt = tokens[i + 1] if i + 1 < len(tokens) else (None, "", end)
        if kind == "ident" and text in _GROUPING and nxt[1] == "(":
            j, listed = i + 2, set()
            while j < len(tokens) and tokens[j][1] != ")":
                if tokens[j][0] == "ident":
                    listed.add(tokens[j][1])
                j += 1
            grouping |= listed
            if text == "on":
                on_labels = listed
            elif text in ("group_left", "group_right"):
                one_side = on_labels | listed
            i = j + 1
            continue
        if kind == "ident" and text in ("group_left", "group_right"):
            one_side = set(on_labels)
        if kind == "ident" and text == "offset":
            offsets = max(offsets, duration_seconds(nxt[1]))
            seen.add(duration_seconds(nxt[1]))
            i += 2
            continue
        if kind == "ident" and (nxt[1] == "(" or text in _AGGREGATORS):
            last_func = text
        elif kind == "range":
            ranges = max(ranges, duration_seconds(text.split(":")[0]))
        elif kind == "ident" and text.lower() not in _KEYWORDS:  # PromQL reads Inf, inf, NaN alike
            matchers: tuple[Matcher, ...] = ()
            if nxt[0] == "brace":
                body, close = _braces(expr, nxt[2])
                matchers = tuple(Matcher(l, op, _unquote(v)) for l, op, v in _MATCHER.findall(body))
                i = next((k for k in range(i + 1, len(tokens)) if tokens[k][2] > close), len(tokens)) - 1
            after = tokens[i + 1] if i + 1 < len(tokens) else (None, "", 0)
            counter = after[0] == "range" and last_func in _COUNTER_FUNCS
            if ":" not in text and text not in _GROUPING and text != "ALERTS":
                pending.append((text, matchers, counter, one_side))
                one_side = None
        elif kind == "brace":  # a selector with no name, e.g. {__name__=~"..."}: nothing to learn
            _, close = _braces(expr, end)
            i = next((k for k in range(i + 1, len(tokens)) if tokens[k][2] > close), len(tokens)) - 1
        i += 1
    found.lookback = max(found.lookback, ranges + offsets)
    found.offsets |= seen
    labels = frozenset(grouping - {"le", "quantile", "__name__"})
    for name, matchers, counter, one in pending:
        # The "one" side of a group_left join must be unique per join key: only those labels.
        mine = labels if one is None else frozenset(one - {"le", "quantile", "__name__"})
        found.uses.setdefault(name, []).append(Use(matchers, mine, counter, ranges + offsets, frozenset(seen)))


def _braces(expr: str, start: int) -> tuple[str, int]:
    """The text inside ``{...}`` opened just before ``start`` and the index after the ``}``."""
    depth, j, quote = 1, start, ""
    while j < len(expr):
        c = expr[j]
        if quote:
            if c == "\\":
                j += 1
            elif c == quote:
                quote = ""
        elif c in "\"'`":
            quote = c
        elif c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                return expr[start:j], j + 1
        j += 1
    return expr[start:], len(expr)


def _unquote(text: str) -> str:
    body = text[1:-1]
    return body if text[0] == "`" else body.encode().decode("unicode_escape")
