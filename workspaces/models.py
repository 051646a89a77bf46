"""Workspaces: the tenant boundary of p81.

Every identity provider, directory user, SCIM token and log row belongs to
exactly one workspace, and every query reached from outside starts by
scoping to one.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Workspace(models.Model):
    """A customer organisation; nothing crosses from one workspace to another."""

    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=63, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class WorkspaceAdministrator(models.Model):
    """Grants a Django user administrator rights over one workspace."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="workspace_membership"
    )
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="administrators")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.user} @ {self.workspace.slug}"
