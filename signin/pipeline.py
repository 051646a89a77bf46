"""social-auth pipeline steps that decide who may sign in and as which account.

Order (see SOCIAL_AUTH_PIPELINE in settings): the provider must still be
enabled; the directory user is found (SCIM-provisioned users by `externalId`
= `oid`, then by `userName` or work email = UPN); with SCIM on, only
provisioned, active users pass; the access groups are checked; a user is
created in the directory when SCIM is off; and the directory user is linked
to one Django user. Every step reads the workspace from the provider bound
to the backend, so no query crosses workspaces.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.db.models.functions import Lower
from django.utils import timezone
from social_django.models import UserSocialAuth

from audit.models import AuditSource
from audit.services import record
from directory.groups import provisioned_group_object_ids
from directory.models import DirectoryGroup, DirectoryUser, DirectoryUserEmail
from directory.services import UserNameTaken, create_user
from identity_providers import graph
from identity_providers.models import IdentityProvider

from . import refusals
from .backend import AzureADSignInBackend
from .models import SignInAccount

logger = logging.getLogger(__name__)


def user_principal_name(response: dict[str, Any]) -> str:
    """Return the UPN from the id_token: `preferred_username` in v2.0 tokens, else `upn` or `email`."""
    for claim in ("preferred_username", "upn", "email"):
        value = response.get(claim)
        if isinstance(value, str) and value:
            return value
    return ""


def require_enabled_provider(backend: AzureADSignInBackend, response: dict[str, Any], **kwargs: Any) -> None:
    """Refuse with PROVIDER_DISABLED when the provider was disabled after the login started."""
    if not backend.provider.enabled:
        raise refusals.SignInRefused(backend, refusals.PROVIDER_DISABLED)


def find_directory_user(backend: AzureADSignInBackend, response: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Find the workspace's directory user for this Azure identity, and apply the SCIM rules.

    A user matched by `userName` or email must have no `externalId` or
    this `oid`: a UPN can be reassigned to another person in Azure AD, and
    the `oid` cannot.
    """
    provider = backend.provider
    oid = str(response["oid"]).lower()
    upn = user_principal_name(response)
    users = DirectoryUser.objects.filter(workspace_id=provider.workspace_id)

    # Azure writes object ids in lower case; the upper-case form covers a
    # SCIM client that sent it that way, and both lookups use the index.
    directory_user = users.filter(external_id__in=[oid, oid.upper()]).first()
    if directory_user is None and upn:
        directory_user = _find_by_upn(backend, users, upn, oid)
    if directory_user is None and provider.scim_enabled:
        raise refusals.SignInRefused(backend, refusals.USER_NOT_PROVISIONED)
    if directory_user is not None and not directory_user.active:
        raise refusals.SignInRefused(backend, refusals.USER_DISABLED)
    return {"directory_user": directory_user}


def _find_by_upn(backend: AzureADSignInBackend, users: Any, upn: str, oid: str) -> DirectoryUser | None:
    """Return the user whose userName, else whose email, equals the UPN (ignoring case).

    The lower-cased comparisons match the Lower() indexes on userName and
    email. A candidate with another `externalId` is refused, not returned.
    """
    by_user_name = users.alias(user_name_lower=Lower("user_name")).filter(user_name_lower=upn.lower())
    by_email = users.filter(
        Exists(
            DirectoryUserEmail.objects.alias(value_lower=Lower("value")).filter(
                user=OuterRef("pk"), workspace_id=OuterRef("workspace_id"), value_lower=upn.lower()
            )
        )
    )
    for candidates in (by_user_name, by_email.order_by("created_at", "id")):
        candidate = candidates.first()
        if candidate is None:
            continue
        if candidate.external_id and candidate.external_id.lower() != oid:
            raise refusals.SignInRefused(
                backend,
                refusals.USER_NOT_PROVISIONED,
                "A directory user with this userName or email belongs to another Azure AD object ID.",
            )
        return candidate
    return None


def check_access_groups(backend: AzureADSignInBackend, response: dict[str, Any], **kwargs: Any) -> None:
    """Refuse with NOT_IN_ACCESS_GROUPS unless the user is in one of the provider's access groups.

    Membership comes from the first source that can tell, in this order:
    the `groups` claim of the id_token; on group overage (`_claim_names` or
    `hasgroups`) or without the claim, Microsoft Graph's
    /me/transitiveMemberOf with the user's access token; and when Graph
    cannot be asked (no token, no permission, unreachable), the groups that
    Azure provisioned over SCIM, matched by their externalId (the Azure
    object id). The decision and its source are written to the audit log.
    An empty allowlist admits everyone.
    """
    provider = backend.provider
    allowed = {object_id.lower() for object_id in provider.access_groups.values_list("object_id", flat=True)}
    if not allowed:
        return

    member_of, source = _membership(backend, provider, response, kwargs.get("directory_user"))
    admitted = bool(allowed & member_of)
    _record_access_decision(provider, response, source, admitted)
    if not admitted:
        raise refusals.SignInRefused(
            backend, refusals.NOT_IN_ACCESS_GROUPS, f"Group membership was read from {ACCESS_SOURCES[source]}."
        )


ACCESS_SOURCES = {
    "id_token": "the groups claim of the id_token",
    "graph": "Microsoft Graph",
    "scim": "the groups Azure provisioned over SCIM",
}


