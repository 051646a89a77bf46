"""SCIM bearer tokens: generation, revocation and authentication.

A token is 256 bits from `secrets`, shown once. The database keeps its
SHA-256 digest only. A plain hash is enough here (no salt, no slow hash)
because the token is random and long, so a digest leaks nothing that a
dictionary attack could use, and lookup by digest keeps authentication to
one indexed query. The digest found by that lookup is compared again with
`hmac.compare_digest` so that the last step does not depend on timing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from identity_providers.models import IdentityProvider

from .models import ScimToken

logger = logging.getLogger(__name__)

TOKEN_PREFIX = "p81scim_"
# Last-used times are written at most this often per token, so that a
# provisioning cycle of thousands of requests does not add a write to each.
LAST_USED_RESOLUTION_SECONDS = 60


@dataclass(frozen=True)
class IssuedToken:
    """A newly generated token: `value` is the only copy of the secret."""

    token: ScimToken
    value: str


def hash_token(value: str) -> str:
    """Return the hex SHA-256 digest under which a token is stored."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def generate_token(provider: IdentityProvider) -> IssuedToken:
    """Revoke the provider's active token and issue a new one.

    Both happen in one transaction under a lock on the provider row, and the
    partial unique index on active tokens guarantees that a provider never
    has two active tokens.
    """
    value = TOKEN_PREFIX + secrets.token_urlsafe(32)

    with transaction.atomic():
        # Locking the provider row makes concurrent generations take turns,
        # so the second revokes the first token instead of failing on the
        # one-active-token index.
        IdentityProvider.objects.select_for_update().filter(pk=provider.pk).first()
        revoked = revoke_tokens(provider)
        token = ScimToken.objects.create(
            workspace_id=provider.workspace_id,
            provider=provider,
            digest=hash_token(value),
            prefix=value[: len(TOKEN_PREFIX) + 4],
        )

    logger.info(
        "scim token issued workspace=%s provider=%s token=%s revoked=%d",
        provider.workspace_id,
        provider.pk,
        token.pk,
        revoked,
    )
    return IssuedToken(token=token, value=value)


def revoke_tokens(provider: IdentityProvider) -> int:
    """Revoke every active token of the provider and return how many were revoked."""
    return ScimToken.objects.filter(provider=provider, revoked_at__isnull=True).update(revoked_at=timezone.now())


def authenticate_token(value: str) -> ScimToken | None:
    """Return the active token whose value is `value`, with its provider and workspace, or None.

    The provider must be enabled with SCIM turned on; a token of a provider
    with SCIM off authenticates nothing.
    """
    if not value or len(value) > 512:
        return None

    digest = hash_token(value)
    token = (
        ScimToken.objects.select_related("provider", "workspace").filter(digest=digest, revoked_at__isnull=True).first()
    )
    if token is None or not hmac.compare_digest(token.digest, digest):
        return None

    if not (token.provider.enabled and token.provider.scim_enabled):
        return None
    return token


def touch_token(token: ScimToken) -> None:
    """Record that the token was used, at most once per LAST_USED_RESOLUTION_SECONDS."""
    now = timezone.now()
    last = token.last_used_at
    if last is not None and (now - last).total_seconds() < LAST_USED_RESOLUTION_SECONDS:
        return

    ScimToken.objects.filter(pk=token.pk).update(last_used_at=now)
    IdentityProvider.objects.filter(pk=token.provider_id).update(last_scim_request_at=now)
    token.last_used_at = now
