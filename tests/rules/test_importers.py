"""Sloth and OpenSLO files become KPIs with SLOs: same burn-rate table, same Sloth ids, tested rules."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generators import alert_rules, naming, promtool, slo
from generators.errors import SpecError
from generators.spec import load

from .conftest import ROOT, SLOTH, read_yaml, write_bundle
from .test_coverage import coverage
from .test_slo import WORKBOOK_30D, _sloth_expected

SPECS = Path(__file__).parent / "specs"


@pytest.mark.parametrize("path", [
    pytest.param(SPECS / "sloth-checkout.yml", id="A Sloth prometheus/v1 spec written for the tests."),
    pytest.param(SPECS / "openslo-search.yml", id="An OpenSLO v1 file with SLI, AlertPolicy, AlertConditions and targets."),
    pytest.param(SPECS / "openslo-weekly.yml", id="An OpenSLO v1 SLO over 7 days: scaled windows, inline SLI."),
    pytest.param(SLOTH / "getting-started.yml", id="Sloth's own getting-started example."),
    pytest.param(SLOTH / "openslo-getting-started.yml", id="Sloth's OpenSLO v1alpha example."),
])
def test_an_imported_slo_file_generates_rules_that_pass_promtool(path, tmp_path):
    spec = load(path).spec
    write_bundle(spec, tmp_path)
    rule_files = sorted(str(p) for d in ("recording_rules", "alerts") for p in (tmp_path / d).glob("*.yml"))
    checked = promtool.check_rules(*rule_files)
    assert checked.ok and "warn" not in checked.output.lower(), checked.output
    tests = sorted((tmp_path / "tests" / "rules").glob("*.test.yml"))
    for test in tests:
        result = promtool.run("test", "rules", test.relative_to(tmp_path), cwd=tmp_path)
        assert result.ok, result.output[-3000:]
    assert coverage([read_yaml(Path(f)) for f in rule_files if "/alerts/" in f], [read_yaml(t) for t in tests]) == {}


@pytest.mark.parametrize("path, kpi_id", [
    pytest.param(SPECS / "sloth-checkout.yml", "checkout_requests_availability", id="Sloth example: the workbook's 30-day table."),
    pytest.param(SPECS / "openslo-search.yml", "search_availability",
                 id="OpenSLO example: burn-rate conditions over lookback windows give the workbook's table."),
])
def test_imported_examples_get_the_sre_workbook_burn_rate_table(path, kpi_id):
    kpi = load(path).spec.kpi(kpi_id)
    assert {(t.tier, t.factor, t.long, t.short) for t in slo.tiers(kpi)} == WORKBOOK_30D


def test_sloths_own_example_imports_to_the_tiers_and_ids_sloth_generates():
    spec = load(SLOTH / "getting-started.yml").spec
    kpi = spec.kpis[0]
    ours = {tier: {(t.factor, t.long, t.short) for t in slo.tiers(kpi) if t.tier == tier} for tier in ("page", "ticket")}
    assert ours == _sloth_expected()
    expected = read_yaml(SLOTH / "expected" / "getting-started.rules.yml")
    sloth_id = expected["groups"][0]["rules"][0]["labels"]["sloth_id"]
    assert naming.sloth_labels(spec.bundle.name, kpi)[naming.SLOTH_ID] == sloth_id
    assert naming.burn_alert_name(kpi) == expected["groups"][2]["rules"][0]["alert"]


def test_a_weekly_openslo_slo_gets_the_workbook_windows_scaled_to_seven_days():
    kpi = load(SPECS / "openslo-weekly.yml").spec.kpi("login_success")
    assert {(t.tier, t.factor, t.long, t.short) for t in slo.tiers(kpi)} == {
        ("page", 14.4, "14m", "1m10s"), ("page", 6.0, "1h24m", "7m"),
        ("ticket", 3.0, "5h36m", "28m"), ("ticket", 1.0, "16h48m", "1h24m")}


def test_openslo_alert_after_becomes_each_burn_tiers_for():
    """The example's alertAfter (1m, 5m, 30m, 1h) differ from the 2m/15m defaults: each tier keeps its own."""
    spec = load(SPECS / "openslo-search.yml").spec
    kpi = spec.kpi("search_availability")
    held = {f"{r['labels']['tier']}_{r['labels']['window_class']}": r["for"]
            for r in alert_rules.kpi_rules(spec, kpi) if "tier" in r["labels"]}
    assert held == {"page_fast": "1m", "page_slow": "5m", "ticket_fast": "30m", "ticket_slow": "1h"}


