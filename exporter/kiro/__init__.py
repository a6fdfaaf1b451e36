"""Sources of Kiro events that run where Kiro runs them.

Kiro reports failed hook commands as completed and its MCP log is often empty, so the
exporter cannot learn hook and MCP behaviour from Kiro itself. These modules sit in
Kiro's own call path instead: `hook_exec` wraps a hook command, `mcp_proxy` sits
between Kiro and an MCP server. Both hand events to `delivery`, which posts them to the
exporter or, when it is unreachable, appends them to an NDJSON spool the exporter tails.
"""
