"""Time `perfcycle generate` in-process: the default spec, then synthetic specs of 100, 1,000, 10,000 KPIs.

First a full generate of the default spec (load with the promtool PromQL check, build,
atomic writes into a temporary folder), as the first run in this process: that is what
`make generate` costs, and it must stay under 1 s. Then each spec is loaded and built
(best of --repeat) and the bench prints wall and CPU seconds, KPIs per second and the
per-KPI cost relative to the 100-KPI spec. Each synthetic spec repeats the default spec's
KPIs with fresh ids, so every kind, alert and audience is represented.

Growth is judged on CPU seconds (ours plus promtool's): on a shared machine wall time
also measures the neighbours. A per-KPI ratio above 1.5x at any size is flagged
NOT LINEAR; the wall ratio is printed too, with the load average before and after.

    .venv/bin/python bench/generate.py [--sizes 100 1000 10000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import copy
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generators import pipeline  # noqa: E402
from generators.spec import load  # noqa: E402

DEFAULT_SPEC = ROOT / "spec" / "kpis.yaml"
LINEAR_LIMIT = 1.5
"""Per-KPI cost at any size may be at most this multiple of the smallest synthetic spec's."""
TARGET_SECONDS = 1.0
"""A full generate of the default spec, in-process, first run."""


@dataclass(frozen=True)
class Timing:
    """One measured run: wall seconds per phase, CPU seconds overall, files produced."""

    load: float
    build: float
    cpu: float
    files: int

    @property
    def wall(self) -> float:
        return self.load + self.build


def cpu_seconds() -> float:
    """CPU time of this process and of its finished children (promtool runs as one)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


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


def time_once(path: Path, out: Path | None = None) -> Timing:
    """Load+validate and build all texts; with ``out``, also write them there (as `generate` does)."""
    cpu, start = cpu_seconds(), time.perf_counter()
    loaded = load(path)
    loaded_at = time.perf_counter()
    texts = pipeline.build_texts(loaded)
    if out is not None:
        pipeline.write(texts, out)
    return Timing(loaded_at - start, time.perf_counter() - loaded_at, cpu_seconds() - cpu, len(texts))


def best_of(path: Path, repeat: int) -> Timing:
    """The fastest of ``repeat`` runs, phase by phase: the least disturbed by other work."""
    runs = [time_once(path) for _ in range(repeat)]
    return Timing(min(r.load for r in runs), min(r.build for r in runs), min(r.cpu for r in runs), runs[0].files)


def first_generate() -> Timing:
    """The default spec's full generate into a temporary folder, the first one in this process."""
    with tempfile.TemporaryDirectory(prefix="perfcycle-bench-") as out:
        return time_once(DEFAULT_SPEC, Path(out))


def measure(base: dict, sizes: list[int], repeat: int) -> list[tuple[str, int, Timing]]:
    """Rows for the default spec and each synthetic size (10,000 KPIs and more run once)."""
    rows = [("default", len(base["kpis"]), best_of(DEFAULT_SPEC, repeat))]
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            path = Path(tmp) / f"kpis-{size}.yaml"
            path.write_text(yaml.safe_dump(synthetic(base, size), sort_keys=False))
            rows.append((f"synthetic-{size}", size, best_of(path, 1 if size >= 10000 else repeat)))
    return rows


def report(rows: list[tuple[str, int, Timing]], reference_size: int) -> bool:
    """Print the table; True when every synthetic spec's per-KPI CPU cost is within the linear limit."""
    print(f"{'spec':<18}{'KPIs':>7}{'load s':>9}{'build s':>9}{'wall s':>9}{'cpu s':>9}{'KPIs/s':>9}"
          f"{'files':>7}{'wall/KPI':>10}{'cpu/KPI':>9}")
    reference = next(t for name, size, t in rows if name == f"synthetic-{reference_size}")
    linear = True
    for name, size, t in rows:
        wall_ratio = cpu_ratio = "-"
        verdict = ""
        if name.startswith("synthetic-"):
            wall_x = (t.wall / size) / (reference.wall / reference_size)
            cpu_x = (t.cpu / size) / (reference.cpu / reference_size)
            wall_ratio, cpu_ratio = f"{wall_x:.2f}x", f"{cpu_x:.2f}x"
            if cpu_x > LINEAR_LIMIT:
                linear, verdict = False, "  NOT LINEAR"
        print(f"{name:<18}{size:>7}{t.load:>9.3f}{t.build:>9.3f}{t.wall:>9.3f}{t.cpu:>9.3f}"
              f"{size / t.wall:>9.0f}{t.files:>7}{wall_ratio:>10}{cpu_ratio:>9}{verdict}")
    return linear


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)")
    first = first_generate()
    verdict = "OK" if first.wall < TARGET_SECONDS else "MISSED"
    base = yaml.safe_load(DEFAULT_SPEC.read_text())
    linear = report(measure(base, args.sizes, args.repeat), args.sizes[0])
    print(f"default spec, full generate with writes, first run in-process: {first.wall:.3f} s wall, "
          f"{first.cpu:.3f} s CPU, {first.files} files (target < {TARGET_SECONDS:g} s): {verdict}")
    print(f"growth: {'linear' if linear else 'NOT LINEAR'} (per-KPI CPU cost within {LINEAR_LIMIT}x "
          f"of the {args.sizes[0]}-KPI spec)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
