"""``perfcycle stack up|down|status``: the bundle running for real on 127.0.0.1.

``up`` generates the bundle (with overlays, e.g. the fast profile) into ``.stack/bundle``,
backfills synthetic history, then starts the webhook sink, node_exporter, perfcycle-exporter
with its load generator, Alertmanager and Prometheus on free ports, recording each PID in
``.stack/state.json`` as it goes. If any step fails, everything already started is stopped.
``down`` stops exactly the recorded processes.
"""
from __future__ import annotations

import importlib.util
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from .. import overlay, pipeline
from ..spec import load
from . import alertmanager, backfill, procs, promconfig, rulesfill
from .bundle import cap_intervals, rule_files
from .ports import HOST, free_ports, url

STATE_DIR = ".stack"
DEFAULT_SCRAPE = "15s"


@dataclass(frozen=True)
class Options:
    spec: str = "spec/kpis.yaml"
    overlays: tuple[str, ...] = ()
    scrape_interval: str | None = None
    """How often Prometheus scrapes (and evaluates by default); overrides the overlays'
    ``stack.scrape_interval`` (the fast profile's 5s); 15s when neither sets it."""
    loadgen_rate: float = 20
    """Steady events per second from the load generator (0: no load generator)."""
    history: bool = True
    max_rule_interval: str | None = None
    """Cap on rule group intervals in the stack's copy, over what the overlays generate (an override:
    the fast profile already sets its long groups to 30s with ``domains.long_interval``)."""


class StackError(RuntimeError):
    """A stack step failed; the message says which and where its log is."""


def state_path(root: Path) -> Path:
    return root / STATE_DIR / "state.json"


def up(root: Path, options: Options, say=print) -> procs.State:
    """Start the whole stack; on any failure stop what was started and re-raise."""
    base = root.resolve() / STATE_DIR
    state = procs.State.load(state_path(root))
    if any(procs.alive(p.pid) for p in state.procs):
        raise StackError(f"a stack is already running (see {state.path}); run `perfcycle stack down` first")
    state = procs.State(state_path(root))
    state.save()
    try:
        _up(base, options, state, say)
    except BaseException:
        procs.stop(state)
        raise
    return state


def down(root: Path) -> list[str]:
    """Stop every process recorded in the state file; return their names."""
    state = procs.State.load(state_path(root))
    stopped = procs.stop(state)
    if not state.procs:  # nothing left running: the URLs no longer answer
        state.urls = {}
        state.save()
    return stopped


