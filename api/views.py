"""REST API views under /api/v1/.

Each view unpacks the request, calls the same service function as the web
UI and shapes the response. Every query starts from `request.workspace`, set
by `IsWorkspaceAdministrator`, so a provider, user, group or log row of
another workspace gets 404 exactly like one that does not exist.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.db.models import Q, QuerySet
from django.http import HttpRequest, JsonResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from audit.models import AuditEntry, AuditSource
from console.views.providers import connection_checker
from directory.models import DirectoryGroup, DirectoryUser
from directory.queries import find_group, group_members, prefetch_user_groups, workspace_groups
from identity_providers.models import AccessGroup, IdentityProvider
from identity_providers.services import (
    Actor,
    access_group_reach,
    active_scim_token,
    create_azure_provider,
    delete_provider,
    provider_scim_groups,
    providers_of,
    record_connection_check,
    set_access_groups,
    set_domains,
    set_group_provisioning,
    set_scim_enabled,
    update_provider,
)
from identity_providers.services import generate_scim_token as generate_scim_token_service
from scim.links import scim_base_url
from scim.models import ProvisioningLogEntry

from . import serializers
from .errors import PROBLEM_CONTENT_TYPE, TITLES, Conflict, NotAvailable

logger = logging.getLogger(__name__)

PROVIDER_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Provider ID.")
GROUP_ID = OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Directory group ID.")
TRUE_VALUES = {"true", "1", "yes"}
FALSE_VALUES = {"false", "0", "no"}


def api_actor(request: Request) -> Actor:
    return Actor(user=request.user, source=AuditSource.API)


def parse_bool(value: str | None, name: str) -> bool | None:
    """Return the boolean of a query parameter, None when absent; raise ValidationError when malformed."""
    if value is None or value == "":
        return None
    lowered = value.lower()
    if lowered in TRUE_VALUES:
        return True
    if lowered in FALSE_VALUES:
        return False
    raise ValidationError({name: [f"'{value[:20]}' is not a boolean; use true or false."]})


@extend_schema_view(
    list=extend_schema(summary="List the workspace's identity providers"),
    retrieve=extend_schema(summary="Get an identity provider", parameters=[PROVIDER_ID]),
)
@extend_schema(tags=["Identity providers"])
class IdentityProviderViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Identity providers of the caller's workspace."""

    serializer_class = serializers.ProviderSerializer
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_regex = "[^/]+"
    queryset = IdentityProvider.objects.none()

    def get_queryset(self) -> QuerySet[IdentityProvider]:
        return providers_of(self.request.workspace).select_related("workspace")

    def get_object(self) -> IdentityProvider:
        try:
            public_id = uuid.UUID(str(self.kwargs["id"]))
        except ValueError as error:
            raise NotFound("No identity provider with this ID in your workspace.") from error
        provider = self.get_queryset().filter(public_id=public_id).first()
        if provider is None:
            raise NotFound("No identity provider with this ID in your workspace.")
        return provider

    def reply(self, provider: IdentityProvider, status_code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=provider.pk)
        return Response(serializers.ProviderSerializer(fresh).data, status=status_code)

    @extend_schema(
        summary="Add a Microsoft Azure AD provider",
        request=serializers.ProviderWriteSerializer,
        responses={201: serializers.ProviderSerializer},
    )
    def create(self, request: Request) -> Response:
        data = serializers.ProviderWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        provider = create_azure_provider(request.workspace, api_actor(request), **data.validated_data)
        return self.reply(provider, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Change settings of a provider",
        description="Fields left out keep their value. `client_secret` replaces the stored secret.",
        parameters=[PROVIDER_ID],
        request=serializers.ProviderWriteSerializer(partial=True),
        responses={200: serializers.ProviderSerializer},
    )
    def partial_update(self, request: Request, id: str) -> Response:
        provider = self.get_object()
        data = serializers.ProviderWriteSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        update_provider(provider, api_actor(request), **data.validated_data)
        return self.reply(provider)

    @extend_schema(
        summary="Delete a provider",
        description="Revokes its SCIM token and removes its domains and access groups. Its provisioned users "
        "are kept unless `remove_users=true`.",
        parameters=[
            PROVIDER_ID,
            OpenApiParameter("remove_users", OpenApiTypes.BOOL, description="Also delete the users it provisioned."),
        ],
        responses={200: serializers.ProviderDeletionSerializer},
    )
    def destroy(self, request: Request, id: str) -> Response:
        provider = self.get_object()
        remove_users = parse_bool(request.query_params.get("remove_users"), "remove_users") or False
        summary = delete_provider(provider, api_actor(request), remove_users=remove_users)
        return Response(serializers.ProviderDeletionSerializer(summary).data)

    @extend_schema(
        methods=["GET"],
        summary="Get a provider's domain and aliases",
        parameters=[PROVIDER_ID],
        responses={200: serializers.DomainsSerializer},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Replace a provider's domain and aliases",
        parameters=[PROVIDER_ID],
        request=serializers.DomainsSerializer,
        responses={200: serializers.DomainsSerializer},
    )
    @action(detail=True, methods=["get", "put"], url_path="domains")
    def domains(self, request: Request, id: str) -> Response:
        provider = self.get_object()
        if request.method == "PUT":
            data = serializers.DomainsSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            set_domains(provider, api_actor(request), **data.validated_data)
            provider = self.get_object()
        return Response({"domain": provider.primary_domain, "aliases": provider.aliases})

    @extend_schema(
        methods=["GET"],
        summary="Get a provider's access groups",
        parameters=[PROVIDER_ID],
        responses={200: serializers.AccessGroupsResultSerializer},
    )
    @extend_schema(
        methods=["PUT"],
        summary="Replace a provider's access groups",
        description="An empty list lets every user of the directory sign in.",
        parameters=[PROVIDER_ID],
        request=serializers.AccessGroupsSerializer,
        responses={200: serializers.AccessGroupsResultSerializer},
    )
    @action(detail=True, methods=["get", "put"], url_path="access-groups")
    def access_groups(self, request: Request, id: str) -> Response:
        provider = self.get_object()
        if request.method == "PUT":
            data = serializers.AccessGroupsSerializer(data=request.data)
            data.is_valid(raise_exception=True)
            pairs = [(group["object_id"], group.get("display_name", "")) for group in data.validated_data["groups"]]
            set_access_groups(provider, api_actor(request), pairs)

        groups = list(AccessGroup.objects.filter(provider=provider))
        reach = access_group_reach(provider, [group.object_id for group in groups])
        scim_groups = [
            {"object_id": group.external_id.lower(), "display_name": group.display_name}
            for group in provider_scim_groups(provider)
        ]
        body = {
            "groups": serializers.AccessGroupSerializer(groups, many=True).data,
            "everyone_allowed": not groups,
            "provisioned_users": reach["provisioned_users"],
            "allowed_users": reach.get("allowed_users"),
            "refused_users": reach.get("refused_users", 0),
            "refused_user_names": reach.get("refused_user_names", []),
            "scim_groups": scim_groups,
        }
        return Response(body)

    def scim_state(self, provider: IdentityProvider) -> Response:
        token = active_scim_token(provider)
        return Response(
            {
                "scim_enabled": provider.scim_enabled,
                "group_provisioning_enabled": provider.group_provisioning_enabled,
                "base_url": scim_base_url(provider.workspace),
                "active_token": serializers.ScimTokenInfoSerializer(token).data if token else None,
            }
        )

    @extend_schema(
        summary="Get a provider's SCIM state",
        parameters=[PROVIDER_ID],
        responses={200: serializers.ScimStateSerializer},
    )
    @action(detail=True, methods=["get"], url_path="scim")
    def scim(self, request: Request, id: str) -> Response:
        return self.scim_state(self.get_object())

    @extend_schema(
        summary="Turn SCIM provisioning on",
        parameters=[PROVIDER_ID],
        request=None,
        responses={200: serializers.ScimStateSerializer},
    )
    @action(detail=True, methods=["post"], url_path="scim/enable")
    def scim_enable(self, request: Request, id: str) -> Response:
        provider = self.get_object()
        set_scim_enabled(provider, api_actor(request), enabled=True)
        return self.scim_state(provider)

    @extend_schema(
        summary="Turn SCIM provisioning off",
        parameters=[PROVIDER_ID],
        request=None,
        responses={200: serializers.ScimStateSerializer},
    )
    @action(detail=True, methods=["post"], url_path="scim/disable")
    def scim_disable(self, request: Request, id: str) -> Response:
        provider = self.get_object()
        set_scim_enabled(provider, api_actor(request), enabled=False)
        return self.scim_state(provider)

    @extend_schema(
        summary="Turn group provisioning on",
        parameters=[PROVIDER_ID],
        request=None,
        responses={200: serializers.ScimStateSerializer},
    )
    @action(detail=True, methods=["post"], url_path="scim/groups/enable")
    def scim_groups_enable(self, request: Request, id: str) -> Response:
        provider = self.get_object()
        set_group_provisioning(provider, api_actor(request), enabled=True)
        return self.scim_state(provider)

    @extend_schema(
        summary="Turn group provisioning off",
        description="Provisioned groups are kept; Azure's group writes are refused with a SCIM error.",
        parameters=[PROVIDER_ID],
        request=None,
        responses={200: serializers.ScimStateSerializer},
    )
    @action(detail=True, methods=["post"], url_path="scim/groups/disable")
    def scim_groups_disable(self, request: Request, id: str) -> Response:
        provider = self.get_object()
        set_group_provisioning(provider, api_actor(request), enabled=False)
        return self.scim_state(provider)

    @extend_schema(
        summary="Generate a SCIM token",
        description="The token is in this response only. When the provider has an active token, send "
        '`{"revoke_existing": true}`; the old token is then revoked. Without it the answer is 409.',
        parameters=[PROVIDER_ID],
        request=serializers.ScimTokenRequestSerializer,
        responses={201: serializers.ScimTokenIssuedSerializer, 409: OpenApiResponse(description="Active token exists")},
    )
    @action(detail=True, methods=["post"], url_path="scim/token")
    def scim_token(self, request: Request, id: str) -> Response:
        provider = self.get_object()
        data = serializers.ScimTokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)

        previous = active_scim_token(provider)
        if previous is not None and not data.validated_data["revoke_existing"]:
            raise Conflict(
                f"The provider has an active SCIM token ({previous.prefix}…). Send revoke_existing=true to revoke it "
                "and generate a new one; Azure then needs the new token.",
                code="active_token_exists",
            )

        issued = generate_scim_token_service(provider, api_actor(request))
        response = Response(
            {
                "token": issued.value,
                "prefix": issued.token.prefix,
                "created_at": issued.token.created_at,
                "base_url": scim_base_url(provider.workspace),
                "revoked_previous": previous is not None,
            },
            status=status.HTTP_201_CREATED,
        )
        response["Cache-Control"] = "no-store"
        return response

    @extend_schema(
        summary="Test the provider's connection to Azure AD",
        parameters=[PROVIDER_ID],
        request=None,
        responses={200: serializers.ConnectionSerializer, 501: OpenApiResponse(description="Not available yet")},
    )
    @action(detail=True, methods=["post"], url_path="test-connection")
    def test_connection(self, request: Request, id: str) -> Response:
        provider = self.get_object()
        checker = connection_checker()
        if checker is None:
            raise NotAvailable(
                "The connection test is not available yet: it arrives with Azure AD sign-in.", code="not_available"
            )
        checker(provider)
        provider.refresh_from_db()
        record_connection_check(provider, api_actor(request))
        return Response(serializers.ProviderSerializer(provider).data["connection"])

    @extend_schema(
        summary="List a provider's SCIM requests, newest first",
        parameters=[
            PROVIDER_ID,
            OpenApiParameter("status", OpenApiTypes.STR, enum=["success", "failure"]),
            OpenApiParameter("operation", OpenApiTypes.STR, description="Such as user.create or user.list."),
            OpenApiParameter("user", OpenApiTypes.STR, description="Part of the userName, or the user's id."),
        ],
        responses={200: serializers.ProvisioningLogEntrySerializer(many=True)},
    )
    @action(detail=True, methods=["get"], url_path="provisioning-log")
    def provisioning_log(self, request: Request, id: str) -> Response:
        provider = self.get_object()
        entries = ProvisioningLogEntry.objects.filter(workspace=request.workspace, provider=provider)
        state = request.query_params.get("status", "")
        if state == "success":
            entries = entries.filter(status__lt=400)
        elif state == "failure":
            entries = entries.filter(status__gte=400)
        elif state:
            raise ValidationError({"status": [f"'{state[:20]}' is not a valid status; use success or failure."]})
        if request.query_params.get("operation"):
            entries = entries.filter(operation=request.query_params["operation"])
        if request.query_params.get("user"):
            user = request.query_params["user"]
            entries = entries.filter(Q(user_name__icontains=user) | Q(resource_id=user))

        page = self.paginate_queryset(entries)
        return self.get_paginated_response(serializers.ProvisioningLogEntrySerializer(page, many=True).data)


