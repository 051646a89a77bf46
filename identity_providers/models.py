"""Identity providers: what a provider is (kind, domains, credentials, access groups).

The protocol adapters (SCIM, OpenID Connect sign-in) read these rows; they
do not define them.
"""

from __future__ import annotations

import datetime
import uuid

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from p81.encryption import EncryptedTextField
from workspaces.models import Workspace

MICROSOFT_AUTHORITY_HOST = "https://login.microsoftonline.com"
MICROSOFT_GRAPH_URL = "https://graph.microsoft.com"


class ProviderKind(models.TextChoices):
    AZURE_AD = "azure_ad", "Microsoft Azure AD"


class ConnectionStatus(models.TextChoices):
    UNKNOWN = "unknown", "Not tested"
    OK = "ok", "OK"
    UNKNOWN_TENANT = "unknown_tenant", "Unknown tenant"
    INVALID_CLIENT_ID = "invalid_client_id", "Invalid client ID"
    INVALID_SECRET = "invalid_secret", "Invalid client secret"
    EXPIRED_SECRET = "expired_secret", "Client secret expired"
    UNREACHABLE = "unreachable", "Unreachable"
    ERROR = "error", "Error"


class IdentityProvider(models.Model):
    """A company directory that signs users in to one workspace and may provision them.

    The client secret is encrypted at rest and is write-only everywhere
    outside this model: no form, serializer, template or log shows it.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="identity_providers")
    kind = models.CharField(max_length=32, choices=ProviderKind.choices, default=ProviderKind.AZURE_AD)
    slug = models.SlugField(max_length=63)
    display_name = models.CharField(max_length=200)

    tenant_id = models.CharField(
        max_length=64, blank=True, help_text="Directory (tenant) ID of the Azure AD tenant, a GUID."
    )
    client_id = models.CharField(
        max_length=64, blank=True, help_text="Application (client) ID of the app registration, a GUID."
    )
    client_secret = EncryptedTextField(blank=True, default="")
    client_secret_expires_on = models.DateField(null=True, blank=True)
    client_secret_changed_at = models.DateTimeField(null=True, blank=True)

    multi_tenant = models.BooleanField(
        default=False, help_text="Allow users from other Azure AD organisations listed in allowed_tenant_ids."
    )
    allowed_tenant_ids = models.JSONField(default=list, blank=True)
    authority_host = models.URLField(default=MICROSOFT_AUTHORITY_HOST)
    graph_url = models.URLField(default=MICROSOFT_GRAPH_URL)

    enabled = models.BooleanField(default=True)
    scim_enabled = models.BooleanField(default=False)
    group_provisioning_enabled = models.BooleanField(default=True)
    last_scim_request_at = models.DateTimeField(null=True, blank=True)

    connection_status = models.CharField(
        max_length=32, choices=ConnectionStatus.choices, default=ConnectionStatus.UNKNOWN
    )
    connection_checked_at = models.DateTimeField(null=True, blank=True)
    connection_detail = models.TextField(blank=True, default="")

    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["display_name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "slug"], name="idp_unique_slug_per_workspace"),
        ]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_kind_display()})"

    def set_client_secret(self, secret: str, expires_on: datetime.date | None) -> None:
        """Replace the client secret and its expiry date (the caller saves)."""
        self.client_secret = secret
        self.client_secret_expires_on = expires_on
        self.client_secret_changed_at = timezone.now()

    @property
    def has_client_secret(self) -> bool:
        return bool(self.client_secret)

    @property
    def primary_domain(self) -> str:
        for domain in self.domains.all():
            if domain.is_primary:
                return domain.name
        return ""

    @property
    def aliases(self) -> list[str]:
        return [domain.name for domain in self.domains.all() if not domain.is_primary]


class ProviderDomain(models.Model):
    """An email domain that routes sign-in to a provider.

    A domain belongs to at most one provider in the whole installation,
    enforced by a unique index on the lower-cased name, because sign-in picks
    the provider from the user's email domain alone.
    """

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="domains")
    name = models.CharField(max_length=253)
    is_primary = models.BooleanField(default=False)

    class Meta:
        ordering = ["-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(Lower("name"), name="idp_domain_unique_installation_wide"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.name = self.name.strip().lower()
        super().save(*args, **kwargs)


class AccessGroup(models.Model):
    """An Azure AD group whose members may sign in through the provider.

    A provider with no access groups admits every user of its directory.
    """

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="access_groups")
    object_id = models.CharField(max_length=64, help_text="Object ID of the Azure AD group, a GUID.")
    display_name = models.CharField(max_length=256, blank=True)

    class Meta:
        ordering = ["display_name", "object_id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "object_id"], name="idp_access_group_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.object_id
