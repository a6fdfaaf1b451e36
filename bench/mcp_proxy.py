"""Latency the MCP proxy adds per request, against the same client talking directly.

One run opens two sessions with the official SDK's real stdio client: one straight to
the test server (tests/kiro/mcp_server.py), one to the same server behind
`perfcycle-mcp-proxy`. Calls alternate between the two sessions, so machine noise and
drift hit both alike, and the medians and their difference are printed. The target is
under 1 ms of added median latency on loopback; the exit code is 1 when it is missed.

    .venv/bin/python bench/mcp_proxy.py [--requests 500] [--method tools/call|ping]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

ROOT = Path(__file__).resolve().parent.parent
SERVER = [sys.executable, str(ROOT / "tests" / "kiro" / "mcp_server.py")]
PROXY = str(Path(sys.executable).parent / "perfcycle-mcp-proxy")
BUDGET_MS = 1.0


def raw_bench(n: int, warmup: int, env: dict) -> tuple[list, list]:
    """The same comparison with a minimal line-based client: no SDK overhead in the
    numbers, so the proxy's own cost stands out from the noise."""
    import json
    import subprocess
    procs = [subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, env=env, bufsize=0)
             for cmd in (SERVER, [PROXY, "--server", "bench-raw", "--", *SERVER])]
    try:
        init = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {
            "protocolVersion": "2025-06-18", "capabilities": {},
            "clientInfo": {"name": "bench", "version": "1"}}}
        for p in procs:
            p.stdin.write(json.dumps(init).encode() + b"\n")
            p.stdout.readline()
            p.stdin.write(b'{"jsonrpc":"2.0","method":"notifications/initialized"}\n')
        times = ([], [])
        for i in range(1, warmup + n + 1):
            line = b'{"jsonrpc":"2.0","id":%d,"method":"ping"}\n' % i
            for k in ((0, 1) if i % 2 else (1, 0)):
                p = procs[k]
                t0 = time.perf_counter()
                p.stdin.write(line)
                p.stdout.readline()
                if i > warmup:
                    times[k].append(time.perf_counter() - t0)
        return times
    finally:
        for p in procs:
            p.stdin.close()
            try:
                p.wait(5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


async def bench(n: int, warmup: int, method: str, env: dict) -> tuple[list, list]:
    direct_p = StdioServerParameters(command=SERVER[0], args=SERVER[1:], env=env)
    proxy_p = StdioServerParameters(command=PROXY, args=["--server", "bench", "--", *SERVER],
                                    env=env)
    async with stdio_client(direct_p) as (dr, dw), stdio_client(proxy_p) as (pr, pw):
        async with ClientSession(dr, dw) as direct, ClientSession(pr, pw) as proxied:
            await direct.initialize()
            await proxied.initialize()

            async def call(s):
                if method == "ping":
                    return await s.send_ping()
                return await s.call_tool("echo", {"text": "benchmark payload"})

            times = {id(direct): [], id(proxied): []}
            for i in range(warmup + n):
                order = (direct, proxied) if i % 2 == 0 else (proxied, direct)
                for s in order:
                    t0 = time.perf_counter()
                    await call(s)
                    if i >= warmup:
                        times[id(s)].append(time.perf_counter() - t0)
            return times[id(direct)], times[id(proxied)]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--requests", type=int, default=500)
    p.add_argument("--warmup", type=int, default=50)
    p.add_argument("--method", choices=("tools/call", "ping"), default="tools/call")
    p.add_argument("--sdk-only", action="store_true", help="skip the raw line client")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, PERFCYCLE_SPOOL=os.path.join(tmp, "spool.ndjson"),
                   PERFCYCLE_EXPORTER_URL="http://127.0.0.1:9")   # closed: events spool
        runs = [(f"official SDK client, {args.method}",
                 asyncio.run(bench(args.requests, args.warmup, args.method, env)))]
        if not args.sdk_only:
            runs.append(("raw line client, ping", raw_bench(args.requests, args.warmup, env)))
    ok = True
    for title, (direct, proxied) in runs:
        md, mp = statistics.median(direct) * 1e3, statistics.median(proxied) * 1e3
        print(f"{title}: {len(direct)} requests per path, alternating")
        print(f"  direct  median {md:.3f} ms  p90 {p90(direct):.3f} ms")
        print(f"  proxied median {mp:.3f} ms  p90 {p90(proxied):.3f} ms")
        print(f"  added   median {mp - md:+.3f} ms (budget {BUDGET_MS:.1f} ms): "
              f"{'ok' if mp - md < BUDGET_MS else 'OVER BUDGET'}")
        ok &= mp - md < BUDGET_MS
    return 0 if ok else 1


def p90(xs: list) -> float:
    return sorted(xs)[int(len(xs) * 0.9)] * 1e3


if __name__ == "__main__":
    sys.exit(main())
