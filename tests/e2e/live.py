"""Small clients for the live stack: Prometheus and Alertmanager APIs, the webhook sink, and an
injector that posts incident events to perfcycle-exporter, so tests read like the steps they prove."""
from __future__ import annotations

import json
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path


def get(url: str, params: dict | None = None, timeout: float = 15) -> object:
    if params:
        url = f"{url}?{urllib.parse.urlencode(params)}"
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


def post(url: str, body: object, timeout: float = 15) -> object:
    request = urllib.request.Request(url, json.dumps(body).encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as resp:
        return json.loads(resp.read() or b"{}")


def wait_for(what: str, check, timeout: float, every: float = 1.0):
    """Poll ``check()`` until it returns something truthy; fail naming ``what`` after ``timeout``."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what} (last: {last!r})")


class Prometheus:
    def __init__(self, base: str):
        self.base = base

    def groups(self) -> list[dict]:
        return get(f"{self.base}/api/v1/rules")["data"]["groups"]

    def query(self, expr: str, at: float | None = None) -> dict:
        """An instant query, now or at ``at`` (epoch seconds)."""
        return get(f"{self.base}/api/v1/query", {"query": expr, **({"time": at} if at is not None else {})})

    def alerts(self, name: str, **labels) -> list[dict]:
        return [a for a in get(f"{self.base}/api/v1/alerts")["data"]["alerts"]
                if a["labels"].get("alertname") == name and all(a["labels"].get(k) == v for k, v in labels.items())]


class Alertmanager:
    def __init__(self, base: str):
        self.base = base

    def alerts(self, name: str, **labels) -> list[dict]:
        return [a for a in get(f"{self.base}/api/v2/alerts", {"filter": f'alertname="{name}"'})
                if all(a["labels"].get(k) == v for k, v in labels.items())]


def notifications(path: Path) -> list[dict]:
    """Webhook bodies the sink recorded, each with ``received`` (epoch seconds)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def deliveries(path: Path, alertname: str, status: str | None = None, **labels) -> list[tuple[float, str, dict]]:
    """``(received, receiver, alert)`` for every delivered alert matching name, status and labels."""
    found = []
    for note in notifications(path):
        payload = note["payload"]
        for alert in payload.get("alerts", []):
            if alert["labels"].get("alertname") != alertname:
                continue
            if status and alert.get("status") != status:
                continue
            if all(alert["labels"].get(k) == v for k, v in labels.items()):
                found.append((note["received"], payload.get("receiver"), alert))
    return found


class Injector(threading.Thread):
    """Posts one batch of events a second to the exporter until stopped: an incident in progress."""

    def __init__(self, exporter: str, make_batch):
        super().__init__(daemon=True)
        self.url, self.make_batch, self.stopped, self.errors = f"{exporter}/api/v1/events", make_batch, threading.Event(), []

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                post(self.url, self.make_batch())
            except OSError as err:  # keep going; the test's own deadline decides
                self.errors.append(str(err))
            self.stopped.wait(1.0)

    def stop(self) -> None:
        self.stopped.set()
        self.join(timeout=10)
