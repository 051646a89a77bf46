"""Administrator changes to identity providers.

The web UI and the REST API both call these functions, so every change is
validated the same way and recorded in the audit log. Each public function
runs in one transaction: it validates, writes and records an audit entry,
or raises and writes nothing.

Invalid input raises `django.core.exceptions.ValidationError` built from a
dict of {field name: [messages]}. Field names are those of the functions'
keyword arguments, so a form or serializer can show each message next to
its field. A function never puts a client secret or a SCIM token into an
exception, an audit entry or a log line, and the functions that receive a
secret mark it with `sensitive_variables`, so Django's error reports hide it.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify
from django.views.decorators.debug import sensitive_variables

from audit.models import AuditSource
from audit.services import diff, record
from directory import services as directory_services
from directory.models import DirectoryGroup, DirectoryUser
from scim.models import ScimToken
from scim.tokens import IssuedToken, generate_token, revoke_tokens
from workspaces.models import Workspace

from .models import AccessGroup, IdentityProvider, ProviderDomain, ProviderKind
from .validation import (
    GUID_PATTERN,
    MAX_ACCESS_GROUPS,
    MAX_GROUP_NAME_LENGTH,
    normalize_guid,
    validate_provider_values,
)

logger = logging.getLogger(__name__)

# Fields that `update_provider` accepts; the secret fields go through
# `replace_client_secret` rules.
UPDATABLE_FIELDS = frozenset(
    {
        "display_name",
        "domain",
        "aliases",
        "tenant_id",
        "client_id",
        "client_secret",
        "client_secret_expires_on",
        "multi_tenant",
        "allowed_tenant_ids",
        "enabled",
    }
)


@dataclass(frozen=True)
class Actor:
    """The user behind a change and the interface used, as the audit log records them."""

    user: Any
    source: str = AuditSource.UI


@dataclass(frozen=True)
class DeletionSummary:
    """Counts and names of what `delete_provider` removed or kept."""

    display_name: str
    revoked_tokens: int
    removed_users: int
    kept_users: int
    domains: list[str]


@dataclass(frozen=True)
class AccessGroupChange:
    """The outcome of `set_access_groups`: the groups now required and the users they apply to.

    `allowed_users`, `refused_users` and `refused_user_names` count only
    memberships stored from SCIM: members of groups that Azure provisioned
    with the group's object ID as externalId (Azure's default mapping).
    `allowed_users` is None when no access group is such a group, because
    p81 then cannot tell who is a member.
    """

    groups: list[AccessGroup]
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    provisioned_users: int = 0
    allowed_users: int | None = None
    refused_user_names: list[str] = field(default_factory=list)
    refused_users: int = 0

    @property
    def everyone_allowed(self) -> bool:
        return not self.groups


# Reading --------------------------------------------------------------------


def providers_of(workspace: Workspace):
    """Return the workspace's providers with their domains and access groups prefetched.

    Every lookup of a provider on behalf of an administrator starts here, so
    that a provider of another workspace is never reached.
    """
    return IdentityProvider.objects.filter(workspace=workspace).prefetch_related("domains", "access_groups")


def get_provider(workspace: Workspace, public_id: Any) -> IdentityProvider:
    """Return the workspace's provider with `public_id`, or raise IdentityProvider.DoesNotExist."""
    return providers_of(workspace).get(public_id=public_id)


def active_scim_token(provider: IdentityProvider) -> ScimToken | None:
    """Return the provider's active SCIM token row (never its value), or None."""
    return ScimToken.objects.filter(
        workspace_id=provider.workspace_id, provider=provider, revoked_at__isnull=True
    ).first()


def provider_snapshot(provider: IdentityProvider) -> dict[str, Any]:
    """Return the administrator-visible settings of a provider, for audit diffs.

    The secret appears as the time it was last changed, never as its value:
    `audit.services.diff` masks it, and a replaced secret still shows up
    as a change.
    """
    secret_marker = ""
    if provider.has_client_secret:
        changed_at = provider.client_secret_changed_at
        secret_marker = changed_at.isoformat() if changed_at else "set"
    expires_on = provider.client_secret_expires_on
    return {
        "display_name": provider.display_name,
        "domain": provider.primary_domain,
        "aliases": provider.aliases,
        "tenant_id": provider.tenant_id,
        "client_id": provider.client_id,
        "client_secret": secret_marker,
        "client_secret_expires_on": expires_on.isoformat() if expires_on else None,
        "multi_tenant": provider.multi_tenant,
        "allowed_tenant_ids": list(provider.allowed_tenant_ids),
        "enabled": provider.enabled,
        "scim_enabled": provider.scim_enabled,
    }


# Writing --------------------------------------------------------------------


