"""The SCIM User resource: representation of directory users and the list query.

This module replaces django-scim2's `SCIMUser` adapter, which maps a fixed
set of Django auth `User` fields and returns 501 to most Azure PATCH
operations. Here the whole SCIM document is stored and served, so every
attribute of the published schema round-trips.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import F, QuerySet

from directory.models import DirectoryUser
from workspaces.models import Workspace

from .errors import InvalidFilter, InvalidValue
from .filters import USER_COLUMNS, user_filter_q
from .schema import ENTERPRISE_USER_SCHEMA, USER_SCHEMA, user_resource
from .text import check_string


def format_datetime(moment: datetime.datetime) -> str:
    """Return an xsd:dateTime in UTC with a Z suffix."""
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def user_location(base_url: str, user: DirectoryUser) -> str:
    return f"{base_url}/Users/{user.pk}"


def user_to_scim(user: DirectoryUser, base_url: str, groups: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """Return the SCIM representation of a directory user (RFC 7643 section 4.1).

    `groups` is the read-only `groups` attribute (see `scim.groups.groups_by_user`);
    it is left out when None or empty.
    """
    resource = user_resource()
    document = user.document
    schemas = [USER_SCHEMA] + [extension.id for extension in resource.extensions if extension.id in document]

    data: dict[str, Any] = {"schemas": schemas, "id": str(user.pk)}
    if "externalId" in document:
        data["externalId"] = document["externalId"]
    for key, value in document.items():
        if key != "externalId":
            data[key] = value
    if groups:
        data["groups"] = groups

    data["meta"] = {
        "resourceType": "User",
        "created": format_datetime(user.created_at),
        "lastModified": format_datetime(user.modified_at),
        "location": user_location(base_url, user),
        "version": f'W/"{user.version}"',
    }
    return data


@dataclass(frozen=True)
class ListQuery:
    """The parameters of a list or .search request, already validated."""

    filter: str | None
    start_index: int
    count: int
    attributes: list[str]
    excluded_attributes: list[str]
    sort_by: str | None
    descending: bool


def parse_positive_int(value: Any, name: str, default: int) -> int:
    """Return an integer query parameter, or raise InvalidValue for text that is not one."""
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        raise InvalidValue(f'"{name}" must be an integer, got {value!r}.')
    try:
        return int(value)
    except (TypeError, ValueError):
        raise InvalidValue(f'"{name}" must be an integer, got {value!r}.') from None


def build_list_query(
    *,
    filter_text: Any,
    start_index: Any,
    count: Any,
    attributes: list[str],
    excluded_attributes: list[str],
    sort_by: Any,
    sort_order: Any,
) -> ListQuery:
    """Validate list parameters as RFC 7644 section 3.4.2.4 reads them.

    A startIndex below 1 is read as 1 and a negative count as 0; a count
    above SCIM_MAX_RESULTS is lowered to it.
    """
    if filter_text is not None and not isinstance(filter_text, str):
        raise InvalidFilter('"filter" must be a string.')
    if isinstance(filter_text, str):
        check_string(filter_text)
    if sort_by is not None and not isinstance(sort_by, str):
        raise InvalidValue('"sortBy" must be an attribute name.')
    order = (sort_order or "ascending") if isinstance(sort_order, str) or sort_order is None else None
    if order is None or order.lower() not in ("ascending", "descending"):
        raise InvalidValue('"sortOrder" must be "ascending" or "descending".')

    start = max(parse_positive_int(start_index, "startIndex", 1), 1)
    size = parse_positive_int(count, "count", settings.SCIM_DEFAULT_PAGE_SIZE)
    size = min(max(size, 0), settings.SCIM_MAX_RESULTS)
    return ListQuery(
        filter=filter_text.strip() if isinstance(filter_text, str) and filter_text.strip() else None,
        start_index=start,
        count=size,
        attributes=attributes,
        excluded_attributes=excluded_attributes,
        sort_by=sort_by or None,
        descending=order.lower() == "descending",
    )


def user_queryset(workspace: Workspace, query: ListQuery) -> QuerySet[DirectoryUser]:
    """Return the workspace's users that match the query, in list order.

    Scoping to the workspace comes first: a token of one workspace never
    selects another workspace's users.
    """
    queryset = DirectoryUser.objects.filter(workspace=workspace)
    if query.filter:
        queryset = queryset.filter(user_filter_q(user_resource(), query.filter))
    return queryset.order_by(*_ordering(query))


def _ordering(query: ListQuery) -> list:
    if not query.sort_by:
        return ["created_at", "id"]

    attribute, _, sub = query.sort_by.lower().partition(".")
    column = USER_COLUMNS.get((attribute, sub or None))
    if column is None or column[0] == "pk":
        raise InvalidValue(
            f'Sorting by "{query.sort_by}" is not supported; sort by userName, externalId, displayName, '
            "name.givenName, name.familyName, active, meta.created or meta.lastModified."
        )
    expression = F(column[0])
    primary = expression.desc(nulls_last=True) if query.descending else expression.asc(nulls_last=True)
    return [primary, "id"]


def check_manager(workspace: Workspace, document: dict[str, Any], user: DirectoryUser | None) -> None:
    """Raise InvalidValue unless the enterprise manager, when set, is another user of the workspace.

    Runs a query only when the manager differs from the one stored for `user`.
    """
    manager = (document.get(ENTERPRISE_USER_SCHEMA) or {}).get("manager") or {}
    manager_id = manager.get("value")
    if not manager_id:
        return
    stored = ((user.document.get(ENTERPRISE_USER_SCHEMA) or {}).get("manager") or {}).get("value") if user else None
    if manager_id == stored:
        return

    if user is not None and manager_id == str(user.pk):
        raise InvalidValue("A user cannot be their own manager.")
    try:
        key = uuid.UUID(manager_id)
    except ValueError:
        key = None
    if key is None or not DirectoryUser.objects.filter(workspace=workspace, pk=key).exists():
        raise InvalidValue(
            f"The manager {manager_id!r} is not a user of this workspace. Provision the manager first, "
            "then send the manager's SCIM id."
        )
