"""Grafana dashboards from the spec, in three steps kept apart on purpose.

``plan`` turns the model into plain dashboard plans (which panels, queries, thresholds,
where on the grid); ``render`` is the one place that speaks Grafana's JSON (camelCase),
through grafanalib, and ``normalise`` cleans grafanalib's legacy output into the current
dashboard schema. ``provisioning`` writes the files that load the dashboards into Grafana.
"""
