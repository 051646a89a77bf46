"""SCIM 2.0 Group endpoints, and the search at the base URL across Users and Groups.

Group provisioning can be turned off per identity provider. Then Azure's
probes (`GET /Groups?filter=...`) still get 200 with an empty list, so the
provisioning job is not quarantined, and every group write gets a 400
whose detail explains what the administrator must change.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse

from directory import groups as group_services
from directory.models import DirectoryGroup

from . import discovery
from .errors import InvalidSyntax, InvalidValue, NotFound, ScimError, Uniqueness
from .groups import (
    first_members,
    group_location,
    group_queryset,
    group_to_scim,
    iter_members,
    member_keys,
    split_member_operations,
    split_members,
    stream_group,
    stream_group_list,
)
from .patch import apply_patch, read_operations
from .projection import project, split_parameter
from .resource import validate_resource
from .schema import group_resource, user_resource
from .users import build_list_query, user_queryset, user_to_scim
from .views import SCIM_CONTENT_TYPE, ScimView, list_parameters, read_search_request, scim_response, user_groups

GROUP_PROVISIONING_OFF = (
    "Group provisioning is turned off for this identity provider in p81, so groups cannot be changed. "
    "Either turn group provisioning on in p81, or in the Azure portal open the application's Provisioning > "
    "Mappings and disable 'Provision Microsoft Entra ID Groups'."
)


class GroupProvisioningOff(ScimError):
    status = 400


class GroupViewMixin:
    """Helpers shared by the group views."""

    def require_group_provisioning(self) -> None:
        if not self.provider.group_provisioning_enabled:
            raise GroupProvisioningOff(GROUP_PROVISIONING_OFF)

    def group_response(
        self, request: HttpRequest, group: DirectoryGroup, status: int = 200
    ) -> HttpResponse | StreamingHttpResponse:
        attributes = split_parameter(request.GET.get("attributes"))
        excluded = split_parameter(request.GET.get("excludedAttributes"))
        data = project(group_resource(), group_to_scim(group, self.base_url), attributes, excluded)
        keys = member_keys(attributes, excluded)

        members = first_members(group, self.base_url, keys) if keys else []
        if members is not None:
            if members:
                data["members"] = members
            return scim_response(data, status, location=group_location(self.base_url, group))
        response = StreamingHttpResponse(
            stream_group(data, iter_members(group, self.base_url, keys)), status=status, content_type=SCIM_CONTENT_TYPE
        )
        response["Location"] = group_location(self.base_url, group)
        return response

    def list_groups(self, parameters: dict[str, Any]) -> HttpResponse | StreamingHttpResponse:
        query = build_list_query(**parameters)
        if not self.provider.group_provisioning_enabled:
            return scim_response(discovery.list_response([], total=0, start_index=query.start_index))

        queryset = group_queryset(self.workspace, query)
        total = queryset.count()
        groups: list[DirectoryGroup] = []
        if query.count and query.start_index <= total:
            offset = query.start_index - 1
            groups = list(queryset[offset : offset + query.count])
        keys = member_keys(query.attributes, query.excluded_attributes)
        resources = []
        for group in groups:
            data = project(
                group_resource(), group_to_scim(group, self.base_url), query.attributes, query.excluded_attributes
            )
            members = first_members(group, self.base_url, keys) if keys else []
            if members is None:
                return StreamingHttpResponse(
                    stream_group_list(groups, self.base_url, query, total), content_type=SCIM_CONTENT_TYPE
                )
            if members:
                data["members"] = members
            resources.append(data)
        return scim_response(discovery.list_response(resources, total=total, start_index=query.start_index))


def uniqueness_error(error: group_services.DisplayNameTaken) -> Uniqueness:
    return Uniqueness(
        f"A group with displayName {error.display_name!r} already exists in this workspace "
        "(displayName is compared case-insensitively)."
    )


def unknown_members_error(error: group_services.UnknownMembers) -> InvalidValue:
    shown = ", ".join(error.member_ids[:5])
    more = f" and {len(error.member_ids) - 5} more" if len(error.member_ids) > 5 else ""
    return InvalidValue(
        f"No user of this workspace has the member id {shown}{more}; nothing was changed. "
        "Provision the users before adding them to groups."
    )


class GroupsView(GroupViewMixin, ScimView):
    """GET /Groups (list and filter) and POST /Groups (create)."""

    http_method_names = ["get", "head", "post"]

    def operation_name(self, request: HttpRequest) -> str:
        return "group.list" if request.method in ("GET", "HEAD") else "group.create"

    def get(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        return self.list_groups(list_parameters(request.GET))

    def post(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        self.require_group_provisioning()
        body = self.read_json(request)
        if not isinstance(body, dict):
            raise InvalidSyntax("The request body must be a JSON object.")
        document_body, member_ids = split_members(body)
        validated = validate_resource(group_resource(), document_body)
        self.record.user_name = validated.document.get("displayName", "")

        try:
            with transaction.atomic():
                group = group_services.create_group(
                    self.workspace, validated.document, source=self.provider, member_ids=member_ids or []
                )
        except group_services.DisplayNameTaken as error:
            raise uniqueness_error(error) from None
        except group_services.UnknownMembers as error:
            raise unknown_members_error(error) from None

        self.record.resource_id = str(group.pk)
        return self.group_response(request, group, 201)


class GroupSearchView(GroupViewMixin, ScimView):
    """POST /Groups/.search (RFC 7644 section 3.4.3)."""

    http_method_names = ["post"]

    def operation_name(self, request: HttpRequest) -> str:
        return "group.search"

    def post(self, request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
        return self.list_groups(list_parameters(read_search_request(self, request)))


class GroupView(GroupViewMixin, ScimView):
    """GET, PUT, PATCH and DELETE on /Groups/{id}."""

    http_method_names = ["get", "head", "put", "patch", "delete"]

    def operation_name(self, request: HttpRequest) -> str:
        names = {"GET": "group.get", "HEAD": "group.get", "PUT": "group.replace", "PATCH": "group.update", "DELETE": "group.delete"}
        return names.get(request.method, "group.other")

    def get_group(self, group_id: str, *, for_update: bool = False) -> DirectoryGroup:
        """Return the workspace's group with this id, or raise NotFound (also for other workspaces' ids)."""
        self.record.resource_id = group_id[:64]
        try:
            key = uuid.UUID(group_id)
        except ValueError:
            raise NotFound(f"Group {group_id} not found.") from None

        if not self.provider.group_provisioning_enabled:
            raise NotFound(f"Group {group_id} not found: group provisioning is turned off for this provider.")
        queryset = DirectoryGroup.objects.filter(workspace=self.workspace, pk=key)
        if for_update:
            queryset = queryset.select_for_update()
        group = queryset.first()
        if group is None:
            raise NotFound(f"Group {group_id} not found.")
        self.record.user_name = group.display_name
        return group

    def get(self, request: HttpRequest, group_id: str) -> HttpResponse | StreamingHttpResponse:
        return self.group_response(request, self.get_group(group_id))

    def put(self, request: HttpRequest, group_id: str) -> HttpResponse | StreamingHttpResponse:
        self.require_group_provisioning()
        body = self.read_json(request)
        if not isinstance(body, dict):
            raise InvalidSyntax("The request body must be a JSON object.")
        document_body, member_ids = split_members(body)
        validated = validate_resource(group_resource(), document_body)
        change = group_services.MembershipChange()
        change.replace(member_ids or [])

        with transaction.atomic():
            group = self.get_group(group_id, for_update=True)
            self.save(group, validated.document, change)
        return self.group_response(request, group)

    def patch(self, request: HttpRequest, group_id: str) -> HttpResponse | StreamingHttpResponse:
        self.require_group_provisioning()
        operations = read_operations(self.read_json(request))
        others, change = split_member_operations(operations)

        with transaction.atomic():
            group = self.get_group(group_id, for_update=True)
            document = group.document
            if others:
                document = validate_resource(
                    group_resource(), apply_patch(group_resource(), group.document, others)
                ).document
            self.save(group, document, change)

        if request.GET.get("attributes") or request.GET.get("excludedAttributes"):
            return self.group_response(request, group)
        # Microsoft documents 204 for group PATCH; RFC 7644 section 3.5.2 allows it.
        return HttpResponse(status=204)

    def save(self, group: DirectoryGroup, document: dict, change: group_services.MembershipChange) -> None:
        try:
            group_services.update_group(group, document, change)
        except group_services.DisplayNameTaken as error:
            raise uniqueness_error(error) from None
        except group_services.UnknownMembers as error:
            raise unknown_members_error(error) from None
        self.record.user_name = group.display_name

    def delete(self, request: HttpRequest, group_id: str) -> HttpResponse:
        self.require_group_provisioning()
        with transaction.atomic():
            group = self.get_group(group_id, for_update=True)
            group_services.delete_group(group)
        return HttpResponse(status=204)


class RootSearchView(ScimView):
    """POST /.search at the base URL: Users, then Groups, as one paged list.

    The filter is applied to each resource type. A type on which the
    filter names an unknown attribute contributes nothing, as RFC 7644
    section 3.4.2.2 allows for attributes a type does not have.
    """

    http_method_names = ["post"]

    def operation_name(self, request: HttpRequest) -> str:
        return "search"

    def post(self, request: HttpRequest) -> HttpResponse:
        query = build_list_query(**list_parameters(read_search_request(self, request)))
        users, user_error = self._try(lambda: user_queryset(self.workspace, query))
        groups, group_error = self._try(lambda: group_queryset(self.workspace, query))
        if users is None and groups is None:
            raise user_error or group_error
        if not self.provider.group_provisioning_enabled:
            groups = None

        user_total = users.count() if users is not None else 0
        group_total = groups.count() if groups is not None else 0
        offset, remaining = query.start_index - 1, query.count
        resources: list[dict] = []

        if users is not None and remaining and offset < user_total:
            page = list(users[offset : offset + remaining])
            groups_of = user_groups(page, self.base_url, query.attributes, query.excluded_attributes)
            resources += [
                project(
                    user_resource(),
                    user_to_scim(user, self.base_url, groups_of.get(user.pk)),
                    query.attributes,
                    query.excluded_attributes,
                )
                for user in page
            ]
            remaining -= len(page)
        if groups is not None and remaining:
            group_offset = max(offset - user_total, 0)
            keys = member_keys(query.attributes, query.excluded_attributes)
            for group in groups[group_offset : group_offset + remaining]:
                data = project(
                    group_resource(), group_to_scim(group, self.base_url), query.attributes, query.excluded_attributes
                )
                if keys:
                    # NOTE: a root search keeps each group's members in memory, while /Groups streams them.
                    data["members"] = list(iter_members(group, self.base_url, keys))
                resources.append(data)

        return scim_response(
            discovery.list_response(resources, total=user_total + group_total, start_index=query.start_index)
        )

    @staticmethod
    def _try(build):
        try:
            return build(), None
        except ScimError as error:
            return None, error
