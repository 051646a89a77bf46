"""Settings > Identity Providers: list, add, edit, delete, access groups and the connection test."""

from __future__ import annotations

import importlib
import logging
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from directory.models import DirectoryUser
from identity_providers import links
from identity_providers.forms import AccessGroupsForm, AzureProviderForm, DeleteProviderForm
from identity_providers.models import ProviderKind
from identity_providers.services import (
    AccessGroupChange,
    access_group_reach,
    active_scim_token,
    create_azure_provider,
    delete_provider,
    providers_of,
    record_connection_check,
    set_access_groups,
    update_provider,
)

from .base import ProviderView, WorkspaceView

logger = logging.getLogger(__name__)

CONNECTION_MODULE = "identity_providers.connection"


class ProviderListView(WorkspaceView):
    section = "providers"

    def get(self, request: HttpRequest) -> HttpResponse:
        providers = providers_of(self.workspace).annotate(
            user_count=Count("directory_users", filter=Q(directory_users__workspace=self.workspace))
        )
        return self.render("console/providers/list.html", {"providers": providers})


class ProviderTypeView(WorkspaceView):
    """Step one of + Add Provider: choose the type (only Microsoft Azure AD today)."""

    section = "providers"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render("console/providers/choose_type.html", {"kinds": ProviderKind.choices})


@method_decorator(sensitive_post_parameters("client_secret"), name="post")
@method_decorator(sensitive_variables(), name="post")
class ProviderCreateView(WorkspaceView):
    section = "providers"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render_form(AzureProviderForm())

    def post(self, request: HttpRequest) -> HttpResponse:
        form = AzureProviderForm(request.POST)
        if form.is_valid():
            try:
                provider = create_azure_provider(self.workspace, self.actor, **form.service_values())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(
                    request,
                    f"Provider '{provider.display_name}' added. Paste the redirect URL below into your Azure app "
                    "registration, then turn SCIM on if Azure should provision users.",
                )
                return redirect("console:provider-detail", public_id=provider.public_id)
        return self.render_form(form, status=400)

    def render_form(self, form: AzureProviderForm, status: int = 200) -> HttpResponse:
        return self.render(
            "console/providers/form.html",
            {
                "form": form,
                "redirect_url": links.redirect_url(),
                "sign_on_url": links.sign_on_url(self.workspace),
            },
            status=status,
        )


@method_decorator(sensitive_post_parameters("client_secret"), name="post")
@method_decorator(sensitive_variables(), name="post")
class ProviderDetailView(ProviderView):
    """The provider page: the values to paste into Azure, and the settings form."""

    def get(self, request: HttpRequest, public_id: Any) -> HttpResponse:
        return self.render_page(AzureProviderForm(provider=self.provider))

    def post(self, request: HttpRequest, public_id: Any) -> HttpResponse:
        form = AzureProviderForm(request.POST, provider=self.provider)
        if form.is_valid():
            try:
                update_provider(self.provider, self.actor, **form.service_values())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, f"Provider '{self.provider.display_name}' saved.")
                return redirect("console:provider-detail", public_id=self.provider.public_id)
        return self.render_page(form, status=400)

    def render_page(self, form: AzureProviderForm, status: int = 200) -> HttpResponse:
        return self.render(
            "console/providers/detail.html",
            {
                "form": form,
                "tab": "settings",
                "redirect_url": links.redirect_url(),
                "sign_on_url": links.sign_on_url(self.workspace),
                "connection_available": connection_checker() is not None,
            },
            status=status,
        )


class ProviderDeleteView(ProviderView):
    def get(self, request: HttpRequest, public_id: Any) -> HttpResponse:
        return self.render_page(DeleteProviderForm())

    def post(self, request: HttpRequest, public_id: Any) -> HttpResponse:
        form = DeleteProviderForm(request.POST)
        if not form.is_valid():
            return self.render_page(form, status=400)

        summary = delete_provider(self.provider, self.actor, remove_users=form.remove_users)
        parts = [f"Provider '{summary.display_name}' deleted."]
        if summary.revoked_tokens:
            parts.append("Its SCIM token is revoked.")
        if summary.removed_users:
            parts.append(f"{summary.removed_users} provisioned user(s) removed.")
        elif summary.kept_users:
            parts.append(f"{summary.kept_users} provisioned user(s) kept.")
        messages.success(request, " ".join(parts))
        return redirect("console:provider-list")

    def render_page(self, form: DeleteProviderForm, status: int = 200) -> HttpResponse:
        return self.render(
            "console/providers/delete.html",
            {
                "form": form,
                "tab": "delete",
                "active_token": active_scim_token(self.provider),
                "user_count": DirectoryUser.objects.filter(workspace=self.workspace, source=self.provider).count(),
            },
            status=status,
        )


