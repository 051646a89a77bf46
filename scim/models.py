"""SCIM bearer tokens and the provisioning log."""

from __future__ import annotations

from django.db import models

from identity_providers.models import IdentityProvider
from workspaces.models import Workspace


class ScimToken(models.Model):
    """A bearer token that Azure's provisioning service presents.

    Only the SHA-256 digest of the token is stored; the token itself is shown
    once, when it is generated. A provider has at most one active token
    (enforced by a partial unique index); generating a new one revokes the
    old one.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="scim_tokens")
    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="scim_tokens")
    digest = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12, help_text="First characters of the token, to tell tokens apart.")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["provider"],
                condition=models.Q(revoked_at__isnull=True),
                name="scim_token_one_active_per_provider",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.prefix}… ({'revoked' if self.revoked_at else 'active'})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ProvisioningLogEntry(models.Model):
    """One SCIM request and its response status, without the token or the raw body."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="provisioning_log")
    provider = models.ForeignKey(
        IdentityProvider, null=True, on_delete=models.SET_NULL, related_name="provisioning_log"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=512)
    operation = models.CharField(max_length=32, help_text="For example user.create or user.list.")
    status = models.PositiveSmallIntegerField()
    resource_id = models.CharField(max_length=64, blank=True, default="")
    user_name = models.CharField(max_length=256, blank=True, default="")
    duration_ms = models.PositiveIntegerField(default=0)
    scim_type = models.CharField(max_length=32, blank=True, default="")
    error_detail = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["workspace", "provider", "-created_at"], name="scim_log_provider_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} {self.status}"

    @property
    def succeeded(self) -> bool:
        return self.status < 400
