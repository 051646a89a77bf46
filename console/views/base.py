"""Base views of every admin page: sign-in, the administrator's workspace, and provider lookup."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.cache import never_cache

from audit.models import AuditSource
from console.access import administered_workspace
from identity_providers.models import IdentityProvider
from identity_providers.services import Actor, get_provider
from workspaces.models import Workspace

logger = logging.getLogger(__name__)

PAGE_SIZE = 50


@method_decorator(never_cache, name="dispatch")
class WorkspaceView(LoginRequiredMixin, View):
    """A page of the admin UI: requires a signed-in administrator and shows only their workspace.

    `self.workspace` is set before any handler runs. A signed-in user who
    administers no workspace gets a 403 page that explains why.
    """

    workspace: Workspace
    section = ""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()

        workspace = administered_workspace(request.user)
        if workspace is None:
            logger.info("admin page rejected: user administers no workspace user=%s", request.user.pk)
            return render(request, "console/no_workspace.html", status=403)

        self.workspace = workspace
        self.prepare(**kwargs)
        return super().dispatch(request, *args, **kwargs)

    def prepare(self, **kwargs: Any) -> None:
        """Load what every handler of the view needs, after the workspace is known (may raise Http404)."""

    @property
    def actor(self) -> Actor:
        return Actor(user=self.request.user, source=AuditSource.UI)

    def render(self, template: str, context: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
        base = {"workspace": self.workspace, "section": self.section}
        return render(self.request, template, {**base, **(context or {})}, status=status)

    def paginate(self, queryset: QuerySet, page_size: int = PAGE_SIZE) -> Page:
        return Paginator(queryset, page_size).get_page(self.request.GET.get("page"))


class ProviderView(WorkspaceView):
    """A page about one provider, found by its public ID inside the administrator's workspace.

    A provider of another workspace gets 404, the same as one that does
    not exist.
    """

    section = "providers"
    provider: IdentityProvider

    def prepare(self, **kwargs: Any) -> None:
        try:
            self.provider = get_provider(self.workspace, kwargs["public_id"])
        except IdentityProvider.DoesNotExist as error:
            raise Http404("No identity provider with this ID in your workspace.") from error

    def render(self, template: str, context: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
        return super().render(template, {"provider": self.provider, **(context or {})}, status=status)
