"""Overlays: a small file layered on the spec, per environment or for a fast demo/test profile.

An overlay keeps the real rules but changes a few knobs, so the live stack can prove the
bundle in minutes. Format (``overlay: 1``):

    overlay: 1
    description: Fast profile for demos and end-to-end tests
    alerts: {max_for: 30s}          # cap every alert's `for`
    domains: {interval: 5s, long_interval: 30s}  # every domain's rule groups: records/slo, long
    stack: {scrape_interval: 5s}    # how `perfcycle stack up` runs (not part of the bundle)
    merge:                          # deep-merged into the spec; `kpis` entries match by id
      routing: {group_wait: 1s, group_interval: 5s}
      kpis:
        - {id: error_rate, target: "< 0.5"}

Mappings merge key by key, lists are replaced, except ``kpis`` whose entries merge by ``id``
(an id the spec lacks is an error: overlays adjust KPIs, they do not add them).
"""
from __future__ import annotations

import copy
from pathlib import Path

import yaml
from pydantic import ValidationError

from .errors import Problem, format_path
from .model.base import Duration, Frozen, seconds


class _AlertKnobs(Frozen):
    max_for: Duration | None = None
    """Cap every alert's ``for`` at this duration."""


class _DomainKnobs(Frozen):
    interval: Duration | None = None
    """Set every domain's rule evaluation interval."""
    long_interval: Duration | None = None
    """Set every domain's ``long`` group interval (day averages, baselines; 5 m or slower by default)."""


class StackKnobs(Frozen):
    """How the live stack runs the bundle: not part of the spec, so ``generate`` ignores it."""

    scrape_interval: Duration | None = None
    """Prometheus's scrape and global evaluation interval in the stack (15 s when unset)."""


class Overlay(Frozen):
    """A validated overlay file."""

    overlay: int
    description: str = ""
    alerts: _AlertKnobs = _AlertKnobs()
    domains: _DomainKnobs = _DomainKnobs()
    stack: StackKnobs = StackKnobs()
    merge: dict = {}


def parse(document: object, shown: str) -> Overlay:
    """Validate an overlay document; problems name the overlay file and path."""
    if not isinstance(document, dict):
        raise_problems([Problem(shown, "", "an overlay must be a mapping with `overlay: 1`")])
    try:
        overlay = Overlay.model_validate(document)
    except ValidationError as err:
        raise_problems([Problem(shown, format_path(tuple(e["loc"])), e["msg"]) for e in err.errors()])
    if overlay.overlay != 1:
        raise_problems([Problem(shown, "overlay", f"unknown overlay version {overlay.overlay} (expected 1)")])
    return overlay


def apply(spec: dict, overlay: Overlay, shown: str) -> dict:
    """The spec document with the overlay applied; the input is left unchanged."""
    merged = copy.deepcopy(spec)
    problems: list[Problem] = []
    _merge(merged, overlay.merge, "merge", problems, shown)
    if problems:
        raise_problems(problems)
    for key in ("interval", "long_interval"):
        value = getattr(overlay.domains, key)
        for domain in (merged.get("domains") or {}).values() if value else ():
            if isinstance(domain, dict):
                domain[key] = value
    if overlay.alerts.max_for:
        cap = seconds(overlay.alerts.max_for)
        for kpi in merged.get("kpis") or []:
            for alert in kpi.get("alerts") or []:
                if _seconds_or_none(alert.get("for", "5m")) is None or _seconds_or_none(alert.get("for", "5m")) > cap:
                    alert["for"] = overlay.alerts.max_for
    return merged


def stack_knobs(paths) -> StackKnobs:
    """The ``stack`` knobs of the overlay files at ``paths``, in order, a later file's setting winning.

    Read after ``spec.load`` has validated the same files (YAML overlays: Jsonnet ones carry no stack knobs here).
    """
    merged: dict = {}
    for path in paths:
        if str(path).endswith((".yaml", ".yml")):
            merged.update(parse(yaml.safe_load(Path(path).read_text()), str(path)).stack.model_dump(exclude_none=True))
    return StackKnobs(**merged)


def _merge(base: dict, patch: dict, where: str, problems: list[Problem], shown: str) -> None:
    for key, value in patch.items():
        here = f"{where}.{key}"
        if key == "kpis" and isinstance(value, list) and isinstance(base.get("kpis"), list):
            _merge_kpis(base["kpis"], value, here, problems, shown)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value, here, problems, shown)
        else:
            base[key] = copy.deepcopy(value)


def _merge_kpis(kpis: list, patches: list, where: str, problems: list[Problem], shown: str) -> None:
    by_id = {k.get("id"): k for k in kpis if isinstance(k, dict)}
    for n, patch in enumerate(patches):
        target = by_id.get(patch.get("id")) if isinstance(patch, dict) else None
        if target is None:
            problems.append(Problem(shown, f"{where}[{n}].id", f'no KPI "{patch.get("id") if isinstance(patch, dict) else patch}" in the spec'))
            continue
        _merge(target, patch, f"{where}[{n}]", problems, shown)


def _seconds_or_none(value: object) -> float | None:
    try:
        return seconds(str(value))
    except (AttributeError, TypeError):
        return None


def raise_problems(problems: list[Problem]):
    from .errors import SpecError
    raise SpecError(problems)
