"""Build every Grafana dashboard (one per audience, Kiro areas included) and their provisioning files."""
from __future__ import annotations

from .. import naming
from ..grafana.plan import plan
from ..grafana.provisioning import dashboard_providers, datasources
from ..grafana.render import render
from ..model import Spec

PROVIDERS_FILE = "provisioning/dashboards/perfcycle.yaml"
DATASOURCES_FILE = "provisioning/datasources/prometheus.yaml"


def build(spec: Spec) -> dict[str, object]:
    """``dashboards/<audience>.json`` for every audience, plus the two provisioning files."""
    documents: dict[str, object] = {naming.dashboard_file(name): render(plan(spec, name))
                                    for name in spec.audiences}
    documents[PROVIDERS_FILE] = dashboard_providers(spec)
    documents[DATASOURCES_FILE] = datasources(spec)
    return documents
