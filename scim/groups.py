"""The SCIM Group resource: representation, member streaming and member PATCH operations.

Members are never loaded all at once. A response that includes the members
of a group with more than MEMBER_CHUNK_SIZE of them is streamed, reading at
most MEMBER_CHUNK_SIZE membership rows at a time. Smaller groups get a
plain response. A request that excludes members (as Azure's do) reads none. PATCH
operations on `members` become one `MembershipChange`, applied in a fixed
number of statements by `directory.groups`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from django.db.models import QuerySet
from scim2_models.path import CompareOperator, Comparison, LogicalExpr, LogicalOperator, ValuePath

from directory.groups import MembershipChange
from directory.models import DirectoryGroup, DirectoryGroupMember, DirectoryUser
from workspaces.models import Workspace

from .errors import InvalidFilter, InvalidPath, InvalidValue
from .filters import group_filter_q
from .patch import resolve_path
from .projection import project
from .schema import GROUP_SCHEMA, group_resource
from .users import ListQuery, format_datetime

MEMBER_CHUNK_SIZE = 2000
# Members per piece of a streamed response, so the server writes a few
# kilobytes at a time rather than one small piece per member.
STREAM_BATCH_SIZE = 200
SAMPLE_MEMBER = {"value": "", "$ref": "", "type": ""}


def group_location(base_url: str, group: DirectoryGroup) -> str:
    return f"{base_url}/Groups/{group.pk}"


def group_to_scim(group: DirectoryGroup, base_url: str) -> dict[str, Any]:
    """Return the SCIM representation of a group without `members` (see `stream_group`)."""
    data: dict[str, Any] = {"schemas": [GROUP_SCHEMA], "id": str(group.pk)}
    if "externalId" in group.document:
        data["externalId"] = group.document["externalId"]
    for key, value in group.document.items():
        if key != "externalId":
            data[key] = value
    data["meta"] = {
        "resourceType": "Group",
        "created": format_datetime(group.created_at),
        "lastModified": format_datetime(group.modified_at),
        "location": group_location(base_url, group),
        "version": f'W/"{group.version}"',
    }
    return data


def member_keys(attributes: list[str], excluded: list[str]) -> list[str]:
    """Return the member sub-attributes the response must carry; empty when members are not returned."""
    projected = project(group_resource(), {"members": [dict(SAMPLE_MEMBER)]}, attributes, excluded)
    members = projected.get("members") or []
    return list(members[0]) if members else []


def iter_members(group: DirectoryGroup, base_url: str, keys: list[str]) -> Iterator[dict[str, str]]:
    """Yield the group's members, reading MEMBER_CHUNK_SIZE rows at a time."""
    rows = (
        DirectoryGroupMember.objects.filter(group=group)
        .order_by("id")
        .values_list("user_id", flat=True)
        .iterator(chunk_size=MEMBER_CHUNK_SIZE)
    )
    for user_id in rows:
        member = {"value": str(user_id), "$ref": f"{base_url}/Users/{user_id}", "type": "User"}
        yield {key: member[key] for key in keys}


def first_members(group: DirectoryGroup, base_url: str, keys: list[str]) -> list[dict[str, str]] | None:
    """Return all members when there are at most MEMBER_CHUNK_SIZE, or None when the response must stream."""
    user_ids = list(
        DirectoryGroupMember.objects.filter(group=group)
        .order_by("id")
        .values_list("user_id", flat=True)[: MEMBER_CHUNK_SIZE + 1]
    )
    if len(user_ids) > MEMBER_CHUNK_SIZE:
        return None
    members = [{"value": str(user_id), "$ref": f"{base_url}/Users/{user_id}", "type": "User"} for user_id in user_ids]
    return [{key: member[key] for key in keys} for member in members]


def stream_group(data: dict[str, Any], members: Iterator[dict[str, str]] | None) -> Iterator[str]:
    """Yield the JSON text of one group, with its members array streamed at the end."""
    if members is None:
        yield json.dumps(data)
        return

    head = json.dumps(data)
    yield head[:-1] + (', "members": [' if len(data) else '"members": [')
    batch: list[str] = []
    first = True
    for member in members:
        batch.append(json.dumps(member))
        if len(batch) == STREAM_BATCH_SIZE:
            yield ("" if first else ", ") + ", ".join(batch)
            batch, first = [], False
    if batch:
        yield ("" if first else ", ") + ", ".join(batch)
    yield "]}"


def stream_group_list(groups: list[DirectoryGroup], base_url: str, query: ListQuery, total: int) -> Iterator[str]:
    """Yield a ListResponse of groups, each streamed with its members when they are requested."""
    keys = member_keys(query.attributes, query.excluded_attributes)
    yield (
        '{"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], '
        f'"totalResults": {total}, "startIndex": {query.start_index}, "itemsPerPage": {len(groups)}, "Resources": ['
    )
    for index, group in enumerate(groups):
        if index:
            yield ", "
        data = project(group_resource(), group_to_scim(group, base_url), query.attributes, query.excluded_attributes)
        yield from stream_group(data, iter_members(group, base_url, keys) if keys else None)
    yield "]}"


