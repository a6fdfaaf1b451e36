"""Overlays layer a small file on the spec: the fast profile, per-environment tweaks, clear errors."""
from __future__ import annotations

import pytest

from generators.errors import SpecError
from generators.model import seconds
from generators.spec import load

from .conftest import DEFAULT_SPEC, ROOT

FAST = ROOT / "spec" / "overlays" / "fast.yaml"


def test_the_fast_profile_caps_for_shortens_intervals_and_routing_waits():
    spec = load(DEFAULT_SPEC, check_promql=False, overlays=(FAST,)).spec
    assert all(seconds(a.for_) <= 30 for k in spec.kpis for a in k.alerts)
    assert {d.interval for d in spec.domains.values()} == {"5s"}
    assert (spec.routing.group_wait, spec.routing.group_interval) == ("1s", "5s")
    short = load(DEFAULT_SPEC, check_promql=False).spec
    assert [k.id for k in spec.kpis] == [k.id for k in short.kpis]
    assert spec.kpi("error_rate").alerts[0].when == short.kpi("error_rate").alerts[0].when


def test_an_overlay_merges_kpis_by_id(tmp_path):
    patch = tmp_path / "prod.yaml"
    patch.write_text("overlay: 1\nmerge:\n  kpis:\n    - {id: error_rate, target: '< 0.5'}\n"
                     "  bundle: {grafana_url: 'https://grafana.prod.example.com'}\n")
    loaded = load(DEFAULT_SPEC, check_promql=False, overlays=(patch,))
    assert str(loaded.spec.kpi("error_rate").target) == "< 0.5"
    assert loaded.spec.bundle.grafana_url == "https://grafana.prod.example.com"
    assert loaded.spec.kpi("error_rate").alerts  # the rest of the KPI is kept
    assert loaded.path.endswith(f" + {patch}")


@pytest.mark.parametrize(("body", "where", "message"), [
    pytest.param("overlay: 1\nmerge:\n  kpis:\n    - {id: no_such_kpi, title: x}\n", "merge.kpis[0].id",
                 'no KPI "no_such_kpi" in the spec', id="An overlay cannot add a KPI the spec lacks"),
    pytest.param("overlay: 1\nalerts: {max_for: soon}\n", "alerts.max_for", '"soon" is not a duration like 5m',
                 id="An overlay's durations are checked"),
    pytest.param("overlay: 1\ncolour: red\n", "colour", "Extra inputs are not permitted",
                 id="An overlay's unknown keys are rejected"),
])
def test_a_bad_overlay_names_the_overlay_file_and_path(tmp_path, body, where, message):
    patch = tmp_path / "bad.yaml"
    patch.write_text(body)
    with pytest.raises(SpecError) as caught:
        load(DEFAULT_SPEC, check_promql=False, overlays=(patch,))
    assert f"{patch}: {where}: {message}" in str(caught.value)


def test_a_value_an_overlay_breaks_is_reported_on_the_merged_spec(tmp_path):
    patch = tmp_path / "bad.yaml"
    patch.write_text("overlay: 1\nmerge:\n  routing: {group_wait: later}\n")
    with pytest.raises(SpecError) as caught:
        load(DEFAULT_SPEC, check_promql=False, overlays=(patch,))
    assert f"+ {patch}: routing.group_wait:" in str(caught.value)


def test_the_fast_profile_alone_sets_the_long_groups_and_the_stacks_scrape_interval():
    """No stack flags needed: the overlay carries every interval the fast profile changes."""
    from generators import overlay
    from generators.build import recording_rules
    spec = load(DEFAULT_SPEC, check_promql=False, overlays=(FAST,)).spec
    groups = [g for groups in recording_rules.domain_groups(spec).values() for g in groups]
    assert {g["interval"] for g in groups if g["name"].endswith(".long")} == {"30s"}
    assert overlay.stack_knobs([FAST]).scrape_interval == "5s"
    assert overlay.stack_knobs([]).scrape_interval is None


def test_the_staging_example_overlay_generates_a_bundle_promtool_and_amtool_accept(tmp_path):
    """spec/overlays/staging.yaml: a per-environment overlay, loaded and generated like any spec."""
    from generators import pipeline, promtool
    staging = ROOT / "spec" / "overlays" / "staging.yaml"
    loaded = load(DEFAULT_SPEC, overlays=(staging,))
    on_call = loaded.spec.routing.receivers["on_call_engineer"]
    assert on_call.pagerduty is None and on_call.email is None and on_call.slack.channel == "#perf-staging"
    assert [str(a.when) for a in loaded.spec.kpi("hook_success_rate").alerts] == ["< 60", "< 80"]
    pipeline.write(pipeline.build_texts(loaded), tmp_path)
    rules = sorted(p for d in ("recording_rules", "alerts") for p in (tmp_path / d).glob("*.yml"))
    checked = promtool.check_rules(*rules)
    assert checked.ok, checked.output
    config = promtool.amtool_check_config(tmp_path / "alertmanager" / "alertmanager.yml")
    assert config.ok, config.output
    assert "hook:hook_success_rate:ratio_rate5m < 60" in (tmp_path / "alerts" / "hooks.yml").read_text()
