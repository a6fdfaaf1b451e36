"""The provisioning files load every generated dashboard, one folder per audience, and the datasource."""
from __future__ import annotations

import yaml

from generators import naming


def _yaml(texts: dict[str, str], path: str) -> dict:
    return yaml.safe_load(texts[path])


def test_one_file_provider_per_audience_points_at_its_dashboard(texts, spec):
    providers = _yaml(texts, naming.DASHBOARD_PROVIDERS_FILE)["providers"]
    assert len(providers) == len(spec.audiences)
    dashboards = {p for p in texts if p.startswith("dashboards/")}
    for provider, (name, audience) in zip(providers, spec.audiences.items()):
        assert provider["type"] == "file" and provider["folder"] == audience.title
        path = provider["options"]["path"]
        assert path.startswith("${PERFCYCLE_ROOT}/"), path
        assert path.removeprefix("${PERFCYCLE_ROOT}/") in dashboards
        assert provider["allowUiUpdates"] is False


def test_folder_uids_are_unique_and_never_a_dashboard_uid(texts, boards):
    providers = _yaml(texts, naming.DASHBOARD_PROVIDERS_FILE)["providers"]
    folders = [p["folderUid"] for p in providers]
    assert len(set(folders)) == len(folders)
    assert not set(folders) & {b["uid"] for b in boards.values()}
    assert all(len(uid) <= 40 for uid in folders)


def test_the_datasource_is_a_default_prometheus(texts):
    sources = _yaml(texts, naming.DATASOURCES_FILE)["datasources"]
    assert [s["type"] for s in sources] == ["prometheus"]
    assert sources[0]["isDefault"] and sources[0]["uid"] == naming.DATASOURCE_UID
    assert sources[0]["url"].startswith("http://127.0.0.1:")


def test_provisioning_files_carry_the_generated_header(texts):
    for path in (naming.DASHBOARD_PROVIDERS_FILE, naming.DATASOURCES_FILE):
        assert texts[path].startswith("# generated from spec/kpis.yaml"), path
