"""The stack's ``prometheus.yml``: a pure function of where things listen and how fast to go.

Targets carry fixed ``instance`` labels (not the random port), so the backfilled history
and the live scrapes of the same exporter are one series, not two.
"""
from __future__ import annotations

EXPORTER_JOB = "perfcycle-exporter"
NODE_JOB = "node"
EXPORTER_INSTANCE = "perfcycle-exporter"
NODE_INSTANCE = "node-1"


def build(*, exporter: str | None, node_exporter: str, alertmanager: str, rule_files: list[str],
          scrape_interval: str = "15s", evaluation_interval: str = "15s") -> dict:
    """A Prometheus config: both exporters scraped, the bundle's rules loaded, alerts to Alertmanager.

    Addresses are ``host:port``; ``exporter`` may be None when perfcycle-exporter is not installed.
    """
    scrapes = [_job(NODE_JOB, node_exporter, NODE_INSTANCE, scrape_interval)]
    if exporter:
        scrapes.insert(0, _job(EXPORTER_JOB, exporter, EXPORTER_INSTANCE, scrape_interval))
    return {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": evaluation_interval,
                   "external_labels": {"stack": "perfcycle-local"}},
        "rule_files": list(rule_files),
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager]}]}]},
        "scrape_configs": scrapes,
    }


def _job(name: str, address: str, instance: str, interval: str) -> dict:
    return {"job_name": name, "scrape_interval": interval,
            "static_configs": [{"targets": [address], "labels": {"instance": instance}}]}
