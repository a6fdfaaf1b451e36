"""OpenMetrics text to TSDB blocks with the real promtool: the one import both backfills use."""
from __future__ import annotations

import subprocess
from pathlib import Path

from . import history

MAX_BLOCK = f"{history.BLOCK // history.HOUR}h"
"""The largest block promtool makes: few blocks, so Prometheus loads them fast."""


def import_openmetrics(path: Path, out_dir: Path) -> None:
    """``promtool tsdb create-blocks-from openmetrics`` of ``path`` into ``out_dir``; raise with its output on failure."""
    result = subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", "--quiet",
                             f"--max-block-duration={MAX_BLOCK}", str(path), str(out_dir)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"promtool could not import {path.name}: {result.stderr.strip() or result.stdout.strip()}")
