"""The typed, validated model of a KPI spec: the only thing generators read."""
from .audience import Audience, AudiencePanel, Domain, PanelQuery
from .base import Comparison, Target, duration_from_seconds, seconds
from .kpi import (Alert, ExpressionSource, GaugeSource, Kpi, QuantileSource, RateSource,
                  RatioSource, Slo)
from .routing import Receiver, Routing, SeverityRoute
from .spec import Bundle, Defaults, Spec, cross_problems, kpis_by_domain

__all__ = [
    "Alert", "Audience", "AudiencePanel", "Bundle", "Comparison", "Defaults", "Domain", "ExpressionSource",
    "GaugeSource", "Kpi", "PanelQuery", "QuantileSource", "RateSource", "RatioSource", "Receiver", "Routing",
    "SeverityRoute", "Slo", "Spec", "Target", "cross_problems", "duration_from_seconds", "kpis_by_domain", "seconds",
]
