"""Template tags of the admin web UI: status badges and copy-to-clipboard fields."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django import template
from django.utils import timezone

from identity_providers.models import ConnectionStatus, IdentityProvider

register = template.Library()

# A secret expiring within this many days gets a warning badge.
SECRET_WARNING_DAYS = 30


@register.inclusion_tag("console/includes/copy_field.html")
def copy_field(label: str, value: str, field_id: str, help_text: str = "") -> dict[str, Any]:
    """Render a read-only value with a button that copies it to the clipboard."""
    return {"label": label, "value": value, "field_id": field_id, "help_text": help_text}


@register.inclusion_tag("console/includes/secret_badge.html")
def secret_badge(provider: IdentityProvider, today: datetime.date | None = None) -> dict[str, Any]:
    """Render the client secret state: missing, expired, expiring in N days, or valid."""
    today = today or timezone.localdate()
    expires_on = provider.client_secret_expires_on
    if not provider.has_client_secret:
        return {"tone": "bad", "text": "No client secret"}
    if expires_on is None:
        return {"tone": "neutral", "text": "Secret expiry not set"}

    days = (expires_on - today).days
    if days < 0:
        return {"tone": "bad", "text": f"Secret expired on {expires_on.isoformat()}"}
    if days == 0:
        return {"tone": "bad", "text": "Secret expires today"}
    if days <= SECRET_WARNING_DAYS:
        return {"tone": "warn", "text": f"Secret expires in {days} day{'s' if days != 1 else ''}"}
    return {"tone": "good", "text": f"Secret valid until {expires_on.isoformat()}"}


@register.inclusion_tag("console/includes/connection_badge.html")
def connection_badge(provider: IdentityProvider) -> dict[str, Any]:
    """Render the result of the last connection test."""
    status = provider.connection_status
    if status == ConnectionStatus.UNKNOWN:
        tone = "neutral"
    elif status == ConnectionStatus.OK:
        tone = "good"
    else:
        tone = "bad"
    return {
        "tone": tone,
        "text": f"Connection: {provider.get_connection_status_display()}",
        "checked_at": provider.connection_checked_at,
    }


@register.simple_tag(takes_context=True)
def query_with(context: template.Context, **changes: Any) -> str:
    """Return the current query string with `changes` applied, for pagination and filter links."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.filter
def audit_value(value: Any) -> str:
    """Format one before/after value of an audit entry for reading: lists joined, booleans as yes/no."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) if value else "(none)"
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)
