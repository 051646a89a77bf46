"""Absolute sign-in URLs that administrators paste into the Azure portal.

Both URLs are built from `P81_PUBLIC_URL`, because Azure needs the address
that users' browsers reach, which a request behind a proxy may not show.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings

from workspaces.models import Workspace

# The path python-social-auth's Azure AD tenant backend (name
# "azuread-v2-tenant-oauth2") completes the OpenID Connect flow on.
REDIRECT_PATH = "/complete/azuread-v2-tenant-oauth2/"
SIGN_ON_PATH = "/login/"


def redirect_url() -> str:
    """Return the redirect (reply) URL to register on the Azure app registration."""
    return settings.P81_PUBLIC_URL + REDIRECT_PATH


def sign_on_url(workspace: Workspace) -> str:
    """Return the URL where users of `workspace` start signing in (Azure's "Sign on URL")."""
    return settings.P81_PUBLIC_URL + SIGN_ON_PATH + "?" + urlencode({"workspace": workspace.slug})