def test_an_openslo_condition_without_alert_after_gets_the_default_for():
    kpi = load(SPECS / "openslo-weekly.yml").spec.kpi("login_success")
    assert {(t.tier, t.for_) for t in slo.tiers(kpi)} == {("page", "2m"), ("ticket", "15m")}


def test_openslo_policies_map_to_severities_receivers_and_no_data():
    spec = load(SPECS / "openslo-search.yml").spec
    kpi = spec.kpi("search_availability")
    assert (kpi.slo.page_severity, kpi.slo.ticket_severity, kpi.slo.no_data) == ("page", "ticket", "alert")
    assert spec.routing.severities["page"].receiver == "search_oncall"
    assert spec.routing.receivers["search_oncall"].pagerduty is not None


def test_a_sloth_tier_can_be_disabled():
    kpi = load(SPECS / "sloth-checkout.yml").spec.kpi("checkout_payments")
    assert {t.tier for t in slo.tiers(kpi)} == {"page"}


@pytest.mark.parametrize("text, message", [
    pytest.param('version: "prometheus/v1"\nservice: s\nslos:\n- name: x\n  objective: 99\n  sli:\n    raw:\n      error_ratio_query: x\n',
                 "only events SLIs", id="A Sloth raw SLI is reported, not guessed."),
    pytest.param('version: "prometheus/v1"\nservice: s\nslos:\n- name: x\n  objective: 99\n  sli:\n    events:\n'
                 '      error_query: sum(rate(a[{{.window}}])) / 2\n      total_query: sum(rate(b[{{.window}}]))\n',
                 "only sum(rate(", id="A query that is not sum(rate(counter)) is reported with its path."),
    pytest.param("apiVersion: openslo/v1\nkind: SLO\nmetadata: {name: a}\nspec:\n  service: s\n  indicatorRef: missing\n"
                 "  objectives: [{target: 0.99}]\n", "referenced but not defined", id="An OpenSLO reference to nothing is reported."),
])
def test_unsupported_slo_files_are_located_errors(tmp_path, text, message):
    path = tmp_path / "slos.yaml"
    path.write_text(text)
    with pytest.raises(SpecError) as err:
        load(path)
    assert message in str(err.value.problems[0])


def test_a_spec_can_include_slo_files_whose_slos_join_its_kpis(tmp_path):
    base = yaml.safe_load((ROOT / "spec" / "kpis.yaml").read_text())
    (tmp_path / "checkout.yml").write_text((SPECS / "sloth-checkout.yml").read_text())
    (tmp_path / "kpis.yaml").write_text(yaml.safe_dump({**base, "slo_files": ["checkout.yml"]}, sort_keys=False))
    spec = load(tmp_path / "kpis.yaml").spec
    assert spec.kpi("checkout_requests_availability").slo.alert_name == "CheckoutHighErrorRate"
    assert "checkout" in spec.domains and len(spec.kpis) == len(base["kpis"]) + 2


def test_an_included_file_that_is_no_slo_file_is_a_located_error(tmp_path):
    base = yaml.safe_load((ROOT / "spec" / "kpis.yaml").read_text())
    (tmp_path / "other.yml").write_text("a: 1\n")
    (tmp_path / "kpis.yaml").write_text(yaml.safe_dump({**base, "slo_files": ["other.yml"]}, sort_keys=False))
    with pytest.raises(SpecError) as err:
        load(tmp_path / "kpis.yaml")
    assert err.value.problems[0].path == "slo_files[0]"
