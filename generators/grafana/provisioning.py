"""Grafana provisioning files that load the generated dashboards with no clicks.

One file provider per audience, each pointing at that audience's JSON file, so every
audience gets its own folder (``foldersFromFilesStructure`` would need one directory per
folder). Paths start with ``$PERFCYCLE_ROOT``, which Grafana expands from its environment
when it reads the file: set it to the checkout (see docs/dashboards.md).
"""
from __future__ import annotations

from .. import naming
from ..model import Spec, seconds

ROOT_VARIABLE = "${PERFCYCLE_ROOT}"
PROMETHEUS_URL = "http://127.0.0.1:9090"
"""Where the provisioned datasource finds Prometheus. For another Prometheus change it here and
regenerate (docs/dashboards.md): editing the generated file instead makes ``perfcycle check`` fail."""
UPDATE_SECONDS = 30


def dashboard_providers(spec: Spec) -> dict:
    providers = []
    for name, audience in spec.audiences.items():
        providers.append({
            "name": naming.provider_name(name),
            "orgId": 1,
            "folder": audience.title,
            "folderUid": naming.folder_uid(spec.bundle.name, name),
            "type": "file",
            "disableDeletion": True,
            "allowUiUpdates": False,
            "updateIntervalSeconds": UPDATE_SECONDS,
            "options": {"path": f"{ROOT_VARIABLE}/{naming.dashboard_file(name)}",
                        "foldersFromFilesStructure": False},
        })
    return {"apiVersion": 1, "providers": providers}


def datasources(spec: Spec) -> dict:
    """The Prometheus datasource the dashboards' ``$datasource`` variable picks by default."""
    return {"apiVersion": 1, "datasources": [{
        "name": naming.DATASOURCE_NAME,
        "uid": naming.DATASOURCE_UID,
        "type": "prometheus",
        "access": "proxy",
        "url": PROMETHEUS_URL,
        "isDefault": True,
        "editable": False,
        "jsonData": {"httpMethod": "POST", "timeInterval": _scrape_interval(spec)},
    }]}


def _scrape_interval(spec: Spec) -> str:
    """The fastest rule interval of the spec: Grafana never asks for finer steps than that."""
    return min((d.interval for d in spec.domains.values()), key=seconds, default="15s")
