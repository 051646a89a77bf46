"""The SCIM settings of a provider: turn on/off, base URL, token generation and the provisioning log."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.debug import sensitive_variables

from console.hints import failure_hint
from identity_providers.services import (
    active_scim_token,
    generate_scim_token,
    set_group_provisioning,
    set_scim_enabled,
)
from scim.links import scim_base_url
from scim.models import ProvisioningLogEntry

from .base import ProviderView

logger = logging.getLogger(__name__)

STATUS_FILTERS = {"success": Q(status__lt=400), "failure": Q(status__gte=400)}


class ScimSettingsView(ProviderView):
    def get(self, request: HttpRequest, public_id: Any) -> HttpResponse:
        return self.render(
            "console/providers/scim.html",
            {
                "tab": "scim",
                "base_url": scim_base_url(self.workspace),
                "active_token": active_scim_token(self.provider),
                "recent": ProvisioningLogEntry.objects.filter(workspace=self.workspace, provider=self.provider)[:5],
            },
        )

    def post(self, request: HttpRequest, public_id: Any) -> HttpResponse:
        groups = request.POST.get("group_provisioning")
        if groups in ("on", "off"):
            set_group_provisioning(self.provider, self.actor, enabled=groups == "on")
            if groups == "on":
                messages.success(request, "Group provisioning is on: Azure's groups and memberships are accepted.")
            else:
                messages.success(
                    request,
                    "Group provisioning is off. Provisioned groups are kept; in Azure, disable 'Provision "
                    "Microsoft Entra ID Groups' under Provisioning > Mappings so that group writes stop failing.",
                )
            return redirect("console:provider-scim", public_id=self.provider.public_id)

        action = request.POST.get("scim")
        if action not in ("on", "off"):
            messages.error(request, "Choose Turn On or Turn Off.")
            return redirect("console:provider-scim", public_id=self.provider.public_id)

        set_scim_enabled(self.provider, self.actor, enabled=action == "on")
        if action == "on":
            text = "SCIM provisioning is on."
            if active_scim_token(self.provider) is None:
                text += " Generate a token and paste it with the base URL into Azure."
            messages.success(request, text)
        else:
            messages.success(request, "SCIM provisioning is off. Azure's requests are refused until you turn it on.")
        return redirect("console:provider-scim", public_id=self.provider.public_id)


class ScimTokenView(ProviderView):
    """Generate a SCIM token and show it once.

    When the provider already has an active token, a POST without
    `confirm_revoke` only shows the confirmation, so a token is never
    revoked by one unconfirmed click.
    """

    def get(self, request: HttpRequest, public_id: Any) -> HttpResponse:
        return self.render_confirmation()

    @sensitive_variables("issued")
    def post(self, request: HttpRequest, public_id: Any) -> HttpResponse:
        if active_scim_token(self.provider) is not None and request.POST.get("confirm_revoke") != "yes":
            return self.render_confirmation()

        issued = generate_scim_token(self.provider, self.actor)
        response = self.render(
            "console/providers/scim_token.html",
            {
                "tab": "scim",
                "token_value": issued.value,
                "base_url": scim_base_url(self.workspace),
            },
        )
        response["Cache-Control"] = "no-store"
        return response

    def render_confirmation(self) -> HttpResponse:
        return self.render(
            "console/providers/scim_token_confirm.html",
            {"tab": "scim", "active_token": active_scim_token(self.provider)},
        )


class ProvisioningLogView(ProviderView):
    """The provider's SCIM requests, newest first, filterable by status, operation and user."""

    def get(self, request: HttpRequest, public_id: Any) -> HttpResponse:
        entries = ProvisioningLogEntry.objects.filter(workspace=self.workspace, provider=self.provider)
        filters = {
            "status": request.GET.get("status", ""),
            "operation": request.GET.get("operation", "").strip(),
            "user": request.GET.get("user", "").strip(),
        }
        if filters["status"] in STATUS_FILTERS:
            entries = entries.filter(STATUS_FILTERS[filters["status"]])
        if filters["operation"]:
            entries = entries.filter(operation=filters["operation"])
        if filters["user"]:
            entries = entries.filter(Q(user_name__icontains=filters["user"]) | Q(resource_id=filters["user"]))

        operations = (
            ProvisioningLogEntry.objects.filter(workspace=self.workspace, provider=self.provider)
            .order_by("operation")
            .values_list("operation", flat=True)
            .distinct()
        )
        page = self.paginate(entries)
        rows = [{"entry": entry, "hint": failure_hint(entry)} for entry in page.object_list]
        return self.render(
            "console/providers/provisioning_log.html",
            {"tab": "log", "page": page, "rows": rows, "filters": filters, "operations": list(operations)},
        )