def _up(base: Path, options: Options, state: procs.State, say) -> None:
    started = time.monotonic()
    for tool in ("prometheus", "promtool", "prometheus-node-exporter"):
        if not shutil.which(tool):
            raise StackError(f"{tool} not found on PATH (run `make deps`)")
    am_binary = shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if not am_binary:
        raise StackError("prometheus-alertmanager not found on PATH (run `make deps`)")
    loaded = load(options.spec, overlays=options.overlays)
    scrape_interval = options.scrape_interval or overlay.stack_knobs(options.overlays).scrape_interval or DEFAULT_SCRAPE
    bundle, logs, data = base / "bundle", base / "logs", base / "prometheus-data"
    pipeline.write(pipeline.build_texts(loaded), bundle)
    if options.max_rule_interval:
        capped = cap_intervals(bundle, options.max_rule_interval)
        state.info["capped_groups"] = capped
    say(f"bundle: {bundle} ({len(rule_files(bundle))} rule files)")
    now = time.time()
    if data.exists():
        shutil.rmtree(data)
    if options.history:
        summary = backfill.build(loaded.spec, bundle, data, base / "history", now)
        state.info["history"] = summary
        say(f"history: {summary['series']} label sets of {summary['metrics']} metrics, {summary['samples']} samples "
            f"over {min(summary['days'])}-{max(summary['days'])} days, backfilled in {summary['seconds']}s")
    p_prom, p_am, p_exp, p_node, p_sink, p_syn = free_ports(6)
    state.info.update(started_at=now, bundle=str(bundle), spec=options.spec, overlays=list(options.overlays),
                      scrape_interval=scrape_interval, notifications=str(base / "notifications.jsonl"))
    exporter = _installed("exporter.server")
    python = sys.executable

    sink = procs.start(state, "webhook-sink", [python, "-m", "generators.stack.sink", "--listen", f"{HOST}:{p_sink}",
                                               "--out", state.info["notifications"]], logs)
    procs.wait_http(url(p_sink, "/-/ready"), 20, sink)
    node = procs.start(state, "node-exporter", ["prometheus-node-exporter", f"--web.listen-address={HOST}:{p_node}"], logs)
    procs.wait_http(url(p_node, "/metrics"), 20, node)
    if exporter:
        exp = procs.start(state, "exporter", [python, "-m", "exporter", f"--web.listen-address={HOST}:{p_exp}"], logs)
        procs.wait_http(url(p_exp, "/metrics"), 30, exp)
        state.urls["exporter"] = url(p_exp)
        if options.loadgen_rate > 0:
            procs.start(state, "loadgen", [python, "-m", "exporter", "loadgen", "--url", url(p_exp), "--duration", "0",
                                           "--rate", f"{options.loadgen_rate:g}", "--batch", "10", "--seed", "8"], logs)
    else:
        say("perfcycle-exporter is not installed here: its scrape job is left out")
    synthetic = None
    if options.history:
        syn = procs.start(state, "synthetic", [python, "-m", "generators.stack.synthetic", "--listen", f"{HOST}:{p_syn}",
                                               "--plans", str(base / "history" / backfill.PLANS)], logs)
        procs.wait_http(url(p_syn, "/metrics"), 20, syn)
        synthetic = f"{HOST}:{p_syn}"
        state.urls["synthetic"] = url(p_syn)
    am_config = alertmanager.write_local(loaded.spec, bundle, f"{url(p_sink)}/alerts")
    am = procs.start(state, "alertmanager", [am_binary, f"--config.file={am_config}", f"--storage.path={base / 'alertmanager-data'}",
                                             f"--web.listen-address={HOST}:{p_am}", "--cluster.listen-address="], logs)
    procs.wait_http(url(p_am, "/-/ready"), 30, am)
    prom_yml = base / "prometheus.yml"
    prom_yml.write_text(yaml.safe_dump(promconfig.build(
        exporter=f"{HOST}:{p_exp}" if exporter else None, node_exporter=f"{HOST}:{p_node}",
        alertmanager=f"{HOST}:{p_am}", synthetic=synthetic, rule_files=[str(p.resolve()) for p in rule_files(bundle)],
        scrape_interval=scrape_interval, evaluation_interval=scrape_interval), sort_keys=False))
    prom = procs.start(state, "prometheus", ["prometheus", f"--config.file={prom_yml}", f"--storage.tsdb.path={data}",
                                             f"--storage.tsdb.retention.time={backfill.RETENTION}",
                                             f"--web.listen-address={HOST}:{p_prom}", "--web.enable-lifecycle"], logs)
    procs.wait_http(url(p_prom, "/-/ready"), 90, prom)
    if options.history:
        filled = rulesfill.build(bundle, url(p_prom), data, base / "rules-history", now)
        state.info["recorded_backfill"] = filled
        say(f"recorded series read in the past: {filled['records']} backfilled in {filled['seconds']}s "
            f"({filled['passes']} passes, {filled['blocks']} blocks, loaded at Prometheus's next compaction cycle)")
        for error in filled["errors"]:
            say(f"warning: recorded-series backfill failed at {error}")
    state.urls.update(prometheus=url(p_prom), alertmanager=url(p_am), node_exporter=url(p_node), webhook_sink=url(p_sink))
    state.info["ready_seconds"] = round(time.monotonic() - started, 1)
    state.save()


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:
        return False
