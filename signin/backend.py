"""The social-auth backend that signs users in through the Azure AD provider of their workspace.

One backend (`azuread-v2-tenant-oauth2`) and one callback URL serve every
provider. The login view chooses the provider from the user's email domain
and binds it to the backend in memory. `get_or_create_state` then stores the
provider id and the nonce in social-auth's server-side session transaction
for the `state` value. The callback finds the provider again only through
that transaction, never through request parameters.

On top of social-core's `AzureADV2TenantOAuth2` (signature against the
tenant's JWKS, refetched once on an unknown `kid`; audience; issuer for the
token's `tid`; expiry) this backend adds PKCE, a nonce, `login_hint` and
`domain_hint`, a 60-second clock leeway, and the tenant allow-list.
"""

from __future__ import annotations

import logging
from typing import Any

from social_core.backends.azuread_tenant import AzureADV2TenantOAuth2
from social_core.exceptions import AuthResponseError, AuthSessionError, SocialAuthBaseException
from social_core.utils import constant_time_compare

from identity_providers.models import IdentityProvider

from . import refusals
from .urls_public import BACKEND_NAME, callback_url

logger = logging.getLogger(__name__)

PROVIDER_ID_KEY = "p81_provider_id"
NONCE_KEY = "p81_nonce"
LOGIN_HINT_KEY = "p81_login_hint"
LEEWAY_SECONDS = 60
NONCE_LENGTH = 32
MULTI_TENANT_SEGMENT = "organizations"

_UNSET = object()