def _membership(
    backend: AzureADSignInBackend, provider: IdentityProvider, response: dict[str, Any], directory_user: Any
) -> tuple[set[str], str]:
    """Return the user's group object ids (lower case) and the name of the source they came from."""
    claim = response.get("groups")
    overage = "groups" in (response.get("_claim_names") or {}) or bool(response.get("hasgroups"))
    if isinstance(claim, list) and not overage:
        return {str(group_id).lower() for group_id in claim}, "id_token"

    try:
        return _groups_from_graph(backend, provider, response), "graph"
    except refusals.SignInRefused:
        if directory_user is None or not DirectoryGroup.objects.filter(workspace_id=provider.workspace_id).exists():
            raise
        logger.info(
            "access groups read from SCIM groups workspace=%s provider=%s user=%s",
            provider.workspace_id,
            provider.pk,
            directory_user.pk,
        )
        return provisioned_group_object_ids(directory_user), "scim"


def _record_access_decision(provider: IdentityProvider, response: dict[str, Any], source: str, admitted: bool) -> None:
    """Write the audit entry of an admitted user; a refused one is recorded by the refusal page."""
    if not admitted:
        return
    record(
        provider.workspace,
        "sign_in.access_granted",
        source=AuditSource.SIGN_IN,
        actor_label=user_principal_name(response)[:256],
        target=provider,
        changes={"access_group_source": source},
    )


def _groups_from_graph(backend: AzureADSignInBackend, provider: IdentityProvider, response: dict[str, Any]) -> set[str]:
    access_token = response.get("access_token")
    if not isinstance(access_token, str) or not access_token:
        raise refusals.SignInRefused(backend, refusals.IDP_ERROR, "Azure AD returned no access token for Graph.")
    try:
        group_ids = graph.list_transitive_group_ids(provider.graph_url, access_token)
    except graph.GraphError as error:
        raise refusals.SignInRefused(
            backend, refusals.IDP_ERROR, f"Group membership could not be read from Microsoft Graph: {error}"
        ) from error
    return {group_id.lower() for group_id in group_ids}


def create_directory_user(
    backend: AzureADSignInBackend, response: dict[str, Any], directory_user: DirectoryUser | None = None, **kwargs: Any
) -> dict[str, Any]:
    """Create the directory user on first sign-in when SCIM is off for the provider."""
    if directory_user is not None:
        return {}

    provider = backend.provider
    upn = user_principal_name(response)
    if not upn:
        raise refusals.SignInRefused(backend, refusals.IDP_ERROR, "The id_token carries no preferred_username.")
    document = {
        "userName": upn,
        "externalId": str(response["oid"]).lower(),
        "displayName": response.get("name") or upn,
        "name": {"givenName": response.get("given_name") or "", "familyName": response.get("family_name") or ""},
        "emails": [{"value": upn, "type": "work", "primary": True}],
        "active": True,
    }
    try:
        directory_user = create_user(provider.workspace, document, source=provider)
    except UserNameTaken:
        # Another request created the same user a moment ago.
        directory_user = DirectoryUser.objects.get(workspace_id=provider.workspace_id, user_name__iexact=upn)
    return {"directory_user": directory_user}


def link_account(
    backend: AzureADSignInBackend, uid: str, directory_user: DirectoryUser, **kwargs: Any
) -> dict[str, Any]:
    """Return the Django user linked to the directory user, creating the user and link on first sign-in.

    A user who signed in before keeps their Django user even when SCIM
    deleted and re-created their directory user: the social-auth row for
    the same `oid` names it. The Django user's name and email are copied
    from the directory user, which SCIM owns; the id_token never overwrites
    them.
    """
    provider = backend.provider
    with transaction.atomic():
        account = (
            SignInAccount.objects.select_for_update()
            .select_related("user")
            .filter(directory_user=directory_user)
            .first()
        )
        is_new = False
        if account is None:
            social = UserSocialAuth.objects.select_related("user").filter(provider=backend.name, uid=uid).first()
            if social is not None:
                user = social.user
            else:
                user = get_user_model().objects.create_user(username=f"azure-{directory_user.pk}")
                is_new = True
            SignInAccount.objects.filter(user=user).delete()
            account = SignInAccount.objects.create(
                user=user, workspace_id=provider.workspace_id, provider=provider, directory_user=directory_user
            )

        user = account.user
        _copy_profile(user, directory_user)
        account.provider = provider
        account.last_sign_in_at = timezone.now()
        account.save(update_fields=["provider", "last_sign_in_at"])

    logger.info(
        "sign-in accepted workspace=%s provider=%s directory_user=%s user=%s",
        provider.workspace_id,
        provider.pk,
        directory_user.pk,
        user.pk,
    )
    return {"user": user, "is_new": is_new}


def _copy_profile(user: Any, directory_user: DirectoryUser) -> None:
    primary = next(
        (row.value for row in directory_user.email_rows.all() if row.primary),
        None,
    ) or next((row.value for row in directory_user.email_rows.all()), directory_user.user_name)
    user.email = primary[:254]
    user.first_name = directory_user.given_name[:150]
    user.last_name = directory_user.family_name[:150]
    user.is_active = True
    user.save()
