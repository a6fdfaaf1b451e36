"""Exporter benchmarks, each side by side with its baseline in one run; prints ratios.

1. Ingest: events/s for NDJSON batches of 1,000 over loopback HTTP, the exporter against
   a naive baseline (bench/exporter_baseline.py: stdlib `http.server` + `json.loads` +
   `Counter.labels().inc()` per event). Servers are pinned to CPU 0, the client to CPU 1, so "one core" is literal.
2. Single-event POSTs/s over one keep-alive connection: the exporter, and the baseline
   with and without TCP_NODELAY (stdlib writes headers and body separately, so Nagle and
   the client's delayed ACK stall each response ~40 ms).
3. `/metrics` latency at 1k, 10k and 100k series against `generate_latest` alone on a
   prometheus_client registry holding the same series; and single-event POST latency
   while 100k-series scrapes run back to back (does rendering stall ingest?).
4. Memory during a flood of random label values with the cardinality guard on
   (`--flood-seconds`, default 60; the issue's figure is 300).

The machine may be shared: each figure is the best of several rounds in which the
servers alternate, and the load average is printed before and after.

Usage: python bench/exporter.py [--seconds 8] [--rounds 8] [--connections 2]
                                [--flood-seconds 60] [--json FILE]
                                [--only ingest,single,metrics,stall,flood]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from exporter.loadgen import make_event, ndjson  # noqa: E402

SERVER_CPU, CLIENT_CPU = 0, 1
BASELINE = Path(__file__).with_name("exporter_baseline.py")


# ---- process helpers ------------------------------------------------------------------
def _pin_server():
    os.sched_setaffinity(0, {SERVER_CPU})


class Server:
    def __init__(self, kind: str, *flags: str, nodelay: bool = True):
        self.kind = kind
        if kind == "exporter":
            self.log = Path(tempfile.mkstemp(prefix="bench-exporter-", suffix=".log")[1])
            with open(self.log, "wb") as fh:
                self.p = subprocess.Popen(
                    [sys.executable, "-m", "exporter", "--web.listen-address", "127.0.0.1:0",
                     "--log.level", "warning", *flags], cwd=ROOT, stdout=fh,
                    stderr=subprocess.STDOUT, preexec_fn=_pin_server,
                    env={**os.environ, "PYTHONPATH": str(ROOT)})
            # the port is logged at info level; ask the kernel instead
            self.port = self._port_from_proc()
        else:
            self.p = subprocess.Popen([sys.executable, str(BASELINE),
                                       "--nodelay" if nodelay else "--no-nodelay"],
                                      stdout=subprocess.PIPE, preexec_fn=_pin_server)
            self.port = int(self.p.stdout.readline())

    def _port_from_proc(self) -> int:
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            out = subprocess.run(["ss", "-Hltnp"], capture_output=True, text=True).stdout
            for line in out.splitlines():
                if f"pid={self.p.pid}," in line:
                    m = re.search(r"127\.0\.0\.1:(\d+)", line)
                    if m:
                        return int(m.group(1))
            if self.p.poll() is not None:
                raise RuntimeError(self.log.read_text())
            time.sleep(0.1)
        raise RuntimeError("exporter did not start")

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server process (all threads)."""
        with open(f"/proc/{self.p.pid}/stat") as fh:
            f = fh.read().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")

    def rss_bytes(self) -> int:
        with open(f"/proc/{self.p.pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        return 0

    def stop(self) -> None:
        if self.p.poll() is None:
            self.p.terminate()
            try:
                self.p.wait(10)
            except subprocess.TimeoutExpired:
                self.p.kill()
                self.p.wait()
        if self.kind == "exporter":
            self.log.unlink(missing_ok=True)


class Raw:
    """A lean keep-alive client (pre-built request bytes), so the client's own cost
    does not hide the server's; used for the throughput figures."""

    def __init__(self, port: int):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=60)
        self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    @staticmethod
    def request(body: bytes, ctype: str = "application/x-ndjson") -> bytes:
        return (f"POST /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {ctype}"
                f"\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body

    def roundtrip(self, req: bytes) -> int:
        self.s.sendall(req)
        buf = self.buf
        while (i := buf.find(b"\r\n\r\n")) < 0:
            buf += self.s.recv(65536)
        head = buf[:i].decode("latin-1")
        n = int(re.search(r"(?i)content-length: *(\d+)", head).group(1))
        while len(buf) < i + 4 + n:
            buf += self.s.recv(65536)
        self.buf = buf[i + 4 + n:]
        return int(head.split(" ", 2)[1])

    def close(self):
        self.s.close()


def rounds(fn, servers: dict, n_rounds: int) -> dict:
    """Alternate the servers round by round (the machine's load varies). Per server: the
    best round's rate, and the work per CPU-second of the server process over all rounds
    (which other load on the machine hardly changes)."""
    got = {k: [] for k in servers}
    cpu = {k: 0.0 for k in servers}
    work = {k: 0.0 for k in servers}
    for _ in range(n_rounds):
        for k, srv in servers.items():
            c0 = srv.cpu_seconds()
            rate, done = fn(k)
            cpu[k] += srv.cpu_seconds() - c0
            work[k] += done
            got[k].append(rate)
    out = {k: max(v) for k, v in got.items()}
    out |= {f"{k}_per_cpu_second": work[k] / cpu[k] if cpu[k] else float("nan")
            for k in servers}
    return out | {f"{k}_rounds": v for k, v in got.items()}


def load_note() -> str:
    la = os.getloadavg()
    try:
        psi = open("/proc/pressure/cpu").readline().split()[1]
    except OSError:
        psi = "?"
    return f"load average {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}, cpu pressure {psi}"


def conn(port: int) -> http.client.HTTPConnection:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.connect()
    c.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return c


def post(c, body: bytes, ctype="application/x-ndjson") -> int:
    c.request("POST", "/api/v1/events", body, {"Content-Type": ctype})
    r = c.getresponse()
    r.read()
    return r.status


def get(c, path="/metrics") -> bytes:
    c.request("GET", path)
    r = c.getresponse()
    return r.read()


# ---- 1. ingest throughput ------------------------------------------------------------
def ingest_rate(port: int, reqs: list[bytes], seconds: float, connections: int = 1):
    """Events/s with `connections` keep-alive connections posting back to back (more
    than one keeps the server busy while the client sends the next body)."""
    counts = [0] * connections

    def worker(i: int, t_end: float) -> None:
        c = Raw(port)
        n = 0
        while time.perf_counter() < t_end:
            assert c.roundtrip(reqs[(n + i) % len(reqs)]) == 200
            n += 1
        c.close()
        counts[i] = n

    warm = Raw(port)
    for r in reqs[:3]:
        warm.roundtrip(r)
    warm.close()
    t0 = time.perf_counter()
    ts = [threading.Thread(target=worker, args=(i, t0 + seconds)) for i in range(connections)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    dt = time.perf_counter() - t0
    return sum(counts) * 1000 / dt, sum(counts) * 1000


def bench_ingest(seconds: float, n_rounds: int, connections: int) -> dict:
    rng = random.Random(42)
    reqs = [Raw.request(ndjson(make_event(rng) for _ in range(1000))) for _ in range(30)]
    servers = {k: Server(k) for k in ("baseline", "exporter")}
    try:
        out = rounds(lambda k: ingest_rate(servers[k].port, reqs, seconds / n_rounds,
                                           connections), servers, n_rounds)
    finally:
        for s in servers.values():
            s.stop()
    out["ratio"] = out["exporter"] / out["baseline"]
    out["ratio_per_cpu"] = out["exporter_per_cpu_second"] / out["baseline_per_cpu_second"]
    return out


# ---- 2. single events over one keep-alive connection -----------------------------------
def single_rate(port: int, seconds: float) -> float:
    c = Raw(port)
    req = Raw.request(json.dumps(make_event(random.Random(1))).encode() + b"\n")
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        assert c.roundtrip(req) == 200
        n += 1
    dt = time.perf_counter() - t0
    c.close()
    return n / dt, n


def bench_single(seconds: float, n_rounds: int) -> dict:
    servers = {"baseline_nagle": Server("baseline", nodelay=False),
               "baseline_nodelay": Server("baseline", nodelay=True),
               "exporter": Server("exporter")}
    try:
        out = rounds(lambda k: single_rate(servers[k].port, seconds / n_rounds), servers,
                     n_rounds)
    finally:
        for s in servers.values():
            s.stop()
    out["ratio_vs_nagle"] = out["exporter"] / out["baseline_nagle"]
    out["ratio_vs_nodelay"] = out["exporter"] / out["baseline_nodelay"]
    return out


# ---- 3. /metrics latency -----------------------------------------------------------------
def generate_latest_time(n: int, reps: int) -> float:
    """Median seconds of `generate_latest` alone, in a process pinned to the servers' CPU."""
    out = subprocess.run([sys.executable, str(BASELINE), "--time-generate-latest", str(n),
                          str(reps)],
                         capture_output=True, text=True, check=True, preexec_fn=_pin_server)
    return float(out.stdout)


def fill(port: int, n: int) -> None:
    c = conn(port)
    for start in range(0, n, 10000):
        evs = [{"type": "autonomy.task", "task": f"task-{i}", "outcome": "success"}
               for i in range(start, min(n, start + 10000))]
        assert post(c, ndjson(evs)) == 200
    c.close()


def bench_metrics(sizes=(1000, 10000, 100000)) -> dict:
    out = {}
    poke = ndjson([{"type": "autonomy.task", "task": "task-0", "outcome": "success"}])
    for n in sizes:
        reps = 30 if n <= 10000 else 7
        s = Server("exporter", "--cardinality.max-values-per-label", str(2 * n))
        try:
            fill(s.port, n)
            c = conn(s.port)
            get(c)
            changed, cached = [], []
            for _ in range(reps):
                post(c, poke)  # the family changed: worst case, it is re-rendered
                t0 = time.perf_counter()
                body = get(c)
                changed.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                get(c)
                cached.append(time.perf_counter() - t0)
            assert body.count(b"\nkiro_autonomy_tasks_total{") >= n
            c.close()
        finally:
            s.stop()
        gl = generate_latest_time(n, reps)
        out[n] = {"exporter_changed": statistics.median(changed),
                  "exporter_cached": statistics.median(cached), "generate_latest": gl,
                  "ratio_changed": gl / statistics.median(changed)}
    return out


def bench_stall(n: int = 100000, seconds: float = 5) -> dict:
    """Single-event POST latency alone, then while 100k-series scrapes run back to back."""
    s = Server("exporter", "--cardinality.max-values-per-label", str(2 * n))
    try:
        fill(s.port, n)
        body = ndjson([{"type": "autonomy.task", "task": "task-1", "outcome": "success"}])

        def latencies(secs):
            c, lat = conn(s.port), []
            t_end = time.perf_counter() + secs
            while time.perf_counter() < t_end:
                t0 = time.perf_counter()
                post(c, body)
                lat.append(time.perf_counter() - t0)
            c.close()
            return sorted(lat)

        quiet = latencies(seconds / 2)
        stop, scrapes = threading.Event(), [0]

        def scraper():
            c = conn(s.port)
            while not stop.is_set():
                get(c)
                scrapes[0] += 1
            c.close()

        t = threading.Thread(target=scraper)
        t.start()
        busy = latencies(seconds)
        stop.set()
        t.join()
    finally:
        s.stop()

    def pct(v, q):
        return v[min(len(v) - 1, int(q * len(v)))]
    return {"quiet_p50": pct(quiet, .5), "quiet_p99": pct(quiet, .99),
            "busy_p50": pct(busy, .5), "busy_p99": pct(busy, .99), "busy_max": busy[-1],
            "posts_during_scrapes": len(busy), "scrapes": scrapes[0]}


# ---- 4. memory under a flood of random label values ----------------------------------------
def flood_body(rng: random.Random) -> bytes:
    lines = []
    for _ in range(1000):
        r = rng.getrandbits(48)
        if r & 1:
            lines.append(f'{{"type":"hook.execution","hook":"h{r:x}","trigger":"t{r >> 8:x}",'
                         f'"outcome":"success","duration_seconds":0.{r % 1000:03d}}}')
        else:
            lines.append(f'{{"type":"mcp.request","server":"s{r:x}","method":"m{r >> 4:x}",'
                         f'"tool":"x{r >> 12:x}","duration_seconds":0.{r % 997:03d}}}')
    return ("\n".join(lines) + "\n").encode()


def bench_flood(seconds: float) -> dict:
    s = Server("exporter")  # default guard: 200 values per label
    rng = random.Random(5)
    samples, events = [], 0
    try:
        c, m = conn(s.port), conn(s.port)
        t0 = last_sample = last_scrape = time.perf_counter()
        while (now := time.perf_counter()) - t0 < seconds:
            assert post(c, flood_body(rng)) == 200
            events += 1000
            if now - last_scrape >= 5:  # scraped as Prometheus would
                get(m)
                last_scrape = now
            if now - last_sample >= 1:
                samples.append((now - t0, s.rss_bytes()))
                last_sample = now
        samples.append((time.perf_counter() - t0, s.rss_bytes()))
        folded = [ln for ln in get(m).decode().splitlines()
                  if ln.startswith("kiro_exporter_cardinality_folded_total")]
    finally:
        s.stop()
    warm = max(5.0, seconds * 0.2)
    after = [r for t, r in samples if t >= warm] or [samples[-1][1]]
    return {"seconds": seconds, "events": events, "rss_at_warmup_mb": after[0] / 2**20,
            "rss_max_after_warmup_mb": max(after) / 2**20, "rss_end_mb": after[-1] / 2**20,
            "growth_after_warmup_mb": (after[-1] - after[0]) / 2**20, "folded": folded}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=8,
                   help="per server, per throughput measurement (split over rounds)")
    p.add_argument("--rounds", type=int, default=8,
                   help="servers alternate this many times; the best round counts")
    p.add_argument("--connections", type=int, default=2,
                   help="concurrent keep-alive connections posting batches (ingest)")
    p.add_argument("--flood-seconds", type=float, default=60,
                   help="memory flood length (the issue's figure is 300)")
    p.add_argument("--only", default="ingest,single,metrics,stall,flood")
    p.add_argument("--json", help="also write the figures to this file")
    a = p.parse_args()
    os.sched_setaffinity(0, {CLIENT_CPU})
    only = set(a.only.split(","))
    res = {"load_before": load_note()}
    print(f"machine: {os.cpu_count()} CPUs, {res['load_before']}; servers on CPU {SERVER_CPU}, "
          f"client on CPU {CLIENT_CPU}; best of {a.rounds} alternating rounds")
    if "ingest" in only:
        r = res["ingest"] = bench_ingest(a.seconds, a.rounds, a.connections)
        print(f"ingest, NDJSON batches of 1000, {a.connections} connection(s): exporter {r['exporter']:,.0f} events/s, "
              f"baseline {r['baseline']:,.0f} events/s, ratio {r['ratio']:.2f}x (target >= 5x); "
              f"per server CPU-second: exporter {r['exporter_per_cpu_second']:,.0f}, baseline "
              f"{r['baseline_per_cpu_second']:,.0f}, ratio {r['ratio_per_cpu']:.2f}x")
    if "single" in only:
        r = res["single"] = bench_single(a.seconds, a.rounds)
        print(f"single-event POSTs, one keep-alive connection: exporter {r['exporter']:,.0f}/s, "
              f"baseline {r['baseline_nagle']:,.1f}/s (Nagle on), "
              f"{r['baseline_nodelay']:,.0f}/s (TCP_NODELAY); ratios "
              f"{r['ratio_vs_nagle']:.1f}x and {r['ratio_vs_nodelay']:.2f}x (target >= 2000/s); "
              f"per server CPU-second: exporter {r['exporter_per_cpu_second']:,.0f}, baseline "
              f"(TCP_NODELAY) {r['baseline_nodelay_per_cpu_second']:,.0f}")
    if "metrics" in only:
        r = res["metrics"] = bench_metrics()
        for n, v in r.items():
            print(f"/metrics at {n:>6} series: exporter {v['exporter_changed'] * 1e3:7.2f} ms "
                  f"(changed) {v['exporter_cached'] * 1e3:7.2f} ms (unchanged), "
                  f"generate_latest alone {v['generate_latest'] * 1e3:7.2f} ms, "
                  f"ratio {v['ratio_changed']:.2f}x (>= 1 means no slower)")
    if "stall" in only:
        r = res["stall"] = bench_stall(seconds=a.seconds)
        print(f"single POST latency, quiet: p50 {r['quiet_p50'] * 1e3:.2f} ms, p99 "
              f"{r['quiet_p99'] * 1e3:.2f} ms; during {r['scrapes']} back-to-back 100k-series "
              f"scrapes: p50 {r['busy_p50'] * 1e3:.2f} ms, p99 {r['busy_p99'] * 1e3:.2f} ms, "
              f"max {r['busy_max'] * 1e3:.1f} ms ({r['posts_during_scrapes']} posts)")
    if "flood" in only:
        r = res["flood"] = bench_flood(a.flood_seconds)
        print(f"flood of random label values, {r['seconds']:.0f}s, {r['events']:,} events: RSS "
              f"{r['rss_at_warmup_mb']:.1f} MB after warm-up, max {r['rss_max_after_warmup_mb']:.1f}"
              f" MB, end {r['rss_end_mb']:.1f} MB (growth {r['growth_after_warmup_mb']:+.1f} MB)")
        for ln in r["folded"]:
            print("  " + ln)
    res["load_after"] = load_note()
    print(f"machine after: {res['load_after']}")
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
