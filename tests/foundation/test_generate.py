"""``perfcycle generate`` and ``check``: deterministic outputs, drift named file by file, Jsonnet specs."""
from __future__ import annotations

import shutil
from pathlib import Path

import yaml

from generators.spec import load

from .conftest import DEFAULT_SPEC, ROOT, run_cli, snapshot


def _copy(project: Path, tmp_path: Path) -> Path:
    target = tmp_path / "project"
    shutil.copytree(project, target)
    return target


def test_generating_twice_gives_byte_identical_files(generated_project, tmp_path):
    project = _copy(generated_project, tmp_path)
    first = snapshot(project)
    done = run_cli("generate", cwd=project)
    assert done.returncode == 0, done.stderr
    assert "0 changed" in done.stdout
    assert snapshot(project) == first


def test_every_generated_file_starts_with_the_do_not_edit_header(generated_project):
    files = snapshot(generated_project)
    outputs = {p: b for p, b in files.items() if p != "spec/kpis.yaml"}
    assert outputs, "generate wrote nothing"
    for path, body in outputs.items():
        first = body.decode().lstrip("{\n ").splitlines()[0]
        assert "generated from spec/kpis.yaml (sha256 " in first and "do not edit" in first, path


def test_check_passes_right_after_generate(generated_project):
    done = run_cli("check", cwd=generated_project)
    assert done.returncode == 0, done.stderr
    assert "files match spec/kpis.yaml" in done.stdout


def _named(stderr: str, kind: str) -> set[str]:
    return {line.split(":", 1)[1].strip() for line in stderr.splitlines() if line.strip().startswith(f"{kind}:")}


def test_editing_one_threshold_makes_check_fail_naming_the_drifted_files(generated_project, tmp_path):
    """Only the files whose content changes are named; the rest (new spec hash only) are one summary line."""
    project = _copy(generated_project, tmp_path)
    spec = project / "spec" / "kpis.yaml"
    spec.write_text(spec.read_text().replace('when: "> 85", for: 5m', 'when: "> 90", for: 5m', 1))
    done = run_cli("check", cwd=project)
    assert done.returncode == 1
    drifted = {
        "alerts/compute.yml", "tests/rules/compute.test.yml", "docs/kpis.md",
        "dashboards/operational.json", "dashboards/performance_engineering.json",
        # the warning's escalation copy evaluates the same condition
        "alerts/escalation.yml", "tests/rules/escalation.test.yml"}
    assert _named(done.stderr, "changed") == drifted
    others = len(snapshot(project)) - 1 - len(drifted)  # every other output, and not the spec itself
    assert f"{others} files differ only in the spec hash header" in done.stderr
    assert "run `make generate` and commit" in done.stderr


def test_a_spec_edit_that_changes_no_output_still_fails_check_on_the_headers(generated_project, tmp_path):
    project = _copy(generated_project, tmp_path)
    spec = project / "spec" / "kpis.yaml"
    spec.write_text(spec.read_text() + "# a comment changes the spec's sha256 and nothing else\n")
    done = run_cli("check", cwd=project)
    assert done.returncode == 1
    assert _named(done.stderr, "changed") == set()
    assert f"{len(snapshot(project)) - 1} files differ only in the spec hash header" in done.stderr


def test_check_reports_missing_and_stale_files(generated_project, tmp_path):
    project = _copy(generated_project, tmp_path)
    (project / "docs" / "kpis.md").unlink()
    stale = project / "recording_rules" / "retired.yml"
    stale.parent.mkdir(exist_ok=True)
    stale.write_text("# generated from spec/kpis.yaml (sha256 0), do not edit\ngroups: []\n")
    done = run_cli("check", cwd=project)
    assert done.returncode == 1
    assert "missing: docs/kpis.md" in done.stderr
    assert "stale:   recording_rules/retired.yml" in done.stderr
    regenerated = run_cli("generate", cwd=project)
    assert regenerated.returncode == 0
    assert not stale.exists()
    assert run_cli("check", cwd=project).returncode == 0


def test_hand_written_files_next_to_outputs_are_left_alone(generated_project, tmp_path):
    project = _copy(generated_project, tmp_path)
    mine = project / "recording_rules" / "hand-written.yml"
    mine.parent.mkdir(exist_ok=True)
    mine.write_text("groups: []\n")
    assert run_cli("generate", cwd=project).returncode == 0
    assert mine.read_text() == "groups: []\n"


