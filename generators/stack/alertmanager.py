"""The local Alertmanager config: the generated routes and inhibition, every receiver a webhook.

Uses the routing builder's ``write_override`` when it is there (the designed interface);
otherwise rewrites the generated ``alertmanager.yml`` the same way (``override``), so the
stack runs with whatever the bundle holds. Either way *every* receiver, the root route's
catch-all (``unrouted``) included, posts to the sink: an alert no route matches shows up
there under that receiver instead of vanishing. No secret
file is needed, nothing leaves 127.0.0.1, and the notification templates are left out (a
webhook sends JSON; templates only shape e-mail, Slack and PagerDuty text).
"""
from __future__ import annotations

from pathlib import Path

import yaml

LOCAL_CONFIG = "alertmanager.local.yml"
"""Written beside the generated config, so its relative ``templates`` paths still resolve."""


def write_local(spec, bundle: Path, webhook_url: str) -> Path:
    generated = bundle / "alertmanager" / "alertmanager.yml"
    config = _from_builder(spec, webhook_url)
    if config is None:
        config = override(yaml.safe_load(generated.read_text()) if generated.exists() else _minimal(), webhook_url)
    target = generated.parent / LOCAL_CONFIG
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("# perfcycle stack: generated routes, every receiver a local webhook\n"
                      + yaml.safe_dump(config, sort_keys=False))
    return target


def override(config: dict, webhook_url: str) -> dict:
    """``config`` with each receiver replaced by one webhook (names, routes and inhibition kept).

    The root route's receiver gets one too, even when the config does not list it.
    """
    names = [r["name"] for r in config.get("receivers", [])]
    root = (config.get("route") or {}).get("receiver")
    if root and root not in names:
        names.insert(0, root)
    receivers = [{"name": name, "webhook_configs": [{"url": webhook_url, "send_resolved": True}]} for name in names]
    return {**{k: v for k, v in config.items() if k not in ("global", "templates")}, "receivers": receivers}


def _from_builder(spec, webhook_url: str) -> dict | None:
    try:
        from generators.build.routing import write_override
    except ImportError:
        return None
    return write_override(spec, webhook_url)


def _minimal() -> dict:
    """Before the routing builder lands: one receiver, so Alertmanager still starts."""
    return {"route": {"receiver": "default", "group_wait": "1s", "group_interval": "5s"},
            "receivers": [{"name": "default"}]}
