"""Directory group pages: the workspace's SCIM-provisioned groups and the members of one group."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse

from directory.models import DirectoryGroup
from directory.queries import find_group, group_members, workspace_groups

from .base import WorkspaceView


class GroupListView(WorkspaceView):
    """The workspace's directory groups with their Azure object id, member count and source provider."""

    section = "groups"

    def get(self, request: HttpRequest) -> HttpResponse:
        query = request.GET.get("q", "").strip()
        return self.render(
            "console/groups.html",
            {"page": self.paginate(workspace_groups(self.workspace, search=query)), "filters": {"q": query}},
        )


class GroupDetailView(WorkspaceView):
    """One directory group and a page of its members, found by id inside the administrator's workspace.

    A group of another workspace gets 404, the same as one that does not exist.
    """

    section = "groups"
    group: DirectoryGroup

    def prepare(self, **kwargs: Any) -> None:
        group = find_group(self.workspace, kwargs["group_id"])
        if group is None:
            raise Http404("No directory group with this ID in your workspace.")
        self.group = group

    def get(self, request: HttpRequest, group_id: uuid.UUID) -> HttpResponse:
        return self.render(
            "console/group_detail.html",
            {"group": self.group, "page": self.paginate(group_members(self.group))},
        )