@extend_schema_view(
    list=extend_schema(
        summary="List the workspace's audit log, newest first",
        parameters=[
            OpenApiParameter("action", OpenApiTypes.STR, description="Such as provider.update."),
            OpenApiParameter("source", OpenApiTypes.STR, enum=list(AuditSource.values)),
            OpenApiParameter("actor", OpenApiTypes.STR, description="Part of the actor's name."),
            OpenApiParameter("target", OpenApiTypes.STR, description="Part of the target's name."),
        ],
    ),
    retrieve=extend_schema(summary="Get an audit entry"),
)
@extend_schema(tags=["Audit log"])
class AuditEntryViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.AuditEntrySerializer
    queryset = AuditEntry.objects.none()
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[AuditEntry]:
        entries = AuditEntry.objects.filter(workspace=self.request.workspace)
        params = self.request.query_params
        if params.get("action"):
            entries = entries.filter(action=params["action"])
        if params.get("source"):
            entries = entries.filter(source=params["source"])
        if params.get("actor"):
            entries = entries.filter(actor_label__icontains=params["actor"])
        if params.get("target"):
            entries = entries.filter(target_label__icontains=params["target"])
        return entries

    def get_object(self) -> AuditEntry:
        entry_id = self.kwargs["pk"]
        entry = self.get_queryset().filter(pk=int(entry_id)).first() if entry_id.isdigit() else None
        if entry is None:
            raise NotFound("No audit entry with this ID in your workspace.")
        return entry


