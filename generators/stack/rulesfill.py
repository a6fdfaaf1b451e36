"""Backfill the recorded series that expressions read in the past.

Live rule evaluation only starts at ``up``, but a baseline (``avg_over_time(r[7d])``), a
forecast (``predict_linear(r[6h], …)``), an SLO window (``r[30d]``) or a week-over-week
comparison (``r offset 1w``) needs the record ``r`` before that. Each recording rule is
evaluated against the running Prometheus (which holds the raw history) and the resulting
blocks are moved into Prometheus's data directory, where its next compaction cycle (within
a minute) loads them. Passes (``passes``):

- around each ``offset`` point (two hours, every 30 s): instant reads a week or a day ago;
- the last hour, every 30 s, for every record read over a range: short windows
  (``[30m]``, ``[1h]``) evaluated right after ``up`` are full;
- from ``range + offset`` ago to an hour ago, every hour, per look-back depth: long windows
  get a sample an hour. The raw history has a fine burst before each hour mark for the
  metrics these records read (``raw_needs``), so their ``rate(x[5m])`` is exact there.

The 30 s passes run ``promtool tsdb create-blocks-from rules``. The hourly passes evaluate
the same rules with range queries and import the result with ``create-blocks-from
openmetrics`` (``blocks.py``): promtool 2.42's rules backfill writes one 2-hour block per
rule per 2 hours (about 1,500 blocks and 140 s for 30 days of four records, measured) and
shifts each group's evaluations by a hash of its name, off the hour marks the bursts sit at.

promtool evaluates each rule on its own, so a record reading other records would find them
missing in the past: those references are inlined (``(expr)``), which is the same series
minus the record's static labels. A reference with label matchers or a range is left alone
(none of the records backfilled over windows reads one today).
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import yaml

from . import history, selectors
from .blocks import import_openmetrics
from .bundle import expressions, rules
from .selectors import duration_seconds

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_OFFSET_READ = re.compile(rf"({_NAME})(?:\{{[^}}]*\}})?(?:\[[^\]]*\])?\s+offset\s+(\w+)")
_RANGE_READ = re.compile(rf"(?<![\w:])({_NAME})(?:\{{[^}}]*\}})?\[(\w+)(?::\w*)?\](?:\s+offset\s+(\w+))?")
_REF = re.compile(rf"(?<![\w:\"'])({_NAME})(?![\w:])")
HOUR = 3600
WINDOW = HOUR
"""Seconds either side of each offset point, matching the fine grid of the raw history."""
FINE_EVAL, COARSE_EVAL = "30s", "1h"
"""Evaluation steps: the raw history's fine step, and its hour marks (where bursts are)."""


@dataclass(frozen=True)
class Pass:
    """One promtool run: these records evaluated every ``interval`` from ``start`` to ``end``."""

    name: str
    start: int
    end: int
    interval: str
    records: tuple[str, ...]


def offset_reads(bundle: Path) -> dict[str, set[float]]:
    """Recorded series read with an ``offset`` anywhere in the bundle, and those offsets (s)."""
    records = _definitions(bundle)
    found: dict[str, set[float]] = {}
    for expr in expressions(bundle):
        for name, offset in _OFFSET_READ.findall(expr):
            if name in records:
                found.setdefault(name, set()).add(duration_seconds(offset))
    return found


def windowed_reads(bundle: Path) -> dict[str, float]:
    """Recorded series read over a range anywhere in the bundle, and how far back (range + offset, s)."""
    records = _definitions(bundle)
    found: dict[str, float] = {}
    for expr in expressions(bundle):
        for name, window, offset in _RANGE_READ.findall(expr):
            if name in records:
                depth = duration_seconds(window) + (duration_seconds(offset) if offset else 0)
                found[name] = max(found.get(name, 0.0), depth)
    return found


def raw_needs(bundle: Path) -> dict[str, tuple[float, float]]:
    """Raw metric -> (depth, burst span) the hourly evaluation of windowed records needs.

    Depth: how far back a record reading the metric is backfilled. Span: the longest look-back
    under an hour among its uses there (``rate(x[5m])``: 300 s); instant reads and ranges of an
    hour or more are served by the hourly grid itself (span 0: no burst).
    """
    definitions = _definitions(bundle)
    single = _single(definitions)
    needs: dict[str, tuple[float, float]] = {}
    for name, depth in windowed_reads(bundle).items():
        found = selectors.scan([inline(r["expr"], single) for r in definitions[name]])
        for metric, uses in found.uses.items():
            span = max((u.lookback for u in uses if u.lookback < HOUR), default=0.0)
            old_depth, old_span = needs.get(metric, (0.0, 0.0))
            needs[metric] = (max(old_depth, depth), max(old_span, span))
    return needs


def raw_offsets(bundle: Path) -> dict[str, set[float]]:
    """Raw metric -> offsets at which records read with an offset need it (fine raw samples there)."""
    definitions = _definitions(bundle)
    single = _single(definitions)
    found: dict[str, set[float]] = {}
    for name, offsets in offset_reads(bundle).items():
        for metric in selectors.scan([inline(r["expr"], single) for r in definitions[name]]).uses:
            found.setdefault(metric, set()).update(offsets)
    return found


