"""``perfcycle stack up|down|status``: argument parsing and printing only; the work is in ``stack``."""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from . import procs, stack


def add(commands) -> None:
    """Register ``stack`` on the main ``perfcycle`` parser."""
    sub = commands.add_parser("stack", help="run the bundle for real on 127.0.0.1 (see docs/stack.md)")
    sub.add_argument("action", choices=("up", "down", "status"))
    sub.add_argument("--spec", default="spec/kpis.yaml")
    sub.add_argument("--overlay", action="append", default=[], metavar="FILE",
                     help="overlay layered on the spec, e.g. spec/overlays/fast.yaml (repeatable)")
    sub.add_argument("--root", default=".", type=Path, help="project root; state lives in ROOT/.stack")
    sub.add_argument("--scrape-interval", metavar="DURATION",
                     help="Prometheus scrape interval, over the overlays' stack.scrape_interval (default 15s)")
    sub.add_argument("--loadgen-rate", default=20, type=float, help="steady events/s into the exporter (0: none)")
    sub.add_argument("--max-rule-interval", metavar="DURATION",
                     help="evaluate no rule group less often than this (an override: overlays set domains.long_interval)")
    sub.add_argument("--no-history", action="store_true", help="skip the synthetic history backfill")
    sub.set_defaults(command=run)


def run(args: argparse.Namespace) -> int:
    if args.action == "down":
        stopped = stack.down(args.root)
        print(f"perfcycle stack: stopped {', '.join(stopped) if stopped else 'nothing (no running stack)'}")
        return 0
    if args.action == "status":
        state = procs.State.load(stack.state_path(args.root))
        if not any(procs.alive(p.pid) for p in state.procs):
            print("perfcycle stack: not running (start it with `make up`)")
            return 0
        for p in state.procs:
            print(f"{p.name:14} pid {p.pid:<7} {'running' if procs.alive(p.pid) else 'stopped'}  log {p.log}")
        print(json.dumps(state.urls, indent=2))
        return 0
    options = stack.Options(spec=args.spec, overlays=tuple(args.overlay), scrape_interval=args.scrape_interval,
                            loadgen_rate=args.loadgen_rate, history=not args.no_history,
                            max_rule_interval=args.max_rule_interval)
    try:
        state = stack.up(args.root, options)
    except (stack.StackError, RuntimeError, TimeoutError) as err:
        print(f"ERROR: {err}")
        return 1
    print(f"perfcycle stack is up in {state.info['ready_seconds']}s (stop it with `make down`):")
    for name, address in state.urls.items():
        print(f"  {name:14} {address}")
    print(f"  notifications  {state.info['notifications']}")
    return 0