def _unique_slug(workspace: Workspace, display_name: str) -> str:
    base = slugify(display_name)[:50] or "provider"
    slug, number = base, 2
    while IdentityProvider.objects.filter(workspace=workspace, slug=slug).exists():
        slug = f"{base}-{number}"
        number += 1
    return slug


def _write_domains(provider: IdentityProvider, primary: str, aliases: Sequence[str]) -> None:
    """Make the provider's domains exactly `primary` plus `aliases`.

    A concurrent change that takes one of the names makes the unique index
    fail; that surfaces as a ValidationError on `domains`.
    """
    wanted = {primary: True, **{alias: False for alias in aliases}}
    try:
        with transaction.atomic():
            existing = {domain.name: domain for domain in ProviderDomain.objects.filter(provider=provider)}
            ProviderDomain.objects.filter(provider=provider).exclude(name__in=list(wanted)).delete()
            for name, is_primary in wanted.items():
                domain = existing.get(name)
                if domain is None:
                    ProviderDomain.objects.create(provider=provider, name=name, is_primary=is_primary)
                elif domain.is_primary != is_primary:
                    domain.is_primary = is_primary
                    domain.save(update_fields=["is_primary"])
    except IntegrityError as error:
        raise ValidationError(
            {"aliases": ["One of these domains was registered by another provider just now. Reload and try again."]}
        ) from error

    # Drop the prefetched rows so that primary_domain and aliases read the new ones.
    prefetched = getattr(provider, "_prefetched_objects_cache", {})
    prefetched.pop("domains", None)


def _audit(provider: IdentityProvider, actor: Actor, action: str, changes: dict[str, Any] | None = None) -> None:
    record(
        provider.workspace,
        action,
        source=actor.source,
        actor=actor.user,
        target=provider,
        target_label=provider.display_name,
        changes=changes,
    )


@sensitive_variables("values", "cleaned")
def create_azure_provider(workspace: Workspace, actor: Actor, **values: Any) -> IdentityProvider:
    """Create a Microsoft Azure AD provider in `workspace` and audit it as provider.create.

    Accepted keyword arguments are those of UPDATABLE_FIELDS. `display_name`,
    `domain`, `tenant_id`, `client_id` and `client_secret` are required. SCIM starts off.
    """
    _reject_unknown_fields(values)
    cleaned = validate_provider_values(workspace, None, values)

    with transaction.atomic():
        provider = IdentityProvider(
            workspace=workspace,
            kind=ProviderKind.AZURE_AD,
            slug=_unique_slug(workspace, cleaned["display_name"]),
            display_name=cleaned["display_name"],
            tenant_id=cleaned["tenant_id"],
            client_id=cleaned["client_id"],
            multi_tenant=cleaned.get("multi_tenant", False),
            allowed_tenant_ids=cleaned.get("allowed_tenant_ids", []),
            enabled=cleaned.get("enabled", True),
            scim_enabled=False,
        )
        provider.set_client_secret(cleaned["client_secret"], cleaned.get("client_secret_expires_on"))
        provider.save()
        _write_domains(provider, cleaned["domain"], cleaned.get("aliases", []))
        _audit(provider, actor, "provider.create", diff({}, provider_snapshot(provider)))

    logger.info("identity provider created workspace=%s provider=%s", workspace.pk, provider.pk)
    return provider


@sensitive_variables("values", "cleaned")
def update_provider(provider: IdentityProvider, actor: Actor, **values: Any) -> IdentityProvider:
    """Change the given settings of `provider` and audit the difference as provider.update.

    Keys left out keep their value. An empty `client_secret` keeps the
    stored secret; a new one replaces it together with
    `client_secret_expires_on`. Nothing is audited when nothing changed.
    """
    _reject_unknown_fields(values)
    cleaned = validate_provider_values(provider.workspace, provider, values)
    before = provider_snapshot(provider)

    with transaction.atomic():
        for name in ("display_name", "tenant_id", "client_id", "multi_tenant", "allowed_tenant_ids", "enabled"):
            if name in cleaned:
                setattr(provider, name, cleaned[name])
        if not provider.multi_tenant:
            provider.allowed_tenant_ids = []

        if cleaned.get("client_secret"):
            provider.set_client_secret(
                cleaned["client_secret"], cleaned.get("client_secret_expires_on", provider.client_secret_expires_on)
            )
        elif "client_secret_expires_on" in cleaned:
            provider.client_secret_expires_on = cleaned["client_secret_expires_on"]
        provider.save()

        if "domain" in cleaned or "aliases" in cleaned:
            _write_domains(
                provider,
                cleaned.get("domain", before["domain"]),
                cleaned.get("aliases", before["aliases"]),
            )

        changes = diff(before, provider_snapshot(provider))
        if changes:
            _audit(provider, actor, "provider.update", changes)

    logger.info(
        "identity provider updated workspace=%s provider=%s fields=%s",
        provider.workspace_id,
        provider.pk,
        ",".join(sorted(changes)),
    )
    return provider