class AzureADSignInBackend(AzureADV2TenantOAuth2):
    """Azure AD v2.0 sign-in whose settings come from the provider row chosen for this login."""

    name = BACKEND_NAME
    # `oid` is the directory object id, stable across app registrations;
    # `sub` differs per app and `preferred_username` can be reassigned.
    ID_KEY = "oid"
    LEGACY_ID_KEYS = ()
    DEFAULT_USE_PKCE = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._provider: IdentityProvider | None = None
        self._login_hint = ""
        self._nonce = ""
        super().__init__(*args, **kwargs)

    # The provider of this login.

    def bind_provider(self, provider: IdentityProvider, login_hint: str) -> None:
        """Use `provider` for a login that starts now; `login_hint` is the email the user typed."""
        self._provider = provider
        self._login_hint = login_hint

    @property
    def bound_provider(self) -> IdentityProvider | None:
        """The provider if one is known yet, for error pages that must not raise."""
        return self._provider

    @property
    def login_hint(self) -> str:
        """The email the user typed on the login form."""
        return self._login_hint

    @property
    def provider(self) -> IdentityProvider:
        if self._provider is None:
            self._provider = self._provider_from_transaction()
        return self._provider

    def _provider_from_transaction(self) -> IdentityProvider:
        """Load the provider whose id the session transaction for the callback's `state` holds."""
        transaction = self._oauth2_transaction
        if transaction is None:
            state = self.get_request_state()
            if isinstance(state, str) and 0 < len(state) <= 128:
                transaction = self.strategy.session_get(self.transaction_key(state))

        provider_id = transaction.get(PROVIDER_ID_KEY) if isinstance(transaction, dict) else None
        provider = (
            IdentityProvider.objects.select_related("workspace").filter(pk=provider_id).first()
            if isinstance(provider_id, int)
            else None
        )
        if provider is None:
            raise AuthSessionError(self, "state", code="session_context_missing", stage="callback")
        self._login_hint = str(transaction.get(LOGIN_HINT_KEY) or "")
        return provider

    def tenant_segment(self) -> str:
        """Return the tenant part of the authority URL: the tenant ID, or `organizations` when multi-tenant."""
        return MULTI_TENANT_SEGMENT if self.provider.multi_tenant else self.provider.tenant_id

    def allowed_tenant_ids(self) -> set[str]:
        """Return the lower-cased tenant IDs whose users may sign in: the provider's own, plus the allow-list."""
        allowed = {self.provider.tenant_id.lower()}
        if self.provider.multi_tenant:
            allowed.update(str(tenant).lower() for tenant in self.provider.allowed_tenant_ids or [])
        return allowed

    def end_session_url(self) -> str:
        return f"{self.provider.authority_host.rstrip('/')}/{self.tenant_segment()}/oauth2/v2.0/logout"

    # Settings.

    def setting(self, name: str, default: Any = None) -> Any:
        """Return the provider row's value for the provider settings, else the Django setting."""
        value = self._provider_setting(name)
        if value is not _UNSET:
            return value
        return super().setting(name, default)

    def _provider_setting(self, name: str) -> Any:
        if name == "KEY":
            return self.provider.client_id
        if name == "SECRET":
            return self.provider.client_secret
        if name == "TENANT_ID":
            return self.tenant_segment()
        if name == "AUTHORITY_URL":
            return f"{self.provider.authority_host.rstrip('/')}/{self.tenant_segment()}"
        if name == "USE_PKCE":
            return True
        if name == "JWT_LEEWAY":
            return LEEWAY_SECONDS
        if name == "IGNORE_DEFAULT_SCOPE":
            return True
        if name == "SCOPE":
            # User.Read on the provider's Graph lets the access token read
            # /me/transitiveMemberOf when the groups claim overflows.
            return ["openid", "profile", "email", f"{self.provider.graph_url.rstrip('/')}/User.Read"]
        return _UNSET

    def get_redirect_uri(self, state: str | None = None) -> str:
        return callback_url()

    # Starting the login.

    def get_or_create_state(self) -> str | None:
        """Create the state and store the provider id and a fresh nonce in its session transaction."""
        state = super().get_or_create_state()
        if state is None:
            return state
        key = self.transaction_key(state)
        transaction = self.strategy.session_get(key)
        self._nonce = self.strategy.random_string(NONCE_LENGTH)
        self.strategy.session_set(
            key,
            {
                **transaction,
                PROVIDER_ID_KEY: self.provider.pk,
                NONCE_KEY: self._nonce,
                LOGIN_HINT_KEY: self._login_hint,
            },
        )
        return state

    def auth_extra_arguments(self) -> dict[str, str]:
        arguments = super().auth_extra_arguments()
        if self._nonce:
            arguments["nonce"] = self._nonce
        if self._login_hint:
            arguments["login_hint"] = self._login_hint
            arguments["domain_hint"] = self._login_hint.rpartition("@")[2]
        return arguments

    # Completing the login.

    def validate_state(self) -> str | None:
        # Load the provider before social-core consumes the transaction
        # that names it.
        if self._provider is None:
            self._provider = self._provider_from_transaction()
        return super().validate_state()

    def get_provider_error(self, data: object, **kwargs: Any) -> SocialAuthBaseException | None:
        """Classify Azure's error and keep its AADSTS number (never its description) on the exception."""
        error = super().get_provider_error(data, **kwargs)
        if error is not None:
            error.context["aadsts"] = refusals.aadsts_code(data)
        return error

    def validate_key_issuer(self, key: dict[str, Any], claims: dict[str, Any]) -> None:
        # The tenant check runs first so that a token of another tenant is
        # refused as TENANT_NOT_ALLOWED, not as a key issuer mismatch.
        self.validate_configured_tenant(claims)
        super().validate_key_issuer(key, claims)

    def validate_configured_tenant(self, claims: dict[str, Any]) -> None:
        """Refuse a token whose `tid` is not an allowed tenant.

        social-core passes the claims before the signature is checked. That is
        safe here because the id_token arrives from the token endpoint over
        TLS, and a refusal is the only outcome this check can cause.
        """
        tenant_id = claims.get("tid")
        if not isinstance(tenant_id, str) or not tenant_id:
            raise AuthResponseError(self, claim="tid", code="missing_claim", stage="token_validation")
        if tenant_id.lower() not in self.allowed_tenant_ids():
            raise refusals.SignInRefused(
                self,
                refusals.TENANT_NOT_ALLOWED,
                f"The account's tenant is {tenant_id}.",
            )

    def validate_and_return_id_token(self, id_token: str) -> dict[str, Any]:
        """Validate the id_token as social-core does, then check the nonce and the `oid` claim."""
        claims = super().validate_and_return_id_token(id_token)

        expected_nonce = (self._oauth2_transaction or {}).get(NONCE_KEY)
        received_nonce = claims.get("nonce")
        if (
            not isinstance(expected_nonce, str)
            or not isinstance(received_nonce, str)
            or not constant_time_compare(received_nonce, expected_nonce)
        ):
            raise AuthResponseError(self, claim="nonce", code="nonce_mismatch", stage="token_validation")

        if not isinstance(claims.get("oid"), str) or not claims["oid"]:
            raise AuthResponseError(self, claim="oid", code="missing_claim", stage="token_validation")
        return claims

    def get_user_id(self, details: dict[str, Any], response: dict[str, Any]) -> str:
        """Return `{provider public id}:{oid}`, so the same Azure user in two workspaces gets two accounts."""
        oid = self.get_user_id_from_sources(response, id_key="oid")
        return f"{self.provider.public_id}:{str(oid).lower()}"

    def get_user_groups(self, response: dict[str, Any]) -> list[str] | None:
        # Access groups are checked by signin.pipeline.check_access_groups,
        # which handles group overage; social-core's reader would raise on it.
        return None
