"""REST API permission: the caller administers a workspace, which scopes every query."""

from __future__ import annotations

from rest_framework import permissions

from console.access import administered_workspace

from .models import ApiToken


class IsWorkspaceAdministrator(permissions.BasePermission):
    """Allow administrators of a workspace and store that workspace on `request.workspace`.

    With token authentication the workspace is the token's; with session
    authentication it is the signed-in user's. Views read only
    `request.workspace`, never a workspace named in the request.
    """

    message = "Your account administers no workspace, so there is nothing to show."

    def has_permission(self, request, view) -> bool:
        if request.user is None or not request.user.is_authenticated:
            return False

        workspace = administered_workspace(request.user)
        if workspace is None:
            return False
        if isinstance(request.auth, ApiToken) and request.auth.workspace_id != workspace.pk:
            return False

        request.workspace = workspace
        return True
