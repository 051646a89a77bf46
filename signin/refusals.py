"""Refused sign-ins: the stable codes, their explanations, and the one function that renders them.

Every refusal shows the code, what it means and what the administrator
should do, and writes an audit entry in the provider's workspace. A refusal
before any provider is known (UNKNOWN_DOMAIN, or a callback whose session
expired) is written as an installation-level entry without a workspace.
Azure's own descriptions are never shown or logged,
because they may echo request values; the AADSTS number is explained from
the table below instead.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from social_core.exceptions import AuthPolicyError

from audit.models import AuditSource
from audit.services import record
from identity_providers.models import IdentityProvider

from .urls_public import callback_url

logger = logging.getLogger(__name__)

UNKNOWN_DOMAIN = "UNKNOWN_DOMAIN"
PROVIDER_DISABLED = "PROVIDER_DISABLED"
TENANT_NOT_ALLOWED = "TENANT_NOT_ALLOWED"
NOT_IN_ACCESS_GROUPS = "NOT_IN_ACCESS_GROUPS"
USER_DISABLED = "USER_DISABLED"
USER_NOT_PROVISIONED = "USER_NOT_PROVISIONED"
IDP_ERROR = "IDP_ERROR"


@dataclass(frozen=True)
class RefusalText:
    title: str
    meaning: str
    administrator_action: str
    status: int


REFUSALS: dict[str, RefusalText] = {
    UNKNOWN_DOMAIN: RefusalText(
        "No workspace for this email domain",
        "No workspace signs its users in with email addresses at this domain.",
        "Add the domain, or an alias of it, to the workspace's Azure AD identity provider. "
        "Users should check the spelling of their work email.",
        404,
    ),
    PROVIDER_DISABLED: RefusalText(
        "Sign-in is turned off",
        "The workspace's Azure AD identity provider is disabled, so nobody can sign in through it.",
        "Enable the identity provider in the workspace settings.",
        403,
    ),
    TENANT_NOT_ALLOWED: RefusalText(
        "Organisation not allowed",
        "Your account belongs to an Azure AD organisation (tenant) that this workspace does not accept.",
        "For a multi-tenant provider, add the user's tenant ID to the allowed tenants. For a single-tenant "
        "provider, users must sign in with an account of the provider's own tenant.",
        403,
    ),
    NOT_IN_ACCESS_GROUPS: RefusalText(
        "Not in an allowed group",
        "Your account is not a member of any Azure AD group that may sign in to this workspace.",
        "Add the user to one of the provider's access groups in Azure AD (nested groups count), or add one of "
        "the user's groups to the access groups.",
        403,
    ),
    USER_DISABLED: RefusalText(
        "Account disabled",
        "Your account is disabled in this workspace's directory, usually because Azure AD provisioning "
        "unassigned or disabled it.",
        "Assign the user to the p81 enterprise application in Azure AD and enable their account; the next "
        "provisioning cycle (or Provision on demand) makes them active again.",
        403,
    ),
    USER_NOT_PROVISIONED: RefusalText(
        "Account not provisioned",
        "Provisioning is on for this workspace, and your account has not been provisioned to it yet.",
        "Assign the user to the p81 enterprise application in Azure AD, then wait for the next provisioning "
        "cycle or use Provision on demand.",
        403,
    ),
    IDP_ERROR: RefusalText(
        "Azure AD sign-in failed",
        "The sign-in with Azure AD could not be completed.",
        "Use Test connection on the identity provider page, and check the details below.",
        502,
    ),
}

# Plain-words explanations of the AADSTS codes that a sign-in can end with.
AADSTS_EXPLANATIONS: dict[int, str] = {
    7000215: "The client secret stored in p81 is wrong. Enter the secret's Value (not its Secret ID) from "
    "Certificates & secrets in the app registration.",
    7000222: "The client secret stored in p81 has expired. Create a new client secret in the app registration "
    "and enter it in p81.",
    7000218: "p81 sent no client secret. Enter the client secret on the identity provider page.",
    50011: "The redirect URI is not registered on the app registration. Add {redirect_url} as a Web redirect URI "
    "under Authentication in the Azure portal.",
    700016: "Azure AD found no application with the configured client ID in this tenant. Check the Application "
    "(client) ID, and for a multi-tenant app, that an administrator of the user's tenant consented to it.",
    65001: "Nobody has consented to the permissions p81 requests (openid, profile, email, User.Read). An "
    "administrator should grant admin consent under API permissions in the app registration.",
    90002: "Azure AD does not know the configured tenant ID. Copy the Directory (tenant) ID from the app "
    "registration's Overview page.",
    50020: "The account belongs to a tenant that this app registration does not accept. Make the app "
    "multi-tenant, or sign in with an account of the app's own tenant.",
    50034: "The account does not exist in the tenant. Check the email address.",
    54005: "The sign-in response was already used. Start the sign-in again.",
    70008: "The sign-in took too long and its code expired. Start the sign-in again.",
    70000: "Azure AD did not accept the sign-in code. Start the sign-in again.",
    501481: "The sign-in code did not match the PKCE verifier p81 sent. Start the sign-in again.",
    9002325: "The redirect URI is registered as a single-page application. Move it to the Web platform under "
    "Authentication in the app registration.",
}

_AADSTS_PREFIX = re.compile(r"^\s*AADSTS(\d+)")


class SignInRefused(AuthPolicyError):
    """A sign-in that p81's rules refuse; `refusal_code` is one of the codes above."""

    def __init__(self, backend: Any, refusal_code: str, detail: str = "", *, aadsts: int | None = None) -> None:
        super().__init__(backend, detail, code="authentication_disallowed", stage="pipeline")
        self.refusal_code = refusal_code
        self.aadsts = aadsts


