"""Render the few Go template forms our annotations use, as Prometheus renders them.

Generated promtool tests state the exact annotations an alert fires with, so the test
generator needs ``{{ $labels.x }}``, ``{{ $value | humanize }}`` and
``{{ $value | humanizePercentage }}`` rendered byte for byte as Prometheus does
(``template.go``: ``%.4g`` with SI prefixes). Anything else is an error, not a guess.
"""
from __future__ import annotations

import math
import re

_EXPR = re.compile(r"\{\{\s*(.*?)\s*\}\}")
_LARGE = ("k", "M", "G", "T", "P", "E", "Z", "Y")
_SMALL = ("m", "u", "n", "p", "f", "a", "z", "y")


class Unrenderable(ValueError):
    """An annotation uses a template form this renderer does not know."""


def humanize(value: float) -> str:
    """Prometheus' ``humanize``: 4 significant digits with an SI prefix (1234 -> ``1.234k``)."""
    if value == 0 or math.isnan(value) or math.isinf(value):
        return _g(value)
    prefix = ""
    if abs(value) >= 1:
        for p in _LARGE:
            if abs(value) < 1000:
                break
            prefix, value = p, value / 1000
    else:
        for p in _SMALL:
            if abs(value) >= 1:
                break
            prefix, value = p, value * 1000
    return f"{_g(value)}{prefix}"


def humanize_percentage(value: float) -> str:
    return f"{_g(value * 100)}%"


def render(template: str, labels: dict[str, str], value: float | None) -> str:
    """The text Prometheus sends for ``template`` with these labels and ``$value``."""
    def one(match: re.Match) -> str:
        expr = re.sub(r"\s+", " ", match.group(1))
        if expr.startswith("$labels."):
            return labels.get(expr.removeprefix("$labels."), "")
        if value is None:
            raise Unrenderable(f"{template!r} uses $value where the value is unknown")
        forms = {"$value": lambda: _g(value, 17).rstrip("0").rstrip(".") if value != int(value) else f"{value:g}",
                 "$value | humanize": lambda: humanize(value),
                 "$value | humanizePercentage": lambda: humanize_percentage(value)}
        if expr not in forms:
            raise Unrenderable(f"cannot render {{{{ {expr} }}}} in {template!r}")
        return forms[expr]()
    return _EXPR.sub(one, template)


def stable(value: float, render_value) -> bool:
    """Whether a value renders the same when nudged by float noise (not at a rounding tie)."""
    return render_value(value * (1 + 1e-9)) == render_value(value * (1 - 1e-9)) == render_value(value)


def _g(value: float, digits: int = 4) -> str:
    """Go's ``%.4g``: like C's, but Go writes ``+Inf``/``NaN`` and two-digit exponents alike."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return f"%.{digits}g" % value
