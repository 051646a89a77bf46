"""The "Test connection" check of an Azure AD provider, through msal's client credentials flow.

`check_connection(provider)` requests an app-only token for Microsoft Graph
from the provider's tenant with the stored client ID and secret, classifies
the response, and stores the status, the time and a plain-words detail on the
provider. A reply URL mismatch (AADSTS50011) and missing user consent
(AADSTS65001) cannot be seen this way; only a real sign-in shows them.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass
from typing import Any

import msal
import requests
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from . import graph
from .models import ConnectionStatus, IdentityProvider

logger = logging.getLogger(__name__)

# Seconds msal waits for each request to the authority.
TIMEOUT_SECONDS = 10.0
# A secret that ends within this many days is reported with the OK result.
SECRET_EXPIRY_WARNING_DAYS = 30

# Azure error codes that the check recognises, from the error_codes list of
# the token endpoint's error response.
AADSTS_UNKNOWN_TENANT = 90002
AADSTS_APP_NOT_FOUND = 700016
AADSTS_INVALID_SECRET = 7000215
AADSTS_EXPIRED_SECRET = 7000222
AADSTS_MISSING_SECRET = 7000218

FIXES: dict[str, str] = {
    ConnectionStatus.OK: "",
    ConnectionStatus.UNKNOWN_TENANT: (
        "Copy the Directory (tenant) ID from the Overview page of the app registration in the Azure portal, "
        "and check that the authority URL is the cloud the tenant lives in."
    ),
    ConnectionStatus.INVALID_CLIENT_ID: (
        "Copy the Application (client) ID from the Overview page of the app registration, and check that the "
        "app is registered in this tenant (or is multi-tenant and consented to here)."
    ),
    ConnectionStatus.INVALID_SECRET: (
        "Enter the secret's Value, not its Secret ID, from Certificates & secrets in the app registration. "
        "Azure shows the value only once: if it is lost, create a new client secret."
    ),
    ConnectionStatus.EXPIRED_SECRET: (
        "Create a new client secret under Certificates & secrets in the app registration and enter it here "
        "with its expiry date."
    ),
    ConnectionStatus.UNREACHABLE: (
        "Check that this server can open HTTPS connections to the authority URL (firewall, proxy, DNS), "
        "then test again."
    ),
    ConnectionStatus.ERROR: "Check the provider settings; if they are right, test again later.",
}


@dataclass(frozen=True)
class ConnectionResult:
    """The outcome of one connection check, as stored on the provider."""

    status: ConnectionStatus
    message: str
    checked_at: datetime.datetime
    aadsts_code: int | None = None
    secret_expires_on: datetime.date | None = None

    @property
    def ok(self) -> bool:
        return self.status == ConnectionStatus.OK

    @property
    def fix(self) -> str:
        """What the administrator should do next; empty when the check passed."""
        return FIXES[self.status]

    @property
    def detail(self) -> str:
        """The message and the fix in one text, as stored in `IdentityProvider.connection_detail`."""
        return f"{self.message} {self.fix}".strip()


def check_connection(provider: IdentityProvider, *, timeout: float = TIMEOUT_SECONDS) -> ConnectionResult:
    """Test the provider's tenant, client ID and secret against Azure and store the result on the provider.

    A new `ConfidentialClientApplication` is built for every check, because
    an instance caches tokens and a cached token would hide a secret that
    was changed or revoked since.
    """
    status, message, aadsts_code, app_token = _request_app_token(provider, timeout=timeout)

    secret_expires_on = None
    if status == ConnectionStatus.OK and app_token is not None:
        secret_expires_on = _client_secret_expiry(provider, app_token, timeout=timeout)
        if secret_expires_on is not None:
            message = f"{message} {_expiry_sentence(secret_expires_on)}"

    result = ConnectionResult(
        status=status,
        message=message,
        checked_at=timezone.now(),
        aadsts_code=aadsts_code,
        secret_expires_on=secret_expires_on,
    )
    provider.connection_status = result.status
    provider.connection_checked_at = result.checked_at
    provider.connection_detail = result.detail
    provider.save(update_fields=["connection_status", "connection_checked_at", "connection_detail"])

    logger.info(
        "provider connection checked workspace=%s provider=%s status=%s aadsts=%s",
        provider.workspace_id,
        provider.pk,
        result.status,
        aadsts_code,
    )
    return result


@sensitive_variables("secret")
def _request_app_token(
    provider: IdentityProvider, *, timeout: float
) -> tuple[ConnectionStatus, str, int | None, str | None]:
    """Return (status, message, AADSTS code, access token) for a client credentials request."""
    missing = [
        label
        for label, value in (
            ("tenant ID", provider.tenant_id),
            ("client ID", provider.client_id),
            ("client secret", provider.client_secret),
        )
        if not value
    ]
    if missing:
        return ConnectionStatus.ERROR, f"The provider has no {' and no '.join(missing)} yet.", None, None

    authority = f"{provider.authority_host.rstrip('/')}/{provider.tenant_id}"
    secret = provider.client_secret
    try:
        # instance_discovery=False: otherwise msal calls Microsoft's instance
        # discovery endpoint for hosts it does not list, which fails for a private
        # authority. Microsoft's own clouds need no discovery call either way.
        app = msal.ConfidentialClientApplication(
            provider.client_id,
            client_credential=secret,
            authority=authority,
            instance_discovery=False,
            timeout=timeout,
            token_cache=msal.TokenCache(),
        )
        answer = app.acquire_token_for_client(scopes=[f"{provider.graph_url.rstrip('/')}/.default"])
    except requests.Timeout:
        return (
            ConnectionStatus.UNREACHABLE,
            f"{provider.authority_host} did not answer within {timeout:g} seconds.",
            None,
            None,
        )
    except requests.HTTPError as error:
        status_code = error.response.status_code if error.response is not None else "an error"
        return ConnectionStatus.UNREACHABLE, f"{provider.authority_host} returned HTTP {status_code}.", None, None
    except requests.RequestException as error:
        return (
            ConnectionStatus.UNREACHABLE,
            f"{provider.authority_host} could not be reached ({type(error).__name__}).",
            None,
            None,
        )
    except ValueError as error:
        # msal 1.39 raises ValueError("Unable to get authority configuration
        # ...") from the ValueError("OIDC Discovery failed ...") that an HTTP
        # 4xx response to tenant discovery causes. Azure returns 400 with
        # AADSTS90002 for an unknown tenant.
        if "OIDC Discovery failed" in str(error) or "OIDC Discovery failed" in str(error.__context__):
            return (
                ConnectionStatus.UNKNOWN_TENANT,
                f"Azure AD does not know the tenant {provider.tenant_id!r} at {provider.authority_host}.",
                AADSTS_UNKNOWN_TENANT,
                None,
            )
        logger.warning("provider connection check failed provider=%s error=%s", provider.pk, type(error).__name__)
        return ConnectionStatus.ERROR, "The authority URL or tenant ID is not valid for msal.", None, None

    if "access_token" in answer:
        return (
            ConnectionStatus.OK,
            "Azure AD accepted the tenant, client ID and client secret.",
            None,
            answer["access_token"],
        )
    return _classify_error(provider, answer)


def _classify_error(
    provider: IdentityProvider, answer: dict[str, Any]
) -> tuple[ConnectionStatus, str, int | None, None]:
    codes = [code for code in answer.get("error_codes") or [] if isinstance(code, int)]
    error = answer.get("error", "unknown_error")

    if AADSTS_EXPIRED_SECRET in codes:
        return (
            ConnectionStatus.EXPIRED_SECRET,
            "Azure AD rejected the client secret because it has expired (AADSTS7000222).",
            AADSTS_EXPIRED_SECRET,
            None,
        )
    if AADSTS_INVALID_SECRET in codes or AADSTS_MISSING_SECRET in codes:
        code = AADSTS_INVALID_SECRET if AADSTS_INVALID_SECRET in codes else AADSTS_MISSING_SECRET
        return ConnectionStatus.INVALID_SECRET, f"Azure AD rejected the client secret (AADSTS{code}).", code, None
    if AADSTS_APP_NOT_FOUND in codes:
        return (
            ConnectionStatus.INVALID_CLIENT_ID,
            f"Azure AD found no application with client ID {provider.client_id!r} in this tenant (AADSTS700016).",
            AADSTS_APP_NOT_FOUND,
            None,
        )
    if AADSTS_UNKNOWN_TENANT in codes:
        return (
            ConnectionStatus.UNKNOWN_TENANT,
            f"Azure AD does not know the tenant {provider.tenant_id!r} (AADSTS90002).",
            AADSTS_UNKNOWN_TENANT,
            None,
        )

    code = codes[0] if codes else None
    logger.warning(
        "provider connection check got an unrecognised error provider=%s error=%s aadsts=%s", provider.pk, error, code
    )
    label = f"AADSTS{code}" if code else error
    return ConnectionStatus.ERROR, f"Azure AD refused the token request ({label}).", code, None


def _client_secret_expiry(provider: IdentityProvider, app_token: str, *, timeout: float) -> datetime.date | None:
    """Return the expiry date of the stored secret from Graph, else the date the administrator entered.

    Graph lists secrets only when the app has the Application.Read.All
    application permission; without it the entered date is all there is.
    """
    try:
        end_dates = graph.get_client_secret_end_dates(
            provider.graph_url, app_token, provider.client_id, timeout=timeout
        )
    except graph.GraphError as error:
        logger.info("client secret expiry not read from graph provider=%s reason=%s", provider.pk, error)
        return provider.client_secret_expires_on

    end = end_dates.get(provider.client_secret[:3])
    return end.date() if end is not None else provider.client_secret_expires_on


def _expiry_sentence(expires_on: datetime.date) -> str:
    days_left = (expires_on - timezone.now().date()).days
    if days_left <= SECRET_EXPIRY_WARNING_DAYS:
        return (
            f"The client secret expires on {expires_on.isoformat()}, in {days_left} days: create a new one "
            "under Certificates & secrets before then."
        )
    return f"The client secret expires on {expires_on.isoformat()}."
