"""Read queries on directory groups for the admin web UI and the REST API.

Every query takes the workspace (or a group already found in it) first, so
a caller outside the workspace cannot reach another workspace's rows. The
users prefetch follows users that the caller has already scoped.
Each list runs a fixed number of queries whatever the number of members:
a group of 50,000 members is counted in SQL and read one page at a time.
"""

from __future__ import annotations

import uuid

from django.db.models import Count, IntegerField, OuterRef, Prefetch, QuerySet, Subquery
from django.db.models.functions import Coalesce

from workspaces.models import Workspace

from .models import DirectoryGroup, DirectoryGroupMember, DirectoryUser

# Columns that group lists and pages show. The source provider is limited to
# its public id and name, so the query never reads its client secret.
GROUP_LIST_FIELDS = (
    "id",
    "workspace_id",
    "display_name",
    "external_id",
    "created_at",
    "modified_at",
    "source__public_id",
    "source__display_name",
)


def workspace_groups(workspace: Workspace, search: str = "") -> QuerySet[DirectoryGroup]:
    """Return the workspace's groups by name, each with `member_count`, filtered by part of the name."""
    groups = (
        DirectoryGroup.objects.filter(workspace=workspace)
        .select_related("source")
        .only(*GROUP_LIST_FIELDS)
        .annotate(member_count=_member_count())
        .order_by("display_name", "id")
    )
    if search:
        groups = groups.filter(display_name__icontains=search)
    return groups


def _member_count() -> Coalesce:
    """Count a group's members in a correlated subquery of the same SELECT.

    Unlike Count over a join, the subquery needs no GROUP BY on the outer
    query, so the paginator's COUNT(*) leaves the membership table out, and
    the database need not aggregate every group's memberships before it
    applies the page's LIMIT.
    """
    counts = (
        DirectoryGroupMember.objects.filter(group=OuterRef("pk"))
        .order_by()
        .values("group")
        .annotate(total=Count("id"))
        .values("total")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), 0)


def find_group(workspace: Workspace, group_id: uuid.UUID | str) -> DirectoryGroup | None:
    """Return the group of the workspace with this id, or None when it is missing, malformed or elsewhere."""
    try:
        group_uuid = uuid.UUID(str(group_id))
    except ValueError:
        return None
    return workspace_groups(workspace).filter(pk=group_uuid).first()


def group_members(group: DirectoryGroup) -> QuerySet[DirectoryUser]:
    """Return the group's members ordered by userName, reading only the columns that a member list shows.

    The query joins the membership table to the users, so a paginated slice
    loads one page of users, never the whole group.
    """
    return (
        DirectoryUser.objects.filter(workspace_id=group.workspace_id, group_memberships__group=group)
        .only("id", "user_name", "display_name", "active")
        .order_by("user_name", "id")
    )


def prefetch_user_groups() -> Prefetch:
    """Return a prefetch that loads the groups of a page of users in one query, ordered by group name.

    Each user then has `group_memberships.all()` with `membership.group`
    holding only the id and displayName.
    """
    memberships = (
        DirectoryGroupMember.objects.select_related("group")
        .only("id", "user_id", "group__id", "group__display_name")
        .order_by("group__display_name", "group__id")
    )
    return Prefetch("group_memberships", queryset=memberships)
