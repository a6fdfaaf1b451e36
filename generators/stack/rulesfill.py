"""Backfill the recorded series that expressions read in the past (``x offset 1w``).

Live rule evaluation only starts at ``up``; a week-over-week alert or panel needs the record
a week ago too. For every recording rule read with an ``offset``, ``promtool tsdb
create-blocks-from rules`` evaluates it against the running Prometheus (which holds the raw
history) over two hours around each offset point, and the blocks are moved into
Prometheus's data directory, where its next compaction cycle (within a minute) loads them.

promtool evaluates each rule on its own, so a record reading other records would find them
missing in the past: those references are inlined (``(expr)``), which is the same series
minus the record's static labels. A reference with label matchers is left alone.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

from .bundle import expressions, rules
from .selectors import duration_seconds

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_OFFSET_READ = re.compile(rf"({_NAME})(?:\{{[^}}]*\}})?(?:\[[^\]]*\])?\s+offset\s+(\w+)")
_REF = re.compile(rf"(?<![\w:\"'])({_NAME})(?![\w:])")
WINDOW = 3600
"""Seconds either side of each offset point, matching the fine grid of the raw history."""


def offset_reads(bundle: Path) -> dict[str, set[float]]:
    """Recorded series read with an ``offset`` anywhere in the bundle, and those offsets (s)."""
    records = {r["record"] for r in rules(bundle) if "record" in r}
    found: dict[str, set[float]] = {}
    for expr in expressions(bundle):
        for name, offset in _OFFSET_READ.findall(expr):
            if name in records:
                found.setdefault(name, set()).add(duration_seconds(offset))
    return found


def inline(expr: str, records: dict[str, dict], depth: int = 3) -> str:
    """``expr`` with bare references to other records replaced by their (parenthesised) expressions.

    References with matchers (``{...}``) or ranges (``[...]``) stay as they are: inlining them
    would change the meaning or the syntax.
    """
    if depth == 0:
        return expr

    def swap(match: re.Match) -> str:
        name, rest = match.group(1), expr[match.end():].lstrip()
        if name not in records or rest[:1] in ("{", "[", "("):
            return name
        return f"({inline(records[name]['expr'], records, depth - 1)})"
    return _REF.sub(swap, expr)


def build(bundle: Path, prometheus: str, data_dir: Path, work: Path, now: float) -> dict:
    """Backfill every offset-read record around its offset points; return counts and any errors.

    A failure costs only the week-over-week history of those records, so it is reported, not raised.
    """
    reads = offset_reads(bundle)
    if not reads:
        return {"records": 0, "blocks": 0, "errors": []}
    errors: list[str] = []
    records = {r["record"]: r for r in rules(bundle) if "record" in r}
    if work.exists():
        shutil.rmtree(work)
    blocks = 0
    by_offset: dict[float, list[str]] = {}
    for name, offsets in reads.items():
        for offset in offsets:
            by_offset.setdefault(offset, []).append(name)
    for offset, names in sorted(by_offset.items()):
        out = work / f"offset-{int(offset)}"
        out.mkdir(parents=True)
        group = {"name": f"perfcycle-backfill-{int(offset)}",
                 "rules": [{"record": n, "expr": inline(records[n]["expr"], records),
                            **({"labels": records[n]["labels"]} if records[n].get("labels") else {})}
                           for n in sorted(set(names))]}
        rule_file = out / "rules.yml"
        rule_file.write_text(yaml.safe_dump({"groups": [group]}, sort_keys=False))
        start, end = int(now - offset - WINDOW), int(min(now - offset + WINDOW, now - 60))
        result = subprocess.run(["promtool", "tsdb", "create-blocks-from", "rules", f"--url={prometheus}",
                                 f"--start={start}", f"--end={end}", "--eval-interval=30s",
                                 f"--output-dir={out / 'blocks'}", str(rule_file)], capture_output=True, text=True)
        if result.returncode != 0:
            errors.append(f"offset {offset:.0f}s: {(result.stderr.strip() or result.stdout.strip())[-300:]}")
            continue
        for block in (out / "blocks").glob("01*"):
            if (block / "meta.json").exists():
                shutil.move(str(block), data_dir / block.name)
                blocks += 1
    return {"records": len(reads), "blocks": blocks, "errors": errors}
