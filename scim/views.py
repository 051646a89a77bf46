"""SCIM 2.0 HTTP endpoints of one workspace.

The views replace django-scim2's: those count a list by loading every row,
filter the workspace in Python, return 401 with an empty HTML body and
501 to most Azure PATCH operations. Here every request is:

1. authenticated by its bearer token, which must belong to the workspace
   named in the URL;
2. read (size limit, media type, JSON) into plain data;
3. handled by the resource code, which writes through `directory.services`;
4. answered with `application/scim+json`, or with an RFC 7644 error body;
5. recorded in the provisioning log, without the token or the body.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from directory import services
from directory.models import DirectoryUser

from . import discovery
from .errors import (
    InvalidSyntax,
    LengthRequired,
    MethodNotAllowed,
    NotFound,
    PayloadTooLarge,
    ScimError,
    Unauthorized,
    Uniqueness,
    UnsupportedMediaType,
)
from .groups import groups_by_user
from .log import RequestRecord, write_log_entry
from .models import ScimToken
from .patch import apply_patch, read_operations
from .projection import project, split_parameter
from .resource import validate_resource
from .schema import SEARCH_REQUEST_SCHEMA, user_resource
from .text import check_text
from .tokens import authenticate_token, hash_token, touch_token
from .users import build_list_query, check_manager, user_location, user_queryset, user_to_scim

logger = logging.getLogger(__name__)

SCIM_CONTENT_TYPE = "application/scim+json"
JSON_MEDIA_TYPES = {"application/scim+json", "application/json"}
WWW_AUTHENTICATE = 'Bearer realm="p81 SCIM"'


# Bodies of rejected requests are read and dropped up to this size, so that
# the connection can carry the next request. A larger body is left unread.
DRAIN_LIMIT_BYTES = 16 * 1024 * 1024


def finish(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Apply what every SCIM response needs: no body on HEAD and 204, and the request body consumed."""
    if response.status_code == 204 or request.method == "HEAD":
        if not response.streaming:
            response.content = b""
        if response.status_code == 204 and "Content-Type" in response:
            del response["Content-Type"]
    drain_body(request)
    return response


def drain_body(request: HttpRequest) -> None:
    """Read and drop an unread request body, so that a keep-alive connection stays usable."""
    if getattr(request, "_read_started", False) or hasattr(request, "_body"):
        return
    declared = request.headers.get("Content-Length", "")
    if not declared.isdigit() or not 0 < int(declared) <= DRAIN_LIMIT_BYTES:
        return
    try:
        while request.read(65536):
            pass
    except OSError:
        logger.info("scim request body could not be drained path=%s", request.path)


def describe_rejected_token(value: str, workspace_slug: str) -> str:
    """Return why a bearer token was rejected, for the server log (never the token itself)."""
    token = ScimToken.objects.select_related("provider", "workspace").filter(digest=hash_token(value)).first()
    if token is None:
        return "unknown token"
    if token.revoked_at is not None:
        return f"revoked token={token.pk}"
    if token.workspace.slug != workspace_slug:
        return f"token of another workspace token={token.pk} workspace={token.workspace_id}"
    if not token.provider.enabled:
        return f"provider disabled provider={token.provider_id}"
    return f"SCIM turned off provider={token.provider_id}"


def scim_response(data: Any, status: int = 200, *, location: str | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(data), status=status, content_type=SCIM_CONTENT_TYPE)
    if location:
        response["Location"] = location
    return response


