"""Building blocks shared by every part of the model: frozen records, durations, comparisons.

Every model class forbids unknown keys (a typo in the spec is an error, not a silent
default) and is frozen (builders read the model, never change it).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, GetJsonSchemaHandler, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

_DURATION = re.compile(r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$")
_SECONDS = (365 * 86400, 7 * 86400, 86400, 3600, 60, 1, 0.001)
_IDENT = re.compile(r"^[a-z][a-z0-9_]*$")
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


class Frozen(BaseModel):
    """Base of every spec type: unknown keys rejected, values immutable, docs kept for the schema."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


@dataclass(frozen=True)
class AlsoAccepts:
    """Annotation for a type whose before-validator takes a shorthand: the schema offers both forms.

    Pydantic's validation schema describes a field after its before-validators ran, so a
    spec using the shorthand (one selector as a string, audiences as a list) would fail
    the JSON Schema editors check it with. ``AlsoAccepts(shorthand)`` adds the shorthand
    as an ``anyOf`` alternative next to the generated schema.
    """

    shorthand: dict

    def __get_pydantic_json_schema__(self, core_schema: object, handler: GetJsonSchemaHandler) -> dict:
        return {"anyOf": [handler(core_schema), self.shorthand]}


def _duration(value: object) -> str:
    text = str(value).strip() if isinstance(value, (str, int)) else None
    if text is None or text in ("", "0") or not _DURATION.match(text):
        raise PydanticCustomError("duration", '"{value}" is not a duration like 5m', {"value": value})
    return text


Duration = Annotated[str, BeforeValidator(_duration), WithJsonSchema(
    {"type": "string", "pattern": _DURATION.pattern.replace("?:", ""), "examples": ["30s", "5m", "7d"]})]
"""A Prometheus duration such as ``30s``, ``5m``, ``1h30m``, ``7d``."""


def seconds(duration: str) -> float:
    """Length of a Prometheus duration in seconds (``1h30m`` -> 5400)."""
    parts = _DURATION.match(duration).groups()
    return sum(int(p) * unit for p, unit in zip(parts, _SECONDS) if p)


def duration_from_seconds(total: float) -> str:
    """The shortest Prometheus duration for a whole number of seconds (5400 -> ``1h30m``)."""
    total = int(round(total))
    out = ""
    for suffix, unit in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if total >= unit:
            out += f"{total // unit}{suffix}"
            total %= unit
    return out or "0s"


def _identifier(value: object) -> str:
    if not isinstance(value, str) or not _IDENT.match(value):
        raise PydanticCustomError("identifier", '"{value}" is not a snake_case identifier', {"value": value})
    return value


IDENTIFIER_SCHEMA = {"type": "string", "pattern": _IDENT.pattern}
Identifier = Annotated[str, BeforeValidator(_identifier), WithJsonSchema(IDENTIFIER_SCHEMA)]
"""A snake_case id (``response_time_p95``): used in record names, uids and file names."""


def _label_name(value: object) -> str:
    if not isinstance(value, str) or not _LABEL.match(value):
        raise PydanticCustomError("label", '"{value}" is not a Prometheus label name', {"value": value})
    return value


LabelName = Annotated[str, BeforeValidator(_label_name), WithJsonSchema({"type": "string", "pattern": _LABEL.pattern})]

Op = Literal[">", ">=", "<", "<="]
_COMPARISON = re.compile(r"^\s*(>=|<=|>|<)\s*(-?[0-9.]+(?:e-?[0-9]+)?)\s*$")
_BAND = re.compile(r"^\s*(-?[0-9.]+)\s*\.\.\s*(-?[0-9.]+)\s*$")


class Comparison(Frozen):
    """``> 2`` or ``< 0.5``: an operator and a value, in the KPI's unit."""

    op: Op
    value: float

    def holds(self, observed: float) -> bool:
        """Whether ``observed`` satisfies this comparison."""
        return {">": observed > self.value, ">=": observed >= self.value,
                "<": observed < self.value, "<=": observed <= self.value}[self.op]

    def __str__(self) -> str:
        return f"{self.op} {self.value:g}"

    @property
    def negated(self) -> str:
        """The opposite operator, for the healthy side of a threshold."""
        return {">": "<=", ">=": "<", "<": ">=", "<=": ">"}[self.op]


def parse_comparison(value: object) -> object:
    """Accept ``"> 2"`` as shorthand for ``{op: ">", value: 2}``."""
    if isinstance(value, str):
        match = _COMPARISON.match(value)
        if not match:
            raise PydanticCustomError("comparison", '"{value}" is not a comparison like "> 2"', {"value": value})
        return {"op": match.group(1), "value": float(match.group(2))}
    return value


_COMPARISON_SCHEMA = {"anyOf": [
    {"type": "string", "pattern": _COMPARISON.pattern, "examples": ["> 2", "< 0.8"]},
    {"type": "object", "properties": {"op": {"enum": [">", ">=", "<", "<="]}, "value": {"type": "number"}},
     "required": ["op", "value"], "additionalProperties": False}]}
Condition = Annotated[Comparison, BeforeValidator(parse_comparison), WithJsonSchema(_COMPARISON_SCHEMA)]


class Target(Frozen):
    """What good looks like: a comparison (``< 0.5``) or a band (``70..80``, both ends included)."""

    op: Op | None = None
    value: float | None = None
    low: float | None = None
    high: float | None = None

    @model_validator(mode="after")
    def _comparison_or_band(self) -> "Target":
        comparison = self.op is not None and self.value is not None
        band = self.low is not None and self.high is not None
        if comparison == band or (band and (self.op is not None or self.value is not None)):
            raise ValueError('a target is a comparison ("< 0.5") or a band ("70..80")')
        return self

    @property
    def is_band(self) -> bool:
        return self.low is not None

    def met_by(self, observed: float) -> bool:
        """Whether ``observed`` meets the target."""
        if self.is_band:
            return self.low <= observed <= self.high
        return Comparison(op=self.op, value=self.value).holds(observed)

    def promql_filter(self) -> str:
        """The PromQL comparison(s) that keep a series only while it meets the target."""
        if self.is_band:
            return f">= {self.low:g} <= {self.high:g}"
        return f"{self.op} {self.value:g}"

    def __str__(self) -> str:
        return f"{self.low:g}..{self.high:g}" if self.is_band else f"{self.op} {self.value:g}"


def parse_target(value: object) -> object:
    """Accept ``"< 0.5"`` and ``"70..80"`` as shorthands."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise PydanticCustomError("target", '"{value}" needs an operator, like "< {value}"', {"value": value})
    if isinstance(value, str):
        band = _BAND.match(value)
        if band:
            low, high = float(band.group(1)), float(band.group(2))
            if low > high:
                raise PydanticCustomError("target", '"{value}" is a band with low > high', {"value": value})
            return {"low": low, "high": high}
        return parse_comparison(value)
    return value


TargetSpec = Annotated[Target, BeforeValidator(parse_target), WithJsonSchema({"anyOf": [
    *_COMPARISON_SCHEMA["anyOf"], {"type": "string", "pattern": _BAND.pattern, "examples": ["70..80"]}]})]