class AccessGroupsView(ProviderView):
    """The lock: which Azure AD groups may sign in through the provider."""

    def get(self, request: HttpRequest, public_id: Any) -> HttpResponse:
        return self.render_page(AccessGroupsForm(provider=self.provider))

    def post(self, request: HttpRequest, public_id: Any) -> HttpResponse:
        form = AccessGroupsForm(request.POST, provider=self.provider)
        if form.is_valid():
            try:
                change = set_access_groups(self.provider, self.actor, form.group_pairs())
            except ValidationError as error:
                form.add_service_errors(error)
            else:
                messages.success(request, describe_access_change(change))
                return redirect("console:provider-access-groups", public_id=self.provider.public_id)
        return self.render_page(form, status=400)

    def render_page(self, form: AccessGroupsForm, status: int = 200) -> HttpResponse:
        groups = list(self.provider.access_groups.all())
        return self.render(
            "console/providers/access_groups.html",
            {
                "form": form,
                "tab": "access",
                "groups": groups,
                "reach": access_group_reach(self.provider, [group.object_id for group in groups]),
            },
            status=status,
        )


def describe_access_change(change: AccessGroupChange) -> str:
    """Return the message that names the users whom the saved access groups let in or lock out."""
    delta = f" Added {len(change.added)}, removed {len(change.removed)}." if change.added or change.removed else ""
    if change.everyone_allowed:
        return f"Access groups saved.{delta} Every user of the Azure AD directory can sign in through this provider."

    names = ", ".join(str(group) for group in change.groups[:5])
    more = f" and {len(change.groups) - 5} more" if len(change.groups) > 5 else ""
    who = f"Only members of {len(change.groups)} group(s) ({names}{more}) can sign in; everyone else is refused."
    if change.allowed_users is None:
        who += (
            f" p81 has no SCIM membership data for these groups, so the {change.provisioned_users} provisioned "
            "user(s) are checked at their next sign-in."
        )
    else:
        who += f" Of the {change.provisioned_users} provisioned user(s), {change.allowed_users} can sign in"
        if change.refused_users:
            sample = ", ".join(change.refused_user_names)
            extra = "…" if change.refused_users > len(change.refused_user_names) else ""
            who += f" and {change.refused_users} can no longer: {sample}{extra}."
        else:
            who += "."
    return f"Access groups saved.{delta} {who}"


class TestConnectionView(ProviderView):
    """Run the sign-in connection test when the sign-in module provides it."""

    def post(self, request: HttpRequest, public_id: Any) -> HttpResponse:
        checker = connection_checker()
        if checker is None:
            messages.warning(
                request,
                "The connection test is not available yet: it arrives with Azure AD sign-in. Until then, check the "
                "client ID and secret by signing in as a user at the sign-on URL.",
            )
            return redirect("console:provider-detail", public_id=self.provider.public_id)

        checker(self.provider)
        self.provider.refresh_from_db()
        record_connection_check(self.provider, self.actor)
        text = f"Connection test: {self.provider.get_connection_status_display()}."
        if self.provider.connection_detail:
            text += " " + self.provider.connection_detail
        if self.provider.connection_status == "ok":
            messages.success(request, text)
        else:
            messages.error(request, text)
        return redirect(reverse("console:provider-detail", kwargs={"public_id": self.provider.public_id}))


def connection_checker():
    """Return `identity_providers.connection.check_connection`, or None while that module does not exist."""
    try:
        module = importlib.import_module(CONNECTION_MODULE)
    except ModuleNotFoundError as error:
        if error.name != CONNECTION_MODULE:
            raise
        return None
    return getattr(module, "check_connection", None)