@extend_schema_view(
    list=extend_schema(
        summary="List the workspace's directory users",
        parameters=[
            OpenApiParameter("q", OpenApiTypes.STR, description="Part of the userName, name or an email address."),
            OpenApiParameter("active", OpenApiTypes.BOOL),
            OpenApiParameter("source", OpenApiTypes.UUID, description="ID of the provider that created the users."),
        ],
    ),
    retrieve=extend_schema(summary="Get a directory user"),
)
@extend_schema(tags=["Directory users"])
class DirectoryUserViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.DirectoryUserSerializer
    queryset = DirectoryUser.objects.none()
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[DirectoryUser]:
        users = (
            DirectoryUser.objects.filter(workspace=self.request.workspace)
            .select_related("source")
            .prefetch_related("email_rows", prefetch_user_groups())
            .order_by("user_name", "id")
        )
        params = self.request.query_params
        if params.get("q"):
            query = params["q"]
            users = users.filter(
                Q(user_name__icontains=query) | Q(display_name__icontains=query) | Q(email_rows__value__icontains=query)
            ).distinct()
        active = parse_bool(params.get("active"), "active")
        if active is not None:
            users = users.filter(active=active)
        if params.get("source"):
            try:
                source = uuid.UUID(params["source"])
            except ValueError as error:
                raise ValidationError({"source": ["Enter a provider ID (a UUID)."]}) from error
            users = users.filter(source__public_id=source)
        return users

    def get_object(self) -> DirectoryUser:
        try:
            user_id = uuid.UUID(str(self.kwargs["pk"]))
        except ValueError as error:
            raise NotFound("No directory user with this ID in your workspace.") from error
        user = self.get_queryset().filter(pk=user_id).first()
        if user is None:
            raise NotFound("No directory user with this ID in your workspace.")
        return user


