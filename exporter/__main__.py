"""`perfcycle-exporter [flags]` runs the exporter; `perfcycle-exporter loadgen ...` the
load generator. Errors become exit codes only here (2: bad config, 1: cannot serve)."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading

from .config import ConfigError, add_flags, load


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "loadgen":
        from .loadgen import main as loadgen_main
        return loadgen_main(argv[1:])
    p = argparse.ArgumentParser(prog="perfcycle-exporter",
                                description="Kiro KPI exporter (see docs/exporter.md); "
                                            "'perfcycle-exporter loadgen -h' for the load "
                                            "generator.")
    add_flags(p)
    p.add_argument("--log.level", dest="log_level", default="info",
                   choices=("debug", "info", "warning", "error"))
    args = p.parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    from .server import Exporter
    try:
        app = Exporter(load(args))
        host, port = app.start()
    except ConfigError as e:
        print(f"ERROR: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"ERROR: cannot listen: {e}", file=sys.stderr)
        return 1
    logging.getLogger("exporter").info("listening on %s:%d", host, port)
    done = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: done.set())
    while not done.wait(1):
        pass
    app.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
