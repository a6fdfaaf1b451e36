"""perfcycle exporter: Kiro events in, Prometheus metrics out.

Events arrive over HTTP (`POST /api/v1/events`) or from tailed NDJSON files; each is
validated by `events`, aggregated by `metrics` into plain dicts, and rendered at scrape
time. Derived KPIs (optimization savings) come from `derived`, which queries Prometheus.
"""
