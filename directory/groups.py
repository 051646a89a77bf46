"""Writes to directory groups and their memberships.

Membership changes run a fixed number of statements whatever the number
of members: one query checks that every added id is a user of the
workspace, one DELETE removes, and one INSERT ... SELECT adds, with ids
passed as a single array parameter. A change that names an unknown user
raises UnknownMembers before anything is written.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from identity_providers.models import IdentityProvider
from workspaces.models import Workspace

from .models import DirectoryGroup, DirectoryGroupMember, DirectoryUser

logger = logging.getLogger(__name__)


class DisplayNameTaken(Exception):
    """Another group of the workspace already has this displayName (compared case-insensitively)."""

    def __init__(self, display_name: str) -> None:
        super().__init__(f"displayName {display_name!r} is already taken in this workspace")
        self.display_name = display_name


class UnknownMembers(Exception):
    """Some member ids are not users of the group's workspace."""

    def __init__(self, member_ids: list[str]) -> None:
        super().__init__(f"{len(member_ids)} member ids are not users of this workspace")
        self.member_ids = member_ids


@dataclass
class MembershipChange:
    """The net effect of a sequence of member operations.

    `replacement` set means "the members are exactly these ids" (then
    `added` and `removed` are empty); otherwise `added` and `removed` are
    applied to the current members.
    """

    replacement: set[str] | None = None
    added: set[str] = field(default_factory=set)
    removed: set[str] = field(default_factory=set)

    def add(self, ids: Iterable[str]) -> None:
        ids = set(ids)
        if self.replacement is not None:
            self.replacement |= ids
            return
        self.removed -= ids
        self.added |= ids

    def remove(self, ids: Iterable[str]) -> None:
        ids = set(ids)
        if self.replacement is not None:
            self.replacement -= ids
            return
        self.added -= ids
        self.removed |= ids

    def replace(self, ids: Iterable[str]) -> None:
        self.replacement = set(ids)
        self.added.clear()
        self.removed.clear()

    def is_empty(self) -> bool:
        return self.replacement is None and not self.added and not self.removed


def create_group(
    workspace: Workspace,
    document: dict[str, Any],
    *,
    source: IdentityProvider | None = None,
    member_ids: Iterable[str] = (),
) -> DirectoryGroup:
    """Create a group with its members, or raise DisplayNameTaken / UnknownMembers."""
    group = DirectoryGroup(workspace=workspace, source=source)
    _apply_document(group, document)
    members = _parse_ids(member_ids)
    _check_members(workspace.pk, members)

    _save_unique(group, created=True)
    _insert_members(group, members)
    logger.info("directory group created workspace=%s group=%s members=%d", workspace.pk, group.pk, len(members))
    return group


def update_group(group: DirectoryGroup, document: dict[str, Any], change: MembershipChange | None = None) -> None:
    """Replace the group's document and apply a membership change, or raise DisplayNameTaken / UnknownMembers."""
    if change is not None:
        change_members(group, change, save_version=False)

    _apply_document(group, document)
    group.version += 1
    _save_unique(group, created=False)
    logger.info("directory group updated workspace=%s group=%s", group.workspace_id, group.pk)


def change_members(group: DirectoryGroup, change: MembershipChange, *, save_version: bool = True) -> None:
    """Apply a membership change in at most three statements, after checking every added id."""
    if change.is_empty():
        return

    if change.replacement is not None:
        members = _parse_ids(change.replacement)
        _check_members(group.workspace_id, members)
        DirectoryGroupMember.objects.filter(group=group).exclude(user_id__in=members).delete()
        _insert_members(group, members)
    else:
        added = _parse_ids(change.added)
        _check_members(group.workspace_id, added)
        removed = _parse_ids(change.removed, ignore_invalid=True)
        if removed:
            DirectoryGroupMember.objects.filter(group=group, user_id__in=removed).delete()
        _insert_members(group, added)

    if save_version:
        DirectoryGroup.objects.filter(pk=group.pk).update(version=group.version + 1)
        group.version += 1
    logger.info(
        "directory group members changed workspace=%s group=%s added=%d removed=%d replaced=%s",
        group.workspace_id,
        group.pk,
        len(change.added),
        len(change.removed),
        change.replacement is not None,
    )


def delete_group(group: DirectoryGroup) -> None:
    """Delete the group and its memberships; its users stay."""
    group_id, workspace_id = group.pk, group.workspace_id
    group.delete()
    logger.info("directory group deleted workspace=%s group=%s", workspace_id, group_id)


def _apply_document(group: DirectoryGroup, document: dict[str, Any]) -> None:
    group.document = {key: value for key, value in document.items() if key != "members"}
    group.display_name = document["displayName"]
    group.external_id = document.get("externalId")


def _save_unique(group: DirectoryGroup, *, created: bool) -> None:
    try:
        with transaction.atomic():
            group.save(force_insert=created)
    except IntegrityError as error:
        taken = (
            DirectoryGroup.objects.filter(workspace_id=group.workspace_id)
            .filter(Exact(Lower("display_name"), Lower(Value(group.display_name))))
            .exclude(pk=group.pk)
            .exists()
        )
        if taken:
            raise DisplayNameTaken(group.display_name) from error
        raise


def _parse_ids(values: Iterable[str], *, ignore_invalid: bool = False) -> list[uuid.UUID]:
    """Return the ids as UUIDs; an id that is not a UUID is unknown (UnknownMembers) unless ignored."""
    parsed, invalid = [], []
    for value in values:
        try:
            parsed.append(uuid.UUID(str(value)))
        except ValueError:
            invalid.append(str(value))
    if invalid and not ignore_invalid:
        raise UnknownMembers(invalid)
    return parsed


def _check_members(workspace_id: int, members: list[uuid.UUID]) -> None:
    if not members:
        return
    found = set(DirectoryUser.objects.filter(workspace_id=workspace_id, pk__in=members).values_list("pk", flat=True))
    missing = [str(member) for member in members if member not in found]
    if missing:
        raise UnknownMembers(missing)


def _insert_members(group: DirectoryGroup, members: list[uuid.UUID]) -> None:
    """Insert memberships in one statement, skipping existing ones and users of other workspaces."""
    if not members:
        return

    table = DirectoryGroupMember._meta.db_table
    users = DirectoryUser._meta.db_table
    if connection.vendor == "postgresql":
        id_list = "SELECT unnest(%s::uuid[])"
        params: list[Any] = [group.pk, group.workspace_id, [str(member) for member in members]]
    else:
        id_list = "SELECT value FROM json_each(%s)"
        params = [group.pk.hex, group.workspace_id, json.dumps([member.hex for member in members])]

    # Table names come from model metadata and every value is a parameter.
    sql = (
        f"INSERT INTO {table} (group_id, user_id) "  # noqa: S608
        f"SELECT %s, u.id FROM {users} u WHERE u.workspace_id = %s AND u.id IN ({id_list}) "
        "ON CONFLICT (group_id, user_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def provisioned_group_object_ids(user: DirectoryUser) -> set[str]:
    """Return the Azure object ids (SCIM externalId, lower-cased) of the provisioned groups the user belongs to.

    Azure's default group mapping sends the group's objectId as externalId,
    which is what access groups store, so this set can be compared with a
    provider's access groups when the id_token and Graph cannot tell.
    """
    external_ids = DirectoryGroup.objects.filter(
        workspace_id=user.workspace_id, memberships__user=user, external_id__isnull=False
    ).values_list("external_id", flat=True)
    return {external_id.lower() for external_id in external_ids}
