"""Time `perfcycle generate` in-process: the default spec, then synthetic specs of 100, 1,000, 10,000 KPIs.

Each synthetic spec repeats the default spec's KPIs with fresh ids, so every kind, alert and
audience is represented. It prints wall seconds and KPIs per second for loading (with the
promtool PromQL check) and building, and the per-KPI cost relative to the 100-KPI spec: a
ratio near 1 at 10,000 KPIs means growth is linear.

    .venv/bin/python bench/generate.py [--sizes 100 1000 10000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import copy
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generators import pipeline  # noqa: E402
from generators.spec import load  # noqa: E402


def synthetic(base: dict, size: int) -> dict:
    """The default spec with ``size`` KPIs, cycling through its own KPIs under new ids."""
    spec = copy.deepcopy(base)
    originals = base["kpis"]
    spec["kpis"] = []
    for n in range(size):
        kpi = copy.deepcopy(originals[n % len(originals)])
        kpi["id"] = f"{kpi['id']}_{n}"
        for alert in kpi.get("alerts", []):
            if alert.get("name"):
                alert["name"] = f"{alert['name']}{n}"
        spec["kpis"].append(kpi)
    return spec


def time_once(path: Path) -> tuple[float, float, int]:
    """Seconds to load+validate and to build all texts, and the number of files."""
    start = time.perf_counter()
    loaded = load(path)
    loaded_at = time.perf_counter()
    texts = pipeline.build_texts(loaded)
    return loaded_at - start, time.perf_counter() - loaded_at, len(texts)


def best_of(path: Path, repeat: int) -> tuple[float, float, int]:
    runs = [time_once(path) for _ in range(repeat)]
    return min(r[0] for r in runs), min(r[1] for r in runs), runs[0][2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    base = yaml.safe_load((ROOT / "spec" / "kpis.yaml").read_text())
    rows = [("default", len(base["kpis"]), *best_of(ROOT / "spec" / "kpis.yaml", args.repeat))]
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes:
            path = Path(tmp) / f"kpis-{size}.yaml"
            path.write_text(yaml.safe_dump(synthetic(base, size), sort_keys=False))
            rows.append((f"synthetic-{size}", size, *best_of(path, 1 if size >= 10000 else args.repeat)))
    print(f"{'spec':<18}{'KPIs':>7}{'load s':>9}{'build s':>9}{'total s':>9}{'KPIs/s':>10}{'files':>7}{'per-KPI vs 100':>16}")
    reference = None
    for name, size, load_s, build_s, files in rows:
        total = load_s + build_s
        per_kpi = total / size
        if name == f"synthetic-{args.sizes[0]}":
            reference = per_kpi
        ratio = f"{per_kpi / reference:.2f}x" if reference else "-"
        print(f"{name:<18}{size:>7}{load_s:>9.3f}{build_s:>9.3f}{total:>9.3f}{size / total:>10.0f}{files:>7}{ratio:>16}")
    default_total = rows[0][2] + rows[0][3]
    print(f"default spec: {default_total:.3f} s wall in-process (target < 1 s): {'OK' if default_total < 1 else 'MISSED'}")


if __name__ == "__main__":
    main()
