"""Workspace pages: directory users, the audit log and the administrator's API tokens."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.debug import sensitive_variables

from api.models import ApiToken
from api.tokens import create_api_token, revoke_api_token
from audit.models import AuditEntry, AuditSource
from directory.models import DirectoryUser
from directory.queries import find_group, prefetch_user_groups
from identity_providers.services import providers_of

from .base import WorkspaceView

logger = logging.getLogger(__name__)


class UserListView(WorkspaceView):
    """The workspace's directory users with their active state, source provider and groups."""

    section = "users"

    def get(self, request: HttpRequest) -> HttpResponse:
        users = (
            DirectoryUser.objects.filter(workspace=self.workspace)
            .select_related("source")
            .prefetch_related(prefetch_user_groups())
        )
        filters = {
            "q": request.GET.get("q", "").strip(),
            "active": request.GET.get("active", ""),
            "source": request.GET.get("source", ""),
            "group": request.GET.get("group", ""),
        }
        group = find_group(self.workspace, filters["group"]) if filters["group"] else None
        if filters["group"]:
            # A malformed id, or a group of another workspace, matches no user.
            users = users.filter(group_memberships__group=group) if group else users.none()
        if filters["q"]:
            users = users.filter(
                Q(user_name__icontains=filters["q"])
                | Q(display_name__icontains=filters["q"])
                | Q(email_rows__value__icontains=filters["q"])
            ).distinct()
        if filters["active"] in ("true", "false"):
            users = users.filter(active=filters["active"] == "true")
        if filters["source"] == "none":
            users = users.filter(source__isnull=True)
        elif filters["source"]:
            users = users.filter(source__public_id__in=_valid_uuid_list(filters["source"]))

        return self.render(
            "console/users.html",
            {
                "page": self.paginate(users.order_by("user_name", "id")),
                "filters": filters,
                "group": group,
                "providers": providers_of(self.workspace),
            },
        )


class AuditLogView(WorkspaceView):
    """Every administrator change and security event of the workspace, newest first."""

    section = "audit"

    def get(self, request: HttpRequest) -> HttpResponse:
        entries = AuditEntry.objects.filter(workspace=self.workspace)
        filters = {
            "action": request.GET.get("action", "").strip(),
            "actor": request.GET.get("actor", "").strip(),
            "source": request.GET.get("source", ""),
            "target": request.GET.get("target", "").strip(),
        }
        if filters["action"]:
            entries = entries.filter(action=filters["action"])
        if filters["actor"]:
            entries = entries.filter(actor_label__icontains=filters["actor"])
        if filters["source"] in AuditSource.values:
            entries = entries.filter(source=filters["source"])
        if filters["target"]:
            entries = entries.filter(target_label__icontains=filters["target"])

        actions = (
            AuditEntry.objects.filter(workspace=self.workspace)
            .order_by("action")
            .values_list("action", flat=True)
            .distinct()
        )
        return self.render(
            "console/audit_log.html",
            {
                "page": self.paginate(entries),
                "filters": filters,
                "actions": list(actions),
                "sources": AuditSource.choices,
            },
        )


class ApiTokenListView(WorkspaceView):
    """The signed-in administrator's API tokens: create (shown once) and revoke."""

    section = "api_tokens"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_page()

    @sensitive_variables("issued")
    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            issued = create_api_token(self.workspace, self.actor, request.POST.get("name", ""))
        except ValidationError as error:
            return self.render_page(errors=error.message_dict.get("name", error.messages), status=400)

        response = self.render_page(new_token=issued.value, new_token_name=issued.token.name)
        response["Cache-Control"] = "no-store"
        return response

    def render_page(self, **context: Any) -> HttpResponse:
        tokens = ApiToken.objects.filter(workspace=self.workspace, user=self.request.user)
        status = context.pop("status", 200)
        return self.render("console/api_tokens.html", {"tokens": tokens, **context}, status=status)


class ApiTokenRevokeView(WorkspaceView):
    section = "api_tokens"

    def post(self, request: HttpRequest, token_id: int) -> HttpResponse:
        token = ApiToken.objects.filter(workspace=self.workspace, user=request.user, pk=token_id).first()
        if token is None:
            raise Http404("No API token with this ID.")
        revoke_api_token(token, self.actor)
        messages.success(request, f"API token '{token.name}' revoked. Requests that use it now fail with 401.")
        return redirect("console:api-tokens")


def _valid_uuid_list(value: str) -> list[str]:
    """Return [value] when it is a UUID, else [], so a malformed filter matches nothing instead of failing."""
    try:
        return [str(uuid.UUID(value))]
    except ValueError:
        return []