def error_response(error: ScimError) -> HttpResponse:
    response = scim_response(error.to_dict(), status=error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = WWW_AUTHENTICATE
    return response


@method_decorator(csrf_exempt, name="dispatch")
class ScimView(View):
    """Base view: authentication, body reading, error rendering and the provisioning log."""

    operation = "scim"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        started = time.monotonic()
        self.record = RequestRecord(operation=self.operation_name(request))

        try:
            self.authenticate(request, kwargs.pop("workspace_slug"))
        except ScimError as error:
            return finish(request, error_response(error))
        except Exception:
            logger.exception("scim authentication failed path=%s", request.path)
            error = ScimError("The request could not be authenticated; try again later.", status=500)
            return finish(request, error_response(error))

        try:
            response = self.handle(request, *args, **kwargs)
        except ScimError as error:
            self.record.fail(error)
            response = error_response(error)
        except Exception:
            logger.exception(
                "scim request failed workspace=%s provider=%s operation=%s",
                self.workspace.pk,
                self.provider.pk,
                self.record.operation,
            )
            error = ScimError("The request could not be completed; it was logged for the administrators.", status=500)
            self.record.fail(error)
            response = error_response(error)

        self.record.status = response.status_code
        self.record.duration_ms = int((time.monotonic() - started) * 1000)
        write_log_entry(self.token, request, self.record)
        return finish(request, response)

    def handle(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        handler = (
            getattr(self, request.method.lower(), None) if request.method.lower() in self.http_method_names else None
        )
        if handler is None:
            allowed = ", ".join(method.upper() for method in self.http_method_names if hasattr(self, method))
            error = MethodNotAllowed(f"{request.method} is not allowed here; use {allowed}.")
            response = error_response(error)
            response["Allow"] = allowed
            self.record.fail(error)
            return response
        return handler(request, *args, **kwargs)

    def operation_name(self, request: HttpRequest) -> str:
        return f"{self.operation}.{request.method.lower()}"

    def authenticate(self, request: HttpRequest, workspace_slug: str) -> None:
        """Resolve the bearer token to its provider, or raise Unauthorized.

        A valid token of another workspace is rejected like an unknown one,
        so a token never reveals whether another workspace exists.
        """
        header = request.headers.get("Authorization", "")
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthorized("Send the SCIM token of the identity provider as 'Authorization: Bearer <token>'.")

        token = authenticate_token(value.strip())
        if token is None or token.workspace.slug != workspace_slug:
            logger.info(
                "scim token rejected workspace_slug=%s reason=%s",
                workspace_slug,
                describe_rejected_token(value.strip(), workspace_slug),
            )
            raise Unauthorized(
                "The bearer token is not valid for this SCIM URL: it is unknown, revoked, belongs to another "
                "workspace, or SCIM is turned off for its provider. Generate a new token in p81 and paste it "
                "into the Azure provisioning settings."
            )

        touch_token(token)
        self.token = token
        self.provider = token.provider
        self.workspace = token.workspace
        self.base_url = request.build_absolute_uri(
            reverse("scim:root", kwargs={"workspace_slug": workspace_slug})
        ).rstrip("/")

    def read_json(self, request: HttpRequest) -> Any:
        """Return the JSON request body, or raise the SCIM error that explains what is wrong with it."""
        limit = settings.SCIM_MAX_BODY_BYTES
        if request.headers.get("Transfer-Encoding") and not request.headers.get("Content-Length"):
            raise LengthRequired("Send the request body with a Content-Length header; chunked bodies are not read.")
        declared = request.headers.get("Content-Length")
        if declared and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")

        media_type = request.content_type.lower() if request.content_type else ""
        if media_type and media_type not in JSON_MEDIA_TYPES and not media_type.endswith("+json"):
            raise UnsupportedMediaType(
                f"Content-Type {media_type!r} is not accepted; send application/scim+json or application/json."
            )

        try:
            raw = request.body
        except RequestDataTooBig:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.") from None
        if len(raw) > limit:
            raise PayloadTooLarge(f"The request body is larger than {limit} bytes.")

        try:
            data = json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except UnicodeDecodeError:
            raise InvalidSyntax("The request body is not UTF-8 text.") from None
        except json.JSONDecodeError as error:
            raise InvalidSyntax(
                f"The request body is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
            ) from None
        except RecursionError:
            raise InvalidSyntax("The request body nests JSON arrays or objects too deeply.") from None
        except ValueError as error:
            raise InvalidSyntax(f"The request body is not valid JSON: {error}.") from None

        check_text(data)
        return data


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON value")


def read_search_request(view: ScimView, request: HttpRequest) -> dict:
    """Return a SearchRequest body (RFC 7644 section 3.4.3), or raise InvalidSyntax."""
    body = view.read_json(request)
    if not isinstance(body, dict):
        raise InvalidSyntax("The .search body must be a SearchRequest JSON object.")
    schemas = body.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or SEARCH_REQUEST_SCHEMA not in schemas):
        raise InvalidSyntax(f'A .search body must have "schemas": ["{SEARCH_REQUEST_SCHEMA}"].')
    return body


def user_groups(
    users: list[DirectoryUser], base_url: str, attributes: list[str], excluded: list[str]
) -> dict[Any, list[dict[str, str]]]:
    """Return the `groups` attribute of each user, or {} without a query when the response leaves it out."""
    wanted = project(user_resource(), {"groups": [{"value": ""}]}, attributes, excluded)
    if not users or "groups" not in wanted:
        return {}
    return groups_by_user(users, base_url)


def list_parameters(source: Any) -> dict[str, Any]:
    """Read list parameters from a query string or a SearchRequest body."""
    return {
        "filter_text": source.get("filter"),
        "start_index": source.get("startIndex"),
        "count": source.get("count"),
        "attributes": split_parameter(source.get("attributes")),
        "excluded_attributes": split_parameter(source.get("excludedAttributes")),
        "sort_by": source.get("sortBy"),
        "sort_order": source.get("sortOrder"),
    }


class UserListMixin:
    """Lists of users, shared by GET /Users and POST /Users/.search."""

    def list_users(self, parameters: dict[str, Any]) -> HttpResponse:
        query = build_list_query(**parameters)
        queryset = user_queryset(self.workspace, query)

        total = queryset.count()
        users: list[DirectoryUser] = []
        if query.count and query.start_index <= total:
            offset = query.start_index - 1
            users = list(queryset[offset : offset + query.count])

        resource = user_resource()
        groups = user_groups(users, self.base_url, query.attributes, query.excluded_attributes)
        resources = [
            project(
                resource,
                user_to_scim(user, self.base_url, groups.get(user.pk)),
                query.attributes,
                query.excluded_attributes,
            )
            for user in users
        ]
        return scim_response(discovery.list_response(resources, total=total, start_index=query.start_index))


class UsersView(UserListMixin, ScimView):
    """GET /Users (list and filter) and POST /Users (create)."""

    http_method_names = ["get", "head", "post"]
    operation = "user"

    def operation_name(self, request: HttpRequest) -> str:
        return "user.list" if request.method in ("GET", "HEAD") else "user.create"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.list_users(list_parameters(request.GET))

    def post(self, request: HttpRequest) -> HttpResponse:
        body = self.read_json(request)
        validated = validate_resource(user_resource(), body)
        self.record.user_name = validated.document.get("userName", "")
        check_manager(self.workspace, validated.document, None)

        try:
            with transaction.atomic():
                user = services.create_user(
                    self.workspace, validated.document, source=self.provider, password=validated.password
                )
        except services.UserNameTaken as error:
            raise Uniqueness(
                f"A user with userName {error.user_name!r} already exists in this workspace "
                "(userName is compared case-insensitively)."
            ) from None

        self.record.resource_id = str(user.pk)
        data = user_to_scim(user, self.base_url)
        return scim_response(self.projected(request, data), 201, location=user_location(self.base_url, user))

    def projected(self, request: HttpRequest, data: dict) -> dict:
        return project(
            user_resource(),
            data,
            split_parameter(request.GET.get("attributes")),
            split_parameter(request.GET.get("excludedAttributes")),
        )


class UserSearchView(UserListMixin, ScimView):
    """POST /Users/.search (RFC 7644 section 3.4.3)."""

    http_method_names = ["post"]
    operation = "user"

    def operation_name(self, request: HttpRequest) -> str:
        return "user.search"

    def post(self, request: HttpRequest) -> HttpResponse:
        return self.list_users(list_parameters(read_search_request(self, request)))


class UserView(ScimView):
    """GET, PUT, PATCH and DELETE on /Users/{id}."""

    http_method_names = ["get", "head", "put", "patch", "delete"]
    operation = "user"

    def operation_name(self, request: HttpRequest) -> str:
        names = {"GET": "user.get", "HEAD": "user.get", "PUT": "user.replace", "PATCH": "user.update", "DELETE": "user.delete"}
        return names.get(request.method, "user.other")

    def get_user(self, user_id: str, *, for_update: bool = False) -> DirectoryUser:
        """Return the workspace's user with this id, or raise NotFound (also for other workspaces' ids)."""
        self.record.resource_id = user_id[:64]
        try:
            key = uuid.UUID(user_id)
        except ValueError:
            raise NotFound(f"User {user_id} not found.") from None

        queryset = DirectoryUser.objects.filter(workspace=self.workspace, pk=key)
        if for_update:
            queryset = queryset.select_for_update()
        user = queryset.first()
        if user is None:
            raise NotFound(f"User {user_id} not found.")
        self.record.user_name = user.user_name
        return user

    def respond(self, request: HttpRequest, user: DirectoryUser, status: int = 200) -> HttpResponse:
        attributes = split_parameter(request.GET.get("attributes"))
        excluded = split_parameter(request.GET.get("excludedAttributes"))
        groups = user_groups([user], self.base_url, attributes, excluded)
        data = project(user_resource(), user_to_scim(user, self.base_url, groups.get(user.pk)), attributes, excluded)
        return scim_response(data, status, location=user_location(self.base_url, user))

    def get(self, request: HttpRequest, user_id: str) -> HttpResponse:
        return self.respond(request, self.get_user(user_id))

    def put(self, request: HttpRequest, user_id: str) -> HttpResponse:
        body = self.read_json(request)
        validated = validate_resource(user_resource(), body)

        with transaction.atomic():
            user = self.get_user(user_id, for_update=True)
            self.save(user, validated.document, validated.password)
        return self.respond(request, user)

    def patch(self, request: HttpRequest, user_id: str) -> HttpResponse:
        operations = read_operations(self.read_json(request))

        with transaction.atomic():
            user = self.get_user(user_id, for_update=True)
            patched = apply_patch(user_resource(), user.document, operations)
            validated = validate_resource(user_resource(), patched)
            self.save(user, validated.document, validated.password)
        return self.respond(request, user)

    def save(self, user: DirectoryUser, document: dict, password: str | None) -> None:
        check_manager(self.workspace, document, user)
        try:
            services.update_user(user, document, password=password)
        except services.UserNameTaken as error:
            raise Uniqueness(
                f"A user with userName {error.user_name!r} already exists in this workspace "
                "(userName is compared case-insensitively)."
            ) from None
        self.record.user_name = user.user_name

    def delete(self, request: HttpRequest, user_id: str) -> HttpResponse:
        with transaction.atomic():
            user = self.get_user(user_id, for_update=True)
            services.delete_user(user)
        return HttpResponse(status=204)


class ServiceProviderConfigView(ScimView):
    http_method_names = ["get", "head"]
    operation = "config"

    def get(self, request: HttpRequest) -> HttpResponse:
        return scim_response(discovery.service_provider_config(self.base_url))


class ResourceTypesView(ScimView):
    http_method_names = ["get", "head"]
    operation = "resourcetypes"

    def get(self, request: HttpRequest, type_id: str | None = None) -> HttpResponse:
        documents = [discovery.resource_type_document(item, self.base_url) for item in discovery.resource_types()]
        if type_id is None:
            return scim_response(discovery.list_response(documents))
        for document in documents:
            if document["id"] == type_id:
                return scim_response(document)
        raise NotFound(f"Resource type {type_id} not found; this service serves: User, Group.")


class SchemasView(ScimView):
    http_method_names = ["get", "head"]
    operation = "schemas"

    def get(self, request: HttpRequest, schema_id: str | None = None) -> HttpResponse:
        documents = discovery.schema_documents(self.base_url)
        if schema_id is None:
            return scim_response(discovery.list_response(documents))
        for document in documents:
            if document["id"].lower() == schema_id.lower():
                return scim_response(document)
        raise NotFound(f"Schema {schema_id} not found.")


class UnknownEndpointView(ScimView):
    """Any other path below the SCIM base URL: a SCIM 404, not Django's HTML page."""

    http_method_names = ["get", "post", "put", "patch", "delete"]
    operation = "unknown"

    def handle(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        raise NotFound(
            f"No SCIM endpoint at {request.path}. This service serves /Users, /Groups, /ServiceProviderConfig, "
            "/ResourceTypes and /Schemas."
        )


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Return a SCIM 404 for paths under /scim/v2/ that name no workspace endpoint."""
    error = NotFound(
        f"No SCIM endpoint at {request.path}. The SCIM base URL is /scim/v2/<workspace-slug>, as shown in "
        "p81's provider settings."
    )
    return finish(request, error_response(error))
