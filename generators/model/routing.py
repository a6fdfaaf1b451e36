"""Alertmanager routing as the spec states it: receivers, one route per severity, inhibition.

Secrets never live in the spec: channels take ``*_file`` fields only, and a model
validator rejects inline secrets naming the field to use instead.
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from pydantic import field_validator, model_validator

from .base import Duration, Frozen, Identifier, LabelName

_INLINE_SECRETS = {
    "routing_key": "routing_key_file", "service_key": "routing_key_file",
    "api_url": "api_url_file", "auth_password": "auth_password_file",
    "password": "auth_password_file", "auth_secret": "auth_password_file",
}
"""Inline secret keys Alertmanager would accept, and the ``*_file`` field (present in 0.25) to use instead."""
_NO_FILE_FIELD = {"auth_secret": "auth_secret_file"}
"""Secrets whose own ``*_file`` field Alertmanager 0.25 lacks (its amtool rejects it): the CRAM-MD5
``auth_secret`` gives way to PLAIN/LOGIN authentication with ``auth_password_file``."""
_URL_CREDENTIALS = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@]*@", re.IGNORECASE)
_SLACK_WEBHOOK = re.compile(r"^[a-z]+://hooks\.slack\.com/", re.IGNORECASE)
_SECRET_PARAMETER = re.compile(r"(token|key|secret|password)$", re.IGNORECASE)
"""Query parameters that carry a secret: ``token=``, ``key=``, ``access_token=``, ``api_key=``…"""


class _Channel(Frozen):
    @model_validator(mode="before")
    @classmethod
    def _no_inline_secrets(cls, data: object) -> object:
        if isinstance(data, dict):
            for key, replacement in _INLINE_SECRETS.items():
                if key in data:
                    missing = f" (Alertmanager 0.25 has no {_NO_FILE_FIELD[key]})" if key in _NO_FILE_FIELD else ""
                    raise ValueError(f"inline secret '{key}' is not allowed: put it in a file and use "
                                     f"'{replacement}'{missing}")
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
    """A plain webhook. Alertmanager 0.25 has no ``url_file``, so the URL is public config: one
    that carries a secret (``https://user:pass@host``, a ``token=``/``key=`` query, a Slack
    incoming-webhook URL) is rejected, naming the field that keeps it out of the repository."""

    url: str

    @field_validator("url")
    @classmethod
    def _no_secret(cls, value: str) -> str:
        problem = url_secret(value)
        if problem:
            raise ValueError(problem)
        return value


def url_secret(url: str) -> str | None:
    """Why ``url`` must not be written in the spec, or ``None`` when it carries no secret."""
    if _SLACK_WEBHOOK.match(url):
        return ("a Slack incoming-webhook URL is itself a secret: use a slack channel and put the URL "
                "in the file its 'api_url_file' names")
    if _URL_CREDENTIALS.match(url):
        return ("a webhook url must not embed credentials (Alertmanager 0.25 has no url_file): "
                "use a receiver with a *_file secret instead")
    secret = [name for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)
              if _SECRET_PARAMETER.search(name)]
    if secret:
        return (f"a webhook url must not carry a secret in its query ({', '.join(f'{n}=' for n in secret)}; "
                "Alertmanager 0.25 has no url_file): use a receiver with a *_file secret instead")
    return None


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
    """Re-notification interval of this severity; defaults to the escalation time on the most
    severe level, else to ``routing.repeat_interval``."""
    group_interval: Duration | None = None
    """How often this severity's groups flush; by default often enough to re-notify on time."""


class Inhibition(Frozen):
    """Mute ``target`` alerts while a ``source`` alert fires with the same ``equal`` labels."""

    source: dict[LabelName, str]
    target: dict[LabelName, str]
    equal: list[LabelName] = []
    same_series: bool = False
    """Also require equal values of every label that tells one series of a KPI from another
    (the KPIs' ``by`` labels), so a page on one instance never mutes a ticket on another."""


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
    """Service -> the services it depends on; an alert on a dependency mutes its dependants
    (directly or through other dependencies) at the same or a lower severity."""
    dependency_label: LabelName = "service"
    """The alert label whose values ``depends_on`` names."""