def test_the_shipped_jsonnet_spec_loads_into_the_same_model_and_generates(generated_project, tmp_path):
    """Jsonnet orders object fields alphabetically, so files may order domains differently; the model is equal."""
    project = _copy(generated_project, tmp_path)
    shutil.copy(ROOT / "spec" / "kpis.jsonnet", project / "spec" / "kpis.jsonnet")
    from_yaml = load(project / "spec" / "kpis.yaml", check_promql=False).spec
    from_jsonnet = load(project / "spec" / "kpis.jsonnet", check_promql=False).spec
    assert from_jsonnet == from_yaml
    yaml_files = snapshot(project)
    done = run_cli("generate", "--spec", "spec/kpis.jsonnet", cwd=project)
    assert done.returncode == 0, done.stderr
    assert snapshot(project).keys() == yaml_files.keys()


def test_a_jsonnet_error_is_reported_with_the_file(tmp_path):
    (tmp_path / "spec").mkdir()
    (tmp_path / "spec" / "kpis.jsonnet").write_text("{ version: 1, kpis: [ }\n")
    done = run_cli("validate", "--spec", "spec/kpis.jsonnet", cwd=tmp_path)
    assert done.returncode == 2
    assert "ERROR: spec/kpis.jsonnet: Jsonnet error:" in done.stderr


def test_the_committed_outputs_match_the_default_spec():
    done = run_cli("check", "--spec", str(DEFAULT_SPEC.relative_to(ROOT)), cwd=ROOT)
    assert done.returncode == 0, done.stderr


def test_the_alertmanager_override_sends_every_receiver_to_one_webhook(generated_project, tmp_path):
    project = _copy(generated_project, tmp_path)
    before = snapshot(project)
    done = run_cli("alertmanager-override", "--webhook", "http://127.0.0.1:9/sink", "--out", "am-local.yml", cwd=project)
    assert done.returncode == 0, done.stderr
    after = snapshot(project)
    assert {k: v for k, v in after.items() if k != "am-local.yml"} == before  # nothing else touched
    config = yaml.safe_load(after["am-local.yml"])
    urls = {c["url"] for r in config["receivers"] for c in r.get("webhook_configs", [])}
    assert urls == {"http://127.0.0.1:9/sink"}
    assert {r["name"] for r in config["receivers"] if "webhook_configs" in r} >= {"on_call_engineer", "platform_team"}


def test_lint_runs_promtool_and_amtool_on_the_outputs(generated_project):
    done = run_cli("lint", cwd=generated_project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "SUCCESS" in done.stdout


def test_headers_name_the_spec_relative_to_the_root_however_it_is_spelled(generated_project, tmp_path):
    """``./spec/kpis.yaml``, an absolute path or another working directory: the same bytes, no machine paths."""
    project = _copy(generated_project, tmp_path)
    before = snapshot(project)
    for spelling in ("./spec/kpis.yaml", str(project / "spec" / "kpis.yaml")):
        done = run_cli("generate", "--spec", spelling, cwd=project)
        assert done.returncode == 0, done.stderr
        assert "0 changed" in done.stdout
    elsewhere = run_cli("check", "--root", str(project), "--spec", str(project / "spec" / "kpis.yaml"), cwd=tmp_path)
    assert elsewhere.returncode == 0, elsewhere.stderr
    assert snapshot(project) == before
    assert all(str(tmp_path) not in body.decode() for body in before.values())


def test_the_header_names_overlays_relative_to_the_root_too():
    loaded = load(DEFAULT_SPEC, check_promql=False, overlays=(ROOT / "spec" / "overlays" / "fast.yaml",))
    assert loaded.named_from(ROOT) == "spec/kpis.yaml + spec/overlays/fast.yaml"
    assert loaded.named_from(ROOT / "spec") == "kpis.yaml + overlays/fast.yaml"


def test_a_jsonnet_spec_hash_follows_the_files_it_imports(tmp_path):
    (tmp_path / "kpis.jsonnet").write_bytes((ROOT / "spec" / "kpis.jsonnet").read_bytes())
    (tmp_path / "kpis.yaml").write_bytes(DEFAULT_SPEC.read_bytes())
    before = load(tmp_path / "kpis.jsonnet", check_promql=False).sha256
    (tmp_path / "kpis.yaml").write_text(DEFAULT_SPEC.read_text().replace("for: 5m", "for: 6m", 1))
    assert load(tmp_path / "kpis.jsonnet", check_promql=False).sha256 != before
