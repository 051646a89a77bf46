"""REST API serializers.

Serializers only shape data: writes go through `identity_providers.services`
and `api.tokens`. `client_secret` is write-only, and no serializer has a
field that reads a client secret or a token digest.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from audit.models import AuditEntry
from console.hints import failure_hint
from directory.models import DirectoryGroup, DirectoryUser
from identity_providers import links
from identity_providers.models import AccessGroup, IdentityProvider
from identity_providers.validation import MAX_ACCESS_GROUPS, MAX_ALIASES, MAX_ALLOWED_TENANTS
from scim.links import scim_base_url
from scim.models import ProvisioningLogEntry, ScimToken


class AccessGroupSerializer(serializers.ModelSerializer):
    object_id = serializers.CharField(max_length=64, help_text="Object ID of the Azure AD group, a GUID.")
    display_name = serializers.CharField(max_length=256, required=False, allow_blank=True, default="")

    class Meta:
        model = AccessGroup
        fields = ["object_id", "display_name"]


class ConnectionSerializer(serializers.Serializer):
    status = serializers.CharField(help_text="Result of the last connection test, such as ok or invalid_secret.")
    label = serializers.CharField()
    checked_at = serializers.DateTimeField(allow_null=True)
    detail = serializers.CharField(allow_blank=True)


class ProviderSerializer(serializers.ModelSerializer):
    """An identity provider as the API returns it: every setting but the client secret."""

    id = serializers.UUIDField(source="public_id", read_only=True)
    domain = serializers.CharField(source="primary_domain", read_only=True)
    aliases = serializers.ListField(child=serializers.CharField(), read_only=True)
    has_client_secret = serializers.BooleanField(read_only=True)
    allowed_tenant_ids = serializers.ListField(child=serializers.CharField(), read_only=True)
    access_groups = AccessGroupSerializer(many=True, read_only=True)
    connection = serializers.SerializerMethodField()
    scim_base_url = serializers.SerializerMethodField()
    redirect_url = serializers.SerializerMethodField()
    sign_on_url = serializers.SerializerMethodField()

    class Meta:
        model = IdentityProvider
        fields = [
            "id",
            "kind",
            "slug",
            "display_name",
            "domain",
            "aliases",
            "tenant_id",
            "client_id",
            "has_client_secret",
            "client_secret_expires_on",
            "client_secret_changed_at",
            "multi_tenant",
            "allowed_tenant_ids",
            "enabled",
            "scim_enabled",
            "last_scim_request_at",
            "connection",
            "access_groups",
            "scim_base_url",
            "redirect_url",
            "sign_on_url",
            "created_at",
            "modified_at",
        ]
        read_only_fields = fields

    @extend_schema_field(ConnectionSerializer)
    def get_connection(self, provider: IdentityProvider) -> dict[str, Any]:
        return {
            "status": provider.connection_status,
            "label": provider.get_connection_status_display(),
            "checked_at": provider.connection_checked_at,
            "detail": provider.connection_detail,
        }

    def get_scim_base_url(self, provider: IdentityProvider) -> str:
        return scim_base_url(provider.workspace)

    def get_redirect_url(self, provider: IdentityProvider) -> str:
        return links.redirect_url()

    def get_sign_on_url(self, provider: IdentityProvider) -> str:
        return links.sign_on_url(provider.workspace)


class ProviderWriteSerializer(serializers.Serializer):
    """Settings that an administrator sends to create (POST) or change (PATCH) a provider.

    The service functions apply the rules (GUIDs, domain names, uniqueness);
    this serializer checks only types and lengths.
    """

    display_name = serializers.CharField(max_length=200)
    domain = serializers.CharField(max_length=253, help_text="Azure AD domain, such as contoso.onmicrosoft.com.")
    aliases = serializers.ListField(
        child=serializers.CharField(max_length=253),
        required=False,
        max_length=MAX_ALIASES,
        help_text="Other email domains routed to this provider.",
    )
    client_id = serializers.CharField(max_length=64, help_text="Application (client) ID, a GUID.")
    tenant_id = serializers.CharField(max_length=64, required=False, allow_blank=True)
    client_secret = serializers.CharField(
        max_length=1024,
        write_only=True,
        trim_whitespace=True,
        style={"input_type": "password"},
        help_text="Client secret Value. Write-only: no response contains it. On PATCH, replaces the stored secret.",
    )
    client_secret_expires_on = serializers.DateField(required=False, allow_null=True)
    multi_tenant = serializers.BooleanField(required=False)
    allowed_tenant_ids = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=MAX_ALLOWED_TENANTS
    )
    enabled = serializers.BooleanField(required=False)


class DomainsSerializer(serializers.Serializer):
    domain = serializers.CharField(max_length=253)
    aliases = serializers.ListField(child=serializers.CharField(max_length=253), max_length=MAX_ALIASES)


class AccessGroupsSerializer(serializers.Serializer):
    groups = AccessGroupSerializer(many=True, max_length=MAX_ACCESS_GROUPS)


class AccessGroupsResultSerializer(serializers.Serializer):
    groups = AccessGroupSerializer(many=True)
    everyone_allowed = serializers.BooleanField(help_text="True when no group is set and every user may sign in.")
    provisioned_users = serializers.IntegerField(help_text="Users of the workspace provisioned by this provider.")
    allowed_users = serializers.IntegerField(
        allow_null=True,
        help_text="Provisioned users whom the groups let in, from SCIM group memberships; null when no access "
        "group was provisioned over SCIM, so membership is unknown.",
    )
    refused_users = serializers.IntegerField(help_text="Provisioned users whom the groups lock out.")
    refused_user_names = serializers.ListField(
        child=serializers.CharField(), help_text="userNames of up to 10 locked-out users."
    )
    scim_groups = AccessGroupSerializer(
        many=True, help_text="Groups that Azure provisioned over SCIM, offered as access groups."
    )


class ProviderDeletionSerializer(serializers.Serializer):
    display_name = serializers.CharField()
    revoked_tokens = serializers.IntegerField()
    removed_users = serializers.IntegerField()
    kept_users = serializers.IntegerField()
    domains = serializers.ListField(child=serializers.CharField())


class ScimTokenInfoSerializer(serializers.ModelSerializer):
    """An active SCIM token, described without its value."""

    class Meta:
        model = ScimToken
        fields = ["prefix", "created_at", "last_used_at"]


class ScimStateSerializer(serializers.Serializer):
    scim_enabled = serializers.BooleanField()
    group_provisioning_enabled = serializers.BooleanField(
        help_text="Whether Azure may provision groups; when false, group writes get a SCIM error."
    )
    base_url = serializers.CharField(help_text="SCIM base URL, Tenant URL in Azure.")
    active_token = ScimTokenInfoSerializer(allow_null=True)


class ScimTokenRequestSerializer(serializers.Serializer):
    revoke_existing = serializers.BooleanField(
        default=False, help_text="Must be true when the provider has an active token, which is revoked."
    )


class ScimTokenIssuedSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="The bearer token. Returned only in this response; p81 keeps a hash.")
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
    base_url = serializers.CharField()
    revoked_previous = serializers.BooleanField()


class ProvisioningLogEntrySerializer(serializers.ModelSerializer):
    succeeded = serializers.BooleanField(read_only=True)
    hint = serializers.SerializerMethodField(help_text="What to do about a failed request; empty on success.")

    class Meta:
        model = ProvisioningLogEntry
        fields = [
            "id",
            "created_at",
            "method",
            "path",
            "operation",
            "status",
            "succeeded",
            "resource_id",
            "user_name",
            "duration_ms",
            "scim_type",
            "error_detail",
            "hint",
        ]
        read_only_fields = fields

    def get_hint(self, entry: ProvisioningLogEntry) -> str:
        return failure_hint(entry)


class AuditEntrySerializer(serializers.ModelSerializer):
    changes = serializers.DictField(
        child=serializers.JSONField(), help_text='{field: {"before": ..., "after": ...}}, secrets masked.'
    )

    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "actor_label",
            "source",
            "action",
            "target_type",
            "target_id",
            "target_label",
            "code",
            "changes",
        ]
        read_only_fields = fields


class DirectoryGroupReferenceSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="ID of the directory group.")
    display_name = serializers.CharField()


class DirectoryUserSerializer(serializers.ModelSerializer):
    source = serializers.SerializerMethodField(help_text="ID of the provider that created the user, or null.")
    emails = serializers.SerializerMethodField()
    groups = serializers.SerializerMethodField(help_text="Directory groups that the user is a member of, by name.")

    class Meta:
        model = DirectoryUser
        fields = [
            "id",
            "user_name",
            "external_id",
            "display_name",
            "given_name",
            "family_name",
            "active",
            "source",
            "emails",
            "groups",
            "created_at",
            "modified_at",
        ]
        read_only_fields = fields

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_source(self, user: DirectoryUser) -> str | None:
        return str(user.source.public_id) if user.source else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_emails(self, user: DirectoryUser) -> list[str]:
        return [row.value for row in user.email_rows.all()]

    @extend_schema_field(DirectoryGroupReferenceSerializer(many=True))
    def get_groups(self, user: DirectoryUser) -> list[dict[str, Any]]:
        """List the user's groups from `directory.queries.prefetch_user_groups`, which orders them by name."""
        return [
            {"id": membership.group.id, "display_name": membership.group.display_name}
            for membership in user.group_memberships.all()
        ]


class DirectoryGroupSerializer(serializers.ModelSerializer):
    """A directory group as provisioned over SCIM, without its members."""

    external_id = serializers.CharField(
        allow_null=True, help_text="externalId that Azure AD sent: the object ID of the Azure group, or null."
    )
    source = serializers.SerializerMethodField(help_text="ID of the provider that provisioned the group, or null.")
    member_count = serializers.IntegerField(help_text="Number of members.")

    class Meta:
        model = DirectoryGroup
        fields = ["id", "display_name", "external_id", "source", "member_count", "created_at", "modified_at"]
        read_only_fields = fields

    @extend_schema_field(serializers.UUIDField(allow_null=True))
    def get_source(self, group: DirectoryGroup) -> str | None:
        return str(group.source.public_id) if group.source else None


class DirectoryGroupMemberSerializer(serializers.ModelSerializer):
    """A member of a directory group: the directory user's id, userName, name and active state."""

    class Meta:
        model = DirectoryUser
        fields = ["id", "user_name", "display_name", "active"]
        read_only_fields = fields