def group_queryset(workspace: Workspace, query: ListQuery) -> QuerySet[DirectoryGroup]:
    """Return the workspace's groups that match the query; scoping to the workspace comes first."""
    queryset = DirectoryGroup.objects.filter(workspace=workspace)
    if query.filter:
        queryset = queryset.filter(group_filter_q(group_resource(), query.filter))
    if query.sort_by:
        name = query.sort_by.lower()
        columns = {"displayname": "display_name", "externalid": "external_id", "meta.created": "created_at"}
        if name not in columns:
            raise InvalidValue(f'Sorting groups by "{query.sort_by}" is not supported; use displayName or externalId.')
        column = columns[name]
        return queryset.order_by(f"-{column}" if query.descending else column, "id")
    return queryset.order_by("created_at", "id")


def groups_by_user(users: list[DirectoryUser], base_url: str) -> dict[Any, list[dict[str, str]]]:
    """Return the `groups` attribute of each user (RFC 7643 section 4.1.2), in one query."""
    result: dict[Any, list[dict[str, str]]] = {user.pk: [] for user in users}
    if not users:
        return result
    rows = (
        DirectoryGroupMember.objects.filter(user__in=[user.pk for user in users])
        .order_by("group__display_name")
        .values_list("user_id", "group_id", "group__display_name")
    )
    for user_id, group_id, display_name in rows:
        result[user_id].append(
            {"value": str(group_id), "$ref": f"{base_url}/Groups/{group_id}", "display": display_name, "type": "direct"}
        )
    return result


def split_members(body: dict[str, Any]) -> tuple[dict[str, Any], list[str] | None]:
    """Split a POST or PUT body into the group document and the member ids (None when absent)."""
    document = {}
    member_ids = None
    for key, value in body.items():
        if isinstance(key, str) and key.lower() == "members":
            member_ids = member_values(value)
        else:
            document[key] = value
    return document, member_ids


def member_values(value: Any) -> list[str]:
    """Return the ids of a `members` value: a list of {"value": id} objects, one object, or null."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    ids = []
    for item in items:
        if isinstance(item, str):
            ids.append(item)
            continue
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise InvalidValue('Each member must be an object with the member\'s id in "value".')
        member_type = item.get("type")
        if member_type is not None and str(member_type).lower() != "user":
            raise InvalidValue(f"Member {item['value']} has type {member_type!r}; only users can be group members.")
        ids.append(item["value"])
    return ids


def split_member_operations(
    operations: list[dict[str, Any]],
) -> tuple[list[dict[str, Any]], MembershipChange]:
    """Separate member operations from the rest and fold them into one MembershipChange, in order."""
    others: list[dict[str, Any]] = []
    change = MembershipChange()

    for operation in operations:
        op, path, value = operation["op"], operation["path"], operation["value"]

        if path is None and isinstance(value, dict):
            rest = {key: item for key, item in value.items() if not (isinstance(key, str) and key.lower() == "members")}
            member_items = [item for key, item in value.items() if isinstance(key, str) and key.lower() == "members"]
            for items in member_items:
                _fold(change, op, member_values(items))
            if rest or not member_items:
                others.append({"op": op, "path": None, "value": rest})
            continue

        if path is not None and path.lower().startswith("members"):
            _fold_path(change, op, path, value)
            continue
        others.append(operation)
    return others, change


def _fold(change: MembershipChange, op: str, ids: list[str]) -> None:
    if op == "add":
        change.add(ids)
    elif op == "replace":
        change.replace(ids)
    else:
        change.remove(ids)


def _fold_path(change: MembershipChange, op: str, path: str, value: Any) -> None:
    target = resolve_path(group_resource(), path)

    if target.value_filter is None and target.sub_attribute is None:
        if op == "remove" and value is None:
            change.replace([])
        else:
            _fold(change, op, member_values(value))
        return

    if op != "remove" or target.sub_attribute is not None:
        raise InvalidPath(
            f'"{op}" on {path!r} is not supported; add or replace members with path "members" and a list of '
            'objects with "value", and remove them with "members" and a value list or members[value eq "<id>"].'
        )
    change.remove(_ids_from_filter(target.value_filter, path))


def _ids_from_filter(node: Any, path: str) -> list[str]:
    """Return the ids of `value eq "<id>"` comparisons joined by or; other filters are not supported."""
    if isinstance(node, Comparison) and node.op == CompareOperator.eq and node.attr_path.attr.lower() == "value":
        if not isinstance(node.value, str):
            raise InvalidFilter(f"Member ids in {path!r} must be quoted strings.")
        return [node.value]
    if isinstance(node, LogicalExpr) and node.op == LogicalOperator.or_:
        return [member for term in node.terms for member in _ids_from_filter(term, path)]
    if isinstance(node, ValuePath):
        return _ids_from_filter(node.val_filter, path)
    raise InvalidFilter(
        f'Only members[value eq "<id>"] filters, joined with or, can select members to remove ({path!r}).'
    )