def aadsts_code(data: Any) -> int | None:
    """Return the AADSTS number from an Azure error body or callback query, or None."""
    if not hasattr(data, "get"):
        return None
    codes = data.get("error_codes")
    if isinstance(codes, list) and codes and isinstance(codes[0], int):
        return codes[0]
    description = data.get("error_description")
    if isinstance(description, str):
        match = _AADSTS_PREFIX.match(description)
        if match:
            return int(match.group(1))
    return None


def explain_aadsts(code: int | None) -> str:
    if code is None:
        return ""
    explanation = AADSTS_EXPLANATIONS.get(code)
    if explanation is None:
        return f"Azure AD reported error AADSTS{code}; look the number up in Microsoft's AADSTS error code list."
    return explanation.format(redirect_url=callback_url())


def render_refusal(
    request: HttpRequest,
    code: str,
    *,
    provider: IdentityProvider | None = None,
    detail: str = "",
    aadsts: int | None = None,
    user_label: str = "",
) -> HttpResponse:
    """Render the refusal page for `code`, write the audit entry and log the event.

    `detail` is p81's own text (a claim name, a tenant ID, a Graph status),
    never a provider's response body or a secret.
    """
    text = REFUSALS[code]
    record(
        provider.workspace if provider is not None else None,
        "sign_in.refused",
        source=AuditSource.SIGN_IN,
        actor_label=user_label[:256],
        target=provider,
        code=code,
        changes={"detail": detail, "aadsts": aadsts} if (detail or aadsts) else {},
    )
    logger.warning(
        "sign-in refused code=%s workspace=%s provider=%s aadsts=%s detail=%s",
        code,
        provider.workspace_id if provider else None,
        provider.pk if provider else None,
        aadsts,
        detail,
    )

    response = render(
        request,
        "signin/refused.html",
        {
            "code": code,
            "text": text,
            "detail": detail,
            "aadsts": aadsts,
            "aadsts_explanation": explain_aadsts(aadsts),
            "provider": provider,
        },
        status=text.status,
    )
    add_never_cache_headers(response)
    return response