def passes(bundle: Path, now: float) -> list[Pass]:
    """Every promtool run the backfill needs, in the order they are worth doing (see module doc)."""
    out = []
    by_offset: dict[float, set[str]] = {}
    for name, offsets in offset_reads(bundle).items():
        for offset in offsets:
            by_offset.setdefault(offset, set()).add(name)
    for offset, names in sorted(by_offset.items()):
        out.append(Pass(f"offset-{int(offset)}", int(now - offset - WINDOW), int(min(now - offset + WINDOW, now - 60)),
                        FINE_EVAL, tuple(sorted(names))))
    windowed = windowed_reads(bundle)
    if windowed:
        out.append(Pass("recent", int(now - HOUR), int(now - 60), FINE_EVAL, tuple(sorted(windowed))))
    by_depth: dict[int, set[str]] = {}
    for name, depth in windowed.items():
        if depth > HOUR:
            by_depth.setdefault(int(-(-depth // HOUR) * HOUR), set()).add(name)
    for depth, names in sorted(by_depth.items()):
        # Hour marks only (bursts sit there), ending where the fine "recent" pass begins.
        start = int((now - depth) // HOUR * HOUR)
        out.append(Pass(f"window-{depth // HOUR}h", start, int(now - HOUR) - 1, COARSE_EVAL, tuple(sorted(names))))
    return out


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


def build(bundle: Path, prometheus: str, data_dir: Path, work: Path, now: float, workers: int = 2) -> dict:
    """Run every pass against ``prometheus``, move the blocks into ``data_dir``; return counts, errors, time.

    A failure costs only some history of those records, so it is reported, not raised.
    """
    started = time.monotonic()
    plan = passes(bundle, now)
    if work.exists():
        shutil.rmtree(work)
    definitions = _definitions(bundle)
    single = _single(definitions)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(lambda p: _run(p, definitions, single, prometheus, work), plan))
    errors = [error for _, error, _ in results if error]
    blocks = sum(_move_blocks(out, data_dir) for out, error, _ in results if not error)
    records = set().union(*(p.records for p in plan))
    windowed = next((p.records for p in plan if p.name == "recent"), ())
    return {"records": len(records), "windowed": len(windowed), "passes": len(plan),
            "pass_seconds": {p.name: seconds for p, (_, _, seconds) in zip(plan, results)},
            "blocks": blocks, "errors": errors, "seconds": round(time.monotonic() - started, 1)}


def _run(step: Pass, definitions: dict[str, list[dict]], single: dict[str, dict], prometheus: str,
         work: Path) -> tuple[Path, str | None, float]:
    """One pass into ``work/<name>/blocks``; returns that directory, an error (if any) and its seconds."""
    started = time.monotonic()
    out = work / step.name
    out.mkdir(parents=True)
    rules_ = [{"record": name, "expr": inline(rule["expr"], single),
               **({"labels": rule["labels"]} if rule.get("labels") else {})}
              for name in step.records for rule in definitions[name]]
    try:
        if step.interval == COARSE_EVAL:
            _evaluate_hourly(step, rules_, prometheus, out)
        else:
            _promtool_rules(step, rules_, prometheus, out)
    except (OSError, RuntimeError, ValueError) as err:
        return out, f"{step.name}: {str(err)[-300:]}", round(time.monotonic() - started, 1)
    return out, None, round(time.monotonic() - started, 1)


def _promtool_rules(step: Pass, rules_: list[dict], prometheus: str, out: Path) -> None:
    rule_file = out / "rules.yml"
    rule_file.write_text(yaml.safe_dump({"groups": [{"name": f"perfcycle-backfill-{step.name}", "rules": rules_}]},
                                        sort_keys=False))
    result = subprocess.run(["promtool", "tsdb", "create-blocks-from", "rules", f"--url={prometheus}",
                             f"--start={step.start}", f"--end={step.end}", f"--eval-interval={step.interval}",
                             f"--output-dir={out / 'blocks'}", str(rule_file)], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr.strip() or result.stdout.strip())


def _evaluate_hourly(step: Pass, rules_: list[dict], prometheus: str, out: Path) -> None:
    """Each rule as a range query at the hour marks, written as OpenMetrics and imported as large blocks."""
    lines: dict[int, list[str]] = {}
    for rule in rules_:
        for series in _query_range(prometheus, rule["expr"], step.start, step.end, HOUR):
            labels = {k: v for k, v in series["metric"].items() if k != "__name__"} | rule.get("labels", {})
            text = history.series_text(rule["record"], labels)
            for stamp, value in series["values"]:
                lines.setdefault(int(stamp) // history.BLOCK, []).append(f"{text} {value} {int(stamp)}\n")
    for block, chunk in sorted(lines.items()):
        path = out / f"records-{block}.om"
        path.write_text("".join(chunk) + "# EOF\n")
        import_openmetrics(path, out / "blocks")


def _query_range(prometheus: str, expr: str, start: int, end: int, step: int) -> list[dict]:
    query = urllib.parse.urlencode({"query": expr, "start": start, "end": end, "step": step})
    with urllib.request.urlopen(f"{prometheus}/api/v1/query_range?{query}", timeout=60) as resp:
        answer = json.loads(resp.read())
    if answer.get("status") != "success":
        raise RuntimeError(f"query_range {expr}: {answer.get('error')}")
    return answer["data"]["result"]


def _move_blocks(out: Path, data_dir: Path) -> int:
    moved = 0
    for block in (out / "blocks").glob("01*"):
        if (block / "meta.json").exists():
            shutil.move(str(block), data_dir / block.name)
            moved += 1
    return moved


def _definitions(bundle: Path) -> dict[str, list[dict]]:
    """Record name -> its rules (``kpi:target_met:bool`` has one per KPI, told apart by labels)."""
    found: dict[str, list[dict]] = {}
    for rule in rules(bundle):
        if "record" in rule:
            found.setdefault(rule["record"], []).append(rule)
    return found


def _single(definitions: dict[str, list[dict]]) -> dict[str, dict]:
    """Records defined once: only those can be inlined by name."""
    return {name: rules_[0] for name, rules_ in definitions.items() if len(rules_) == 1}
