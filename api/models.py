"""API tokens: per-administrator bearer tokens for the REST API."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from workspaces.models import Workspace


class ApiToken(models.Model):
    """A bearer token that acts as one administrator in one workspace.

    Only the SHA-256 digest of the token is stored; the token is shown once,
    when it is created. A token stops working when it is revoked, when its
    user is deactivated, or when the user no longer administers the
    workspace.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_tokens")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, help_text="What the token is for, such as 'Terraform'.")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=16, help_text="First characters of the token, to tell tokens apart.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
