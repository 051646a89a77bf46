"""Absolute SCIM URLs, as administrators paste them into Azure."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from workspaces.models import Workspace


def scim_base_url(workspace: Workspace) -> str:
    """Return the SCIM base URL ("Tenant URL" in Azure) of a workspace, without a trailing slash."""
    path = reverse("scim:root", kwargs={"workspace_slug": workspace.slug})
    return settings.P81_PUBLIC_URL + path.rstrip("/")
