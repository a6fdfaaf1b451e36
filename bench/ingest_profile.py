"""Where ingest CPU goes, in process: nanoseconds per event of each step, no HTTP.

Usage: python bench/ingest_profile.py [--batches 200] [--rounds 5] [--incident NAME]

Builds realistic NDJSON batches of 1,000 events (exporter/loadgen.py's steady mix, as
bench/exporter.py posts them) and runs them through the exporter's own code, timing with
the thread's CPU clock: decoding (`events.decode`), the whole `Aggregator.apply`, each
type's apply function on its share of the batch, and the whole `Ingestor.ingest_bytes`.
Every batch is decoded afresh, so label strings are new objects whose hashes are not
cached yet, as in the server. Figures are per event of the whole batch (a type's line
is what that type adds to an average event) and the best of `--rounds`, since the
machine may be shared. A store scrape every 20 batches starts fresh deltas, as
Prometheus would.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from exporter import events as E  # noqa: E402
from exporter.aggregate import Aggregator  # noqa: E402
from exporter.guard import Guard  # noqa: E402
from exporter.ingest import Ingestor, SelfMetrics  # noqa: E402
from exporter.loadgen import INCIDENTS, make_event, ndjson  # noqa: E402
from exporter.metrics import make_store  # noqa: E402

BATCH = 1000


def one_round(bodies: list, n_batches: int) -> dict:
    store, guard = make_store(), Guard(200)
    agg = Aggregator(store, guard)
    ing = Ingestor(agg, SelfMetrics(guard))
    clock = time.thread_time_ns
    ns: dict = {}

    def add(k, v):
        ns[k] = ns.get(k, 0) + v

    for i in range(n_batches):
        body = bodies[i % len(bodies)]
        if i % 20 == 0:
            store.render()
        t0 = clock()
        items = E.decode(body, True)
        t1 = clock()
        agg.apply(items)
        t2 = clock()
        add("decode", t1 - t0)
        add("apply (all types)", t2 - t1)
        by_type: dict = {}
        for ev in E.decode(body, True):  # fresh objects again for the per-type figures
            by_type.setdefault(type(ev), []).append(ev)
        with store.ingest_lock:
            for t, evs in by_type.items():
                if t is not E.EventError:
                    a = clock()
                    agg.apply_group[t](store.delta, evs)
                    add(f"  {t.__name__}", clock() - a)
        t0 = clock()
        ing.ingest_bytes(body, True, "bench")
        add("ingest_bytes (decode + apply + bookkeeping)", clock() - t0)
    return {k: v / (n_batches * BATCH) for k, v in ns.items()}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batches", type=int, default=200, help="batches per round")
    p.add_argument("--rounds", type=int, default=5, help="the best round counts")
    p.add_argument("--incident", choices=INCIDENTS, default="none",
                   help="skew the mix as loadgen's incident would")
    a = p.parse_args()
    rng = random.Random(42)
    bodies = [ndjson(make_event(rng, a.incident) for _ in range(BATCH)) for _ in range(30)]
    best: dict = {}
    for _ in range(a.rounds):
        for k, v in one_round(bodies, a.batches).items():
            best[k] = min(best.get(k, v), v)
    print(f"CPU ns per event, {BATCH}-event NDJSON batches, best of {a.rounds} rounds "
          f"of {a.batches} batches:")
    for k, v in best.items():
        print(f"  {k:46s} {v:7.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