def set_domains(provider: IdentityProvider, actor: Actor, *, domain: str, aliases: Sequence[str]) -> IdentityProvider:
    """Replace the provider's Azure AD domain and aliases, audited as provider.update."""
    return update_provider(provider, actor, domain=domain, aliases=list(aliases))


@sensitive_variables("client_secret")
def replace_client_secret(
    provider: IdentityProvider, actor: Actor, *, client_secret: str, client_secret_expires_on: datetime.date | None
) -> IdentityProvider:
    """Store a new client secret and its expiry date, audited as provider.update with the secret masked."""
    if not str(client_secret or "").strip():
        raise ValidationError({"client_secret": ["Enter the new client secret Value."]})
    return update_provider(
        provider, actor, client_secret=client_secret, client_secret_expires_on=client_secret_expires_on
    )


def delete_provider(provider: IdentityProvider, actor: Actor, *, remove_users: bool) -> DeletionSummary:
    """Delete the provider, its domains, access groups and SCIM tokens; audit it as provider.delete.

    Its directory users are deleted when `remove_users` is true and kept
    otherwise (their source becomes empty). Provisioning log rows are kept.
    """
    with transaction.atomic():
        revoked = revoke_tokens(provider)
        users = DirectoryUser.objects.filter(workspace_id=provider.workspace_id, source=provider)
        user_count = users.count()
        removed = 0
        if remove_users:
            for user in users.iterator():
                directory_services.delete_user(user)
                removed += 1

        summary = DeletionSummary(
            display_name=provider.display_name,
            revoked_tokens=revoked,
            removed_users=removed,
            kept_users=user_count - removed,
            domains=[provider.primary_domain, *provider.aliases],
        )
        _audit(
            provider,
            actor,
            "provider.delete",
            {
                **diff(provider_snapshot(provider), {}),
                "revoked_tokens": {"before": None, "after": revoked},
                "removed_users": {"before": None, "after": removed},
            },
        )
        provider_id = provider.pk
        provider.delete()

    logger.info(
        "identity provider deleted workspace=%s provider=%s revoked_tokens=%d removed_users=%d",
        provider.workspace_id,
        provider_id,
        revoked,
        removed,
    )
    return summary


def set_access_groups(provider: IdentityProvider, actor: Actor, groups: Sequence[tuple[str, str]]) -> AccessGroupChange:
    """Make the provider's access groups exactly `groups` ((object ID, display name) pairs).

    An empty list lets every user of the directory sign in. Audited as
    provider.access_groups when anything changed.
    """
    errors: list[str] = []
    wanted: dict[str, str] = {}
    for object_id, display_name in groups:
        try:
            guid = normalize_guid(str(object_id), what="group object ID")
        except ValidationError as error:
            errors.extend(error.messages)
            continue
        name = str(display_name or "").strip()
        if len(name) > MAX_GROUP_NAME_LENGTH:
            errors.append(f"The name of group {guid} is longer than {MAX_GROUP_NAME_LENGTH} characters.")
        if guid in wanted:
            errors.append(f"Group {guid} is listed twice; list each group once.")
        wanted[guid] = name
    if len(wanted) > MAX_ACCESS_GROUPS:
        errors.append(f"A provider can have at most {MAX_ACCESS_GROUPS} access groups.")
    if errors:
        raise ValidationError({"groups": errors})

    with transaction.atomic():
        existing = {group.object_id: group for group in AccessGroup.objects.filter(provider=provider)}
        before = {object_id: group.display_name for object_id, group in existing.items()}

        AccessGroup.objects.filter(provider=provider).exclude(object_id__in=list(wanted)).delete()
        for object_id, name in wanted.items():
            group = existing.get(object_id)
            if group is None:
                AccessGroup.objects.create(provider=provider, object_id=object_id, display_name=name)
            elif group.display_name != name:
                group.display_name = name
                group.save(update_fields=["display_name"])

        added = sorted(set(wanted) - set(before))
        removed = sorted(set(before) - set(wanted))
        if before != wanted:
            _audit(
                provider,
                actor,
                "provider.access_groups",
                {"access_groups": {"before": _group_labels(before), "after": _group_labels(wanted)}},
            )

    prefetched = getattr(provider, "_prefetched_objects_cache", {})
    prefetched.pop("access_groups", None)
    logger.info(
        "access groups set workspace=%s provider=%s groups=%d added=%d removed=%d",
        provider.workspace_id,
        provider.pk,
        len(wanted),
        len(added),
        len(removed),
    )
    return AccessGroupChange(
        groups=list(AccessGroup.objects.filter(provider=provider)),
        added=added,
        removed=removed,
        **access_group_reach(provider, list(wanted)),
    )


