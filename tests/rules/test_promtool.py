"""The real promtool judges the generated rules and runs every generated test file."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from generators import no_traffic_cases, promtool


def test_every_generated_rule_file_passes_promtool_check_without_warnings(bundle):
    root, _ = bundle
    files = sorted(str(p) for d in ("recording_rules", "alerts") for p in (root / d).glob("*.yml"))
    assert files
    result = promtool.check_rules(*files)
    assert result.ok, result.output
    assert "warn" not in result.output.lower(), result.output


def test_every_generated_test_file_passes_promtool_test(bundle):
    """Run from the project root, as ``make test`` does; two at a time (CI has two cores)."""
    root, _ = bundle
    files = sorted(f for f in (root / "tests" / "rules").glob("*.test.yml")
                   if not f.name.startswith(no_traffic_cases.FAST_FILE))  # run by test_recording_rules
    assert files
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip(files, pool.map(
            lambda f: promtool.run("test", "rules", f.relative_to(root), cwd=root, timeout=300), files)))
    failed = {f.name: r.output[-3000:] for f, r in results.items() if not r.ok}
    assert not failed, "\n\n".join(f"{name}:\n{out}" for name, out in failed.items())
