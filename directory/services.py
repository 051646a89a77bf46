"""Writes to the workspace directory.

Every change to a directory user goes through these functions, whether it
comes from SCIM, from sign-in or from the admin UI, so that uniqueness, the
derived columns and the email index stay consistent. The functions take a
canonical SCIM document (see `scim.resource.validate_resource`), do not
check protocol rules, and raise `UserNameTaken` for a duplicate `userName`.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.dispatch import Signal

from identity_providers.models import IdentityProvider
from workspaces.models import Workspace

from .models import DirectoryUser, DirectoryUserEmail

logger = logging.getLogger(__name__)

# Sent after a user is disabled (active went from true to false) or deleted,
# with `user` (for a deleted user, the unsaved instance) and `reason`.
# Sign-in uses it to end the user's sessions.
user_deactivated = Signal()


class UserNameTaken(Exception):
    """Another user of the workspace already has this userName (compared case-insensitively)."""

    def __init__(self, user_name: str) -> None:
        super().__init__(f"userName {user_name!r} is already taken in this workspace")
        self.user_name = user_name


def create_user(
    workspace: Workspace,
    document: dict[str, Any],
    *,
    source: IdentityProvider | None = None,
    password: str | None = None,
) -> DirectoryUser:
    """Create a directory user from a canonical document, or raise UserNameTaken."""
    user = DirectoryUser(workspace=workspace, source=source)
    _apply_document(user, document)
    if password:
        user.password_hash = make_password(password)

    _save_unique(user, created=True)
    _sync_emails(user, previous_emails=None)
    logger.info("directory user created workspace=%s user=%s source=%s", workspace.pk, user.pk, source and source.pk)
    return user


def update_user(user: DirectoryUser, document: dict[str, Any], *, password: str | None = None) -> DirectoryUser:
    """Replace the user's document (PUT, or the result of a PATCH), or raise UserNameTaken."""
    previous_emails = user.document.get("emails")
    was_active = user.active

    _apply_document(user, document)
    if password is not None:
        user.password_hash = make_password(password) if password else ""
    user.version += 1

    _save_unique(user, created=False)
    if previous_emails != document.get("emails"):
        _sync_emails(user, previous_emails=previous_emails)

    logger.info("directory user updated workspace=%s user=%s", user.workspace_id, user.pk)
    if was_active and not user.active:
        logger.info("directory user disabled workspace=%s user=%s", user.workspace_id, user.pk)
        user_deactivated.send(sender=DirectoryUser, user=user, reason="disabled")
    return user


def delete_user(user: DirectoryUser) -> None:
    """Delete the user and their email rows."""
    user_id, workspace_id = user.pk, user.workspace_id
    user.delete()
    user.pk = user_id
    logger.info("directory user deleted workspace=%s user=%s", workspace_id, user_id)
    user_deactivated.send(sender=DirectoryUser, user=user, reason="deleted")


def _apply_document(user: DirectoryUser, document: dict[str, Any]) -> None:
    """Store the document and copy the indexed attributes into their columns."""
    name = document.get("name") or {}
    user.document = document
    user.user_name = document["userName"]
    user.external_id = document.get("externalId")
    user.display_name = document.get("displayName", "")
    user.given_name = name.get("givenName", "")
    user.family_name = name.get("familyName", "")
    user.active = document.get("active", True)


def _save_unique(user: DirectoryUser, *, created: bool) -> None:
    try:
        with transaction.atomic():
            user.save(force_insert=created)
    except IntegrityError as error:
        if _is_user_name_conflict(user):
            raise UserNameTaken(user.user_name) from error
        raise


def _is_user_name_conflict(user: DirectoryUser) -> bool:
    return (
        DirectoryUser.objects.filter(workspace_id=user.workspace_id)
        .filter(Exact(Lower("user_name"), Lower(Value(user.user_name))))
        .exclude(pk=user.pk)
        .exists()
    )


def _sync_emails(user: DirectoryUser, *, previous_emails: Any) -> None:
    if previous_emails is not None:
        DirectoryUserEmail.objects.filter(user=user).delete()

    rows = [
        DirectoryUserEmail(
            user=user,
            workspace_id=user.workspace_id,
            value=item.get("value", "")[:320],
            type=item.get("type", "")[:64],
            primary=item.get("primary") is True,
        )
        for item in user.document.get("emails", [])
        if isinstance(item, dict) and item.get("value")
    ]
    if rows:
        DirectoryUserEmail.objects.bulk_create(rows)
