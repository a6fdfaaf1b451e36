"""perfcycle exporter: Kiro events in, Prometheus metrics out."""
