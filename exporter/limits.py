"""Limits shared by the event producers (hook wrapper, MCP proxy), the exporter's event
validation and workspace discovery.

One constant on purpose: a hook or server name cut at one length by discovery and at
another by the wrapper would become two different label values, and the inventory
(`kiro_hook_info`, `kiro_mcp_server_info`) would no longer join the event metrics. A
module of its own, without imports, because the hook wrapper's start-up time counts.
"""

MAX_LABEL_LEN = 128   # characters of a label value; longer event fields are rejected
