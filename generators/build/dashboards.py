"""Build every Grafana dashboard (one per audience, Kiro areas included) and their provisioning files."""
from __future__ import annotations

from .. import naming
from ..grafana.plan import plan
from ..grafana.provisioning import dashboard_providers, datasources
from ..grafana.render import render
from ..model import Spec


def build(spec: Spec) -> dict[str, object]:
    """``dashboards/<audience>.json`` for every audience, plus the two provisioning files."""
    documents: dict[str, object] = {naming.dashboard_file(name): render(plan(spec, name))
                                    for name in spec.audiences}
    documents[naming.DASHBOARD_PROVIDERS_FILE] = dashboard_providers(spec)
    documents[naming.DATASOURCES_FILE] = datasources(spec)
    return documents
