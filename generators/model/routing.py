"""Alertmanager routing as the spec states it: receivers, one route per severity, inhibition.

Secrets never live in the spec: channels take ``*_file`` fields only, and a model
validator rejects inline secrets naming the field to use instead.
"""
from __future__ import annotations

from pydantic import model_validator

from .base import Duration, Frozen, Identifier, LabelName

_INLINE_SECRETS = {
    "routing_key": "routing_key_file", "service_key": "service_key_file",
    "api_url": "api_url_file", "auth_password": "auth_password_file",
    "password": "password_file", "url_secret": "url_file",
}


class _Channel(Frozen):
    @model_validator(mode="before")
    @classmethod
    def _no_inline_secrets(cls, data: object) -> object:
        if isinstance(data, dict):
            for key, replacement in _INLINE_SECRETS.items():
                if key in data:
                    raise ValueError(f"inline secret '{key}' is not allowed: put it in a file and use '{replacement}'")
        return data


class PagerDuty(_Channel):
    routing_key_file: str
    severity: str | None = None


class Slack(_Channel):
    api_url_file: str
    channel: str


class Email(_Channel):
    to: str
    sender: str = "perfcycle@example.com"
    smarthost: str = "smtp.example.com:587"
    auth_username: str | None = None
    auth_password_file: str | None = None


class Webhook(_Channel):
    url: str


class Receiver(Frozen):
    """A team or destination, with the channels that reach it."""

    pagerduty: PagerDuty | None = None
    slack: Slack | None = None
    email: Email | None = None
    webhook: Webhook | None = None
    description: str = ""


class SeverityRoute(Frozen):
    """Where alerts of one severity go, and when an unresolved one escalates."""

    receiver: Identifier
    escalation: Duration | None = None
    """An alert still firing after this long reaches ``escalate_to`` (``None``: never escalates)."""
    escalate_to: Identifier | None = None
    """The severity an unresolved alert escalates to (defaults to the next higher one)."""
    repeat_interval: Duration | None = None


class Inhibition(Frozen):
    """Mute ``target`` alerts while a ``source`` alert fires with the same ``equal`` labels."""

    source: dict[LabelName, str]
    target: dict[LabelName, str]
    equal: list[LabelName] = []


class Routing(Frozen):
    """The spec's routing section: grouping, receivers, severities, inhibition and dependencies."""

    group_by: list[LabelName] = ["alertname", "service"]
    group_wait: Duration = "30s"
    group_interval: Duration = "5m"
    repeat_interval: Duration = "4h"
    receivers: dict[Identifier, Receiver]
    severities: dict[Identifier, SeverityRoute]
    """Ordered from most to least severe."""
    inhibit: list[Inhibition] = []
    depends_on: dict[str, list[str]] = {}
    """Service -> the services it depends on; an alert on a dependency mutes its dependants."""
