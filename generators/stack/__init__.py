"""The live stack: the generated bundle running for real on 127.0.0.1 (``perfcycle stack up|down``).

Prometheus scrapes perfcycle-exporter (fed by its load generator) and node_exporter, loads
the generated rules over backfilled synthetic history, and alerts through Alertmanager to a
webhook sink that records every notification. This is how a user tries perfcycle before
deploying it, and what ``tests/e2e`` proves the bundle against. See docs/stack.md.
"""
