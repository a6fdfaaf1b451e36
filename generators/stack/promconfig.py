"""The stack's ``prometheus.yml``: a pure function of where things listen and how fast to go.

Targets carry fixed ``instance`` labels (not the random port), so restarts on other ports keep
one series per exporter; the synthetic exporter's series keep their own ``job``/``instance``.
"""
from __future__ import annotations

EXPORTER_JOB = "perfcycle-exporter"
NODE_JOB = "node"
EXPORTER_INSTANCE = "perfcycle-exporter"
NODE_INSTANCE = "node-1"


SYNTHETIC_JOB = "synthetic"


def build(*, exporter: str | None, node_exporter: str, alertmanager: str, rule_files: list[str],
          synthetic: str | None = None, scrape_interval: str = "15s", evaluation_interval: str = "15s") -> dict:
    """A Prometheus config: both exporters scraped, the bundle's rules loaded, alerts to Alertmanager.

    Addresses are ``host:port``; ``exporter`` may be None when perfcycle-exporter is not installed.
    """
    scrapes = [_job(NODE_JOB, node_exporter, NODE_INSTANCE, scrape_interval)]
    if exporter:
        scrapes.insert(0, _job(EXPORTER_JOB, exporter, EXPORTER_INSTANCE, scrape_interval))
    if synthetic:  # its series carry their own job/instance (those of the history): keep them
        scrapes.append({"job_name": SYNTHETIC_JOB, "honor_labels": True, "scrape_interval": scrape_interval,
                        "static_configs": [{"targets": [synthetic]}]})
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
