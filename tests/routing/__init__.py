"""Routing tests: Alertmanager config, routes, inhibition, escalation, bad routing specs."""
