"""Which workspace an administrator may see: the one and only boundary of the admin UI and API."""

from __future__ import annotations

from typing import Any

from workspaces.models import Workspace, WorkspaceAdministrator


def administered_workspace(user: Any) -> Workspace | None:
    """Return the workspace that `user` administers, or None for anonymous users and non-administrators.

    A Django superuser without a WorkspaceAdministrator row administers no
    workspace here; the Django admin at /django-admin/ remains theirs.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    membership = WorkspaceAdministrator.objects.select_related("workspace").filter(user=user).first()
    return membership.workspace if membership else None
