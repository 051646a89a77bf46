"""The workspace directory: users provisioned by an identity provider.

A directory user keeps its whole SCIM resource in `document` (the source
of truth, minus `id`, `meta` and `password`), and copies the attributes that
lookups and lists need into indexed columns on every save. Column values are
derived; write through `directory.services`, never through the columns.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models.functions import Lower

from identity_providers.models import IdentityProvider
from workspaces.models import Workspace


class DirectoryUser(models.Model):
    """A user of a workspace's directory, as provisioned over SCIM or created at sign-in."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="directory_users")
    source = models.ForeignKey(
        IdentityProvider,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="directory_users",
        help_text="The identity provider that created the user.",
    )

    user_name = models.CharField(max_length=256)
    external_id = models.CharField(max_length=256, null=True, blank=True)  # noqa: DJ001 (absent differs from "")
    display_name = models.CharField(max_length=256, blank=True, default="")
    given_name = models.CharField(max_length=256, blank=True, default="")
    family_name = models.CharField(max_length=256, blank=True, default="")
    active = models.BooleanField(default=True)
    document = models.JSONField(default=dict)
    password_hash = models.CharField(max_length=256, blank=True, default="")

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # userName is caseExact=false (RFC 7643 section 4.1.1), so
            # uniqueness and lookups both use the lower-cased value.
            models.UniqueConstraint(Lower("user_name"), "workspace", name="dir_user_username_ci_unique"),
        ]
        indexes = [
            models.Index(fields=["workspace", "external_id"], name="dir_user_external_id"),
            models.Index(fields=["workspace", "created_at", "id"], name="dir_user_list_order"),
        ]

    def __str__(self) -> str:
        return self.user_name

    @property
    def enterprise(self) -> dict:
        return self.document.get("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", {})


class DirectoryUserEmail(models.Model):
    """One email address of a directory user, kept beside the document for filtering."""

    user = models.ForeignKey(DirectoryUser, on_delete=models.CASCADE, related_name="email_rows")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    value = models.CharField(max_length=320)
    type = models.CharField(max_length=64, blank=True, default="")
    primary = models.BooleanField(default=False)

    class Meta:
        indexes = [
            models.Index(Lower("value"), "workspace", name="dir_user_email_ci"),
        ]

    def __str__(self) -> str:
        return self.value


class DirectoryGroup(models.Model):
    """A group of a workspace's directory, as provisioned over SCIM.

    Members are rows of DirectoryGroupMember, not part of `document`, so a
    group of 50,000 members is read and changed without loading them all.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="directory_groups")
    source = models.ForeignKey(
        IdentityProvider, null=True, blank=True, on_delete=models.SET_NULL, related_name="directory_groups"
    )
    display_name = models.CharField(max_length=256)
    external_id = models.CharField(max_length=256, null=True, blank=True)  # noqa: DJ001 (absent differs from "")
    document = models.JSONField(default=dict)

    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("display_name"), "workspace", name="dir_group_display_name_ci_unique"),
        ]
        indexes = [
            models.Index(fields=["workspace", "external_id"], name="dir_group_external_id"),
            models.Index(fields=["workspace", "created_at", "id"], name="dir_group_list_order"),
        ]

    def __str__(self) -> str:
        return self.display_name


class DirectoryGroupMember(models.Model):
    """Membership of a directory user in a directory group of the same workspace."""

    group = models.ForeignKey(DirectoryGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(DirectoryUser, on_delete=models.CASCADE, related_name="group_memberships")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="dir_group_member_unique"),
        ]
        indexes = [models.Index(fields=["user", "group"], name="dir_group_member_by_user")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.group_id}"
