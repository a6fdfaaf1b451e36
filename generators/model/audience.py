"""Audiences (who looks at a dashboard and how often) and KPI domains (how rules are grouped)."""
from __future__ import annotations

from .base import Duration, Frozen


class Audience(Frozen):
    """A dashboard audience of the seed: executive, operational, performance engineering, FinOps."""

    title: str
    refresh: Duration
    team: str = ""
    """Who reads it (the seed's ``leadership_team``, ``platform_team``…)."""
    description: str = ""
    covers: list[str] = []
    """The seed's dashboard items this audience's dashboard stands for."""


class Domain(Frozen):
    """A group of related KPIs: one rule group and one dashboard row each."""

    title: str
    interval: Duration = "1m"
    """Rule evaluation interval, fitting the seed's collection frequency for these metrics."""
    layer: str = ""
    """The seed's layer (application, platform, infrastructure) for per-layer views."""