@extend_schema_view(
    list=extend_schema(
        summary="List the workspace's directory groups",
        description="Groups that an identity provider provisioned over SCIM, ordered by name, with their "
        "member counts.",
        parameters=[OpenApiParameter("search", OpenApiTypes.STR, description="Part of the group name.")],
    ),
    retrieve=extend_schema(summary="Get a directory group", parameters=[GROUP_ID]),
)
@extend_schema(tags=["Directory groups"])
class DirectoryGroupViewSet(viewsets.ReadOnlyModelViewSet):
    serializer_class = serializers.DirectoryGroupSerializer
    queryset = DirectoryGroup.objects.none()
    lookup_url_kwarg = "id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[DirectoryGroup]:
        return workspace_groups(self.request.workspace, search=self.request.query_params.get("search", "").strip())

    def get_object(self) -> DirectoryGroup:
        group = find_group(self.request.workspace, self.kwargs["id"])
        if group is None:
            raise NotFound("No directory group with this ID in your workspace.")
        return group

    @extend_schema(
        summary="List the members of a directory group",
        description="Members ordered by userName, one page at a time.",
        parameters=[GROUP_ID],
        responses={200: serializers.DirectoryGroupMemberSerializer(many=True)},
    )
    @action(detail=True, methods=["get"], url_path="members")
    def members(self, request: Request, id: str) -> Response:
        group = self.get_object()
        page = self.paginate_queryset(group_members(group))
        return self.get_paginated_response(serializers.DirectoryGroupMemberSerializer(page, many=True).data)


def unknown_endpoint(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Return a problem-details 404 for a path under /api/ that no endpoint serves."""
    body = {
        "type": "urn:p81:problem:not_found",
        "title": TITLES[404],
        "status": 404,
        "detail": f"No API endpoint at {request.path[:200]}. The endpoints are listed at /api/docs/.",
        "code": "not_found",
        "errors": {},
    }
    return JsonResponse(body, status=404, content_type=PROBLEM_CONTENT_TYPE)
