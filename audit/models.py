"""The audit log: who changed what in a workspace, and every refused sign-in."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from workspaces.models import Workspace


class AuditSource(models.TextChoices):
    UI = "ui", "Web UI"
    API = "api", "REST API"
    SCIM = "scim", "SCIM"
    SIGN_IN = "sign_in", "Sign-in"
    SYSTEM = "system", "System"


class AuditEntry(models.Model):
    """One change or security event. `changes` contains before/after values with secrets masked."""

    # Null for installation-level events that no workspace owns, such as a
    # sign-in refused because the email domain belongs to no provider.
    workspace = models.ForeignKey(
        Workspace, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_entries"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(max_length=256, blank=True, default="")
    source = models.CharField(max_length=16, choices=AuditSource.choices)
    action = models.CharField(max_length=64, help_text="For example provider.update or sign_in.refused.")
    target_type = models.CharField(max_length=64, blank=True, default="")
    target_id = models.CharField(max_length=64, blank=True, default="")
    target_label = models.CharField(max_length=256, blank=True, default="")
    code = models.CharField(
        max_length=64, blank=True, default="", help_text="Stable reason code, such as NOT_IN_ACCESS_GROUPS."
    )
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"], name="audit_workspace_recent")]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target_label}"
