"""System checks for end-user sign-in settings."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Warning as CheckWarning
from django.core.checks import register

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}


@register()
def check_public_url_scheme(app_configs: Any = None, **kwargs: Any) -> list[CheckWarning]:
    """Warn when the redirect URL that Azure AD needs would be plain http on a public host.

    Azure AD accepts http redirect URIs for localhost only, so with any other
    host an http P81_PUBLIC_URL makes every sign-in fail with AADSTS50011.
    """
    parts = urlsplit(settings.P81_PUBLIC_URL)
    if parts.scheme == "https" or (parts.hostname or "") in LOOPBACK_HOSTS:
        return []
    return [
        CheckWarning(
            f"P81_PUBLIC_URL is {settings.P81_PUBLIC_URL!r}; Azure AD accepts http redirect URIs only for localhost.",
            hint="Set P81_PUBLIC_URL to the https:// address that users' browsers reach.",
            id="signin.W001",
        )
    ]