def provider_scim_groups(provider: IdentityProvider):
    """Return the provider's SCIM-provisioned groups whose externalId is an Azure object ID (a GUID)."""
    groups = DirectoryGroup.objects.filter(workspace_id=provider.workspace_id, source=provider).exclude(
        external_id__isnull=True
    )
    return [group for group in groups if GUID_PATTERN.match((group.external_id or "").lower())]


def access_group_reach(provider: IdentityProvider, object_ids: Sequence[str]) -> dict[str, Any]:
    """Return how many users provisioned by `provider` the access groups `object_ids` let in.

    The keys match AccessGroupChange's fields. Membership comes from SCIM
    groups whose externalId is one of `object_ids`.
    """
    users = DirectoryUser.objects.filter(workspace_id=provider.workspace_id, source=provider)
    provisioned = users.count()
    reach: dict[str, Any] = {"provisioned_users": provisioned}
    if not object_ids:
        reach["allowed_users"] = provisioned
        return reach

    known = DirectoryGroup.objects.filter(workspace_id=provider.workspace_id, external_id__in=list(object_ids))
    if not known.exists():
        return reach

    members = users.filter(group_memberships__group__in=known).values("pk").distinct()
    refused = users.exclude(pk__in=members)
    reach["allowed_users"] = members.count()
    reach["refused_users"] = refused.count()
    reach["refused_user_names"] = list(refused.order_by("user_name").values_list("user_name", flat=True)[:10])
    return reach


def set_scim_enabled(provider: IdentityProvider, actor: Actor, *, enabled: bool) -> IdentityProvider:
    """Turn SCIM provisioning on or off, audited as provider.scim_on or provider.scim_off.

    Turning it off keeps the token, which authenticates nothing until SCIM
    is turned on again.
    """
    return _switch(provider, actor, "scim_enabled", "scim", enabled=enabled)


def set_group_provisioning(provider: IdentityProvider, actor: Actor, *, enabled: bool) -> IdentityProvider:
    """Turn group provisioning over SCIM on or off, audited as provider.group_provisioning_on/off.

    Turning it off keeps the groups already provisioned. Azure's group
    writes then get an error whose detail explains how to stop sending them.
    """
    return _switch(provider, actor, "group_provisioning_enabled", "group_provisioning", enabled=enabled)


def _switch(provider: IdentityProvider, actor: Actor, field: str, name: str, *, enabled: bool) -> IdentityProvider:
    """Set the boolean `field` and audit it as provider.<name>_on or provider.<name>_off; a no-op when unchanged."""
    if getattr(provider, field) == enabled:
        return provider

    with transaction.atomic():
        setattr(provider, field, enabled)
        provider.save(update_fields=[field, "modified_at"])
        _audit(
            provider,
            actor,
            f"provider.{name}_{'on' if enabled else 'off'}",
            {field: {"before": not enabled, "after": enabled}},
        )

    logger.info(
        "%s %s workspace=%s provider=%s",
        name.replace("_", " "),
        "on" if enabled else "off",
        provider.workspace_id,
        provider.pk,
    )
    return provider


def generate_scim_token(provider: IdentityProvider, actor: Actor) -> IssuedToken:
    """Issue a new SCIM token, revoking the previous one, and audit it as scim_token.generate.

    The returned `IssuedToken.value` is the only copy of the token: the
    caller shows it once and keeps it nowhere.
    """
    with transaction.atomic():
        previous = active_scim_token(provider)
        issued = generate_token(provider)
        _audit(
            provider,
            actor,
            "scim_token.generate",
            {
                "token_prefix": {
                    "before": previous.prefix + "…" if previous else None,
                    "after": issued.token.prefix + "…",
                },
                "revoked_previous": {"before": None, "after": previous is not None},
            },
        )
    return issued


def record_connection_check(provider: IdentityProvider, actor: Actor) -> None:
    """Audit that an administrator tested the provider's connection, with the stored result."""
    _audit(
        provider,
        actor,
        "provider.test_connection",
        {"connection_status": {"before": None, "after": provider.connection_status}},
    )


def _group_labels(groups: Mapping[str, str]) -> list[str]:
    return [f"{name} ({object_id})" if name else object_id for object_id, name in sorted(groups.items())]


def _reject_unknown_fields(values: Mapping[str, Any]) -> None:
    unknown = set(values) - UPDATABLE_FIELDS
    if unknown:
        raise TypeError(f"unknown provider fields: {', '.join(sorted(unknown))}")
