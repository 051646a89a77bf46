"""Template context for the admin UI: the signed-in administrator's secret-expiry banners."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from workspaces.models import WorkspaceAdministrator

from .banners import SecretExpiryBanner, secret_expiry_banners


def secret_expiry(request: HttpRequest) -> dict[str, Any]:
    """Add `secret_expiry_banners`, read from the database only when a template uses it.

    It is empty unless the user is signed in and administers a workspace,
    and lists only that workspace's providers.
    """

    def load() -> list[SecretExpiryBanner]:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return []
        membership = WorkspaceAdministrator.objects.filter(user=user).select_related("workspace").first()
        if membership is None:
            return []
        return secret_expiry_banners(membership.workspace, timezone.localdate())

    return {"secret_expiry_banners": SimpleLazyObject(load)}
