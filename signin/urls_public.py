"""Absolute URLs of the sign-in flow, built from P81_PUBLIC_URL.

Azure compares the redirect URI character by character with the one
registered on the app registration, so it is built from the configured
public URL, never from the request's Host header.
"""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

BACKEND_NAME = "azuread-v2-tenant-oauth2"


def callback_url() -> str:
    """Return the redirect (reply) URL, `{P81_PUBLIC_URL}/complete/azuread-v2-tenant-oauth2/`."""
    return settings.P81_PUBLIC_URL + reverse("social:complete", args=[BACKEND_NAME])


def login_url() -> str:
    return settings.P81_PUBLIC_URL + reverse("signin:login")
